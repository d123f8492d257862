"""Pass smartmem-form-relayouts: every layout chain as one smartmem.relayout."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir

from smartmem.dialect.layout import Layout
from smartmem.dialect.ops import RELAYOUT, create_relayout
from smartmem.passes.base import as_operation, ModulePass
from smartmem.passes.layout_chain import AtomChain, ChainRefused, analyze_chain, chain_step, is_chain_op
from smartmem.passes.materialize_relayouts import reshape
from smartmem.passes.linalg_ops import expand_to


@dataclass(frozen=True)
class Segment:
    """Chain ops `ops`, source to end, each result read only by the next.

    The source is read when the segment is formed (`source`): it may be the
    end of another segment, replaced by a relayout in the meantime.
    """

    ops: tuple[ir.Operation, ...]

    @property
    def source(self) -> ir.Value:
        return self.ops[0].operands[0]


@dataclass(frozen=True)
class FormRecord:
    """One chain segment: formed into a relayout, into reshapes, or refused (with the reason)."""

    chain: tuple[str, ...]
    outcome: str  # "relayout", "reshapes" or "refused"
    reason: str = ""


class FormRelayoutsPass(ModulePass):
    """Write each reshape/transpose chain as one `smartmem.relayout` of its atoms.

    Fixed -> Fixed made visible (issue 3, items 3 and 6): a run of
    `tensor.expand_shape` / `tensor.collapse_shape` / `linalg.transpose` /
    transpose-like `linalg.generic` ops is analysed as atoms (see
    `layout_chain`) and replaced by a free reshape of its source to the
    atoms, in source order, and one `smartmem.relayout` whose layout
    permutes the atoms into the chain's result order and whose result type
    is the chain's result type. Transposes compose into one permutation and
    transposes that cancel disappear: a chain that does not reorder atoms
    becomes reshapes only. The elimination passes
    (smartmem-fold-layout-chains, smartmem-write-through-layout-chains) read
    relayouts as chain ops; smartmem-materialize-relayouts lowers what is
    left to linalg.transpose and reshapes.

    Chains are cut where a value has several readers (e.g. Swin's window
    partition read by the Q, K and V projections through one reshape each):
    the permuted value stays one value, so its producer can still write it
    once; each reader's own chain after the cut is formed separately.

    For example (Swin window partition, 8x8 windows of 7x7):

        %e = tensor.expand_shape %x [[0, 1, 2, 3], [4]] ... into tensor<8x7x8x7x96xf32>
        %t = linalg.transpose ins(%e ...) outs(...) permutation = [0, 2, 1, 3, 4]
        %v = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] ... into tensor<64x49x96xf32>

    becomes

        %f = tensor.expand_shape %x [[0, 1, 2, 3], [4]] ... into tensor<8x7x8x7x96xf32>
        %v = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>}
             : (tensor<8x7x8x7x96xf32>) -> tensor<64x49x96xf32>

    Refuses (logged, IR left alone):
    - chains starting with a slice (`tensor.extract_slice` picking a tile):
      the slice stays a slice, the passes after read it as one;
    - chains whose reshapes have no common refinement (mixed radix), from
      the source up to the first op after which the rest is analysable;
    - chains that already are one relayout behind reshapes, and chains
      nothing reads (left to canonicalize).
    """

    name = "smartmem-form-relayouts"

    def __init__(self, options=None):
        super().__init__(options)
        self.records: list[FormRecord] = []

    def run_on_module(self, module: ir.Operation) -> None:
        segments: list[Segment] = []

        def collect(op: ir.Operation) -> ir.WalkResult:
            if is_chain_op(op) and _is_segment_end(op.results[0]):
                segments.append(_segment_ending_at(op))
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        with module.context:
            for segment in segments:
                self.form(segment)

    def form(self, segment: Segment) -> None:
        names = tuple(op.name for op in segment.ops)
        reason = ""
        source, ops = segment.source, list(segment.ops)
        if not list(segment.ops[-1].results[0].uses):
            reason = "nothing reads the chain"
        elif _is_slice_result(source):
            reason = "chain starts with a slice: the slice stays"
        elif _already_formed(ops):
            reason = "already one relayout behind reshapes"
        atoms = None
        while not reason and ops:
            try:
                atoms = analyze_chain(tuple(ir.RankedTensorType(source.type).shape), [chain_step(o) for o in ops])  # type: ignore[misc]
                break
            except ChainRefused as refused:
                # Like layout_chain.chain_of: the head of the chain stays as it is.
                self.no_match(ops[0], f"{refused}: left out of the relayout")
                source, ops = ops[0].results[0], ops[1:]
        if not reason and (atoms is None or not ops):
            reason = "no analysable chain"
        if reason:
            self.no_match(segment.ops[-1], reason)
            self.records.append(FormRecord(names, "refused", reason))
            return
        assert atoms is not None
        if atoms.is_identity() and all(chain_step(o).kind in ("expand", "collapse") for o in ops):  # type: ignore[union-attr]
            self.no_match(ops[-1], "chain only reshapes: left as it is")
            self.records.append(FormRecord(names, "refused", "chain only reshapes"))
            return
        end = ops[-1]
        with ir.InsertionPoint(end), end.location:
            new_value = _relayout_of(source, atoms, ir.RankedTensorType(end.results[0].type), end.location)
        end.results[0].replace_all_uses_with(new_value)
        for op in reversed(ops):
            inits = [v.owner for v in op.operands[1:]]
            op.erase()
            for init in inits:  # the dead tensor.empty of a transpose
                if isinstance(init, (ir.OpView, ir.Operation)) and init.name == "tensor.empty":
                    if not list(init.results[0].uses):
                        as_operation(init).erase()
        self.records.append(FormRecord(names, "reshapes" if atoms.is_identity() else "relayout"))


def _relayout_of(
    source: ir.Value, atoms: AtomChain, result_type: ir.RankedTensorType, location: ir.Location
) -> ir.Value:
    """`source` reshaped to its atoms and relaid as `result_type` (reshapes only if identity)."""
    fine_atoms = atoms.source_fine_atoms()
    groups, position = [], 0
    for dim in atoms.source_dims:
        groups.append(tuple(range(position, position + len(dim))))
        position += len(dim)
    fine = expand_to(source, tuple(groups), atoms.source_fine_shape())
    order = tuple(a for dim in atoms.result_dims for a in dim)
    if atoms.is_identity():
        return reshape(fine, result_type)
    permutation = tuple(fine_atoms.index(a) for a in order)
    relayout = create_relayout(fine, Layout(permutation), result_type, location)
    return relayout.results[0]


def _is_segment_end(value: ir.Value) -> bool:
    """A chain value read by anything but exactly one chain op."""
    users = [as_operation(use.owner) for use in value.uses]
    return len(users) != 1 or not is_chain_op(users[0])


def _segment_ending_at(op: ir.Operation) -> Segment:
    ops = [op]
    while True:
        operand = ops[0].operands[0]
        owner = operand.owner
        if not isinstance(owner, (ir.OpView, ir.Operation)):
            break
        producer = as_operation(owner)
        if not is_chain_op(producer) or _is_segment_end(operand):
            break
        ops.insert(0, producer)
    return Segment(tuple(ops))


def _is_slice_result(value: ir.Value) -> bool:
    owner = value.owner
    if not isinstance(owner, (ir.OpView, ir.Operation)):
        return False
    step = chain_step(as_operation(owner))
    return step is not None and step.kind == "select"


def _already_formed(ops: list[ir.Operation]) -> bool:
    if ops[-1].name != RELAYOUT:
        return False
    return all(o.name in ("tensor.expand_shape", "tensor.collapse_shape") for o in ops[:-1])

