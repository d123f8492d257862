"""smartmem-bench: stock IREE vs SmartMem over the model zoo, side by side.

For each model x target, both variants are compiled by `smartmem.compile`
(`smartmem=False` is stock IREE, `smartmem=True` adds the SmartMem passes),
then, where the target runs on this machine, measured in one run:

- dispatch census (from the compile report: dispatches by kind, layout moves);
- numerics vs onnxruntime on the zoo's fixed input (rel L2, max abs), and
  SmartMem vs stock;
- latency: `iree-benchmark-module`, variants interleaved round by round;
- per-dispatch profile (IREE HAL profiling) and the share of dispatch time in
  layout moves.

onnxruntime's CPU latency is recorded as the peer.  Targets that do not run
here (e.g. `vulkan:ampere`) are compiled only; `tools/device/` runs them on
the lent GPU and `smartmem-bench merge` brings the results back.

Records go to DIR/results.json (resumable: finished records are skipped unless
--force), then DIR/report.md and DIR/*.png are rendered from all records.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .bench_parse import dispatch_key
from .bench_records import PEER_VARIANT, VARIANTS, Record, RecordKey, ResultStore
from .bench_run import (
    BenchError,
    Module,
    Target,
    device_info,
    dispatch_profile,
    entry_function,
    interleaved_latency,
    numerics,
    onnxruntime_reference,
    versions,
)


@dataclass(frozen=True)
class BenchOptions:
    out: Path
    targets: tuple[Target, ...]
    rounds: int = 5
    profile_runs: int = 2
    force: bool = False
    compile_only: bool = False
    zoo_dir: Path | None = None
    compile_timeout_s: float = 1200.0


@dataclass(frozen=True)
class Compiled:
    """One variant's compiled module and its compile report."""

    module: Module
    seconds: float
    census: dict[str, Any]
    moves_only: frozenset[str]
    report: dict[str, Any]


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def artifact_dir(out: Path, model: str, target: Target) -> Path:
    return out / "artifacts" / model / target.spec.replace(":", "-")


def compile_variant(onnx_path: Path, directory: Path, target: Target, variant: str,
                    force: bool, timeout_s: float = 3600) -> Compiled:
    """Compile one variant with smartmem.compile in a subprocess (cached in `directory`)."""
    directory.mkdir(parents=True, exist_ok=True)
    vmfb = directory / f"{variant}.vmfb"
    meta_path = directory / f"{variant}.bench.json"
    fresh = (vmfb.exists() and meta_path.exists()
             and meta_path.stat().st_mtime >= onnx_path.stat().st_mtime)
    if force or not fresh:
        cmd = [sys.executable, "-m", "smartmem.bench_compile", str(onnx_path), str(vmfb),
               target.spec, variant, str(meta_path)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"compile timed out after {timeout_s:.0f} s") from exc
        if proc.returncode != 0:
            lines = [l.strip() for l in proc.stderr.splitlines() if l.strip()]
            reason = next((l for l in lines if "error" in l.lower()), lines[-1] if lines else "")
            raise BenchError(f"compile failed (exit {proc.returncode}): {reason[:300]}")
    meta = json.loads(meta_path.read_text())
    report = meta["report"]
    census = dict(report.get("dispatches") or {})
    moves_only = frozenset(dispatch_key(n) for n in meta.get("moves_only_entry_points", ()))
    outputs = report.get("outputs", {})
    params: tuple[str, ...] = ()
    irpa = vmfb.with_suffix(".irpa")
    if irpa.exists() and outputs.get("irpa_bytes", 1) > 0:
        scope = outputs.get("parameter_scope", "model")
        params = (f"{scope}={irpa}" if scope else str(irpa),)
    function = report.get("entry_function") or entry_function(vmfb)
    module = Module(vmfb, function, params)
    return Compiled(module, float(meta["seconds"]), census, moves_only, report)


def compile_info(seconds: float, report: dict[str, Any]) -> dict[str, Any]:
    """What a record keeps of the compile driver's report."""
    return {
        "seconds": seconds, "vmfb_bytes": report.get("outputs", {}).get("vmfb_bytes"),
        "function": report.get("entry_function"), "census": report.get("dispatches", {}),
        "elimination": report.get("layout_moves"),
        "phase_seconds": report.get("compile_seconds", {}),
        "smartmem_pipelines": report.get("smartmem_pipelines", []),
        "iree_flags": report.get("iree_flags", []),
    }


def _base_record(model: str, target: Target, variant: str) -> Record:
    return {"model": model, "target": target.spec, "variant": variant, "status": "ok",
            "date": _now(), "host": platform.node(), **device_info(target), "versions": versions()}


class Progress:
    """A one-line progress bar on stderr (plain lines when not a terminal)."""

    def __init__(self, total: int, stream=sys.stderr) -> None:
        self.total = max(1, total)
        self.done = 0
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()

    def step(self, label: str) -> None:
        self.done += 1
        self.show(label)

    def show(self, label: str) -> None:
        frac = min(1.0, self.done / self.total)
        width = 28
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        elapsed = time.monotonic() - self.start
        line = f"[{bar}] {self.done}/{self.total} {elapsed:6.0f}s {label}"
        if self.tty:
            cols = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + line[: cols - 1].ljust(cols - 1))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _peer(store: ResultStore, model: str, onnx_path: Path, input_name: str, x: np.ndarray,
          ref_path: Path, force: bool) -> np.ndarray:
    key = RecordKey(model, "cpu", PEER_VARIANT)
    if not force and store.done(key) and ref_path.exists():
        return np.load(ref_path)
    record = _base_record(model, Target("cpu"), PEER_VARIANT)
    out, latency = onnxruntime_reference(onnx_path, input_name, x)
    ref_path.parent.mkdir(parents=True, exist_ok=True)
    np.save(ref_path, out)
    record["latency"] = latency.to_json()
    record["output_shape"] = list(out.shape)
    store.put(record)
    store.save()
    return out


def bench_model_target(store: ResultStore, opts: BenchOptions, model: str, target: Target,
                       onnx_path: Path, input_path: Path, reference: np.ndarray,
                       progress: Progress) -> None:
    """Compile both variants of one model for one target and measure them."""
    keys = {v: RecordKey(model, target.spec, v) for v in VARIANTS}
    measure = target.runs_here and not opts.compile_only
    if not opts.force and all(store.done(k) for k in keys.values()) and (
            not measure or all(store.get(k).get("latency") for k in keys.values())):
        progress.step(f"{model} {target.spec}: cached")
        return
    records = {v: _base_record(model, target, v) for v in VARIANTS}
    compiled: dict[str, Compiled] = {}
    directory = artifact_dir(opts.out, model, target)
    for variant in VARIANTS:
        progress.show(f"{model} {target.spec} {variant}: compile")
        try:
            c = compile_variant(onnx_path, directory, target, variant, opts.force, opts.compile_timeout_s)
        except BenchError as exc:
            records[variant].update(status="failed", error=str(exc), stage="compile")
            continue
        compiled[variant] = c
        records[variant]["compile"] = compile_info(c.seconds, c.report)
    if measure and compiled:
        inputs = [input_path]
        outputs: dict[str, np.ndarray] = {}
        for variant, c in list(compiled.items()):
            progress.show(f"{model} {target.spec} {variant}: numerics")
            try:
                num, out = numerics(c.module, target, inputs, reference, "onnxruntime")
                records[variant]["numerics"] = {"vs_onnxruntime": num.to_json()}
                outputs[variant] = out
            except BenchError as exc:
                records[variant].update(status="failed", error=str(exc), stage="run")
                del compiled[variant]
        if "stock" in outputs and "smartmem" in outputs:
            from .bench_parse import compare

            records["smartmem"]["numerics"]["vs_stock"] = compare(
                outputs["smartmem"], outputs["stock"], "stock").to_json()
        if compiled:
            progress.show(f"{model} {target.spec}: latency ({opts.rounds} rounds, interleaved)")
            try:
                lat = interleaved_latency({v: c.module for v, c in compiled.items()}, target, inputs,
                                          opts.rounds)
                for variant, stats in lat.items():
                    records[variant]["latency"] = stats.to_json()
            except BenchError as exc:
                for variant in compiled:
                    records[variant].update(status="failed", error=str(exc), stage="latency")
        for variant, c in compiled.items():
            progress.show(f"{model} {target.spec} {variant}: profile")
            try:
                prof = dispatch_profile(c.module, target, inputs, opts.profile_runs, c.moves_only)
                records[variant]["profile"] = prof.to_json()
            except BenchError as exc:
                records[variant]["profile_error"] = str(exc)
    for record in records.values():
        store.put(record)
    store.save()
    progress.step(f"{model} {target.spec}: done")


def run_sweep(models: Sequence[str], opts: BenchOptions, log: Callable[[str], None]) -> ResultStore:
    from . import zoo

    store = ResultStore.load(opts.out / "results.json")
    progress = Progress(len(models) * len(opts.targets))
    try:
        for model in models:
            spec = zoo.get_spec(model)
            progress.show(f"{model}: zoo")
            try:
                paths = zoo.build(model, opts.zoo_dir)
            except zoo.ZooError as exc:
                log(f"error: {exc}")
                for target in opts.targets:
                    for v in VARIANTS:
                        store.put({"model": model, "target": target.spec, "variant": v, "status": "failed",
                                   "error": str(exc), "stage": "zoo", "date": _now()})
                    progress.step(f"{model}: zoo failed")
                store.save()
                continue
            x = np.load(paths.input)
            progress.show(f"{model}: onnxruntime")
            reference = _peer(store, model, paths.onnx, spec.input.name, x,
                              opts.out / "reference" / f"{model}.npy", opts.force)
            for target in opts.targets:
                bench_model_target(store, opts, model, target, paths.onnx, paths.input, reference, progress)
    finally:
        progress.close()
    return store


def finish_device_record(record: Record, out: Path) -> Record:
    """Complete a record measured on the device machine (tools/device/run_bench.py).

    The device returns raw `iree-profile` text; here it is parsed with the
    layout-move names of the local compile census, and the compile facts of
    the shipped module (census, compile time) are attached.
    """
    record = dict(record)
    target = Target.parse(record["target"])
    directory = artifact_dir(out, record["model"], target)
    meta_path = directory / f"{record['variant']}.bench.json"
    moves_only: frozenset[str] = frozenset()
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        report = meta["report"]
        moves_only = frozenset(dispatch_key(n) for n in meta.get("moves_only_entry_points", ()))
        record["compile"] = compile_info(float(meta["seconds"]), report)
        if meta.get("versions"):
            record.setdefault("versions", meta["versions"])  # the SmartMem source the module came from
    raw = record.pop("profile_raw", None)
    if raw:
        from .bench_run import profile_from_texts

        try:
            record["profile"] = profile_from_texts(raw["warm"], raw["total"], int(raw["runs"]),
                                                   moves_only).to_json()
        except BenchError as exc:
            record["profile_error"] = str(exc)
    return record
