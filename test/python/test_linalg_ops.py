"""smartmem.passes.linalg_ops.is_contraction_generic on the generics it must tell apart."""

from __future__ import annotations

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.linalg_ops import is_contraction_generic

MATMUL = """
func.func @f(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>, %c: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<8x2xf32>) outs(%c : tensor<4x2xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}
"""

SUM_OF_SQUARES = """
func.func @f(%a: tensor<4x8xf32>, %c: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<4x8xf32>) outs(%c : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %p = arith.mulf %x, %x : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
"""

SQUARES_OF_ONE_OF_TWO = """
func.func @f(%a: tensor<4x8xf32>, %b: tensor<4x8xf32>, %c: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m, k)>,
                                        affine_map<(m, k) -> (m)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%c : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %x : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
"""


def _generic(text: str) -> ir.Operation:
    module = ir.Module.parse(text, make_context())
    found = []
    module.operation.walk(lambda op: (found.append(op.operation) if op.name == "linalg.generic" else None,
                                      ir.WalkResult.ADVANCE)[1])
    return found[0], module


@pytest.mark.parametrize("text,expected", [(MATMUL, True), (SUM_OF_SQUARES, False), (SQUARES_OF_ONE_OF_TWO, False)],
                         ids=["matmul", "sum_of_squares", "square_of_one_input"])
def test_contraction_or_reduction(text: str, expected: bool) -> None:
    op, _module = _generic(text)
    assert is_contraction_generic(op) is expected
