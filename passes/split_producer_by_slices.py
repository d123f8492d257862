"""Pass smartmem-split-producer-by-slices: producers compute each slice their users read."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import tensor

from smartmem.passes.base import ModulePass
from smartmem.passes.fold_layout_chains import _maps_and_iterators, _num_inputs, _uses_linalg_index

_PRODUCERS = ("linalg.generic", "linalg.matmul", "linalg.batch_matmul")


def _as_op(owner) -> ir.Operation | None:
    if isinstance(owner, ir.OpView):
        return owner.operation
    return owner if isinstance(owner, ir.Operation) else None


class SplitProducerBySlicesPass(ModulePass):
    """Split a linalg op whose result is only read through slices into one op per slice.

    Variable -> Fixed with separate destinations: a fused QKV projection
    (one matmul of N = 3*768, or a matmul plus a bias add) followed by
    `Split` (three `tensor.extract_slice` of N) costs IREE the matmul plus
    three copy dispatches (`slow_memcpy`), because the slices are strided in
    memory. Computing each slice with its own op writes Q, K and V directly
    where their consumers read them: the same FLOPs, no copies. Operands
    indexed by a sliced loop are sliced too (weights and biases: IREE's
    const-eval slices them at load time); the accumulator is sliced with
    them. The pass runs to a fixpoint, so a bias add split this way leaves
    the matmul in front of it read only through slices, and that is split
    next.

    For example:

        %qkv = linalg.matmul ins(%x, %w : 197x768, 768x2304) outs(%acc : 197x2304)
        %k = tensor.extract_slice %qkv[0, 768] [197, 768] [1, 1]

    becomes

        %wk = tensor.extract_slice %w[0, 768] [768, 768] [1, 1]
        %acck = tensor.extract_slice %acc[0, 768] [197, 768] [1, 1]
        %k = linalg.matmul ins(%x, %wk : 197x768, 768x768) outs(%acck : 197x768)

    Refuses: slices that feed a `tensor.concat` (rolls and patch merging,
    folded by smartmem-fold-rolls / smartmem-concat-slices-to-transpose);
    results with any user other than a static unit-stride
    `tensor.extract_slice`; slices of dims that the op reduces over or
    indexes with non-dimension expressions; ops with several results or
    bodies that use `linalg.index`; results whose slices together read less
    than all of it, when the op is not a contraction (nothing is saved).

    Options: none.
    """

    name = "smartmem-split-producer-by-slices"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            changed = True
            while changed:
                changed = False
                candidates: list[ir.Operation] = []

                def collect(op: ir.Operation) -> ir.WalkResult:
                    if op.name in _PRODUCERS and len(op.results) == 1:
                        candidates.append(op)
                    return ir.WalkResult.ADVANCE

                module.walk(collect)
                for op in candidates:
                    reason = self.split(op)
                    if reason:
                        self.no_match(op, reason)
                    else:
                        changed = True

    def split(self, op: ir.Operation) -> str:
        if _feeds_concat(op.results[0]):
            return "slices feed a concat (a roll or patch merging: other passes fold those)"
        users = [_as_op(u.owner) for u in op.results[0].uses]
        if len(users) == 1 and users[0] is not None and users[0].name == "tensor.expand_shape":
            reason = _slices_above_expand(users[0])
            if reason:
                return reason
            users = [_as_op(u.owner) for u in op.results[0].uses]
        if not users:
            return "no users"
        if any(u is None or u.name != "tensor.extract_slice" for u in users):
            return "a user is not a slice"
        if op.name == "linalg.generic" and _uses_linalg_index(op):
            return "body uses linalg.index"
        maps, iterators = _maps_and_iterators(op)
        n_inputs = _num_inputs(op)
        out_map = maps[n_inputs]
        shape = ir.RankedTensorType(op.results[0].type).shape
        plans = []
        for user in users:
            if len(user.operands) != 1:
                return "a slice has dynamic offsets or sizes"
            offsets = list(ir.DenseI64ArrayAttr(user.attributes["static_offsets"]))
            sizes = list(ir.DenseI64ArrayAttr(user.attributes["static_sizes"]))
            strides = list(ir.DenseI64ArrayAttr(user.attributes["static_strides"]))
            if any(s != 1 for s in strides) or ir.RankedTensorType(user.results[0].type).rank != len(shape):
                return "a slice is strided or rank-reducing"
            loop_ranges: dict[int, tuple[int, int]] = {}
            for dim, (offset, size) in enumerate(zip(offsets, sizes)):
                if size == shape[dim]:
                    continue
                expr = out_map.results[dim]
                if not isinstance(expr, ir.AffineDimExpr) or iterators[expr.position] != "parallel":
                    return "a sliced dim is not a parallel loop of the output"
                loop_ranges[expr.position] = (offset, size)
            plans.append((user, loop_ranges))
        if all(not ranges for _, ranges in plans):
            return "the slices read whole tensors"
        for i, m in enumerate(maps):
            for expr in m.results:
                if not isinstance(expr, (ir.AffineDimExpr, ir.AffineConstantExpr)):
                    return "an operand map has a non-dimension expression"
        for user, loop_ranges in plans:
            with ir.InsertionPoint(user), user.location:
                new_operands = []
                for i, operand in enumerate(op.operands):
                    new_operands.append(_slice_operand(operand, maps[i], loop_ranges))
                clone = op.clone(ir.InsertionPoint(user))
                for i, value in enumerate(new_operands):
                    clone.operands[i] = value
                clone.results[0].set_type(user.results[0].type)
            user.results[0].replace_all_uses_with(clone.results[0])
            user.erase()
        op.erase()
        return ""


def _feeds_concat(value: ir.Value) -> bool:
    """Whether a slice of `value` (possibly after a reshape) feeds a tensor.concat."""
    for use in value.uses:
        user = _as_op(use.owner)
        if user is None:
            continue
        if user.name in ("tensor.expand_shape", "tensor.collapse_shape", "tensor.extract_slice"):
            if _feeds_concat(user.results[0]):
                return True
        elif user.name == "tensor.concat":
            return True
    return False


def _slices_above_expand(expand: ir.Operation) -> str:
    """Rewrite slice(expand_shape(r)) as expand_shape(slice(r)) for every user.

    A sliced dim must be the only partial dim of its reassociation group,
    with unit dims before it and whole dims after it, so the slice is one
    contiguous range of the collapsed dim.
    """
    users = [_as_op(u.owner) for u in expand.results[0].uses]
    if not users or any(u is None or u.name != "tensor.extract_slice" or len(u.operands) != 1 for u in users):
        return "the reshaped result has users other than static slices"
    groups = [[ir.IntegerAttr(i).value for i in g] for g in ir.ArrayAttr(expand.attributes["reassociation"])]
    shape = ir.RankedTensorType(expand.results[0].type).shape
    source = expand.operands[0]
    source_type = ir.RankedTensorType(source.type)
    plans = []
    for user in users:
        offsets = list(ir.DenseI64ArrayAttr(user.attributes["static_offsets"]))
        sizes = list(ir.DenseI64ArrayAttr(user.attributes["static_sizes"]))
        strides = list(ir.DenseI64ArrayAttr(user.attributes["static_strides"]))
        if any(x != 1 for x in strides) or ir.RankedTensorType(user.results[0].type).rank != len(shape):
            return "a slice is strided or rank-reducing"
        new_offsets, new_sizes = [], []
        for group in groups:
            partial = [d for d in group if sizes[d] != shape[d]]
            if not partial:
                new_offsets.append(0)
                new_sizes.append(source_type.shape[len(new_offsets) - 1])
                continue
            if len(partial) != 1:
                return "a slice cuts several dims of one reshaped group"
            d = partial[0]
            outer = group[: group.index(d)]
            inner = group[group.index(d) + 1:]
            if any(shape[o] != 1 for o in outer):
                return "a slice is not contiguous in the producer's layout"
            inner_size = 1
            for i in inner:
                inner_size *= shape[i]
            new_offsets.append(offsets[d] * inner_size)
            new_sizes.append(sizes[d] * inner_size)
        plans.append((user, new_offsets, new_sizes))
    for user, new_offsets, new_sizes in plans:
        with ir.InsertionPoint(user), user.location:
            sliced_type = ir.RankedTensorType.get(new_sizes, source_type.element_type)
            sliced = tensor.ExtractSliceOp(
                sliced_type, source, [], [], [], new_offsets, new_sizes, [1] * len(new_sizes)
            ).result
            result_type = ir.RankedTensorType(user.results[0].type)
            expanded = tensor.ExpandShapeOp(
                result_type, sliced, expand.attributes["reassociation"], [], list(result_type.shape)
            ).result
        user.results[0].replace_all_uses_with(expanded)
        user.erase()
    expand.erase()
    return ""


def _slice_operand(value: ir.Value, m: ir.AffineMap, loop_ranges: dict[int, tuple[int, int]]) -> ir.Value:
    value_type = ir.RankedTensorType(value.type)
    offsets, sizes = [], []
    for dim, expr in enumerate(m.results):
        if isinstance(expr, ir.AffineDimExpr) and expr.position in loop_ranges:
            offset, size = loop_ranges[expr.position]
        else:
            offset, size = 0, value_type.shape[dim]
        offsets.append(offset)
        sizes.append(size)
    if sizes == list(value_type.shape):
        return value
    result_type = ir.RankedTensorType.get(sizes, value_type.element_type)
    return tensor.ExtractSliceOp(result_type, value, [], [], [], offsets, sizes, [1] * len(sizes)).result
