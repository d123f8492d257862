"""Verification of smartmem IR in the Python process.

The Python bindings cannot load the IRDL definition (smartmem.irdl.mlir), so
smartmem IR is parsed as unregistered ops and opaque attributes and checked
here. This verifier rejects everything the IRDL definition rejects (unknown
ops and attributes, operand/result counts and types, missing or mistyped
attributes, parameter kinds) and adds the semantic checks IRDL cannot express:

- a layout's permutation is a permutation, its blocking names a dim in range
  with a factor >= 2 that divides the dim's static size, and its rank is the
  rank of the tensor it describes;
- a texture covers every dim of its tensor exactly once, its texel dim is one
  of them, and its image fits the maximum image dimension;
- op_class parameters are "ILD"/"ILI" and "variable"/"fixed";
- a convert_layout's source is the layout its producer (if another
  convert_layout) stored the operand in;
- a relayout's operand and result are static ranked tensors of one element
  type and element count, and its layout fits the operand's shape.

Where a layout or texture is attached, and what it is checked against:
`source`/`target` of convert_layout and `layout` of relayout: its operand's
type; the discardable
attributes `smartmem.layout` and `smartmem.texture` on an op: its single
tensor result; the same names in a function's argument/result attributes: that
argument/result type. Anywhere else (nested in arrays or dictionaries) a
smartmem attribute is checked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iree.compiler import ir

from smartmem.dialect.layout import Layout
from smartmem.dialect.op_class import OP_CLASS_ATTR, OpClass
from smartmem.dialect.ops import (
    CONVERT_LAYOUT,
    LAYOUT_ATTR as RELAYOUT_LAYOUT_ATTR,
    OP_NAMES,
    RELAYOUT,
    SOURCE_ATTR,
    TARGET_ATTR,
    ConvertLayout,
)
from smartmem.dialect.syntax import NAMESPACE, DialectError, is_smartmem_attribute, split_attribute
from smartmem.dialect.texture import TextureLayout

LAYOUT_ATTR = "smartmem.layout"
TEXTURE_ATTR = "smartmem.texture"
_ATTRIBUTE_CLASSES = {"layout": Layout, "texture": TextureLayout, "op_class": OpClass}
_ATTACHED = {LAYOUT_ATTR: Layout, TEXTURE_ATTR: TextureLayout, OP_CLASS_ATTR: OpClass}


@dataclass
class _Problems:
    found: list[tuple[ir.Location, str]] = field(default_factory=list)

    def add(self, op: ir.Operation, message: str) -> None:
        self.found.append((op.location, message))


def verify_smartmem_ir(root: ir.Operation) -> list[tuple[ir.Location, str]]:
    """All problems of the smartmem IR under `root`, as (location, message)."""
    problems = _Problems()

    def visit(op: ir.Operation) -> ir.WalkResult:
        _verify_op(op.operation, problems)
        return ir.WalkResult.ADVANCE

    root.operation.walk(visit)
    return problems.found


def _verify_op(op: ir.Operation, problems: _Problems) -> None:
    if op.name.startswith(NAMESPACE + "."):
        if op.name not in OP_NAMES:
            problems.add(op, f"unknown operation '{op.name}' in the smartmem dialect")
            return
    for value in list(op.operands) + list(op.results):
        if isinstance(value.type, ir.OpaqueType) and value.type.dialect_namespace == NAMESPACE:
            problems.add(op, f"the smartmem dialect defines no types, got {value.type}")
    attributes = {named.name: named.attr for named in (op.attributes[i] for i in range(len(op.attributes)))}
    for name, attr in attributes.items():
        for message in _check_attribute_tree(attr):
            problems.add(op, f"attribute '{name}': {message}")
    for name, kind in _ATTACHED.items():
        if name not in attributes:
            continue
        if kind is not OpClass and len(op.results) != 1:
            problems.add(op, f"attribute '{name}' describes the result of an op with one result, this op has {len(op.results)}")
            continue
        result_type = op.results[0].type if len(op.results) == 1 else None
        _check_attached(op, name, attributes[name], kind, result_type, "its result", problems)
    _check_function_attributes(op, attributes, problems)
    if op.name == CONVERT_LAYOUT:
        _verify_convert_layout(op, attributes, problems)
    if op.name == RELAYOUT:
        _verify_relayout(op, attributes, problems)


def _check_attribute_tree(attr: ir.Attribute) -> list[str]:
    """Problems of every smartmem attribute in `attr`, checked standalone."""
    if is_smartmem_attribute(attr):
        try:
            split = split_attribute(attr)
            kind = _ATTRIBUTE_CLASSES.get(split.mnemonic)
            if kind is None:
                known = ", ".join(f"#smartmem.{m}" for m in _ATTRIBUTE_CLASSES)
                return [f"unknown attribute '#smartmem.{split.mnemonic}' (known: {known})"]
            kind.from_attribute(attr)
        except DialectError as error:
            return [str(error)]
        return []
    if isinstance(attr, ir.ArrayAttr):
        return [m for element in attr for m in _check_attribute_tree(element)]
    if isinstance(attr, ir.DictAttr):
        return [m for i in range(len(attr)) for m in _check_attribute_tree(attr[i].attr)]
    return []


def _check_attached(
    op: ir.Operation,
    name: str,
    attr: ir.Attribute,
    kind: type,
    tensor_type: ir.Type | None,
    what: str,
    problems: _Problems,
) -> None:
    try:
        mnemonic = split_attribute(attr).mnemonic if is_smartmem_attribute(attr) else None
    except DialectError:
        return  # malformed: already reported by _check_attribute_tree
    if mnemonic != _mnemonic(kind):
        problems.add(op, f"attribute '{name}' must be a #smartmem.{_mnemonic(kind)}, got {attr}")
        return
    try:
        value = kind.from_attribute(attr)
    except DialectError:
        return  # already reported by _check_attribute_tree
    if kind is OpClass:
        return
    if not isinstance(tensor_type, ir.RankedTensorType):
        problems.add(op, f"attribute '{name}' describes {what}, which is not a ranked tensor")
        return
    try:
        value.verify(tuple(tensor_type.shape))
    except DialectError as error:
        problems.add(op, f"attribute '{name}' on {what} {tensor_type}: {error}")


def _check_function_attributes(op: ir.Operation, attributes: dict[str, ir.Attribute], problems: _Problems) -> None:
    function_type = attributes.get("function_type")
    if not isinstance(function_type, ir.TypeAttr) or not isinstance(function_type.value, ir.FunctionType):
        return
    signature = function_type.value
    for key, types, what in (("arg_attrs", signature.inputs, "argument"), ("res_attrs", signature.results, "result")):
        per_position = attributes.get(key)
        if not isinstance(per_position, ir.ArrayAttr):
            continue
        for position, dictionary in enumerate(per_position):
            if not isinstance(dictionary, ir.DictAttr) or position >= len(types):
                continue
            for name, kind in _ATTACHED.items():
                if name in dictionary and kind is not OpClass:
                    _check_attached(op, name, dictionary[name], kind, types[position], f"{what} #{position}", problems)


def _one_operand_one_result(op: ir.Operation, name: str, problems: _Problems) -> bool:
    """Report a region or an arity other than one operand and one result; whether the arity is right."""
    if len(op.regions) != 0:
        problems.add(op, f"'{name}' has no regions, got {len(op.regions)}")
    if len(op.operands) != 1 or len(op.results) != 1:
        problems.add(op, f"'{name}' takes 1 operand and 1 result, got {len(op.operands)} and {len(op.results)}")
        return False
    return True


def _verify_convert_layout(op: ir.Operation, attributes: dict[str, ir.Attribute], problems: _Problems) -> None:
    if not _one_operand_one_result(op, CONVERT_LAYOUT, problems):
        return
    operand_type, result_type = op.operands[0].type, op.results[0].type
    if not isinstance(operand_type, ir.RankedTensorType):
        problems.add(op, f"'{CONVERT_LAYOUT}' operand must be a ranked tensor, got {operand_type}")
        return
    if result_type != operand_type:
        problems.add(op, f"'{CONVERT_LAYOUT}' result type {result_type} differs from its operand type {operand_type}")
    for name in (SOURCE_ATTR, TARGET_ATTR):
        if name not in attributes:
            problems.add(op, f"'{CONVERT_LAYOUT}' needs a '{name}' #smartmem.layout attribute")
        else:
            _check_attached(op, name, attributes[name], Layout, operand_type, "its operand", problems)
    try:
        this = ConvertLayout.view(op)
        producer = op.operands[0].owner
        previous = ConvertLayout.view(producer) if isinstance(producer, (ir.Operation, ir.OpView)) else None
    except DialectError:
        return  # reported above
    if previous is not None and previous.target != this.source:
        problems.add(
            op,
            f"source layout {this.source} differs from {previous.target}, the target of the convert_layout producing its operand",
        )


def _verify_relayout(op: ir.Operation, attributes: dict[str, ir.Attribute], problems: _Problems) -> None:
    if not _one_operand_one_result(op, RELAYOUT, problems):
        return
    operand_type, result_type = op.operands[0].type, op.results[0].type
    for what, value_type in (("operand", operand_type), ("result", result_type)):
        if not isinstance(value_type, ir.RankedTensorType) or not value_type.has_static_shape:
            problems.add(op, f"'{RELAYOUT}' {what} must be a statically shaped ranked tensor, got {value_type}")
            return
    if RELAYOUT_LAYOUT_ATTR not in attributes:
        problems.add(op, f"'{RELAYOUT}' needs a '{RELAYOUT_LAYOUT_ATTR}' #smartmem.layout attribute")
    else:
        _check_attached(op, RELAYOUT_LAYOUT_ATTR, attributes[RELAYOUT_LAYOUT_ATTR], Layout, operand_type, "its operand", problems)
    if operand_type.element_type != result_type.element_type:
        problems.add(
            op, f"'{RELAYOUT}' result element type {result_type.element_type} differs from its operand's {operand_type.element_type}"
        )
    operand_count, result_count = _count(operand_type), _count(result_type)
    if operand_count != result_count:
        problems.add(
            op, f"'{RELAYOUT}' result {result_type} has {result_count} elements, its operand {operand_type} {operand_count}"
        )


def _count(tensor_type: ir.RankedTensorType) -> int:
    count = 1
    for size in tensor_type.shape:
        count *= size
    return count


def _mnemonic(kind: type) -> str:
    return next(m for m, k in _ATTRIBUTE_CLASSES.items() if k is kind)
