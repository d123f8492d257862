"""smartmem.passes.linalg_ops.is_contraction_generic on the generics it must tell apart."""

from __future__ import annotations

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.linalg_ops import is_contraction_generic


def _generic(inputs: list[tuple[str, str]], out: tuple[str, str], iterators: str, factors: str) -> str:
    """A function holding one generic `out += factor0 * factor1` over `inputs` ((type, map) pairs)."""
    args = ", ".join(f"%in{i}: {t}" for i, (t, _) in enumerate(inputs))
    names = ", ".join(f"%in{i}" for i in range(len(inputs)))
    types = ", ".join(t for t, _ in inputs)
    maps = ", ".join(m for _, m in [*inputs, out])
    elements = ", ".join(f"%x{i}: f32" for i in range(len(inputs)))
    first, second = factors.split()
    return f"""
func.func @f({args}, %init: {out[0]}) -> {out[0]} {{
  %r = linalg.generic {{indexing_maps = [{maps}], iterator_types = [{iterators}]}}
      ins({names} : {types}) outs(%init : {out[0]}) {{
  ^bb0({elements}, %o: f32):
    %p = arith.mulf %{first}, %{second} : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  }} -> {out[0]}
  return %r : {out[0]}
}}
"""


ROWS = ("tensor<4x8xf32>", "affine_map<(m, k) -> (m, k)>")
SUMS = ("tensor<4xf32>", "affine_map<(m, k) -> (m)>")
CASES = {
    "matmul": (_generic([("tensor<4x8xf32>", "affine_map<(m, n, k) -> (m, k)>"),
                         ("tensor<8x2xf32>", "affine_map<(m, n, k) -> (k, n)>")],
                        ("tensor<4x2xf32>", "affine_map<(m, n, k) -> (m, n)>"),
                        '"parallel", "parallel", "reduction"', "x0 x1"), True),
    "sum_of_squares": (_generic([ROWS], SUMS, '"parallel", "reduction"', "x0 x0"), False),
    "square_of_one_of_two_inputs": (_generic([ROWS, ROWS], SUMS, '"parallel", "reduction"', "x0 x0"), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_contraction_or_reduction(name: str) -> None:
    text, expected = CASES[name]
    module = ir.Module.parse(text, make_context())
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "linalg.generic":
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    assert is_contraction_generic(found[0]) is expected
