"""Pass smartmem-permute-row-regions: a row-wise region stores its rows in the order its layout chains want."""

from __future__ import annotations

from dataclasses import dataclass, field

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import as_operation, defining_op, ModulePass, ops_where
from smartmem.passes.layout_chain import (
    AtomChain, ChainRefused, ChainStep, analyze_chain, chain_of, chain_step, is_chain_op, source_index_through_steps,
)
from smartmem.passes.linalg_ops import (
    delinearize, index_constant, is_contraction_op, is_fresh_init, is_elementwise, maps_and_iterators, num_inputs, reassociation_attr,
)
from smartmem.passes.materialize_relayouts import transposed

@dataclass(frozen=True)
class RowPermutation:
    """A reordering of the rows of one axis.

    The axis' row index is split into digits of radix `sizes` (major to
    minor); stored permuted, the digits are ordered `order`: stored digit j
    is digit `order[j]`. E.g. Swin's 56x56 map as 8x8 windows of 7x7:
    sizes (8, 7, 8, 7) = (window row, row, window column, column), order
    (0, 2, 1, 3).
    """

    sizes: tuple[int, ...]
    order: tuple[int, ...]

    @property
    def rows(self) -> int:
        count = 1
        for size in self.sizes:
            count *= size
        return count

    def inverse(self) -> RowPermutation:
        return RowPermutation(
            tuple(self.sizes[o] for o in self.order), tuple(self.order.index(i) for i in range(len(self.order)))
        )

    def steps(self, shape: tuple[int, ...], axis: int) -> list[ChainStep]:
        """The chain steps that store a tensor of `shape` permuted along `axis`."""
        expanded, groups, permutation = self._expansion(shape, axis)
        return [
            ChainStep("expand", groups=groups, result_shape=tuple(expanded)),
            ChainStep("permute", permutation=permutation),
            ChainStep("collapse", groups=groups, result_shape=tuple(shape)),
        ]

    def apply(self, value: ir.Value, axis: int) -> ir.Value:
        """`value` stored permuted along `axis` (expand, transpose, collapse at the insertion point)."""
        value_type = ir.RankedTensorType(value.type)
        shape = tuple(value_type.shape)
        expanded, groups, permutation = self._expansion(shape, axis)
        element = value_type.element_type
        fine = tensor.ExpandShapeOp(
            ir.RankedTensorType.get(expanded, element), value, reassociation_attr(groups), [], expanded
        ).result
        moved = transposed(fine, list(permutation))
        return tensor.CollapseShapeOp(value_type, moved, reassociation_attr(groups)).result

    def original_row(self, stored_row: ir.Value) -> ir.Value:
        """The row index (unpermuted) of stored row `stored_row` (index ops at the insertion point)."""
        digits = delinearize(stored_row, [self.sizes[o] for o in self.order])
        digit_of = {self.order[j]: digits[j] for j in range(len(self.order))}
        row = digit_of[0]
        for digit in range(1, len(self.sizes)):
            scaled = arith.MulIOp(row, index_constant(self.sizes[digit])).result
            row = arith.AddIOp(scaled, digit_of[digit]).result
        return row

    def _expansion(self, shape: tuple[int, ...], axis: int) -> tuple[list[int], tuple[tuple[int, ...], ...], tuple[int, ...]]:
        expanded = list(shape[:axis]) + list(self.sizes) + list(shape[axis + 1:])
        k = len(self.sizes)
        groups = tuple(
            [(d,) for d in range(axis)]
            + [tuple(range(axis, axis + k))]
            + [(axis + k + d,) for d in range(len(shape) - axis - 1)]
        )
        permutation = tuple(range(axis)) + tuple(axis + o for o in self.order) + tuple(
            range(axis + k, len(expanded))
        )
        return expanded, groups, permutation


@dataclass
class Region:
    """Values stored with permuted rows, each with its row axis, and the ops computing them."""

    permutation: RowPermutation
    axis_of: dict[ir.Value, int] = field(default_factory=dict)
    ops: dict[ir.Operation, int | None] = field(default_factory=dict)  # op -> its row loop (None: no loops)
    cost: int = 0
    boundary_notes: list[str] = field(default_factory=list)


class PermuteRowRegionsPass(ModulePass):
    """Store a region of row-wise ops with its rows permuted, so the layout chains around it cancel.

    The paper's global layout selection, for one axis: a LayerNorm, an MLP,
    a residual add or a linear layer treats the rows of its tensor (tokens)
    alike and independently, so it computes the same values whatever order
    the rows are stored in. A *region* is a connected set of such ops and
    the values between them (rows on one axis, read with the same loop,
    that loop parallel). Stored permuted, nothing in the region changes but
    its boundary: a value entering it is permuted on the way in, a value
    leaving it is permuted back, and an op that reads its row index
    (`linalg.index`, a gather) has the index mapped back. The permutation is
    taken from a layout chain at the region's edge, e.g. Swin's window
    partition (the 56x56 token map as 8x8 windows of 7x7 rows): stored in
    window order, a stage's residual stream feeds the attention without a
    partition and takes the window reverse back without a copy; the shifted
    blocks' gathers and the patch merging compose the permutation into what
    they already read.

    A region is stored permuted only when that removes layout chains: each
    boundary crossing is scored as the chains there before against after
    (a crossing chain whose composition with the permutation is a reshape
    disappears; a gather absorbs one; anything else gains one), and the
    region with the lowest negative score goes first, until none is left.
    The new chains are plain expand/transpose/collapse ops: run
    smartmem-form-relayouts after this pass to compose them with the
    relayouts beside them, and smartmem-gather-through-layout-chains to
    take them into gathers.

    For example (rows in window order w(r) at the region's edges):

        %x = ...producer outside...                           // rows r
        %a = linalg.generic {add} ins(%x, %y) ...             // row-wise
        %p = "smartmem.relayout"(%a ...) -> window order       // partition

    becomes

        %x2 = <expand, transpose, collapse: %x in window order>
        %a = linalg.generic {add} ins(%x2, %y2) ...            // same op
        %p = "smartmem.relayout"(<%a back in row order>)      // cancels

    Not in the default pipeline: on Swin-T it removes 12 layout moves and
    17 dispatches, yet ran 0.98x on an H200 (smartmem.passes.pipelines
    says why, per dispatch). Use it as
    `smartmem-form-relayouts,smartmem-permute-row-regions,smartmem-form-relayouts,smartmem-gather-through-layout-chains`.

    Refuses (logged): regions whose ops read the row axis with different
    loops or through a non-trivial index expression, a reduction over the
    rows, a contraction with rows on both operands, and regions whose score
    is not negative.

    Options: none.
    """

    name = "smartmem-permute-row-regions"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            _fold_reshape_round_trips(module)
            done: set[ir.Value] = set()
            for _ in range(64):  # each flip removes chains: bounded by their count
                best: Region | None = None
                for value, axis, permutation in _seeds(module):
                    if value in done:
                        continue
                    region = grow_region(value, axis, permutation)
                    if isinstance(region, str):
                        self.no_match_value(value, region)
                        continue
                    score_region(region)
                    if region.cost >= 0:
                        self.no_match_value(value, f"region of {len(region.ops)} ops scores {region.cost}: kept")
                        continue
                    if best is None or (region.cost, -len(region.ops)) < (best.cost, -len(best.ops)):
                        best = region
                if best is None:
                    return
                self.log.debug("permuting a region of %d ops (score %d): %s; %s", len(best.ops), best.cost,
                               sorted({o.name for o in best.ops}), best.boundary_notes)
                flip_region(best)
                done.update(best.axis_of)

    def no_match_value(self, value: ir.Value, reason: str) -> None:
        owner = defining_op(value)
        if owner is not None:
            self.no_match(owner, reason)


def _fold_reshape_round_trips(module: ir.Operation) -> None:
    """Reshape chains that end at their source's type are their source (regions grow through them)."""
    for op in ops_where(module, lambda o: o.name in ("tensor.expand_shape", "tensor.collapse_shape")):
        source = op.results[0]
        while True:
            producer = defining_op(source)
            if producer is None or producer.name not in ("tensor.expand_shape", "tensor.collapse_shape"):
                break
            source = producer.operands[0]
            if source.type == op.results[0].type:
                op.results[0].replace_all_uses_with(source)
                _erase_dead_reshapes(op)
                break


def _erase_dead_reshapes(op: ir.Operation) -> None:
    while op.name in ("tensor.expand_shape", "tensor.collapse_shape") and not list(op.results[0].uses):
        producer = defining_op(op.operands[0])
        op.erase()
        if producer is None:
            return
        op = producer


def _seeds(module: ir.Operation) -> list[tuple[ir.Value, int, RowPermutation]]:
    """(value, axis, permutation) for each layout chain that only permutes the rows of one axis.

    Two per chain: its source stored as the chain's result orders it, and
    its result stored as the source orders it.
    """
    seeds: list[tuple[ir.Value, int, RowPermutation]] = []
    for op in ops_where(module, _is_chain_end):
        found = chain_of(op.results[0])
        if found is None:
            continue
        source, _, atoms = found
        for axis, permutation in _row_permutations(atoms, of_result=False):
            seeds.append((source, axis, permutation))
        for axis, permutation in _row_permutations(atoms, of_result=True):
            seeds.append((op.results[0], axis, permutation))
    return seeds


def _is_chain_end(op: ir.Operation) -> bool:
    if not is_chain_op(op):
        return False
    users = [as_operation(u.owner) for u in op.results[0].uses]
    return not users or any(chain_step(u) is None for u in users)


def _block_permutations(
    dims: tuple[tuple[int, ...], ...], here: list[int], there: list[int], sizes: tuple[int, ...]
) -> list[tuple[int, RowPermutation]]:
    """Axes of `dims` whose atoms `there` holds permuted in place, everything else in order."""
    found = []
    position = 0
    for axis, block in enumerate(dims):
        start, position = position, position + len(block)
        if len(block) < 2:
            continue
        outside_same = here[:start] == there[:start] and here[position:] == there[position:]
        moved = there[start:position]
        if not outside_same or sorted(moved) != sorted(block) or moved == list(block):
            continue
        found.append((axis, RowPermutation(tuple(sizes[a] for a in block), tuple(block.index(a) for a in moved))))
    return found


def _row_permutations(atoms: AtomChain, of_result: bool) -> list[tuple[int, RowPermutation]]:
    """Row permutations of the chain's source (stored as the result orders it) or of its result."""
    if atoms.fixed:
        return []
    dims, other = (atoms.result_dims, atoms.source_dims) if of_result else (atoms.source_dims, atoms.result_dims)
    here = [a for d in dims for a in d]
    there = [a for d in other for a in d]
    return _block_permutations(dims, here, there, atoms.atom_sizes)


def grow_region(root: ir.Value, axis: int, permutation: RowPermutation) -> Region | str:
    """The largest region of row-wise ops around `root` (rows on `axis`), or why there is none."""
    region = Region(permutation)
    rows = permutation.rows
    pending: list[tuple[ir.Value, int]] = [(root, axis)]
    while pending:
        value, value_axis = pending.pop()
        if is_fresh_init(value):
            continue  # a shared init: permuted or not, it is the same tensor
        known = region.axis_of.get(value)
        if known is not None:
            if known != value_axis:
                return "a value is reached with its rows on two different axes"
            continue
        if ir.RankedTensorType(value.type).shape[value_axis] != rows:
            return "row axis extents differ"
        region.axis_of[value] = value_axis
        producer = defining_op(value)
        candidates: list[tuple[ir.Operation, int, int]] = []  # (op, operand or -1-result, axis)
        if producer is not None:
            results = list(producer.results)
            candidates.append((producer, -1 - results.index(value), value_axis))
        for use in value.uses:
            user = as_operation(use.owner)
            if user.parent is not None and _is_nested_read(user):
                continue  # a gather inside a body: a boundary, handled when scoring
            candidates.append((user, use.operand_number, value_axis))
        for op, slot, slot_axis in candidates:
            if op in region.ops:
                continue
            carried = row_carrying_slots(op, slot, slot_axis, rows)
            if carried is None:
                continue  # boundary
            loop, slots = carried
            region.ops[op] = loop
            for other_slot, other_axis in slots:
                other = op.results[-1 - other_slot] if other_slot < 0 else op.operands[other_slot]
                if other in region.axis_of and region.axis_of[other] != other_axis:
                    return "a value is reached with its rows on two different axes"
                pending.append((other, other_axis))
    if not any(op.name in ("linalg.generic", "linalg.matmul") for op in region.ops):
        return "no computing op in the region"
    return region


def _is_nested_read(op: ir.Operation) -> bool:
    return op.name == "tensor.extract" and op.parent is not None and op.parent.name.startswith("linalg.")


def row_carrying_slots(
    op: ir.Operation, slot: int, axis: int, rows: int
) -> tuple[int | None, list[tuple[int, int]]] | None:
    """If `op` treats rows alike along (slot, axis): its row loop and every (slot, axis) that carries rows.

    Slots are operand numbers, or -1 - i for result i. None if `op` does not
    commute with permuting those rows.
    """
    name = op.name
    if name == "tensor.empty":
        return None, []
    if name in ("tensor.expand_shape", "tensor.collapse_shape"):
        return _reshape_slots(op, slot, axis, rows)
    if name not in ("linalg.generic", "linalg.matmul", "linalg.fill"):
        return None
    if name == "linalg.fill":
        if slot == 0:
            return None
        return None, [(1, axis), (-1, axis)]
    maps, iterators = maps_and_iterators(op)
    n_in = num_inputs(op)
    n_operands = len(op.operands)
    if name == "linalg.matmul" and slot == 1:
        return None
    map_index = slot if slot >= 0 else n_in + (-1 - slot)
    if map_index >= len(maps):
        return None
    expr = maps[map_index].results[axis]
    if not isinstance(expr, ir.AffineDimExpr):
        return None
    loop = expr.position
    if iterators[loop] != "parallel":
        return None
    slots: list[tuple[int, int]] = []
    for index, operand_map in enumerate(maps):
        uses = [d for d, e in enumerate(operand_map.results) if _uses_dim(e, loop)]
        if not uses:
            continue
        if len(uses) != 1 or not isinstance(operand_map.results[uses[0]], ir.AffineDimExpr):
            return None
        operand = op.operands[index]
        if ir.RankedTensorType(operand.type).shape[uses[0]] != rows:
            return None
        if name == "linalg.matmul" and index == 1:
            return None
        slots.append((index, uses[0]))
        if index >= n_in:
            slots.append((-1 - (index - n_in), uses[0]))
    if n_operands != len(maps):
        return None
    return loop, slots


def _uses_dim(expr: ir.AffineExpr, position: int) -> bool:
    dim = ir.AffineDimExpr.get(position)
    return dim in _walk_dims(expr)


def _walk_dims(expr: ir.AffineExpr) -> list[ir.AffineExpr]:
    if isinstance(expr, ir.AffineDimExpr):
        return [expr]
    if isinstance(expr, ir.AffineBinaryExpr):
        return _walk_dims(expr.lhs) + _walk_dims(expr.rhs)
    return []


def _reshape_slots(op: ir.Operation, slot: int, axis: int, rows: int) -> tuple[None, list[tuple[int, int]]] | None:
    """A reshape carries rows when the row axis stays one dim, only unit dims joining or leaving it."""
    groups = [[ir.IntegerAttr(i).value for i in g] for g in ir.ArrayAttr(op.attributes["reassociation"])]
    expanding = op.name == "tensor.expand_shape"
    big_type = ir.RankedTensorType(op.results[0].type if expanding else op.operands[0].type)
    on_big = (slot < 0) == expanding  # the fine side: an expand's result, a collapse's operand
    if on_big:
        group_index = next((g for g, dims in enumerate(groups) if axis in dims), None)
        if group_index is None:
            return None
        big_axis = axis
    else:
        group_index = axis
        sized = [d for d in groups[axis] if big_type.shape[d] != 1]
        if len(sized) != 1:
            return None
        big_axis = sized[0]
    if any(big_type.shape[d] != 1 for d in groups[group_index] if d != big_axis):
        return None
    if big_type.shape[big_axis] != rows:
        return None
    big_slot, small_slot = (-1, 0) if expanding else (0, -1)
    return None, [(big_slot, big_axis), (small_slot, group_index)]


def score_region(region: Region) -> None:
    """Chains at the region's boundary after the flip minus before (negative: fewer)."""
    permutation = region.permutation
    cost = 0
    for value, axis in region.axis_of.items():
        producer = defining_op(value)
        shape = tuple(ir.RankedTensorType(value.type).shape)
        if producer is None or producer not in region.ops:
            delta = _entering_cost(value, permutation.steps(shape, axis))
            cost += delta
            region.boundary_notes.append(f"enters: {delta:+d}")
            continue
        others = False
        inverse_steps = permutation.inverse().steps(shape, axis)
        for use in value.uses:
            user = as_operation(use.owner)
            if user in region.ops:
                continue
            if _is_nested_read(user):
                delta = 0 if axis != len(shape) - 1 else 1
            elif is_chain_op(user):
                before, after = _leaving_moves(value, user, inverse_steps)
                # A composition without atoms becomes one gather (flip_region): one op where the chain was.
                delta = min(after, 1) - before
                if delta == 0 and after != 0 and _written_by_contraction(producer):
                    # A contraction writes its chain (write-through) only with its rows in order.
                    delta = 1
            else:
                others = True
                continue
            cost += delta
            region.boundary_notes.append(f"leaves into {user.name}: {delta:+d}")
        if others:
            cost += 1
            region.boundary_notes.append("leaves into other ops: +1")
    region.cost = cost


def _moves(shape: tuple[int, ...], steps: list[ChainStep]) -> int:
    """Permuting chains `steps` leaves: 0 (reshapes), 1, or 2 when they cannot be composed."""
    if not steps:
        return 0
    try:
        return 0 if analyze_chain(shape, steps).is_identity() else 1
    except ChainRefused:
        return 2


def _entering_cost(value: ir.Value, permute: list[ChainStep]) -> int:
    found = chain_of(value)
    if found is None:
        return 1
    source, ops, _ = found
    shape = tuple(ir.RankedTensorType(source.type).shape)
    steps = [chain_step(o) for o in ops]
    return _moves(shape, steps + permute) - _moves(shape, steps)  # type: ignore[operator]


def _written_by_contraction(op: ir.Operation | None) -> bool:
    """A contraction, or an elementwise op (a bias add) right behind one: write-through's producers."""
    if is_contraction_op(op):
        return True
    if op is None or not is_elementwise(op):
        return False
    return any(is_contraction_op(defining_op(v)) for v in op.operands[: num_inputs(op)])


def _forward_chain(first: ir.Operation) -> list[ir.Operation]:
    """`first` and the chain ops after it, up to a value with other readers."""
    ops = [first]
    while True:
        users = [as_operation(u.owner) for u in ops[-1].results[0].uses]
        if len(users) != 1:
            return ops
        if not is_chain_op(users[0]):
            return ops
        ops.append(users[0])


def _leaving_moves(value: ir.Value, first: ir.Operation, unpermute: list[ChainStep]) -> tuple[int, int]:
    """`_moves` of the chain from `first` on: as it is, and read after `unpermute`."""
    shape = tuple(ir.RankedTensorType(value.type).shape)
    steps = [chain_step(o) for o in _forward_chain(first)]
    return _moves(shape, steps), _moves(shape, unpermute + steps)  # type: ignore[arg-type, operator]


def flip_region(region: Region) -> None:
    """Store the region's values permuted: chains at its boundary, row indices mapped back."""
    permutation = region.permutation
    inverse = permutation.inverse()
    for value, axis in list(region.axis_of.items()):
        producer = defining_op(value)
        inside = producer is not None and producer in region.ops
        uses = [(as_operation(u.owner), u.operand_number) for u in value.uses]
        if not inside:
            _reroute(value, axis, permutation, [(op, n) for op, n in uses if op in region.ops])
            continue
        outside = [(op, n) for op, n in uses if op not in region.ops]
        unpermute = inverse.steps(tuple(ir.RankedTensorType(value.type).shape), axis)
        for op, n in list(outside):
            if is_chain_op(op) and _leaving_moves(value, op, unpermute)[1] == 2:
                _gather_through(value, op, unpermute)
                outside.remove((op, n))
        _reroute(value, axis, inverse, outside)
    for op, loop in region.ops.items():
        if loop is not None and op.name == "linalg.generic":
            _map_row_index_back(op, loop, permutation)


def _reroute(value: ir.Value, axis: int, permutation: RowPermutation, readers: list[tuple[ir.Operation, int]]) -> None:
    """`readers` (op, operand number) read `value` permuted along `axis`."""
    if not readers:
        return
    with _after(value), _location(value):
        permuted = permutation.apply(value, axis)
    for op, n in readers:
        op.operands[n] = permuted


def _gather_through(value: ir.Value, first: ir.Operation, unpermute: list[ChainStep]) -> None:
    """Replace the chain from `first` on, read after `unpermute`, by one gather of `value`.

    The composition has no atoms (mixed radix), so no indexing map can
    express it; a generic that extracts each element at the composed index
    (`divui`/`remui` per step) can, and it is one op, not two transposes.
    """
    chain = _forward_chain(first)
    end = chain[-1].results[0]
    end_type = ir.RankedTensorType(end.type)
    steps = unpermute + [chain_step(o) for o in chain]
    shape = tuple(ir.RankedTensorType(value.type).shape)
    rank = end_type.rank
    with ir.InsertionPoint.after(chain[-1]), chain[-1].location:
        init = tensor.EmptyOp(list(end_type.shape), end_type.element_type).result
        generic = linalg.GenericOp(
            [end_type], [], [init],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(ir.AffineMap.get_identity(rank))]),
            ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * rank),
        )
        block = generic.regions[0].blocks.append(end_type.element_type)
        with ir.InsertionPoint(block):
            i64 = ir.IntegerType.get_signless(64)
            indices = [linalg.IndexOp(ir.IntegerAttr.get(i64, d)).result for d in range(rank)]
            source = source_index_through_steps(shape, steps, indices)  # type: ignore[arg-type]
            linalg.YieldOp([tensor.ExtractOp(value, source).result])
    end.replace_all_uses_with(generic.results[0])
    for op in reversed(chain):
        if not list(op.results[0].uses):
            inits = [defining_op(v) for v in op.operands[1:]]
            op.erase()
            for init in inits:
                if init is not None and init.name == "tensor.empty" and not list(init.results[0].uses):
                    init.erase()


def _map_row_index_back(op: ir.Operation, loop: int, permutation: RowPermutation) -> None:
    indices = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name == "linalg.index" and ir.IntegerAttr(inner.attributes["dim"]).value == loop:
            indices.append(inner)
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    for index in indices:
        uses = [(as_operation(u.owner), u.operand_number) for u in index.results[0].uses]
        with ir.InsertionPoint.after(index), index.location:
            row = permutation.original_row(index.results[0])
        for user, n in uses:
            user.operands[n] = row


def _after(value: ir.Value) -> ir.InsertionPoint:
    """Right after the definition of `value` (the block's start for an argument)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return ir.InsertionPoint.at_block_begin(owner)
    return ir.InsertionPoint.after(as_operation(owner))


def _location(value: ir.Value) -> ir.Location:
    owner = value.owner
    if isinstance(owner, ir.Block):
        return ir.Location.unknown()
    return as_operation(owner).location
