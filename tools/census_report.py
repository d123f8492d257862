"""Dispatch census before/after SmartMem elimination, per model.

    python -m smartmem.tools.census_report [MODEL.onnx|MODEL.mlir ...] [--target valhall]
            [--work DIR] [--check-cpu]

For each model: import (ONNX, weights externalized), `iree-compile
--compile-to=input` for the vulkan target, the SmartMem phase pipeline for
`input` (smartmem.passes.pipelines), then `--compile-from=input
--compile-to=flow` for stock and SmartMem, and the census of both
(smartmem.census). With --check-cpu, both are also compiled for llvm-cpu and
run on the model's fixed input (MODEL.input.npy beside it), printing the
relative L2 error of SmartMem vs stock. Without models: every .onnx in
.cache/zoo. A benchmark script, not a test.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import time
from typing import Callable

import numpy as np

from smartmem.census import census_of_flow_text
from smartmem.context import make_context
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline
from smartmem.passes.pipelines import SMARTMEM_PHASE_PIPELINES
from iree.compiler import ir

BIN = pathlib.Path(sys.executable).parent
CPU_FLAGS = ["--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu",
             "--iree-llvmcpu-target-cpu=host"]


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{pathlib.Path(command[0]).name} failed: {done.stderr.strip()[:2000]}")


def smartmem_after_input(text: str) -> str:
    context = make_context()
    module = ir.Module.parse(text, context)
    for phase in SMARTMEM_PHASE_PIPELINES:
        if phase.after_phase == "input":
            build_pass_manager(parse_pipeline(phase.pipeline), context).run(module.operation)
    return str(module)


def vulkan_flags(target: str) -> list[str]:
    return ["--iree-hal-target-device=vulkan", f"--iree-vulkan-target={target}"]


def input_ir_pair(model: pathlib.Path, work: pathlib.Path, target: str) -> tuple[pathlib.Path, pathlib.Path, float]:
    """Stock `--compile-to=input` IR of `model` and the same after SmartMem, and the passes' seconds."""
    work.mkdir(parents=True, exist_ok=True)
    name = model.stem
    if model.suffix == ".onnx":
        imported = work / f"{name}.mlir"
        run([str(BIN / "iree-import-onnx"), str(model), "--externalize-params",
             "--save-params-to", str(work / f"{name}.irpa"), "-o", str(imported)])
    else:
        imported = model
    stock_input = work / f"{name}.input.mlir"
    run([str(BIN / "iree-compile"), str(imported), *vulkan_flags(target), "--compile-to=input", "-o", str(stock_input)])
    started = time.perf_counter()
    smart_input = work / f"{name}.smartmem.input.mlir"
    smart_input.write_text(smartmem_after_input(stock_input.read_text()))
    return stock_input, smart_input, time.perf_counter() - started


def report(model: pathlib.Path, work: pathlib.Path, target: str, check_cpu: bool) -> None:
    name = model.stem
    vulkan = vulkan_flags(target)
    stock_input, smart_input, pass_seconds = input_ir_pair(model, work, target)
    censuses = {}
    for variant, path in (("stock", stock_input), ("smartmem", smart_input)):
        flow = work / f"{name}.{variant}.flow.mlir"
        run([str(BIN / "iree-compile"), str(path), *vulkan, "--compile-from=input", "--compile-to=flow", "-o", str(flow)])
        censuses[variant] = census_of_flow_text(flow.read_text())
    s, m = censuses["stock"], censuses["smartmem"]
    print(f"{name}: dispatches {s.total} -> {m.total}; layout moves {s.layout_moves} -> {m.layout_moves} "
          f"({dict(sorted(m.layout_moves_by_kind.items()))}); flow.tensor.update {s.tensor_updates} -> "
          f"{m.tensor_updates}; SmartMem passes {pass_seconds:.1f} s", flush=True)
    if check_cpu:
        sample = model.with_name(f"{name}.input.npy")
        outputs = {}
        for variant, path in (("stock", stock_input), ("smartmem", smart_input)):
            vmfb = work / f"{name}.{variant}.cpu.vmfb"
            run([str(BIN / "iree-compile"), str(path), *CPU_FLAGS, "--compile-from=input", "-o", str(vmfb)])
            out = work / f"{name}.{variant}.out.npy"
            command = [str(BIN / "iree-run-module"), "--device=local-task", f"--module={vmfb}",
                       "--function=main_graph", f"--input=@{sample}", f"--output=@{out}"]
            if (work / f"{name}.irpa").exists():
                command.append(f"--parameters=model={work / f'{name}.irpa'}")
            run(command)
            outputs[variant] = np.load(out)
        a, b = outputs["smartmem"], outputs["stock"]
        print(f"{name}: llvm-cpu rel L2 SmartMem vs stock {np.linalg.norm(a - b) / np.linalg.norm(b):.2e}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=pathlib.Path)
    parser.add_argument("--target", default="valhall")
    parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path(".cache/census"))
    parser.add_argument("--check-cpu", action="store_true")
    args = parser.parse_args(argv)
    return report_each(args.models, lambda model: report(model, args.work, args.target, args.check_cpu))


def report_each(models: list[pathlib.Path], report_one: Callable[[pathlib.Path], None]) -> int:
    """Run `report_one` on each model (default: the zoo cache); one error line per failure, exit status 1 if any."""
    status = 0
    for model in models or sorted(pathlib.Path(".cache/zoo").glob("*.onnx")):
        try:
            report_one(model)
        except (RuntimeError, OSError, ir.MLIRError) as error:
            print(f"{model.stem}: error: {str(error).splitlines()[0]}", flush=True)
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
