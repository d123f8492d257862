"""The ops of the smartmem dialect, as read-only Python views.

`smartmem.convert_layout`: an explicit change of a tensor's physical layout.

    %1 = "smartmem.convert_layout"(%0) {
           source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>,
           target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>}
         : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>

The operand is stored in `source`, the result holds the same logical values
stored in `target`: both have the same (logical) tensor type.

`smartmem.relayout`: a layout chain (reshapes and transposes) as one index
transformation.

    %w = "smartmem.relayout"(%f) {
           layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>}
         : (tensor<8x7x8x7x96xf32>) -> tensor<64x49x96xf32>

The result holds the operand's elements in the physical order `layout` gives
them, read row-major as the result type (`Relayout.apply` on numpy arrays).
Element type and count stay; the shape and the logical index change.

Both ops have generic syntax only (the dialect is defined in IRDL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from iree.compiler import ir

from smartmem.dialect.layout import Layout
from smartmem.dialect.syntax import DialectError

CONVERT_LAYOUT = "smartmem.convert_layout"
SOURCE_ATTR = "source"
TARGET_ATTR = "target"
RELAYOUT = "smartmem.relayout"
LAYOUT_ATTR = "layout"
# Every op of the dialect, by name.
OP_NAMES = (CONVERT_LAYOUT, RELAYOUT)


@dataclass(frozen=True)
class _OneOperandOpView:
    """What every smartmem op view has: the op, its one operand and its one result."""

    op: ir.Operation

    @property
    def input(self) -> ir.Value:
        return self.op.operands[0]

    @property
    def result(self) -> ir.Value:
        return self.op.results[0]

    @staticmethod
    def _require_one_operand_one_result(op: ir.Operation) -> None:
        if len(op.operands) != 1 or len(op.results) != 1:
            raise DialectError(
                f"'{op.name}' takes 1 operand and 1 result, got {len(op.operands)} and {len(op.results)}"
            )


@dataclass(frozen=True)
class ConvertLayout(_OneOperandOpView):
    """A read-only view of a well-formed `smartmem.convert_layout`."""

    source: Layout
    target: Layout

    @staticmethod
    def view(op: ir.Operation | ir.OpView) -> "ConvertLayout | None":
        """The view of `op` if it is a convert_layout, else None.

        Raises DialectError when it is a convert_layout but malformed (the
        verifier reports the same problem with a location).
        """
        op = op.operation
        if op.name != CONVERT_LAYOUT:
            return None
        _OneOperandOpView._require_one_operand_one_result(op)
        layouts = []
        for name in (SOURCE_ATTR, TARGET_ATTR):
            if name not in op.attributes:
                raise DialectError(f"'{CONVERT_LAYOUT}' needs a '{name}' #smartmem.layout attribute")
            layouts.append(Layout.from_attribute(op.attributes[name]))
        return ConvertLayout(op, layouts[0], layouts[1])


def create_convert_layout(
    value: ir.Value, source: Layout, target: Layout, location: ir.Location | None = None
) -> ir.Operation:
    """Create a convert_layout of `value` at the current insertion point."""
    context = value.type.context
    with context:
        return ir.Operation.create(
            CONVERT_LAYOUT,
            results=[value.type],
            operands=[value],
            attributes={SOURCE_ATTR: source.to_attribute(context), TARGET_ATTR: target.to_attribute(context)},
            loc=location or ir.Location.unknown(),
        )


@dataclass(frozen=True)
class Relayout(_OneOperandOpView):
    """A read-only view of a well-formed `smartmem.relayout`."""

    layout: Layout

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(ir.RankedTensorType(self.input.type).shape)

    @property
    def result_shape(self) -> tuple[int, ...]:
        return tuple(ir.RankedTensorType(self.result.type).shape)

    def apply(self, operand: np.ndarray) -> np.ndarray:
        """The op's semantics on data: `operand` relaid as the result."""
        return relayout_array(operand, self.layout, self.result_shape)

    @staticmethod
    def view(op: ir.Operation | ir.OpView) -> "Relayout | None":
        """The view of `op` if it is a relayout, else None.

        Raises DialectError when it is a relayout but malformed (the verifier
        reports the same problem with a location).
        """
        op = op.operation
        if op.name != RELAYOUT:
            return None
        _OneOperandOpView._require_one_operand_one_result(op)
        if LAYOUT_ATTR not in op.attributes:
            raise DialectError(f"'{RELAYOUT}' needs a '{LAYOUT_ATTR}' #smartmem.layout attribute")
        return Relayout(op, Layout.from_attribute(op.attributes[LAYOUT_ATTR]))


def relayout_array(operand: np.ndarray, layout: Layout, result_shape: tuple[int, ...]) -> np.ndarray:
    """numpy semantics of smartmem.relayout: `layout.apply(operand)` read row-major as `result_shape`."""
    return np.ascontiguousarray(layout.apply(operand)).reshape(result_shape)


def create_relayout(
    value: ir.Value, layout: Layout, result_type: ir.Type, location: ir.Location | None = None
) -> ir.Operation:
    """Create a relayout of `value` to `result_type` at the current insertion point."""
    context = value.type.context
    with context:
        return ir.Operation.create(
            RELAYOUT,
            results=[result_type],
            operands=[value],
            attributes={LAYOUT_ATTR: layout.to_attribute(context)},
            loc=location or ir.Location.unknown(),
        )
