"""The Python API of the smartmem dialect: parse/print, verify, attributes, ops, verifier."""

from __future__ import annotations

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.dialect import (
    ALL_CLASSES,
    ILD_FIXED,
    ILI_VARIABLE,
    Blocking,
    ConvertLayout,
    Dependence,
    DialectError,
    Layout,
    LayoutError,
    OpClass,
    OpClassError,
    OutputLayout,
    TextureError,
    TextureLayout,
    create_convert_layout,
)
from smartmem.dialect.syntax import split_parameters
from smartmem.dialect.verifier import verify_smartmem_ir

NHWC = "#smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>"
NC4HW4 = "#smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64: 1, 4>>"
MNN_IMAGE = "#smartmem.texture<array<i64: 0, 2>, array<i64: 1, 3>, 1 : i64>"


@pytest.fixture
def context() -> ir.Context:
    return make_context()


# Parsing and printing --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        NHWC,
        NC4HW4,
        "#smartmem.layout<array<i64>, array<i64>>",
        "#smartmem.layout<array<i64: 2, 0, 1>, array<i64: 2, 8>>",
    ],
)
def test_layout_round_trips_through_text_and_attributes(text: str, context: ir.Context) -> None:
    layout = Layout.parse(text, context)
    assert str(layout) == text
    attr = layout.to_attribute(context)
    assert str(attr) == text
    assert Layout.from_attribute(attr) == layout
    assert Layout.from_attribute(ir.Attribute.parse(text, context)) == layout


def test_layout_parse_ignores_spelling(context: ir.Context) -> None:
    assert Layout.parse("#smartmem.layout<array<i64:0,2,3,1>,array<i64>>", context) == Layout.parse(NHWC, context)


def test_layout_fields() -> None:
    layout = Layout.parse(NC4HW4)
    assert layout.permutation == (0, 1, 2, 3)
    assert layout.blocking == Blocking(1, 4)
    assert layout.rank == 4 and layout.physical_rank == 5
    assert not layout.is_identity()
    assert Layout.identity(3).is_identity()
    assert not Layout.parse(NHWC).is_identity()


def test_texture_round_trips(context: ir.Context) -> None:
    texture = TextureLayout.parse(MNN_IMAGE, context)
    assert texture == TextureLayout((0, 2), (1, 3), 1)
    assert str(texture) == MNN_IMAGE
    assert TextureLayout.from_attribute(texture.to_attribute(context)) == texture
    assert str(TextureLayout((), (0,), 0)) == "#smartmem.texture<array<i64>, array<i64: 0>, 0 : i64>"


@pytest.mark.parametrize("op_class", ALL_CLASSES)
def test_op_class_round_trips(op_class: OpClass, context: ir.Context) -> None:
    text = str(op_class)
    assert OpClass.parse(text, context) == op_class
    assert OpClass.from_attribute(op_class.to_attribute(context)) == op_class


def test_op_class_values() -> None:
    assert ILD_FIXED == OpClass(Dependence.ILD, OutputLayout.FIXED)
    assert str(ILI_VARIABLE) == '#smartmem.op_class<"ILI", "variable">'
    assert ILD_FIXED.label == "ILD&fixed"
    assert len(set(ALL_CLASSES)) == 4


def test_split_parameters_respects_nesting() -> None:
    assert split_parameters('op_class<"a,b", "c">') == ("op_class", ['"a,b"', '"c"'])
    assert split_parameters("layout<array<i64: 1, 0>, array<i64>>") == ("layout", ["array<i64: 1, 0>", "array<i64>"])
    assert split_parameters("x") == ("x", [])
    assert split_parameters("f<(i32) -> i64, [1, 2]>") == ("f", ["(i32) -> i64", "[1, 2]"])
    for bad in ("x<a", "x<a,>", "x<a>>", "<a>", 'x<"a>'):
        with pytest.raises(DialectError):
            split_parameters(bad)


# Errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#smartmem.layout<array<i64: 0, 0>, array<i64>>", r"\[0, 0\] is not a permutation of 0..1"),
        ("#smartmem.layout<array<i64: 1, 2>, array<i64>>", "is not a permutation"),
        ("#smartmem.layout<array<i64: 0>, array<i64: 1, 2>>", "blocked dim 1 is out of range for rank 1"),
        ("#smartmem.layout<array<i64: 0>, array<i64: 0, 1>>", "blocking factor 1 of dim 0 must be at least 2"),
        ("#smartmem.layout<array<i64: 0>, array<i64: 0>>", r"blocking must be empty or \[dim, factor\]"),
        ("#smartmem.layout<array<i64: 0>>", "takes 2 parameters"),
        ("#smartmem.layout<[0], array<i64>>", "permutation must be an array<i64"),
        ("#smartmem.texture<array<i64: 0>, array<i64>, 0 : i64>", "expected #smartmem.layout"),
        ("#smartmem.layout<array<i64: 0>, array<i64>", "is not an attribute"),
    ],
)
def test_layout_errors(text: str, message: str) -> None:
    # Every dialect error is a DialectError (LayoutError for invalid layouts).
    with pytest.raises(DialectError, match=message):
        Layout.parse(text)


def test_invalid_values_raise_specific_errors() -> None:
    with pytest.raises(LayoutError):
        Layout((0, 0))
    with pytest.raises(TextureError):
        TextureLayout((0,), (0,), 0)
    with pytest.raises(OpClassError):
        OpClass.parse('#smartmem.op_class<"ILD", "free">')


def test_layout_verify_against_shapes() -> None:
    layout = Layout.parse(NC4HW4)
    layout.verify(4)
    layout.verify((1, 8, 5, 5))
    layout.verify((1, ir.ShapedType.get_dynamic_size(), 5, 5))  # dynamic: unchecked
    with pytest.raises(LayoutError, match="does not match the tensor's rank 3"):
        layout.verify(3)
    with pytest.raises(LayoutError, match="blocking factor 4 does not divide dim 1 of size 6"):
        layout.verify((1, 6, 5, 5))


def test_layout_shapes() -> None:
    assert Layout.parse(NHWC).physical_shape((1, 8, 5, 6)) == (1, 5, 6, 8)
    assert Layout.parse(NC4HW4).physical_shape((1, 8, 5, 6)) == (1, 2, 5, 6, 4)
    assert Layout((2, 0, 1), Blocking(2, 2)).physical_shape((3, 5, 8)) == (4, 3, 5, 2)
    assert Layout((2, 0, 1), Blocking(2, 2)).split_shape((3, 5, 8)) == (3, 5, 4, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#smartmem.texture<array<i64: 0>, array<i64: 0>, 0 : i64>", "dim 0 appears more than once"),
        ("#smartmem.texture<array<i64: 0>, array<i64: 1>, 2 : i64>", "texel dim 2 is in neither"),
        ("#smartmem.texture<array<i64: -1>, array<i64: 1>, 1 : i64>", "texture dim -1 is negative"),
        ("#smartmem.texture<array<i64: 0>, array<i64: 1>, 1 : i32>", "texel dim must be an i64 integer"),
        ("#smartmem.texture<array<i64: 0>, array<i64: 1>>", "takes 3 parameters"),
    ],
)
def test_texture_errors(text: str, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        TextureLayout.parse(text)


def test_texture_extents_and_limits() -> None:
    texture = TextureLayout.parse(MNN_IMAGE)
    # MNN: height N*H, width ceil(C/4)*W.
    assert texture.image_extents((1, 8, 5, 6)) == (5, 12)
    assert texture.image_extents((2, 9, 5, 6)) == (10, 18)
    # TFLite-style: width W, height H*ceil(C/4) (NHWC tensor, channels dim 3).
    tflite = TextureLayout((1, 3), (0, 2), 3)
    assert tflite.image_extents((1, 7, 9, 10)) == (21, 9)
    texture.verify((1, 8, 5, 6))
    texture.verify((1, 8, 5, 6), max_image_dim=12)
    with pytest.raises(TextureError, match="image width 12 exceeds the maximum image dimension 11"):
        texture.verify((1, 8, 5, 6), max_image_dim=11)
    with pytest.raises(TextureError, match="do not cover the tensor's dims 0..2"):
        texture.verify((1, 8, 5))
    dynamic = ir.ShapedType.get_dynamic_size()
    texture.verify((dynamic, 8, 5, 6), max_image_dim=12)  # height unknown, width fits
    with pytest.raises(TextureError, match="image width 12 exceeds"):
        texture.verify((dynamic, 8, 5, 6), max_image_dim=11)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('#smartmem.op_class<"IL", "fixed">', 'dependence must be "ILD" or "ILI", got "IL"'),
        ('#smartmem.op_class<"ILD", "free">', 'output layout must be "variable" or "fixed", got "free"'),
        ('#smartmem.op_class<"ILD">', "takes 2 parameters"),
        ('#smartmem.op_class<ILD, "fixed">', "is not an attribute"),
    ],
)
def test_op_class_errors(text: str, message: str) -> None:
    with pytest.raises(DialectError, match=message):
        OpClass.parse(text)


# convert_layout and the verifier ------------------------------------------------


def _function(context: ir.Context, body: str, arg: str = "tensor<1x8x5x5xf32>") -> ir.Module:
    return ir.Module.parse(f"func.func @f(%arg0: {arg}) -> {arg} {{\n{body}\n}}", context)


def test_create_and_view_convert_layout(context: ir.Context) -> None:
    module = _function(context, "return %arg0 : tensor<1x8x5x5xf32>")
    function = module.body.operations[0]
    block = function.regions[0].blocks[0]
    source, target = Layout.identity(4), Layout.parse(NC4HW4, context)
    with ir.InsertionPoint(block.operations[0]), ir.Location.unknown(context):
        op = create_convert_layout(block.arguments[0], source, target)
    block.operations[1].operands[0] = op.results[0]
    view = ConvertLayout.view(op)
    assert view is not None and view.source == source and view.target == target
    assert view.input == block.arguments[0]
    assert ConvertLayout.view(block.operations[1]) is None
    assert verify_smartmem_ir(module.operation) == []
    reparsed = ir.Module.parse(str(module), context)
    assert ConvertLayout.view(reparsed.body.operations[0].regions[0].blocks[0].operations[0]).target == target


def test_view_rejects_malformed_convert_layout(context: ir.Context) -> None:
    module = _function(
        context,
        '%0 = "smartmem.convert_layout"(%arg0) {source = ' + NHWC + "} : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>\n"
        "return %0 : tensor<1x8x5x5xf32>",
    )
    op = module.body.operations[0].regions[0].blocks[0].operations[0]
    with pytest.raises(DialectError, match="needs a 'target'"):
        ConvertLayout.view(op)


def test_verifier_reports_locations(context: ir.Context) -> None:
    module = _function(
        context,
        '%0 = "smartmem.convert_layout"(%arg0) {source = ' + NHWC + ", target = " + NC4HW4
        + "} : (tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>\n"
        + "return %0 : tensor<1x6x5x5xf32>",
        arg="tensor<1x6x5x5xf32>",
    )
    problems = verify_smartmem_ir(module.operation)
    assert len(problems) == 1
    location, message = problems[0]
    assert "blocking factor 4 does not divide dim 1 of size 6" in message
    with context:
        typed = ir.Location.from_attr(location.attr)
    assert isinstance(typed, ir.FileLineColLoc) and typed.start_line == 2


def test_verifier_accepts_ir_without_smartmem(context: ir.Context) -> None:
    module = _function(context, "%0 = math.exp %arg0 : tensor<1x8x5x5xf32>\nreturn %0 : tensor<1x8x5x5xf32>")
    assert verify_smartmem_ir(module.operation) == []
