"""Reading `#smartmem.<mnemonic><param, ...>` attributes in the Python process.

In IREE's Python context the smartmem dialect is not registered, so its
attributes arrive as `ir.OpaqueAttr`s whose data is the text after the
namespace, e.g. `layout<array<i64: 1, 0>, array<i64>>`. This module splits
that data into the mnemonic and the top-level parameters and parses each
parameter with MLIR's own attribute parser (`ir.Attribute.parse`), so the
dialect classes only ever see typed builtin attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir

NAMESPACE = "smartmem"

_OPENING = {"<": ">", "[": "]", "(": ")", "{": "}"}
_CLOSING = {v: k for k, v in _OPENING.items()}


class DialectError(ValueError):
    """Malformed or invalid smartmem IR; the message is user-facing."""


@dataclass(frozen=True)
class OpaqueSmartMemAttr:
    """A `#smartmem.mnemonic<...>` attribute split into typed parameters."""

    mnemonic: str
    parameters: tuple[ir.Attribute, ...]


def is_smartmem_attribute(attr: ir.Attribute) -> bool:
    return isinstance(attr, ir.OpaqueAttr) and attr.dialect_namespace == NAMESPACE


def split_attribute(attr: ir.Attribute) -> OpaqueSmartMemAttr:
    """Split a smartmem attribute; parameters are parsed in `attr`'s context."""
    if not is_smartmem_attribute(attr):
        raise DialectError(f"expected a #smartmem attribute, got {attr}")
    data = bytes(attr.data).decode("utf-8", errors="replace").strip()
    mnemonic, texts = split_parameters(data)
    parameters = []
    for text in texts:
        try:
            parameters.append(ir.Attribute.parse(text, attr.context))
        except ir.MLIRError:
            raise DialectError(f"#smartmem.{mnemonic}: parameter '{text}' is not an attribute") from None
    return OpaqueSmartMemAttr(mnemonic, tuple(parameters))


def split_parameters(data: str) -> tuple[str, list[str]]:
    """`name<a, b<c, d>>` -> ('name', ['a', 'b<c, d>']); `name` -> ('name', [])."""
    index = 0
    while index < len(data) and (data[index].isalnum() or data[index] in "_."):
        index += 1
    mnemonic = data[:index]
    if not mnemonic:
        raise DialectError(f"#smartmem attribute '{data}' has no mnemonic")
    rest = data[index:].strip()
    if not rest:
        return mnemonic, []
    if rest[0] != "<" or rest[-1] != ">":
        raise DialectError(f"#smartmem.{mnemonic}: expected '<parameters>' after the mnemonic")
    body = rest[1:-1]
    pieces: list[str] = []
    stack: list[str] = []
    start = 0
    position = 0
    in_string = False
    while position < len(body):
        char = body[position]
        if in_string:
            if char == "\\":
                position += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "-" and body[position + 1 : position + 2] == ">":
            position += 1  # the arrow of a function type, not a bracket
        elif char in _OPENING:
            stack.append(char)
        elif char in _CLOSING:
            if not stack or stack.pop() != _CLOSING[char]:
                raise DialectError(f"#smartmem.{mnemonic}: unbalanced '{char}' in its parameters")
        elif char == "," and not stack:
            pieces.append(body[start:position].strip())
            start = position + 1
        position += 1
    if stack or in_string:
        raise DialectError(f"#smartmem.{mnemonic}: unterminated parameter list")
    last = body[start:].strip()
    if last or pieces:
        pieces.append(last)
    if any(not piece for piece in pieces):
        raise DialectError(f"#smartmem.{mnemonic}: empty parameter")
    return mnemonic, pieces


def make_attribute(mnemonic: str, parameters: list[ir.Attribute], context: ir.Context) -> ir.Attribute:
    """Build `#smartmem.mnemonic<p0, p1, ...>` from typed parameter attributes."""
    data = f"{mnemonic}<{', '.join(str(p) for p in parameters)}>"
    with context:
        return ir.OpaqueAttr.get(NAMESPACE, data.encode(), ir.NoneType.get())


def i64_array(attr: ir.Attribute, what: str) -> tuple[int, ...]:
    """The values of an `array<i64: ...>` parameter."""
    if not isinstance(attr, ir.DenseI64ArrayAttr):
        raise DialectError(f"{what} must be an array<i64: ...>, got {attr}")
    return tuple(int(v) for v in attr)


def check_parameter_count(split: OpaqueSmartMemAttr, expected: int, spelling: str) -> None:
    if len(split.parameters) != expected:
        raise DialectError(
            f"#smartmem.{split.mnemonic} takes {expected} parameters ({spelling}), got {len(split.parameters)}"
        )
