"""smartmem-pad-softmax-rows reads its alignment from the module's GPU target."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.padding import target_row_multiple
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline

IREE_COMPILE = pathlib.Path(sys.executable).parent / "iree-compile"
SOFTMAX = """
func.func @scores(%x: tensor<4x197xf32>) -> tensor<4x197xf32> {
  %o = tensor.empty() : tensor<4x197xf32>
  %p = linalg.softmax dimension(1) ins(%x : tensor<4x197xf32>) outs(%o : tensor<4x197xf32>) -> tensor<4x197xf32>
  return %p : tensor<4x197xf32>
}
"""


def _at_global_optimization(target: str, tmp_path: pathlib.Path) -> str:
    source = tmp_path / "softmax.mlir"
    source.write_text(SOFTMAX)
    done = subprocess.run(
        [str(IREE_COMPILE), str(source), "--iree-hal-target-device=vulkan", f"--iree-vulkan-target={target}",
         "--compile-to=global-optimization"],
        capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("target,multiple,padded", [("ampere", 32, 224), ("valhall", 32, 224), ("adreno", 64, 256)])
def test_row_is_padded_to_the_target_subgroup(target: str, multiple: int, padded: int, tmp_path: pathlib.Path) -> None:
    context = make_context()
    module = ir.Module.parse(_at_global_optimization(target, tmp_path), context)
    assert target_row_multiple(module.operation) == multiple
    build_pass_manager(parse_pipeline("builtin.module(smartmem-pad-softmax-rows)"), context).run(module.operation)
    assert _softmax_row_lengths(module.operation) == [padded]


def _softmax_row_lengths(module: ir.Operation) -> list[int]:
    lengths = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "linalg.softmax":
            dim = ir.IntegerAttr(op.attributes["dimension"]).value
            lengths.append(ir.RankedTensorType(op.operands[0].type).shape[dim])
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return lengths


def test_no_target_means_32(tmp_path: pathlib.Path) -> None:
    context = make_context()
    module = ir.Module.parse(SOFTMAX, context)
    assert target_row_multiple(module.operation) == 32
