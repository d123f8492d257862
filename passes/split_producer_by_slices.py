"""Pass smartmem-split-producer-by-slices: producers compute each slice their users read."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import tensor

from smartmem.passes.base import as_operation, ModulePass, reassociation_groups, static_slice
from smartmem.passes.linalg_ops import (
    num_inputs,
    maps_and_iterators,
    is_contraction_generic,
    uses_linalg_index,
    fill,
)

_PRODUCERS = ("linalg.generic", "linalg.matmul", "linalg.batch_matmul")


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

    Refuses: slices read (through reshapes and transposes) by anything but
    contractions: measured on LLaMA, whose rotary embedding reads Q and K
    elementwise, splitting costs 8 dispatches more than the copies; operands
    that would have to be sliced but are computed by
    another linalg op that is not split itself (a broadcast of weights:
    IREE fuses it into the one contraction, but would compute each slice in
    a dispatch of its own); slices that feed a `tensor.concat` (rolls and patch merging,
    folded by smartmem-fold-rolls / smartmem-concat-slices-to-transpose);
    results with any user other than a static unit-stride
    `tensor.extract_slice`; slices of dims that the op reduces over or
    indexes with non-dimension expressions; ops with several results or
    bodies that use `linalg.index`; elementwise ops that do not read a
    contraction only they read (splitting them would only duplicate work,
    e.g. rotary-embedding halves); results whose slices together read less
    than all of it, when the op is not a contraction (nothing is saved).

    Profitability is not modelled. On a large GPU the split contractions
    of a short sequence are occupancy-bound, and each costs what the fused
    one did. On an H200 every zoo model this pass touches (DeiT-S, ViT-B,
    CLIP, MobileViT-S, SegFormer-B0, GPT-2) ran faster without it, so it is
    not in the default pipeline; passes/pipelines.py has the numbers.

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
        users = [as_operation(u.owner) for u in op.results[0].uses]
        if len(users) == 1 and users[0] is not None and users[0].name == "tensor.expand_shape":
            reason = _slices_above_expand(users[0])
            if reason:
                return reason
            users = [as_operation(u.owner) for u in op.results[0].uses]
        if not users:
            return "no users"
        if any(u is None or u.name != "tensor.extract_slice" for u in users):
            return "a user is not a slice"
        if op.name == "linalg.generic" and uses_linalg_index(op):
            return "body uses linalg.index"
        if not all(_reaches_only_contractions(u.results[0]) for u in users if u.name == "tensor.extract_slice"):
            return "a slice is read by non-contractions (e.g. rotary embedding): the copy fuses better there"
        if not _reaches_contraction(op):
            return "neither a contraction nor an elementwise op on one (splitting would only duplicate work)"
        maps, iterators = maps_and_iterators(op)
        n_inputs = num_inputs(op)
        out_map = maps[n_inputs]
        shape = ir.RankedTensorType(op.results[0].type).shape
        plans = []
        for user in users:
            if len(user.operands) != 1:
                return "a slice has dynamic offsets or sizes"
            offsets, sizes, strides = static_slice(user)
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
        for i, operand in enumerate(list(op.operands)[:n_inputs]):
            sliced = any(
                isinstance(e, ir.AffineDimExpr) and e.position in ranges
                for _, ranges in plans for e in maps[i].results
            )
            owner = as_operation(operand.owner)
            if sliced and owner is not None and owner.name.startswith("linalg.") and not (
                owner.name in _PRODUCERS and len(list(operand.uses)) == 1
                and (_reaches_contraction(owner) or _is_pure_move(owner))
            ):
                # E.g. a broadcast of the weights: IREE fuses it into the one
                # contraction, but computes each slice of it in a dispatch of
                # its own (seen on LLaMA: +8 dispatches).
                return "an operand to slice is computed by another linalg op"
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


def _reaches_contraction(op: ir.Operation) -> bool:
    """A contraction, or an elementwise op reading a contraction only it reads."""
    if op.name != "linalg.generic" or is_contraction_generic(op):
        return True
    if any("parallel" not in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return False
    for operand in list(op.operands)[: num_inputs(op)]:
        owner = as_operation(operand.owner)
        if owner is None:
            continue
        if owner.name == "tensor.expand_shape" and len(list(operand.uses)) == 1:
            operand = owner.operands[0]
            owner = as_operation(operand.owner)
            if owner is None:
                continue
        if owner.name in _PRODUCERS and len(list(operand.uses)) == 1 and _reaches_contraction(owner):
            return True
    return False


def _reaches_only_contractions(value: ir.Value) -> bool:
    """Every reader of `value`, through reshapes and transposes, is a contraction."""
    readers = list(value.uses)
    if not readers:
        return False
    for use in readers:
        user = as_operation(use.owner)
        if user is None:
            return False
        if user.name in ("tensor.expand_shape", "tensor.collapse_shape", "linalg.transpose"):
            if not _reaches_only_contractions(user.results[0]):
                return False
        elif user.name in ("linalg.matmul", "linalg.batch_matmul") or is_contraction_generic(user):
            continue
        elif user.name == "linalg.generic" and len(user.results) == 1 and all(
            "parallel" in str(a) for a in ir.ArrayAttr(user.attributes["iterator_types"])
        ):
            # An elementwise op on the way (a bias add split in an earlier
            # round): what matters is where its result goes.
            if not _reaches_only_contractions(user.results[0]):
                return False
        else:
            return False
    return True


def _feeds_concat(value: ir.Value) -> bool:
    """Whether a slice of `value` (possibly after a reshape) feeds a tensor.concat."""
    for use in value.uses:
        user = as_operation(use.owner)
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
    users = [as_operation(u.owner) for u in expand.results[0].uses]
    if not users or any(u is None or u.name != "tensor.extract_slice" or len(u.operands) != 1 for u in users):
        return "the reshaped result has users other than static slices"
    groups = reassociation_groups(expand)
    shape = ir.RankedTensorType(expand.results[0].type).shape
    source = expand.operands[0]
    source_type = ir.RankedTensorType(source.type)
    plans = []
    for user in users:
        offsets, sizes, strides = static_slice(user)
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


def _is_pure_move(op: ir.Operation) -> bool:
    """A one-input generic that only yields its input (broadcast, transpose)."""
    if op.name != "linalg.generic" or num_inputs(op) != 1 or len(op.results) != 1:
        return False
    block = op.regions[0].blocks[0]
    body = list(block.operations)
    return len(body) == 1 and body[0].operands[0] == block.arguments[0]


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
    owner = as_operation(value.owner)
    if owner is not None and owner.name == "tensor.empty":
        return tensor.EmptyOp(sizes, value_type.element_type).result
    if owner is not None and owner.name == "linalg.fill":
        # A fresh fill of the slice's shape: a slice of a shared fill would
        # drag the whole fill into each dispatch (llvm-cpu then rejects the
        # vector sizes).
        empty = tensor.EmptyOp(sizes, value_type.element_type).result
        return fill(owner.operands[0], empty)
    if owner is not None and _is_pure_move(owner) and len(list(value.uses)) == 1:
        # Slice the moved tensor instead, and move only the slice (so that
        # IREE keeps fusing the move, e.g. a weight broadcast, into the op).
        move_maps = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(owner.attributes["indexing_maps"])]
        move_ranges = {
            expr.position: (offset, size)
            for expr, offset, size, extent in zip(move_maps[1].results, offsets, sizes, value_type.shape)
            if isinstance(expr, ir.AffineDimExpr) and size != extent
        }
        if all(isinstance(e, (ir.AffineDimExpr, ir.AffineConstantExpr)) for e in move_maps[0].results):
            moved_input = _slice_operand(owner.operands[0], move_maps[0], move_ranges)
            init = _slice_operand(owner.operands[1], move_maps[1], move_ranges)
            clone = owner.clone()
            clone.operands[0] = moved_input
            clone.operands[1] = init
            clone.results[0].set_type(result_type)
            return clone.results[0]
    return tensor.ExtractSliceOp(result_type, value, [], [], [], offsets, sizes, [1] * len(sizes)).result
