"""Dispatch census before/after SmartMem elimination, per model.

    python -m smartmem.tools.census_report [MODEL.onnx|MODEL.mlir ...] [--target valhall]
            [--work DIR] [--check-cpu]

For each model: import (ONNX, weights externalized), `iree-compile
--compile-to=input` for the vulkan target, then `--compile-to=flow` for
stock, and for SmartMem each of its phase pipelines (smartmem.passes.pipelines)
after its phase on the way to flow, as the compile driver runs them; the
census of both (smartmem.census). With --check-cpu, the input-phase IR of both
is also compiled for llvm-cpu and run on the model's fixed input
(MODEL.input.npy beside it), printing the relative L2 error of SmartMem vs
stock (the later phases' passes are GPU-only). Without models: every .onnx in
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
from smartmem.passes.pipelines import SMARTMEM_PHASE_PIPELINES, PhasePipeline
from iree.compiler import ir

BIN = pathlib.Path(sys.executable).parent
CPU_FLAGS = ["--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu",
             "--iree-llvmcpu-target-cpu=host"]


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{pathlib.Path(command[0]).name} failed: {done.stderr.strip()[:2000]}")


def _vulkan_phases() -> list[PhasePipeline]:
    return [p for p in SMARTMEM_PHASE_PIPELINES if "vulkan" in p.backends]


def smartmem_after(text: str, phase: str) -> str:
    """`text` (IR stopped after IREE's `phase`) after SmartMem's pipeline for that phase."""
    context = make_context()
    module = ir.Module.parse(text, context)
    for entry in _vulkan_phases():
        if entry.after_phase == phase:
            build_pass_manager(parse_pipeline(entry.pipeline), context).run(module.operation)
    return str(module)


def smartmem_compile_to(smart_input: pathlib.Path, work: pathlib.Path, flags: list[str], stop: str) -> pathlib.Path:
    """SmartMem's input-phase IR compiled on to IREE's phase `stop`, with SmartMem's later phase pipelines on the way.

    The same phases as the compile driver (smartmem.compile), with iree-compile
    between them; `smart_input` is the IR after the `input` pipeline.
    """
    current, phase = smart_input, "input"
    for entry in _vulkan_phases():
        if entry.after_phase == "input":
            continue
        stopped = smart_input.with_name(smart_input.name.replace(".input.", f".{entry.after_phase}."))
        run([str(BIN / "iree-compile"), str(current), *flags, f"--compile-from={phase}",
             f"--compile-to={entry.after_phase}", "-o", str(stopped)])
        stopped.write_text(smartmem_after(stopped.read_text(), entry.after_phase))
        current, phase = stopped, entry.after_phase
    out = work / smart_input.name.replace(".input.mlir", f".{stop}.mlir")
    run([str(BIN / "iree-compile"), str(current), *flags, f"--compile-from={phase}", f"--compile-to={stop}",
         "-o", str(out)])
    return out


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
    smart_input.write_text(smartmem_after(stock_input.read_text(), "input"))
    return stock_input, smart_input, time.perf_counter() - started


def report(model: pathlib.Path, work: pathlib.Path, target: str, check_cpu: bool) -> None:
    name = model.stem
    vulkan = vulkan_flags(target)
    stock_input, smart_input, pass_seconds = input_ir_pair(model, work, target)
    censuses = {}
    stock_flow = work / f"{name}.stock.flow.mlir"
    run([str(BIN / "iree-compile"), str(stock_input), *vulkan, "--compile-from=input", "--compile-to=flow",
         "-o", str(stock_flow)])
    censuses["stock"] = census_of_flow_text(stock_flow.read_text())
    smart_flow = smartmem_compile_to(smart_input, work, vulkan, "flow")
    censuses["smartmem"] = census_of_flow_text(smart_flow.read_text())
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
