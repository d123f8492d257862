"""`smartmem.convert_layout`: an explicit change of a tensor's physical layout.

    %1 = "smartmem.convert_layout"(%0) {
           source = #smartmem.layout<array<i64: 0, 1, 2, 3>, array<i64>>,
           target = #smartmem.layout<array<i64: 0, 2, 3, 1>, array<i64>>}
         : (tensor<1x8x5x5xf32>) -> tensor<1x8x5x5xf32>

The operand is stored in `source`, the result holds the same logical values
stored in `target`: both have the same (logical) tensor type. The op has
generic syntax only (the dialect is defined in IRDL).
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir

from smartmem.dialect.layout import Layout
from smartmem.dialect.syntax import DialectError

CONVERT_LAYOUT = "smartmem.convert_layout"
SOURCE_ATTR = "source"
TARGET_ATTR = "target"
# Every op of the dialect, by name.
OP_NAMES = (CONVERT_LAYOUT,)


@dataclass(frozen=True)
class ConvertLayout:
    """A read-only view of a well-formed `smartmem.convert_layout`."""

    op: ir.Operation
    source: Layout
    target: Layout

    @property
    def input(self) -> ir.Value:
        return self.op.operands[0]

    @property
    def result(self) -> ir.Value:
        return self.op.results[0]

    @staticmethod
    def view(op: ir.Operation | ir.OpView) -> "ConvertLayout | None":
        """The view of `op` if it is a convert_layout, else None.

        Raises DialectError when it is a convert_layout but malformed (the
        verifier reports the same problem with a location).
        """
        op = op.operation
        if op.name != CONVERT_LAYOUT:
            return None
        if len(op.operands) != 1 or len(op.results) != 1:
            raise DialectError(
                f"'{CONVERT_LAYOUT}' takes 1 operand and 1 result, got {len(op.operands)} and {len(op.results)}"
            )
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
