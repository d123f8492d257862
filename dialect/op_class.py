"""`#smartmem.op_class`: SmartMem's four operator groups.

    #smartmem.op_class<"ILD", "variable">   // conv, matmul, softmax, layernorm
    #smartmem.op_class<"ILD", "fixed">      // reshape, transpose, depth/space moves
    #smartmem.op_class<"ILI", "variable">   // elementwise
    #smartmem.op_class<"ILI", "fixed">      // slice, gather, concat, pad

ILD/ILI: the op's performance depends on / is independent of its input
layout. variable/fixed: the op can / cannot write its output in any layout.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from iree.compiler import ir

from smartmem.dialect.syntax import DialectError, check_parameter_count, make_attribute, split_attribute

MNEMONIC = "op_class"
# The discardable attribute `smartmem-classify` sets on every classified op.
OP_CLASS_ATTR = "smartmem.op_class"


class OpClassError(DialectError):
    """An invalid operator class."""


class Dependence(enum.Enum):
    """Input-layout dependence of an op's performance."""

    ILD = "ILD"
    ILI = "ILI"


class OutputLayout(enum.Enum):
    """Whether an op may write its result in any layout."""

    VARIABLE = "variable"
    FIXED = "fixed"


@dataclass(frozen=True)
class OpClass:
    dependence: Dependence
    output: OutputLayout

    @staticmethod
    def from_attribute(attr: ir.Attribute) -> "OpClass":
        split = split_attribute(attr)
        if split.mnemonic != MNEMONIC:
            raise OpClassError(f"expected #smartmem.op_class, got #smartmem.{split.mnemonic}")
        check_parameter_count(split, 2, '"ILD"|"ILI", "variable"|"fixed"')
        dependence, output = split.parameters
        return OpClass(
            _enum_value(Dependence, dependence, "dependence"), _enum_value(OutputLayout, output, "output layout")
        )

    @staticmethod
    def parse(text: str, context: ir.Context | None = None) -> "OpClass":
        if context is None:
            from smartmem.context import make_context

            context = make_context()
        try:
            attr = ir.Attribute.parse(text, context)
        except ir.MLIRError:
            raise OpClassError(f"'{text}' is not an attribute") from None
        return OpClass.from_attribute(attr)

    def to_attribute(self, context: ir.Context) -> ir.Attribute:
        with context:
            parameters = [ir.StringAttr.get(self.dependence.value), ir.StringAttr.get(self.output.value)]
        return make_attribute(MNEMONIC, parameters, context)

    def __str__(self) -> str:
        return f'#smartmem.{MNEMONIC}<"{self.dependence.value}", "{self.output.value}">'

    @property
    def label(self) -> str:
        """Short name for reports, e.g. `ILD&variable`."""
        return f"{self.dependence.value}&{self.output.value}"


ILD_VARIABLE = OpClass(Dependence.ILD, OutputLayout.VARIABLE)
ILD_FIXED = OpClass(Dependence.ILD, OutputLayout.FIXED)
ILI_VARIABLE = OpClass(Dependence.ILI, OutputLayout.VARIABLE)
ILI_FIXED = OpClass(Dependence.ILI, OutputLayout.FIXED)
ALL_CLASSES = (ILD_VARIABLE, ILD_FIXED, ILI_VARIABLE, ILI_FIXED)


def _enum_value(kind: type[enum.Enum], attr: ir.Attribute, what: str) -> enum.Enum:
    allowed = " or ".join(f'"{member.value}"' for member in kind)
    if not isinstance(attr, ir.StringAttr):
        raise OpClassError(f"#smartmem.op_class {what} must be {allowed}, got {attr}")
    try:
        return kind(attr.value)
    except ValueError:
        raise OpClassError(f'#smartmem.op_class {what} must be {allowed}, got "{attr.value}"') from None
