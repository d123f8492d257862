"""Dispatch census of an IREE module at the `flow` level.

A *dispatch* is a `flow.dispatch` call site. Its *kind* is the name IREE gives
the entry point between `_dispatch_<N>_` and the shape, e.g.
`main_graph$async_dispatch_12_elementwise_transpose_96x3136_f32` has kind
`elementwise_transpose`. A dispatch is a *layout move* when its kind is one of
`LAYOUT_MOVE_KINDS`, or when its body only moves data (no arithmetic at all:
every `linalg` body just yields its inputs).

Dispatches inside `util.initializer`s run once, when the module is loaded
(constants IREE could not evaluate at compile time, e.g. a padded mask):
they are counted apart (`initializer_dispatches`), not in `total` or
`layout_moves`, which count what every inference runs.

Copies that IREE keeps outside dispatches (`flow.tensor.update`,
`flow.tensor.slice`) are counted separately: they are not kernels, but they
still move memory. `flow.tensor.reshape` is metadata only and not counted.

Usage:
    census = census_of_flow_text(text)          # or census_of_module(op)
    census.total, census.by_kind, census.layout_moves
    python -m smartmem.census MODULE_AT_FLOW.mlir
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass, field

from iree.compiler import ir

LAYOUT_MOVE_KINDS: frozenset[str] = frozenset({"transpose", "elementwise_transpose", "slow_memcpy"})

_DISPATCH_PREFIX = re.compile(r"_dispatch_\d+_")
# Ops that are pure bookkeeping inside a dispatch body; anything else with a
# computing dialect (arith/math on values, contractions) makes it compute.
_NEUTRAL_OPS = frozenset({
    "arith.constant", "arith.index_cast", "arith.addi", "arith.muli", "arith.subi",
    "arith.divui", "arith.remui", "arith.divsi", "arith.remsi", "arith.floordivsi",
    "arith.select", "arith.cmpi", "arith.minsi", "arith.maxsi", "arith.minui", "arith.maxui",
    "affine.apply", "linalg.index", "linalg.yield", "linalg.transpose", "linalg.copy",
    "linalg.fill", "tensor.empty", "tensor.extract", "tensor.extract_slice", "tensor.insert_slice",
    "tensor.expand_shape", "tensor.collapse_shape", "tensor.concat", "tensor.pad", "tensor.yield",
    "linalg.generic", "func.return", "func.func", "builtin.module",
    "iree_tensor_ext.dispatch.tensor.load", "iree_tensor_ext.dispatch.tensor.store",
    "iree_tensor_ext.dispatch.workload.ordinal",
})


def dispatch_kind(entry_point: str) -> str:
    """The kind of a dispatch entry point name (see module docstring)."""
    match = _DISPATCH_PREFIX.search(entry_point)
    if match is None:
        return "unknown"
    words: list[str] = []
    for word in entry_point[match.end():].split("_"):
        if not word or word[0].isdigit():
            break
        words.append(word)
    return "_".join(words) or "unknown"


@dataclass(frozen=True)
class DispatchCensus:
    """Counts of dispatch call sites in one module."""

    total: int
    by_kind: dict[str, int]
    layout_moves: int
    layout_moves_by_kind: dict[str, int]
    moves_only_entry_points: tuple[str, ...]
    executables: int
    tensor_updates: int
    tensor_slices: int
    entry_points: tuple[str, ...] = field(default=(), repr=False)
    initializer_dispatches: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "by_kind": dict(sorted(self.by_kind.items())),
            "layout_moves": self.layout_moves,
            "layout_moves_by_kind": dict(sorted(self.layout_moves_by_kind.items())),
            "moves_only_dispatches": len(self.moves_only_entry_points),
            "executables": self.executables,
            "flow_tensor_update": self.tensor_updates,
            "flow_tensor_slice": self.tensor_slices,
            "initializer_dispatches": self.initializer_dispatches,
        }


def _moves_only(func_op: ir.Operation) -> bool:
    computes = False

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal computes
        name = op.name
        if name.startswith("linalg.") and name not in _NEUTRAL_OPS:
            computes = True  # contractions, convolutions, softmax, ...
        elif name not in _NEUTRAL_OPS and not name.startswith(("scf.", "iree_")):
            computes = True
        return ir.WalkResult.INTERRUPT if computes else ir.WalkResult.ADVANCE

    func_op.walk(visit)
    return not computes


def census_of_module(module: ir.Operation) -> DispatchCensus:
    """Census of a module compiled to `--compile-to=flow` (or later, before HAL)."""
    entry_points: list[str] = []
    initializer_dispatches = 0
    bodies: dict[str, ir.Operation] = {}
    counts = Counter()
    executables = 0

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal executables, initializer_dispatches
        name = op.name
        if name == "flow.dispatch" and _inside(op, "util.initializer"):
            initializer_dispatches += 1
        elif name == "flow.dispatch":
            for ref in op.attributes["entry_points"]:
                entry_points.append(ir.SymbolRefAttr(ref).value[-1])
        elif name == "flow.executable":
            executables += 1
        elif name == "func.func" and _inside_executable(op):
            bodies[ir.StringAttr(op.attributes["sym_name"]).value] = op
            return ir.WalkResult.SKIP
        elif name in ("flow.tensor.update", "flow.tensor.slice"):
            counts[name] += 1
        return ir.WalkResult.ADVANCE

    module.walk(visit, ir.WalkOrder.PRE_ORDER)
    by_kind = Counter(dispatch_kind(e) for e in entry_points)
    moves_only = tuple(e for e in entry_points if e in bodies and _moves_only(bodies[e]))
    moves_kinds = Counter()
    for entry in entry_points:
        kind = dispatch_kind(entry)
        if kind in LAYOUT_MOVE_KINDS or entry in moves_only:
            moves_kinds[kind] += 1
    return DispatchCensus(
        total=len(entry_points),
        by_kind=dict(by_kind),
        layout_moves=sum(moves_kinds.values()),
        layout_moves_by_kind=dict(moves_kinds),
        moves_only_entry_points=moves_only,
        executables=executables,
        tensor_updates=counts["flow.tensor.update"],
        tensor_slices=counts["flow.tensor.slice"],
        entry_points=tuple(entry_points),
        initializer_dispatches=initializer_dispatches,
    )


def _inside_executable(op: ir.Operation) -> bool:
    return _inside(op, "flow.executable")


def _inside(op: ir.Operation, parent_name: str) -> bool:
    parent = op.parent
    while parent is not None:
        if parent.name == parent_name:
            return True
        parent = parent.parent
    return False


def census_of_flow_text(text: str, context: ir.Context | None = None) -> DispatchCensus:
    """Census of the textual output of `iree-compile --compile-to=flow`."""
    context = context or ir.Context()
    module = ir.Module.parse(text, context)
    return census_of_module(module.operation)


def format_census(census: DispatchCensus) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(census.by_kind.items(), key=lambda kv: -kv[1]))
    moves = ", ".join(f"{k} {v}" for k, v in sorted(census.layout_moves_by_kind.items()))
    return (
        f"dispatches {census.total} (layout moves {census.layout_moves}: {moves or 'none'}); "
        f"flow.tensor.update {census.tensor_updates}, flow.tensor.slice {census.tensor_slices}"
        f"{f'; {census.initializer_dispatches} more at load time' if census.initializer_dispatches else ''}\n"
        f"  by kind: {kinds}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m smartmem.census MODULE_AT_FLOW.mlir", file=sys.stderr)
        return 2
    try:
        text = open(args[0], encoding="utf-8").read()
    except OSError as error:
        print(f"error: cannot read '{args[0]}': {error.strerror}", file=sys.stderr)
        return 2
    try:
        census = census_of_flow_text(text)
    except ir.MLIRError as error:
        print(f"{args[0]}: error: not a flow-level module: {error}".splitlines()[0], file=sys.stderr)
        return 2
    print(format_census(census))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
