"""Pass smartmem-fold-rolls: cyclic shifts (slice + concat) become index arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import as_operation, ModulePass, reassociation_groups
from smartmem.passes.concat_slices_to_transpose import strided_view
from smartmem.passes.linalg_ops import delinearize, index_constant, num_inputs, uses_linalg_index


@dataclass(frozen=True)
class Roll:
    """`value[i] = base[i + shift (mod n)]` per rolled dim; `ops` build it."""

    base: ir.Value
    shifts: tuple[tuple[int, int], ...]  # (dim, shift), shift in [1, n)
    ops: tuple[ir.Operation, ...]  # concats and slices, outermost first


def roll_of(value: ir.Value) -> Roll | None:
    """The (possibly nested) roll that produces `value`, or None."""
    op = as_operation(value.owner)
    if op is None or op.name != "tensor.concat" or len(op.operands) != 2:
        return None
    dim = ir.IntegerAttr(op.attributes["dim"]).value
    shape = ir.RankedTensorType(value.type).shape
    views = [strided_view(v) for v in op.operands]
    if any(v is None for v in views) or views[0].source != views[1].source:  # type: ignore[union-attr]
        return None
    first, second = views  # type: ignore[misc]
    n = shape[dim]
    shift = first.offsets[dim]
    for view in views:
        for d in range(len(shape)):
            if view.strides[d] != 1:
                return None
            if d != dim and (view.offsets[d] != 0 or view.sizes[d] != shape[d]):
                return None
    if not (0 < shift < n and first.sizes[dim] == n - shift and second.offsets[dim] == 0
            and second.sizes[dim] == shift):
        return None
    if ir.RankedTensorType(first.source.type).shape != shape:
        return None
    slices = tuple(as_operation(v.owner) for v in op.operands)
    inner = roll_of(first.source)
    shifts = {dim: shift}
    ops: tuple[ir.Operation, ...] = (op,) + slices  # type: ignore[operator]
    base = first.source
    if inner is not None and all(len(list(r.uses)) == 1 for s in slices for r in s.results):
        inner_users = {as_operation(u.owner) for u in first.source.uses}
        if inner_users <= set(slices):
            for d, s in inner.shifts:
                shifts[d] = (shifts.get(d, 0) + s) % shape[d]
            ops = ops + inner.ops
            base = inner.base
    return Roll(base, tuple(sorted((d, s) for d, s in shifts.items() if s)), ops)


class FoldRollsPass(ModulePass):
    """Fold cyclic shifts (torch.roll exported as slice + concat) into index arithmetic.

    Swin's shifted windows roll the feature map by -3 (and back by +3) along
    H and W; ONNX exports each roll as two slices and a concat per dim, which
    IREE copies (a `flow.tensor.update` along H, two `slow_memcpy` dispatches
    along W). A roll is `out[i] = x[(i + s) mod n]`: not an affine map IREE
    can tile (semi-affine `mod` maps are rejected by its tiling), so the
    index arithmetic goes into the body of a neighbouring elementwise op,
    which reads the shifted element with `tensor.extract` at
    `(linalg.index + s) mod n` (a gather, which IREE codegens like an
    embedding lookup):

    - Variable -> Fixed (preferred): the elementwise producer of the rolled
      tensor (e.g. LayerNorm's final affine op) computes the rolled result
      directly, gathering the inputs that depend on the rolled dims.
    - Fixed -> Variable: every elementwise consumer (e.g. the residual add
      after the reverse roll) gathers the rolled operand.

    For example:

        %a = tensor.extract_slice %x[0, 3, 0] [1, 5, 4] [1, 1, 1]
        %b = tensor.extract_slice %x[0, 0, 0] [1, 3, 4] [1, 1, 1]
        %r = tensor.concat dim(1) %a, %b
        %y = linalg.generic {...} ins(%r, %z) ... arith.addf

    becomes

        %y = linalg.generic {...} ins(%z) ... {
          %i = linalg.index 1 ; %j = (%i + 3) mod 8
          %v = tensor.extract %x[%0, %j, %2]
          arith.addf %v, ...
        }

    Refuses: concats that are not rotations of one tensor (other slices,
    strides); producers that are not single-use elementwise generics with
    identity output maps, or that reach the roll through other reshapes
    than one expand_shape; consumers that are not elementwise generics with
    projected-permutation maps (contractions keep the copy: a gather in a
    contraction is no longer a contraction); bodies using `linalg.index`.

    Options: none.
    """

    name = "smartmem-fold-rolls"

    def run_on_module(self, module: ir.Operation) -> None:
        outer: list[ir.Operation] = []

        def collect(op: ir.Operation) -> ir.WalkResult:
            if op.name == "tensor.concat":
                users = [as_operation(u.owner) for u in op.results[0].uses]
                if not any(u is not None and u.name == "tensor.extract_slice" for u in users):
                    outer.append(op)
            return ir.WalkResult.ADVANCE

        module.walk(collect)
        with module.context:
            for op in outer:
                roll = roll_of(op.results[0])
                if roll is None or not roll.shifts:
                    self.no_match(op, "not a rotation of one tensor")
                    continue
                reason = self.into_producer(op, roll)
                if reason:
                    reason2 = self.into_consumers(op, roll)
                    if reason2:
                        self.no_match(op, f"producer: {reason}; consumers: {reason2}")

    # -- Variable -> Fixed ---------------------------------------------------

    def into_producer(self, concat: ir.Operation, roll: Roll) -> str:
        base = roll.base
        rolled_type = ir.RankedTensorType(concat.results[0].type)
        reshape = as_operation(base.owner)
        groups: list[list[int]]
        if reshape is not None and reshape.name == "tensor.expand_shape":
            produced = reshape.operands[0]
            groups = reassociation_groups(reshape)
            if len(list(base.uses)) != 2:
                return "the reshaped tensor has other users"
        else:
            produced, reshape = base, None
            groups = [[d] for d in range(rolled_type.rank)]
        producer = as_operation(produced.owner)
        if producer is None or producer.name != "linalg.generic" or len(producer.results) != 1:
            return "not produced by a linalg.generic"
        expected_uses = 1 if reshape is not None else 2
        if len(list(produced.uses)) != expected_uses:
            return "the producer's result has other users"
        if uses_linalg_index(producer):
            return "producer body uses linalg.index"
        maps = [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(producer.attributes["indexing_maps"])]
        iterators = [str(a) for a in ir.ArrayAttr(producer.attributes["iterator_types"])]
        n_inputs = num_inputs(producer)
        if any("parallel" not in it for it in iterators):
            return "producer is not elementwise"
        if maps[n_inputs] != ir.AffineMap.get_identity(maps[n_inputs].n_dims):
            return "producer output map is not the identity"
        block = producer.regions[0].blocks[0]
        if list(block.arguments[n_inputs].uses):
            return "producer body reads its output"
        shifts = dict(roll.shifts)
        rolled_shape = list(rolled_type.shape)
        affected = {k for k, g in enumerate(groups) if any(d in shifts for d in g)}
        new_maps, kept, gathered = [], [], []
        dims = [ir.AffineDimExpr.get(i) for i in range(len(rolled_shape))]
        for i in range(n_inputs):
            results = maps[i].results
            uses_affected = any(isinstance(e, ir.AffineDimExpr) and e.position in affected for e in results)
            if uses_affected:
                if not all(isinstance(e, (ir.AffineDimExpr, ir.AffineConstantExpr)) for e in results):
                    return "an input map has a non-dimension expression"
                gathered.append(i)
                continue
            new_results = []
            for e in results:
                if isinstance(e, ir.AffineDimExpr):
                    if len(groups[e.position]) != 1:
                        return "an input indexes a reshaped dim without the rolled dims"
                    new_results.append(dims[groups[e.position][0]])
                elif isinstance(e, ir.AffineConstantExpr):
                    new_results.append(e)
                else:
                    return "an input map has a non-dimension expression"
            kept.append(i)
            new_maps.append(ir.AffineMap.get(len(rolled_shape), 0, new_results))

        def index_of(e, loop_values) -> ir.Value:
            # Producer loop e.position == linearized rolled indices of its group.
            if isinstance(e, ir.AffineConstantExpr):
                return index_constant(e.value)
            total = None
            for d in groups[e.position]:
                part = _rolled(loop_values[d], shifts.get(d, 0), rolled_shape[d])
                if total is None:
                    total = part
                else:
                    total = arith.AddIOp(arith.MulIOp(total, index_constant(rolled_shape[d])).result, part).result
            return total if total is not None else index_constant(0)

        with ir.InsertionPoint(concat), concat.location:
            element = rolled_type.element_type
            init = tensor.EmptyOp(rolled_shape, element).result
            new_maps.append(ir.AffineMap.get_identity(len(rolled_shape)))
            generic = linalg.GenericOp(
                [rolled_type],
                [producer.operands[i] for i in kept],
                [init],
                ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps]),
                ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * len(rolled_shape)),
            )
        operands = list(producer.operands)
        block.append_to(generic.regions[0])
        _gather_args(block, gathered, [operands[i] for i in gathered], [maps[i] for i in gathered],
                     len(rolled_shape), index_of, concat.location)
        concat.results[0].replace_all_uses_with(generic.results[0])
        for op in roll.ops:
            op.erase()
        if reshape is not None:
            reshape.erase()
        producer.erase()
        return ""

    # -- Fixed -> Variable ---------------------------------------------------

    def into_consumers(self, concat: ir.Operation, roll: Roll) -> str:
        rolled_type = ir.RankedTensorType(concat.results[0].type)
        shifts = dict(roll.shifts)
        # Each use: (generic, operand index, groups: operand dim -> rolled dims)
        plans = []
        frontier = [(concat.results[0], [[d] for d in range(rolled_type.rank)])]
        reshapes: list[ir.Operation] = []
        while frontier:
            value, groups = frontier.pop()
            for use in list(value.uses):
                user = as_operation(use.owner)
                if user.name == "tensor.collapse_shape":
                    reassoc = reassociation_groups(user)
                    frontier.append((user.results[0], [[d for k in g for d in groups[k]] for g in reassoc]))
                    reshapes.append(user)
                    continue
                if user.name != "linalg.generic":
                    return f"used by {user.name}"
                if uses_linalg_index(user):
                    return "consumer body uses linalg.index"
                iterators = [str(a) for a in ir.ArrayAttr(user.attributes["iterator_types"])]
                if any("parallel" not in it for it in iterators):
                    return "consumer is not elementwise"
                index = use.operand_number
                if index >= num_inputs(user):
                    return "used as an output"
                m = ir.AffineMapAttr(ir.ArrayAttr(user.attributes["indexing_maps"])[index]).value
                if not all(isinstance(e, ir.AffineDimExpr) for e in m.results):
                    return "consumer map is not a projected permutation"
                plans.append((user, index, groups, m))
        if not plans:
            return "no users"
        rolled_shape = list(rolled_type.shape)
        for user, index, groups, m in plans:

            def index_for(dim_values: list[ir.Value], groups=groups) -> list[ir.Value]:
                # Delinearize each operand index into its rolled dims.
                out = [None] * len(rolled_shape)
                for value, group in zip(dim_values, groups):
                    for d, digit in zip(group, delinearize(value, [rolled_shape[d] for d in group])):
                        out[d] = digit
                return [_rolled(out[d], shifts.get(d, 0), rolled_shape[d]) for d in range(len(rolled_shape))]

            self._gather_in_consumer(user, index, m, roll.base, index_for)
        for op in reversed(reshapes):
            if not list(op.results[0].uses):
                op.erase()
        for op in roll.ops:
            op.erase()
        return ""

    def _gather_in_consumer(self, user, index, m, base, index_for) -> None:
        n_inputs = num_inputs(user)
        maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(user.attributes["indexing_maps"])]
        operands = list(user.operands)
        keep = [i for i in range(len(operands)) if i != index]
        with ir.InsertionPoint(user), user.location:
            generic = linalg.GenericOp(
                [r.type for r in user.results],
                [operands[i] for i in keep if i < n_inputs],
                operands[n_inputs:],
                ir.ArrayAttr.get([ir.AffineMapAttr.get(maps[i]) for i in keep]),
                user.attributes["iterator_types"],
            )
        block = user.regions[0].blocks[0]
        block.append_to(generic.regions[0])
        with ir.InsertionPoint.at_block_begin(block), user.location:
            loops = [linalg.IndexOp(ir.IntegerAttr.get(ir.IntegerType.get_signless(64), e.position)).result
                     for e in m.results]
            indices = index_for(loops)
            value = tensor.ExtractOp(base, indices).result
        block.arguments[index].replace_all_uses_with(value)
        block.erase_argument(index)
        for old, new in zip(user.results, generic.results):
            old.replace_all_uses_with(new)
        user.erase()


def _rolled(index: ir.Value, shift: int, extent: int) -> ir.Value:
    if shift == 0:
        return index
    return arith.RemUIOp(arith.AddIOp(index, index_constant(shift)).result, index_constant(extent)).result


def _gather_args(block, positions, sources, maps, n_loops, index_of, location) -> None:
    """Replace block arguments `positions` by tensor.extract at computed indices."""
    if not positions:
        return
    with ir.InsertionPoint.at_block_begin(block), location:
        loops = [linalg.IndexOp(ir.IntegerAttr.get(ir.IntegerType.get_signless(64), d)).result
                 for d in range(n_loops)]
        values = []
        for source, m in zip(sources, maps):
            indices = [index_of(e, loops) for e in m.results]
            values.append(tensor.ExtractOp(source, indices).result)
    for position, value in zip(positions, values):
        block.arguments[position].replace_all_uses_with(value)
    for position in sorted(positions, reverse=True):
        block.erase_argument(position)
