"""The Python API and the IRDL definition agree on random attributes and ops.

Random layouts, textures and op classes are built with the Python API, put on
ops of one module and handed to `iree-opt --irdl-file=dialect/smartmem.irdl.mlir`:
IRDL must accept them, print them exactly as Python does, and Python must read
IRDL's output back to the same values. One iree-opt run per test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.dialect import ALL_CLASSES, Blocking, Layout, OpClass, TextureLayout, create_convert_layout
from smartmem.dialect.verifier import verify_smartmem_ir

REPO = Path(__file__).resolve().parents[2]
IRDL = REPO / "dialect" / "smartmem.irdl.mlir"
IREE_OPT = Path(sys.executable).parent / "iree-opt"
CASES = 40


def _random_case(rng: np.random.Generator) -> tuple[tuple[int, ...], Layout, TextureLayout, OpClass]:
    rank = int(rng.integers(1, 5))
    shape = tuple(int(s) for s in rng.choice((2, 4, 6, 8), size=rank))
    permutation = tuple(int(p) for p in rng.permutation(rank))
    dim = int(rng.integers(rank))
    blocking = Blocking(dim, 2) if rng.random() < 0.5 else None
    layout = Layout(permutation, blocking)
    dims = [int(d) for d in rng.permutation(rank)]
    split = int(rng.integers(0, rank + 1))
    texture = TextureLayout(tuple(dims[:split]), tuple(dims[split:]), dims[int(rng.integers(rank))])
    return shape, layout, texture, ALL_CLASSES[int(rng.integers(len(ALL_CLASSES)))]


def test_python_and_irdl_print_and_read_the_same_ir() -> None:
    seed = int(os.environ.get("SMARTMEM_TEST_SEED", np.random.SeedSequence().entropy % (2**32)))
    rng = np.random.default_rng(seed)
    context = make_context()
    cases = [_random_case(rng) for _ in range(CASES)]
    with context, ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            for index, (shape, layout, texture, op_class) in enumerate(cases):
                tensor = ir.RankedTensorType.get(list(shape), ir.F32Type.get())
                function = ir.Operation.create(
                    "func.func",
                    attributes={
                        "sym_name": ir.StringAttr.get(f"case{index}"),
                        "function_type": ir.TypeAttr.get(ir.FunctionType.get([tensor], [tensor])),
                    },
                    regions=1,
                )
                block = function.regions[0].blocks.append(tensor)
                with ir.InsertionPoint(block):
                    convert = create_convert_layout(block.arguments[0], Layout.identity(len(shape)), layout)
                    exp = ir.Operation.create(
                        "math.exp",
                        results=[tensor],
                        operands=[convert.results[0]],
                        attributes={
                            "smartmem.texture": texture.to_attribute(context),
                            "smartmem.op_class": op_class.to_attribute(context),
                        },
                    )
                    ir.Operation.create("func.return", operands=[exp.results[0]])
    assert verify_smartmem_ir(module.operation) == [], f"seed {seed}"
    python_text = str(module)
    result = subprocess.run(
        [str(IREE_OPT), f"--irdl-file={IRDL}", "-"], input=python_text, capture_output=True, text=True
    )
    assert result.returncode == 0, f"seed {seed}: iree-opt rejected Python's IR:\n{result.stderr}"
    assert result.stdout.strip() == python_text.strip(), f"seed {seed}: IRDL prints differently from Python"
    reread = ir.Module.parse(result.stdout, context)
    for index, function in enumerate(reread.body.operations):
        shape, layout, texture, op_class = cases[index]
        convert, exp = list(function.regions[0].blocks[0].operations)[:2]
        assert Layout.from_attribute(convert.attributes["target"]) == layout, f"seed {seed}: case {index}"
        assert TextureLayout.from_attribute(exp.attributes["smartmem.texture"]) == texture, f"seed {seed}"
        assert OpClass.from_attribute(exp.attributes["smartmem.op_class"]) == op_class, f"seed {seed}"


@pytest.mark.parametrize(
    "attribute",
    [
        '#smartmem.op_class<"ILX", "fixed">',
        "#smartmem.layout<array<i64: 0>>",
        "#smartmem.texture<array<i64: 0>, [1], 1 : i64>",
        "#smartmem.bogus<1>",
    ],
)
def test_irdl_and_python_both_reject(attribute: str) -> None:
    text = f"func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {{\n  %0 = math.exp %a {{x = {attribute}}} : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}}\n"
    result = subprocess.run([str(IREE_OPT), f"--irdl-file={IRDL}", "-"], input=text, capture_output=True, text=True)
    assert result.returncode != 0 and "error" in result.stderr
    module = ir.Module.parse(text, make_context())
    assert verify_smartmem_ir(module.operation), f"Python accepted {attribute}"
