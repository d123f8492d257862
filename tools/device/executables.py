"""Compile every executable of a module on its own, to find the one a GPU driver rejects.

    .venv/bin/python tools/device/executables.py MODEL.smartmem.flow.mlir --target ampere --out .ebench

A module that fails to load on the device (`vkCreateComputePipelines`
returned VK_ERROR_UNKNOWN, "pipelines[0]") does not say which of its
executables the driver rejected. This dumps IREE's per-executable benchmark
modules (`--iree-hal-dump-executable-benchmarks-to`) from IR at the `flow`
phase (tools/census_report.py writes it: MODEL.smartmem.flow.mlir), and
compiles each into OUT/<executable>.vmfb. Then run
`bash tools/device/load_executables.sh OUT` there (carry .gl, .whl and OUT):
it loads and runs each once and prints the ones that fail.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

BIN = pathlib.Path(sys.executable).parent
SUFFIX = "_vulkan_spirv_fb_benchmark.mlir"


def vulkan_flags(target: str) -> list[str]:
    return ["--iree-hal-target-device=vulkan", f"--iree-vulkan-target={target}"]


def dump_benchmarks(flow_ir: pathlib.Path, target: str, into: pathlib.Path) -> list[pathlib.Path]:
    """IREE's benchmark module of each executable of `flow_ir` (IR at the flow phase), written into `into`."""
    done = subprocess.run([str(BIN / "iree-compile"), str(flow_ir), *vulkan_flags(target), "--compile-from=flow",
                           f"--iree-hal-dump-executable-benchmarks-to={into}", "-o", "/dev/null"],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"iree-compile failed: {done.stderr.strip()[:2000]}")
    return sorted(into.glob(f"*{SUFFIX}"))


def executable_name(benchmark: pathlib.Path) -> str:
    """`module_main_graph$async_dispatch_12_vulkan..._benchmark.mlir` -> `dispatch_12` (no shell-special characters)."""
    name = benchmark.name.removesuffix(SUFFIX).removeprefix("module_")
    return name.replace("main_graph$async_", "").replace("$", "_")


def compile_one(benchmark: pathlib.Path, target: str, out: pathlib.Path, timeout_s: int) -> str | None:
    """Compile one benchmark module into OUT/<name>.vmfb; the failure, or None."""
    name = executable_name(benchmark)
    try:
        done = subprocess.run([str(BIN / "iree-compile"), str(benchmark), *vulkan_flags(target),
                               "-o", str(out / f"{name}.vmfb")], capture_output=True, text=True, check=False,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return f"{name}: compile took over {timeout_s} s"
    return None if done.returncode == 0 else f"{name}: {done.stderr.strip().splitlines()[-1][:300]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("flow_ir", type=pathlib.Path, help="the module's IR at the flow phase")
    parser.add_argument("--target", default="ampere", help="--iree-vulkan-target (default ampere)")
    parser.add_argument("--out", type=pathlib.Path, required=True, help="folder for the .vmfb files")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per executable's compile")
    args = parser.parse_args(argv)
    if not args.flow_ir.is_file():
        print(f"{args.flow_ir}: error: no such file", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            benchmarks = dump_benchmarks(args.flow_ir, args.target, pathlib.Path(scratch))
        except RuntimeError as error:
            print(f"{args.flow_ir}: error: {error}", file=sys.stderr)
            return 1
        with ThreadPoolExecutor(max_workers=2) as pool:
            failures = [f for f in pool.map(lambda b: compile_one(b, args.target, args.out, args.timeout), benchmarks)
                        if f is not None]
    for failure in failures:
        print(f"not compiled: {failure}", file=sys.stderr)
    print(f"{len(benchmarks) - len(failures)} of {len(benchmarks)} executables compiled into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
