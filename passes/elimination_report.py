"""What elimination removed and what remains, with a reason per remaining move.

`elimination_report(before, after)` compares two linalg-on-tensors modules
(before and after the SmartMem elimination pipeline) and returns an
`EliminationReport` the compile driver can put in its JSON report
(`as_dict()`). Layout moves counted: transposes (`linalg.transpose`,
transpose-like generics, and `smartmem.relayout`s that reorder dims in IR
between smartmem-form-relayouts and smartmem-materialize-relayouts),
concats (`tensor.concat`, which IREE lowers to copies) and slices
(`tensor.extract_slice` of computed tensors that are not one contiguous
range; slices of constants are folded at load time, and contiguous ones are
read in place, so neither is counted). Reshapes are not counted: IREE treats them
as metadata.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from iree.compiler import ir

from smartmem.passes.base import static_slice
from smartmem.passes.concat_slices_to_transpose import strided_view
from smartmem.passes.layout_chain import chain_of, chain_step
from smartmem.passes.matmul_form import OFF_MATMUL_PIPELINE
from smartmem.passes.linalg_ops import CONSTANT_SOURCES, is_contraction_generic, uses_linalg_index



GATHER_REFUSED = "read by a gather that refused it (see smartmem-gather-through-layout-chains debug log)"


@dataclass(frozen=True)
class RemainingMove:
    op: str
    location: str
    reason: str


@dataclass(frozen=True)
class EliminationReport:
    before: dict[str, int]
    after: dict[str, int]
    remaining: tuple[RemainingMove, ...]

    def eliminated(self) -> dict[str, int]:
        return {kind: self.before.get(kind, 0) - self.after.get(kind, 0) for kind in self.before}

    def as_dict(self) -> dict[str, object]:
        reasons = Counter(m.reason for m in self.remaining)
        return {
            "before": self.before,
            "after": self.after,
            "eliminated": self.eliminated(),
            "remaining_by_reason": dict(reasons),
            "remaining": [m.__dict__ for m in self.remaining],
        }


def _moves(module: ir.Operation) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "tensor.concat":
            found.append(op)
        elif op.name == "tensor.extract_slice":
            owner = op.operands[0].owner
            constant = isinstance(owner, (ir.OpView, ir.Operation)) and owner.name in CONSTANT_SOURCES
            if not constant and not is_contiguous_slice(op):
                found.append(op)
        elif op.name in ("linalg.transpose", "linalg.generic", "smartmem.relayout"):
            step = chain_step(op)
            if step is not None and step.kind == "permute":
                found.append(op)
            elif step is not None and step.kind == "relayout" and step.permutation != tuple(range(len(step.permutation))):
                found.append(op)  # a chain not yet materialized (smartmem-materialize-relayouts)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return found


def is_contiguous_slice(op: ir.Operation) -> bool:
    """A static unit-stride slice that is one contiguous range of its source (IREE reads it in place).

    Unit dims, then at most one cut dim, then whole dims: the Q/K/V blocks of
    a block-major projection (smartmem-block-major-slices), padded rows cut
    back. Not a layout move: no dispatch copies it.
    """
    if len(op.operands) != 1:
        return False
    shape = ir.RankedTensorType(op.operands[0].type).shape
    offsets, sizes, strides = static_slice(op)
    if any(s != 1 for s in strides):
        return False
    cut = [d for d in range(len(shape)) if sizes[d] != shape[d]]
    if not cut:
        return True
    first = cut[0]
    return all(sizes[d] == 1 for d in range(first)) and all(
        sizes[d] == shape[d] and offsets[d] == 0 for d in range(first + 1, len(shape))
    )


def _kind(op: ir.Operation) -> str:
    return {"tensor.concat": "concat", "tensor.extract_slice": "slice"}.get(op.name, "transpose")


def _reason(op: ir.Operation) -> str:
    if op.name == "tensor.extract_slice":
        users = sorted({use.owner.name for use in op.results[0].uses})
        if "tensor.concat" in users:
            return "piece of a concat that is neither a roll nor a phase split"
        return f"slice read by {', '.join(users) or 'nothing'}: its producer has other users or is not linalg"
    if op.name == "tensor.concat":
        views = [strided_view(v) for v in op.operands]
        if all(v is not None and all(s == 1 for s in v.strides) for v in views):
            if len({str(v.source.get_name()) for v in views if v is not None}) == 1:
                return "cyclic shift (roll): needs modular indexing, which IREE cannot tile"
        return "concat of computed pieces: no single source to index"
    owner = op.operands[0].owner
    if isinstance(owner, (ir.OpView, ir.Operation)) and owner.name in CONSTANT_SOURCES:
        return "constant source: folded at load time by IREE's const-eval"
    value_users = set()
    gathers = False
    frontier = [op.results[0]]
    while frontier:
        value = frontier.pop()
        for use in value.uses:
            user = use.owner
            if user.name in ("tensor.expand_shape", "tensor.collapse_shape"):
                frontier.append(user.results[0])
            else:
                value_users.add(user.name)
                if user.name == "linalg.generic" and _uses_index(user):
                    gathers = True
    non_linalg = sorted(u for u in value_users if not u.startswith("linalg."))
    kept = _kept_by_layout_rule(op)
    if kept:
        return kept
    if gathers:
        return "read by a gather (a folded roll: its body uses linalg.index), which cannot read through an index map"
    if non_linalg == ["tensor.extract"]:
        return GATHER_REFUSED
    if non_linalg:
        return f"read by {', '.join(non_linalg)}: not a linalg op that can read through an index map"
    # Readers through reshapes: materialized relayouts end in a reshape.
    return f"consumers refused (see smartmem-fold-layout-chains debug log): {', '.join(sorted(value_users))}"


def _uses_index(op: ir.Operation) -> bool:
    return uses_linalg_index(op.operation if isinstance(op, ir.OpView) else op)


def _kept_by_layout_rule(op: ir.Operation) -> str:
    """Why the chain through `op` stays because of a rule on contractions, or "".

    The rules: removing it would take a contraction off IREE's matmul
    pipeline (OFF_MATMUL_PIPELINE), or make it read its reduction dim (or
    write its n dim) strided (smartmem.passes.reduction_contiguity).
    Asks the passes' own rules (smartmem.passes.matmul_form) for the two
    ways the chain could go: folded into a contraction reading it, or
    written by the contraction computing it (directly or through a bias add).
    """
    from smartmem.passes.fold_layout_chains import chains_after, _contraction_behind, _rewrite
    from smartmem.passes.write_through_layout_chains import contraction_write_refusal

    ends, frontier = [], [op]
    while frontier:  # every chain value from `op` down, through reshapes and permutes
        current = frontier.pop()
        ends.append(current)
        for use in current.results[0].uses:
            user = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            step = chain_step(user)
            if step is not None and step.kind != "select":
                frontier.append(user)
    source = None
    for end in ends:
        found = chain_of(end.results[0])
        if found is None or found[2].fixed or found[2].is_identity():
            continue
        chain_source, _, atoms = found
        if end is op:
            source, op_atoms = chain_source, atoms
        for use in end.results[0].uses:
            reader = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            if reader.name in ("linalg.matmul", "linalg.batch_matmul") or is_contraction_generic(reader):
                refusal = _rewrite(reader, use.operand_number, chain_source, atoms, plan_only=True)
                if isinstance(refusal, str) and refusal.startswith("kept:"):
                    return _short(refusal)
            if reader.name in ("linalg.matmul", "linalg.batch_matmul"):
                # Folding would make it a generic that IREE sinks a later transpose into.
                for _, after in chains_after(reader.results[0]):
                    order_after = tuple(a for dim in after.result_dims for a in dim)
                    refusal = contraction_write_refusal(reader, after, order_after)
                    if refusal:
                        return _short(refusal)
    if source is None:
        return ""
    atoms = op_atoms
    contraction = _contraction_behind(source)
    if contraction is None:
        return ""
    order = tuple(a for dim in atoms.result_dims for a in dim)
    return _short(contraction_write_refusal(contraction, atoms, order))


def _short(reason: str) -> str:
    """The rule's headline, without the per-op details in parentheses."""
    if not reason:
        return ""
    if "off the matmul pipeline" in reason:
        return OFF_MATMUL_PIPELINE
    return reason.split(" (")[0]


def elimination_report(before: ir.Operation, after: ir.Operation) -> EliminationReport:
    before_counts = Counter(_kind(op) for op in _moves(before))
    remaining_ops = _moves(after)
    after_counts = Counter(_kind(op) for op in remaining_ops)
    with after.context:
        remaining = tuple(RemainingMove(op.name, str(op.location), _reason(op)) for op in remaining_ops)
    kinds = ("transpose", "concat", "slice")
    return EliminationReport(
        before={k: before_counts.get(k, 0) for k in kinds},
        after={k: after_counts.get(k, 0) for k in kinds},
        remaining=remaining,
    )
