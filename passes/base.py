"""The base of every SmartMem pass: options, diagnostics and the PassManager hook."""

from __future__ import annotations

import dataclasses
import logging
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, NamedTuple

from iree.compiler import ir


def ops_where(module: ir.Operation, predicate: Callable[[ir.Operation], bool]) -> list[ir.Operation]:
    """The ops nested in `module` that satisfy `predicate`, in walk order (collected before any rewrite)."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if predicate(op):
            found.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return found


def as_operation(owner: object) -> ir.Operation | None:
    """An op (an OpView or an Operation) as an ir.Operation, hashable; None for anything else (a Block)."""
    if isinstance(owner, ir.OpView):
        return owner.operation
    return owner if isinstance(owner, ir.Operation) else None


def defining_op(value: ir.Value) -> ir.Operation | None:
    """The op that defines `value` (as an ir.Operation, hashable), or None for a block argument."""
    return as_operation(value.owner)


def clone_renamed(op: ir.Operation, mapping: dict[ir.Value, ir.Value]) -> ir.Operation:
    """`op` cloned at the insertion point with its operands renamed through `mapping`; the clone's results
    are added to `mapping` in place of `op`'s."""
    copy = op.clone()
    for index, operand in enumerate(op.operands):
        if operand in mapping:
            copy.operands[index] = mapping[operand]
    for old, new in zip(op.results, copy.results):
        mapping[old] = new
    return copy


def ancestor_beside(op: ir.Operation, anchor: ir.Operation) -> ir.Operation | None:
    """The op in `anchor`'s block that holds `op` (`op` itself when it is there), or None."""
    current: ir.Operation | None = op
    while current is not None and current.parent != anchor.parent:
        current = as_operation(current.parent)
    return current


def user_ops(value: ir.Value) -> list[ir.Operation]:
    """The ops that read `value`, one entry per use."""
    return [as_operation(u.owner) for u in value.uses]


class SliceBox(NamedTuple):
    """The static offsets, sizes and strides of a `tensor.extract_slice`."""

    offsets: tuple[int, ...]
    sizes: tuple[int, ...]
    strides: tuple[int, ...]


def static_slice(op: ir.Operation) -> SliceBox | None:
    """The box an extract_slice reads, or None when an offset, size or stride is dynamic."""
    if len(op.operands) != 1:
        return None
    return SliceBox(*(tuple(ir.DenseI64ArrayAttr(op.attributes[f"static_{part}"])) for part in ("offsets", "sizes", "strides")))


def reassociation_groups(reshape: ir.Operation) -> list[list[int]]:
    """The reassociation of a tensor.expand_shape / collapse_shape: the fine dims of each coarse dim."""
    return [[ir.IntegerAttr(d).value for d in ir.ArrayAttr(g)] for g in ir.ArrayAttr(reshape.attributes["reassociation"])]


def static_shaped(value: ir.Value) -> bool:
    """Whether `value` has a fully static shape (scalars count as static)."""
    value_type = value.type
    if isinstance(value_type, ir.ShapedType):
        return value_type.has_rank and value_type.has_static_shape
    return True


class PassFailure(Exception):
    """Raised inside a pass to fail it with an error at `location`."""

    def __init__(self, location: ir.Location, message: str):
        super().__init__(message)
        self.location = location
        self.message = message


class PassOptionError(ValueError):
    """An option string that does not fit the pass's options."""


@dataclass(frozen=True)
class NoOptions:
    """Options of a pass that takes none."""


class ModulePass:
    """A SmartMem pass over a `builtin.module`.

    Subclasses set `name` (the `smartmem-...` CLI argument), `Options` (a frozen
    dataclass; each field an option, `name{field=value}` on the command line)
    and implement `run_on_module`. Docstrings carry the summary (first line),
    a before/after IR example and what the pass refuses.
    """

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions

    def __init__(self, options: Any = None):
        self.options = options if options is not None else self.Options()
        self.log = logging.getLogger(f"smartmem.{self.name}")

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    @classmethod
    def from_option_string(cls, text: str) -> "ModulePass":
        return cls(parse_options(cls.Options, text, cls.name))

    def run_on_module(self, module: ir.Operation) -> None:
        raise NotImplementedError

    def rewrite_each(self, ops: list[ir.Operation], rewrite: Callable[[ir.Operation], str]) -> None:
        """`rewrite` each op (collected before any rewrite); log why, when it returns a refusal."""
        for op in ops:
            operation = op.operation
            reason = rewrite(operation)
            if reason:
                self.no_match(operation, reason)

    def no_match(self, op: ir.Operation, reason: str) -> None:
        """Record why a pattern left `op` alone (logged, never an error)."""
        self.log.debug("%s at %s: %s", op.name, op.location, reason)

    def __call__(self, op: ir.Operation, pass_handle: Any) -> None:
        # Entry point for PassManager.add: turn PassFailure into an MLIR
        # diagnostic plus pass failure, so tools report file:line:col.
        try:
            self.run_on_module(op)
        except PassFailure as failure:
            failure.location.emit_error(failure.message)
            pass_handle.signal_pass_failure()
            return
        # Deferred import: the dialect verifier imports pass-independent code only.
        from smartmem.dialect.verifier import verify_smartmem_ir

        problems = verify_smartmem_ir(op)
        for location, message in problems:
            location.emit_error(f"'{self.name}' produced invalid IR: {message}")
        if problems:
            pass_handle.signal_pass_failure()


def option_fields(options_type: type) -> list[dataclasses.Field]:
    return list(dataclasses.fields(options_type))


def parse_options(options_type: type, text: str, pass_name: str) -> Any:
    """Parse `key=value key2=value` (space or comma separated) into options."""
    hints = typing.get_type_hints(options_type)
    fields = {f.name.replace("_", "-"): f.name for f in option_fields(options_type)}
    values: dict[str, Any] = {}
    for item in text.replace(",", " ").split():
        key, sep, raw = item.partition("=")
        field_name = fields.get(key) or fields.get(key.replace("_", "-"))
        if field_name is None:
            known = ", ".join(sorted(fields)) or "none"
            raise PassOptionError(
                f"unknown option '{key}' for pass '{pass_name}' (options: {known})"
            )
        values[field_name] = _convert_option(hints[field_name], raw if sep else "true", key, pass_name)
    return options_type(**values)


def _convert_option(hint: Any, raw: str, key: str, pass_name: str) -> Any:
    try:
        if hint is bool:
            lowered = raw.lower()
            if lowered not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return lowered in ("true", "1")
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
        return raw
    except ValueError:
        raise PassOptionError(
            f"invalid value '{raw}' for option '{key}' of pass '{pass_name}'"
        ) from None


def format_options(options: Any) -> str:
    parts = []
    for field in option_fields(type(options)):
        value = getattr(options, field.name)
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts.append(f"{field.name.replace('_', '-')}={text}")
    return " ".join(parts)
