"""Numerics harness: a module before vs after a SmartMem pipeline, run by IREE.

`compare_function(text, function, pipeline, target)` compiles the MLIR module
`text` twice with `iree.compiler` (stock, and after `pipeline` run with
smartmem's pass manager), runs `function` of both with `iree.runtime` on the
same random inputs and returns the relative L2 error of every result. The
seed is fresh per call (taken from the clock) and part of the result, so a
failing case can be replayed with `seed=`.

Targets: "llvm-cpu" (local-task) and "vulkan" (compiled for
`--iree-vulkan-target=llvmpipe`, run on lavapipe).
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np
from iree import compiler as ireec
from iree import runtime as ireert
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline

RUN_MODULE = pathlib.Path(sys.executable).with_name("iree-run-module")
TARGET_FLAGS = {
    "llvm-cpu": (["--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=host"], "local-task"),
    "vulkan": (["--iree-hal-target-device=vulkan", "--iree-vulkan-target=llvmpipe"], "vulkan"),
}


@dataclass(frozen=True)
class NumericsResult:
    seed: int
    rel_l2: tuple[float, ...]

    def worst(self) -> float:
        return max(self.rel_l2) if self.rel_l2 else 0.0


def vulkan_available() -> bool:
    try:
        ireert.get_driver("vulkan").query_available_devices()
        return bool(ireert.get_driver("vulkan").query_available_devices())
    except Exception:  # noqa: BLE001 - no driver / no ICD
        return False


def apply_pipeline(text: str, pipeline: str) -> str:
    context = make_context()
    module = ir.Module.parse(text, context)
    build_pass_manager(parse_pipeline(pipeline), context).run(module.operation)
    return str(module)


def _compile(text: str, target: str) -> bytes:
    flags, _ = TARGET_FLAGS[target]
    return ireec.compile_str(text, extra_args=flags)


def _run(vmfb: bytes, function: str, inputs: list[np.ndarray], target: str, n_results: int) -> list[np.ndarray]:
    """Run with `iree-run-module` (its npy I/O avoids the Vulkan host-import limits)."""
    _, driver = TARGET_FLAGS[target]
    with tempfile.TemporaryDirectory(prefix="smartmem-numerics-") as tmp:
        folder = pathlib.Path(tmp)
        (folder / "m.vmfb").write_bytes(vmfb)
        command = [str(RUN_MODULE), f"--device={driver}", f"--module={folder / 'm.vmfb'}", f"--function={function}"]
        for i, array in enumerate(inputs):
            np.save(folder / f"in{i}.npy", array)
            command.append(f"--input=@{folder / f'in{i}.npy'}")
        command += [f"--output=+{folder / 'out.npy'}"] * n_results
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"iree-run-module failed: {done.stderr.strip()}")
        outputs = []
        with open(folder / "out.npy", "rb") as stream:
            while stream.peek(1) if hasattr(stream, "peek") else True:
                try:
                    outputs.append(np.load(stream))
                except (EOFError, ValueError):
                    break
        return outputs


def _signature(text: str, function: str) -> tuple[list[tuple[tuple[int, ...], np.dtype]], int]:
    """Input shapes/dtypes and the number of results of `function`."""
    context = make_context()
    module = ir.Module.parse(text, context)
    for op in module.body.operations:
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == function:
            shapes = []
            function_type = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
            for arg_type in function_type.inputs:
                tensor_type = ir.RankedTensorType(arg_type)
                if str(tensor_type.element_type) != "f32":
                    raise ValueError(f"{function}: only f32 inputs are supported, got {tensor_type}")
                shapes.append((tuple(tensor_type.shape), np.dtype(np.float32)))
            return shapes, len(function_type.results)
    raise ValueError(f"no function @{function}")


def compare_function(text: str, function: str, pipeline: str, target: str, seed: int | None = None) -> NumericsResult:
    seed = int(time.time_ns() % (2**31)) if seed is None else seed
    rng = np.random.default_rng(seed)
    shapes, n_results = _signature(text, function)
    inputs = [rng.standard_normal(shape).astype(dtype) for shape, dtype in shapes]
    optimized = apply_pipeline(text, pipeline)
    stock_out = _run(_compile(text, target), function, inputs, target, n_results)
    new_out = _run(_compile(optimized, target), function, inputs, target, n_results)
    if not stock_out or len(stock_out) != len(new_out):
        raise RuntimeError(f"{function}: got {len(stock_out)} stock and {len(new_out)} optimized results")
    errors = []
    for a, b in zip(new_out, stock_out):
        if a.shape != b.shape:
            errors.append(float("inf"))
            continue
        denominator = float(np.linalg.norm(b)) or 1.0
        errors.append(float(np.linalg.norm(a - b)) / denominator)
    return NumericsResult(seed, tuple(errors))
