"""Parsers for what IREE's tools print: dispatch names, HAL profiles, benchmarks.

Pure functions over text, no processes: the bench harness feeds them the
output of `iree-profile dispatch --format=jsonl` and `iree-benchmark-module
--benchmark_format=json`, and the tests feed them small literal samples.

Dispatch kinds and the layout-move kinds are those of `smartmem.census`, so a
profile's time breakdown and the compile-time census use the same names.  A
profiled dispatch also counts as a layout move when the census found that its
body only moves data (`moves_only`).  The census (and with it IREE's compiler
bindings) is imported only when kinds are needed, so the runtime-only device
machine can use the rest.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence



def dispatch_kind(name: str) -> str:
    """The census's kind of a dispatch function name (e.g. 'transpose')."""
    from .census import dispatch_kind as kind  # imports IREE's compiler bindings

    return kind(name)


def is_layout_move(kind: str) -> bool:
    from .census import LAYOUT_MOVE_KINDS

    return kind in LAYOUT_MOVE_KINDS


@dataclass(frozen=True)
class DispatchTiming:
    """Aggregate time of one dispatch function over a profiled run."""

    name: str
    kind: str
    count: int
    total_ns: float
    moves_only: bool = False

    @property
    def layout_move(self) -> bool:
        return self.moves_only or is_layout_move(self.kind)


@dataclass(frozen=True)
class DispatchProfile:
    """Per-dispatch times of a profiled run, divided by the number of runs."""

    dispatches: tuple[DispatchTiming, ...]
    runs: int = 1

    @property
    def total_ns(self) -> float:
        return sum(d.total_ns for d in self.dispatches) / self.runs

    @property
    def dispatch_count(self) -> int:
        """Dispatches executed per run."""
        return sum(d.count for d in self.dispatches) // self.runs

    def by_kind_ns(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for d in self.dispatches:
            out[d.kind] = out.get(d.kind, 0.0) + d.total_ns / self.runs
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def count_by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.dispatches:
            out[d.kind] = out.get(d.kind, 0) + d.count // self.runs
        return dict(sorted(out.items()))

    @property
    def layout_move_ns(self) -> float:
        return sum(d.total_ns for d in self.dispatches if d.layout_move) / self.runs

    @property
    def layout_move_share(self) -> float:
        total = self.total_ns
        return self.layout_move_ns / total if total > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "runs": self.runs,
            "total_ms": self.total_ns / 1e6,
            "dispatches_per_run": self.dispatch_count,
            "layout_move_ms": self.layout_move_ns / 1e6,
            "layout_move_share": self.layout_move_share,
            "by_kind_ms": {k: v / 1e6 for k, v in self.by_kind_ns().items()},
            "count_by_kind": self.count_by_kind(),
            "top": [
                {"name": d.name, "kind": d.kind, "count": d.count // self.runs,
                 "ms": d.total_ns / self.runs / 1e6}
                for d in sorted(self.dispatches, key=lambda d: -d.total_ns)[:15]
            ],
        }


def dispatch_key(name: str) -> str:
    return name.replace("$async", "")


class ParseError(ValueError):
    """Tool output did not have the expected form."""


def parse_profile_jsonl(text: str, runs: int = 1, moves_only: frozenset[str] = frozenset()) -> DispatchProfile:
    """Parse `iree-profile dispatch --format=jsonl` (device or host groups).

    `runs` is how many inferences the profile covers; `moves_only` names the
    dispatch functions that only move data (from the compile-time census).
    """
    timings: list[DispatchTiming] = []
    saw_summary = False
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(f"iree-profile line {lineno}: {exc.msg}") from exc
        kind = row.get("type", "")
        if kind == "dispatch_summary":
            saw_summary = True
        if kind not in ("dispatch_group", "host_dispatch_group"):
            continue
        if row.get("time_ns_available") is False:
            raise ParseError(f"iree-profile: no clock fit for {row.get('key')}; times unavailable")
        name = str(row["key"])
        timings.append(DispatchTiming(name, dispatch_kind(name), int(row["count"]), float(row["total_ns"]),
                                      dispatch_key(name) in moves_only))
    if not saw_summary:
        raise ParseError("iree-profile output has no dispatch_summary row")
    return DispatchProfile(tuple(timings), max(1, runs))


@dataclass(frozen=True)
class LatencyStats:
    """Latency of one variant: every repetition's time per iteration (ms)."""

    reps_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.reps_ms)

    @property
    def min_ms(self) -> float:
        return min(self.reps_ms)

    @property
    def max_ms(self) -> float:
        return max(self.reps_ms)

    @property
    def spread(self) -> float:
        """(max - min) / median: the run-to-run noise band."""
        return (self.max_ms - self.min_ms) / self.median_ms if self.median_ms > 0 else math.inf

    def to_json(self) -> dict[str, object]:
        return {"median_ms": self.median_ms, "min_ms": self.min_ms, "max_ms": self.max_ms,
                "spread": self.spread, "reps_ms": list(self.reps_ms)}


_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_benchmark_json(text: str) -> tuple[float, ...]:
    """Per-repetition real times (ms) from `iree-benchmark-module --benchmark_format=json`."""
    try:
        doc = json.loads(text[text.index("{"):])
    except (ValueError, json.JSONDecodeError) as exc:
        raise ParseError("iree-benchmark-module printed no JSON report") from exc
    reps = []
    for b in doc.get("benchmarks", []):
        if b.get("run_type") != "iteration" or "error_occurred" in b and b["error_occurred"]:
            continue
        unit = b.get("time_unit", "ns")
        reps.append(float(b["real_time"]) * _TO_MS[unit])
    if not reps:
        errors = [b.get("error_message", "") for b in doc.get("benchmarks", []) if b.get("error_occurred")]
        raise ParseError("benchmark had no timed repetition" + (f": {errors[0]}" if errors else ""))
    return tuple(reps)


def merge_latency(rounds: Iterable[Sequence[float]]) -> LatencyStats:
    return LatencyStats(tuple(t for r in rounds for t in r))


def census_from_names(names: Iterable[str]) -> dict[str, int]:
    """Count dispatch call sites by kind from their function names."""
    out: dict[str, int] = {}
    for name in names:
        k = dispatch_kind(name)
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def layout_move_count(by_kind: Mapping[str, int]) -> int:
    return sum(n for k, n in by_kind.items() if is_layout_move(k))


@dataclass(frozen=True)
class Numerics:
    """Output error of a module against a reference output."""

    rel_l2: float
    max_abs: float
    nonfinite: int
    reference: str

    def to_json(self) -> dict[str, object]:
        return {"rel_l2": self.rel_l2, "max_abs": self.max_abs, "nonfinite": self.nonfinite,
                "reference": self.reference}


def compare(out, ref, reference: str) -> Numerics:  # numpy arrays
    import numpy as np

    a = np.asarray(out, dtype=np.float64)
    b = np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape:
        raise ParseError(f"output shape {a.shape} differs from reference shape {b.shape}")
    nonfinite = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
    denom = float(np.linalg.norm(b))
    diff = a - b
    rel = float(np.linalg.norm(diff) / denom) if denom > 0 else float(np.linalg.norm(diff))
    max_abs = float(np.max(np.abs(diff))) if diff.size else 0.0
    return Numerics(rel, max_abs, nonfinite, reference)
