"""Running compiled modules with IREE's tools: numerics, latency, dispatch profile.

Everything here drives the runtime tools of the installed `iree-base-runtime`
(`iree-run-module`, `iree-benchmark-module`, `iree-profile`) as processes, so
a crash in a module never takes the harness down, and the same commands work
on the device machine.  Parsing lives in `smartmem.bench_parse`.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .bench_parse import (
    DispatchProfile,
    DispatchTiming,
    LatencyStats,
    Numerics,
    ParseError,
    compare,
    parse_benchmark_json,
    parse_profile_jsonl,
)


class BenchError(Exception):
    """One measurement failed; the message is one line for the report."""


@dataclass(frozen=True)
class Target:
    """A compile and run target: 'cpu' or 'vulkan:<iree-vulkan-target>'."""

    spec: str

    @staticmethod
    def parse(spec: str) -> "Target":
        spec = spec.strip()
        if spec == "cpu" or (spec.startswith("vulkan:") and len(spec) > len("vulkan:")):
            return Target(spec)
        raise ValueError(f"unknown target '{spec}' (expected 'cpu' or 'vulkan:<arch>', e.g. vulkan:llvmpipe)")

    @property
    def backend(self) -> str:
        return "vulkan" if self.spec.startswith("vulkan:") else "cpu"

    @property
    def arch(self) -> str:
        return self.spec.split(":", 1)[1] if self.backend == "vulkan" else "host"

    @property
    def device(self) -> str:
        return "vulkan" if self.backend == "vulkan" else "local-task"

    @property
    def profiling_mode(self) -> str:
        return "dispatch-events" if self.backend == "vulkan" else "host-execution"

    @property
    def runs_here(self) -> bool:
        """Whether this machine can run it correctly (lavapipe runs only its own target)."""
        return self.backend == "cpu" or self.arch == "llvmpipe"


def tools_dir() -> Path:
    """The folder holding iree-run-module & co. of the installed iree-base-runtime."""
    env = os.environ.get("SMARTMEM_IREE_TOOLS")
    if env:
        return Path(env)
    import iree._runtime_libs as libs  # the runtime wheel's tool folder

    return Path(libs.__file__).parent


def _tool(name: str) -> str:
    path = tools_dir() / name
    if not path.exists():
        raise BenchError(f"IREE tool '{name}' not found in {path.parent}")
    return str(path)


def _run(cmd: Sequence[str], timeout_s: float) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{Path(cmd[0]).name} timed out after {timeout_s:.0f} s") from exc
    if proc.returncode != 0:
        lines = [l for l in (proc.stderr + proc.stdout).splitlines() if l.strip()]
        reason = next((l for l in lines if "error" in l.lower() or "INTERNAL" in l or "failed" in l.lower()),
                      lines[-1] if lines else f"exit code {proc.returncode}")
        raise BenchError(f"{Path(cmd[0]).name} failed: {reason.strip()[:300]}")
    return proc


@dataclass(frozen=True)
class Module:
    """A compiled module and what running it needs."""

    vmfb: Path
    function: str
    parameters: tuple[str, ...] = ()  # "scope=path" or "path" for --parameters

    def flags(self, target: Target) -> list[str]:
        flags = [f"--module={self.vmfb}", f"--device={target.device}", f"--function={self.function}"]
        flags += [f"--parameters={p}" for p in self.parameters]
        return flags


def entry_function(vmfb: Path) -> str:
    """The exported function of a single-function module (skips `__init` & co)."""
    import iree.runtime as rt

    module = rt.VmModule.mmap(rt.VmInstance(), str(vmfb))
    names = [n for n in module.function_names if not n.startswith("__") and not n.endswith("$async")]
    if len(names) != 1:
        raise BenchError(f"{vmfb.name}: expected one exported function, found {names}")
    return names[0]


def run_output(module: Module, target: Target, inputs: Sequence[Path], timeout_s: float = 900) -> np.ndarray:
    """Run once with `iree-run-module` on .npy inputs; returns the (first) output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.npy"
        cmd = [_tool("iree-run-module"), *module.flags(target)]
        cmd += [f"--input=@{p}" for p in inputs] + [f"--output=@{out}"]
        _run(cmd, timeout_s)
        if not out.exists():
            raise BenchError("iree-run-module wrote no output")
        return np.load(out)


def numerics(module: Module, target: Target, inputs: Sequence[Path], reference: np.ndarray,
             reference_name: str) -> tuple[Numerics, np.ndarray]:
    out = run_output(module, target, inputs)
    try:
        return compare(out, reference, reference_name), out
    except ParseError as exc:
        raise BenchError(str(exc)) from exc


def benchmark_once(module: Module, target: Target, inputs: Sequence[Path], iterations: int,
                   timeout_s: float = 900) -> float:
    """One `iree-benchmark-module` repetition of `iterations` calls; ms per call."""
    cmd = [_tool("iree-benchmark-module"), *module.flags(target)]
    cmd += [f"--input=@{p}" for p in inputs]
    cmd += ["--benchmark_repetitions=1", f"--benchmark_min_time={iterations}x",
            "--benchmark_format=json"]
    proc = _run(cmd, timeout_s)
    try:
        return parse_benchmark_json(proc.stdout)[0]
    except ParseError as exc:
        raise BenchError(str(exc)) from exc


def interleaved_latency(modules: dict[str, Module], target: Target, inputs: Sequence[Path],
                        rounds: int, min_rep_ms: float = 300.0, max_iterations: int = 100,
                        progress=None) -> dict[str, LatencyStats]:
    """Latency of several variants measured in alternating rounds.

    A warm-up call per variant estimates the iteration time; each round then
    runs every variant once (order alternating between rounds) with enough
    iterations for about `min_rep_ms` per repetition.
    """
    iterations: dict[str, int] = {}
    for name, module in modules.items():
        warm = benchmark_once(module, target, inputs, 1)
        iterations[name] = max(1, min(max_iterations, math.ceil(min_rep_ms / max(warm, 1e-3))))
    reps: dict[str, list[float]] = {name: [] for name in modules}
    order = list(modules)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            reps[name].append(benchmark_once(modules[name], target, inputs, iterations[name]))
            if progress:
                progress()
    return {name: LatencyStats(tuple(v)) for name, v in reps.items()}


def profile_texts(module: Module, target: Target, inputs: Sequence[Path], runs: int,
                  timeout_s: float = 900) -> tuple[str, str]:
    """`iree-profile dispatch --format=jsonl` of two profiled sessions: 1 call and 1 + `runs` calls.

    One profiled session holds warm-up and measured calls alike, so the
    1-call session is later subtracted from the other (`subtract_profiles`).
    """
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1, 1 + runs):
            path = Path(tmp) / f"run{n}.ireeprof"
            cmd = [_tool("iree-benchmark-module"), *module.flags(target)]
            cmd += [f"--input=@{p}" for p in inputs]
            cmd += ["--benchmark_repetitions=1", f"--benchmark_min_time={n}x",
                    f"--device_profiling_mode={target.profiling_mode}",
                    f"--device_profiling_output={path}"]
            _run(cmd, timeout_s)
            texts.append(_run([_tool("iree-profile"), "dispatch", "--format=jsonl", str(path)], 300).stdout)
    return texts[0], texts[1]


def profile_from_texts(warm_text: str, total_text: str, runs: int,
                       moves_only: frozenset[str] = frozenset()) -> DispatchProfile:
    try:
        warm = parse_profile_jsonl(warm_text, 1, moves_only)
        total = parse_profile_jsonl(total_text, 1, moves_only)
    except ParseError as exc:
        raise BenchError(str(exc)) from exc
    return subtract_profiles(total, warm, runs)


def dispatch_profile(module: Module, target: Target, inputs: Sequence[Path], runs: int,
                     moves_only: frozenset[str] = frozenset(), timeout_s: float = 900) -> DispatchProfile:
    """Per-dispatch times per call over `runs` calls (the first, warm-up call excluded)."""
    warm_text, total_text = profile_texts(module, target, inputs, runs, timeout_s)
    return profile_from_texts(warm_text, total_text, runs, moves_only)


def subtract_profiles(total: DispatchProfile, warm: DispatchProfile, runs: int) -> DispatchProfile:
    """(total - warm) / runs, dispatch by dispatch."""
    warm_by = {d.name: d for d in warm.dispatches}
    out = []
    for d in total.dispatches:
        w = warm_by.get(d.name)
        count = d.count - (w.count if w else 0)
        ns = d.total_ns - (w.total_ns if w else 0.0)
        if count > 0:
            out.append(DispatchTiming(d.name, d.kind, count, max(ns, 0.0), d.moves_only))
    return DispatchProfile(tuple(out), runs)


def onnxruntime_reference(onnx_path: Path, input_name: str, x: np.ndarray, threads: int = 2,
                          timed_runs: int = 5) -> tuple[np.ndarray, LatencyStats]:
    """Output and CPU latency of onnxruntime (one warm-up, then `timed_runs`)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    out = sess.run(None, {input_name: x})[0]
    times = []
    for _ in range(timed_runs):
        t0 = time.perf_counter()
        sess.run(None, {input_name: x})
        times.append((time.perf_counter() - t0) * 1e3)
    return out, LatencyStats(tuple(times))


def device_info(target: Target) -> dict[str, str]:
    """What the target runs on: CPU model, or the Vulkan device and driver."""
    if target.backend == "cpu":
        model = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        return {"device": f"{model} ({os.cpu_count()} cores)", "driver": "local-task"}
    try:
        text = _run([_tool("iree-run-module"), "--dump_devices=vulkan"], 60).stdout
    except BenchError as exc:
        return {"device": "unknown", "driver": str(exc)}
    info: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(": ")
        if key in ("name", "driver_info", "api") and key not in info:
            info[key] = value.strip()
        if key.startswith("subgroup") and "subgroup" not in info:
            info["subgroup"] = value.strip()
    return {"device": info.get("name", "unknown"), "driver": info.get("driver_info", "unknown"),
            "vulkan_api": info.get("api", ""), "subgroup": info.get("subgroup", "")}


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("iree-base-compiler", "iree-base-runtime", "onnxruntime", "onnx", "numpy", "torch", "transformers"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=here, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
                               capture_output=True, text=True, cwd=here.parent, timeout=10).stdout.strip()
        if commit:
            out["smartmem_commit"] = commit + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return out
