"""smartmem-classify: named and generic spellings agree, the census, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
from iree.compiler import ir, passmanager

from smartmem.context import make_context
from smartmem.dialect import ALL_CLASSES, ILD_FIXED, ILD_VARIABLE, ILI_FIXED, ILI_VARIABLE, OP_CLASS_ATTR, OpClass
from smartmem.passes.classify import ClassifyPass, classify
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline

TEST_DIR = Path(__file__).resolve().parent.parent
CLASSIFY_TEST = TEST_DIR / "Passes" / "classify.mlir"
SWIN_INPUT = TEST_DIR / "Inputs" / "swin-tiny-input.mlir"


def _chunks(path: Path) -> list[str]:
    return [chunk for chunk in path.read_text().split("// -----\n") if "func.func" in chunk]


def _top_level_ops(module: ir.Module) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        name = op.operation.name
        if name.split(".")[0] in ("linalg", "tensor"):
            found.append(op.operation)
            return ir.WalkResult.SKIP
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


@pytest.mark.parametrize("chunk_index", range(len(_chunks(CLASSIFY_TEST))))
def test_generalized_ops_get_the_same_class(chunk_index: int) -> None:
    """Each named linalg op and its linalg.generic form are classified alike."""
    context = make_context()
    text = _chunks(CLASSIFY_TEST)[chunk_index]
    named = ir.Module.parse(text, context)
    generalized = ir.Module.parse(text, context)
    passmanager.PassManager.parse("builtin.module(func.func(linalg-generalize-named-ops))", context).run(
        generalized.operation
    )
    before, after = _top_level_ops(named), _top_level_ops(generalized)
    assert len(before) == len(after)
    for original, generic in zip(before, after):
        if generic.name != original.name:
            assert generic.name == "linalg.generic"
            assert classify(generic).op_class == classify(original).op_class, (
                f"{original.name} is {classify(original)} but its generic form is {classify(generic)}"
            )


@pytest.mark.parametrize(
    ("op_text", "expected"),
    [
        ("linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>", ILD_VARIABLE),
        ("linalg.transpose ins(%a : tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) permutation = [1, 0]", ILD_FIXED),
        ("linalg.elementwise <exp> ins(%a : tensor<4x4xf32>) outs(%b : tensor<4x4xf32>) -> tensor<4x4xf32>", ILI_VARIABLE),
        ("tensor.extract_slice %a[0, 0] [2, 4] [1, 1] : tensor<4x4xf32> to tensor<2x4xf32>", ILI_FIXED),
        ("tensor.collapse_shape %a [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>", ILD_FIXED),
        ("tensor.empty() : tensor<4x4xf32>", None),
    ],
)
def test_classify_single_ops(op_text: str, expected: OpClass | None) -> None:
    context = make_context()
    module = ir.Module.parse(
        "func.func @f(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) {\n  %0 = " + op_text + "\n  return\n}", context
    )
    op = module.body.operations[0].regions[0].blocks[0].operations[0]
    decision = classify(op)
    assert decision.op_class == expected
    assert decision.reason


def test_census_of_swin_covers_every_op_and_is_idempotent() -> None:
    context = make_context()
    module = ir.Module.parse(SWIN_INPUT.read_text(), context)
    first = ClassifyPass()
    first.run_on_module(module.operation)
    assert first.census is not None
    ops = _top_level_ops(module)
    tagged = [op for op in ops if OP_CLASS_ATTR in op.attributes]
    untagged = {op.name for op in ops if OP_CLASS_ATTR not in op.attributes}
    assert untagged == {"tensor.empty"}
    assert sum(first.census.total(c) for c in ALL_CLASSES) == len(tagged)
    assert first.census.total(None) == len(ops) - len(tagged)
    # Every class occurs in a Swin.
    assert all(first.census.total(c) > 0 for c in ALL_CLASSES)
    text = str(module)
    second = ClassifyPass()
    second.run_on_module(module.operation)
    assert second.census == first.census
    assert str(module) == text


def test_report_prints_the_census(capfd: pytest.CaptureFixture[str]) -> None:
    context = make_context()
    module = ir.Module.parse(
        "func.func @f(%a: tensor<4x4xf32>) -> tensor<16xf32> {\n"
        "  %0 = tensor.collapse_shape %a [[0, 1]] : tensor<4x4xf32> into tensor<16xf32>\n"
        "  return %0 : tensor<16xf32>\n}",
        context,
    )
    build_pass_manager(parse_pipeline("builtin.module(smartmem-classify{report=true})"), context).run(module.operation)
    err = capfd.readouterr().err.splitlines()
    assert err[0] == "smartmem-classify census: 1 ops tagged, 0 untagged"
    assert "smartmem-classify census: ILD&fixed 1: tensor.collapse_shape 1" in err
