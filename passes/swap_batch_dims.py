"""Pass smartmem-swap-batch-dims: a batched region stores its two batch dims in the other order."""

from __future__ import annotations

from dataclasses import dataclass, field

from iree.compiler import ir
from iree.compiler.dialects import tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, reassociation_groups, static_shaped, user_ops
from smartmem.passes.materialize_relayouts import transposed
from smartmem.passes.linalg_ops import CONSTANT_SOURCES, num_inputs, maps_and_iterators, fill, is_fresh_init


# The ops a region grows through; every other neighbour is its border.
_REGION_OPS = ("linalg.batch_matmul", "tensor.collapse_shape", "tensor.expand_shape", "linalg.generic")


@dataclass(frozen=True)
class BatchDims:
    """Where a value holds the batch pair (A, B): A at `pos` and B at `pos + 1`, or A*B merged at `pos`."""

    pos: int
    merged: bool = False


@dataclass
class Region:
    """Ops whose batch pair changes order together, and how the region meets the rest."""

    pair: tuple[int, int]
    ops: set[ir.Operation] = field(default_factory=set)
    dims: dict[ir.Value, BatchDims] = field(default_factory=dict)
    # Region values computed outside: a transpose (rewritten to produce the
    # swapped order) or a constant (transposed at load time).
    inputs: set[ir.Value] = field(default_factory=set)
    # Transposes outside the region that read a region value.
    output_transposes: set[ir.Operation] = field(default_factory=set)


class SwapBatchDimsPass(ModulePass):
    """Store a batched region (attention) with its two batch dims swapped.

    Layout selection for a group of tensors at once (the paper's global
    choice). Swin's window attention computes QK^T, softmax and PV over
    the batch pair (window w, head h): Q, K and V come from the head split
    [w, t, h, d] -> [w, h, t, d] of a projection with rows (w, t), and the
    context goes back through the head merge [w, h, t, d] -> [w, t, h, d].
    In (w, h) order neither end can be absorbed: written by the projection,
    the head split makes 4 parallel loops (w, t apart), and IREE's SPIR-V
    backend then leaves its matmul pipeline (smartmem.passes.matmul_form).
    In (h, w) order the projection writes [h, (w, t), d] (3 loops, still a
    matmul) and the output projection reads the context as [h, (w, t), d]
    with reductions (h, d). So every tensor of the region (batch matmuls,
    the elementwise and reduction ops between them, the reshapes that merge
    the pair into one batch dim) is stored in (h, w) order: the ops iterate
    as before, only the maps of region values swap the pair. Transposes at
    the border are composed with the swap (they stay transposes; the
    elimination passes after this one absorb them now that they can).

    For example (one head of a window block, batch pair 4 x 12):

        %q = linalg.transpose ins(%q4 : 4x49x12x32) permutation = [0, 2, 1, 3]
        %qb = tensor.collapse_shape %q [[0, 1], [2], [3]] : 4x12x49x32 into 48x49x32
        %s = linalg.batch_matmul ins(%qb, %kb) ...
        %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] : 48x49x49 into 4x12x49x49

    becomes

        %q = linalg.transpose ins(%q4 : 4x49x12x32) permutation = [2, 0, 1, 3]
        %qb = tensor.collapse_shape %q [[0, 1], [2], [3]] : 12x4x49x32 into 48x49x32
        %s = linalg.batch_matmul ins(%qb, %kb) ...
        %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] : 48x49x49 into 12x4x49x49

    Seeds: `linalg.batch_matmul` ops whose operands are collapse_shapes of
    a pair of batch dims, both longer than 1. Refuses a region that meets
    the rest of the program anywhere but at transposes and constants (a new
    transpose would be a new layout move), that would reach a reduction
    over a batch loop or a region value read with the pair apart, and one
    whose border transposes would not get fewer contiguous runs in total
    (the measure of what the passes after it can absorb).

    Measured on an H200 (Vulkan, ampere), against the pipeline without it
    and smartmem-unbatch-broadcast-matmuls, in one interleaved run: Swin-T
    1.07x, MobileViT-S 1.04x; a head-major stage-3 projection
    (196x12x32x384) takes 25 us where the row-major one (196x384x384) takes
    51 us. On lavapipe (Vulkan on the CPU) the embedded default Swin (2 heads
    of 16) runs slower with it (about 40 -> 52 ms, noisy), full Swin-T
    faster (1.31x over stock); no phone has measured it yet.

    Options: none.
    """

    name = "smartmem-swap-batch-dims"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            # All regions first, then the rewrites: a rewrite erases ops that
            # later seeds would otherwise still refer to. Regions are disjoint.
            regions: list[Region] = []
            covered: set[ir.Operation] = set()
            for seed in ops_where(module, lambda op: op.name == "linalg.batch_matmul"):
                seed = seed.operation  # one Python type for set membership
                if seed in covered:
                    continue
                region = find_region(seed)
                if isinstance(region, str):
                    self.no_match(seed, region)
                    continue
                covered.update(region.ops)
                reason = profitability_refusal(region)
                if reason:
                    self.no_match(seed, reason)
                    continue
                regions.append(region)
            for region in regions:
                swap_region(region)


def _shape(value: ir.Value) -> list[int]:
    return list(ir.RankedTensorType(value.type).shape)


def _collapse_forward(groups: list[list[int]], fine: BatchDims) -> BatchDims | None:
    """The batch dims of the coarse side of a reshape, given those of its fine side."""
    if fine.merged:
        for index, group in enumerate(groups):
            if group == [fine.pos]:
                return BatchDims(index, merged=True)
        return None
    for index, group in enumerate(groups):
        if group == [fine.pos, fine.pos + 1]:
            return BatchDims(index, merged=True)
        if group == [fine.pos] and index + 1 < len(groups) and groups[index + 1] == [fine.pos + 1]:
            return BatchDims(index)
    return None


def _collapse_backward(groups: list[list[int]], coarse: BatchDims) -> BatchDims | None:
    """The batch dims of the fine side of a reshape, given those of its coarse side."""
    group = groups[coarse.pos]
    if coarse.merged:
        if len(group) == 2:
            return BatchDims(group[0])
        return BatchDims(group[0], merged=True) if len(group) == 1 else None
    if coarse.pos + 1 < len(groups) and len(group) == 1 and len(groups[coarse.pos + 1]) == 1:
        return BatchDims(group[0])
    return None


def _generic_loops(op: ir.Operation, operand_index: int, dims: BatchDims) -> tuple[int, int] | None:
    """The loops of a generic that index the batch pair of operand `operand_index` (split)."""
    maps, iterators = maps_and_iterators(op)
    results = list(maps[operand_index].results)
    if dims.merged or dims.pos + 1 >= len(results):
        return None
    first, second = results[dims.pos], results[dims.pos + 1]
    if not (isinstance(first, ir.AffineDimExpr) and isinstance(second, ir.AffineDimExpr)):
        return None
    if iterators[first.position] != "parallel" or iterators[second.position] != "parallel":
        return None
    return first.position, second.position


def _pair_position(m: ir.AffineMap, loops: tuple[int, int]) -> int | None | str:
    """Where `m` reads the loop pair adjacently and in order; None if it reads at most one of them."""
    positions = {e.position: i for i, e in enumerate(m.results) if isinstance(e, ir.AffineDimExpr)}
    if loops[0] not in positions and loops[1] not in positions:
        return None
    if loops[0] in positions and loops[1] in positions and positions[loops[1]] == positions[loops[0]] + 1:
        return positions[loops[0]]
    if loops[0] in positions and loops[1] in positions:
        return "apart"
    return None


def _is_constant(value: ir.Value) -> bool:
    op = defining_op(value)
    return op is not None and op.name in CONSTANT_SOURCES


def _operand_dims(op: ir.Operation, known: ir.Value, dims: BatchDims, pair: tuple[int, int]) -> dict[ir.Value, BatchDims] | str:
    """Batch dims of every region value of `op`, given that `known` (an operand or result) has `dims`."""
    if any(not static_shaped(v) for v in list(op.operands) + list(op.results)):
        return "dynamic shape"
    if op.name == "linalg.batch_matmul":
        if not dims.merged or dims.pos != 0:
            return "a batch matmul reads the pair elsewhere than merged in its batch dim"
        found = {op.operands[0]: BatchDims(0, True), op.operands[1]: BatchDims(0, True), op.results[0]: BatchDims(0, True)}
        if not is_fresh_init(op.operands[2]):
            found[op.operands[2]] = BatchDims(0, True)
        return found
    if op.name in ("tensor.collapse_shape", "tensor.expand_shape"):
        groups = reassociation_groups(op)
        if op.name == "tensor.collapse_shape":
            fine, coarse = op.operands[0], op.results[0]
        else:
            fine, coarse = op.results[0], op.operands[0]
        if known == fine:
            other = _collapse_forward(groups, dims)
            result = {fine: dims, coarse: other} if other else None
        else:
            other = _collapse_backward(groups, dims)
            result = {coarse: dims, fine: other} if other else None
        if result is None:
            return f"{op.name} reshapes the batch pair"
        return result
    if op.name == "linalg.generic":
        index = [i for i, v in enumerate(list(op.operands) + list(op.results)) if v == known][0]
        n_operands = len(op.operands)
        map_index = index if index < n_operands else num_inputs(op) + (index - n_operands)
        loops = _generic_loops(op, map_index, dims)
        if loops is None:
            return "a generic reads the batch pair with a reduction or a non-dimension index"
        maps, _ = maps_and_iterators(op)
        n_inputs = num_inputs(op)
        found: dict[ir.Value, BatchDims] = {}
        for i, value in enumerate(op.operands):
            where = _pair_position(maps[i], loops)
            if where == "apart":
                return "a generic reads the batch loops apart"
            shape = _shape(value) if isinstance(value.type, ir.RankedTensorType) else []
            if where is None or shape[where:where + 2] != [pair[0], pair[1]]:
                if i >= n_inputs:
                    return "a generic writes a result without the batch pair"
                continue
            if i >= n_inputs and is_fresh_init(value):
                continue
            if found.get(value, BatchDims(where)) != BatchDims(where):
                return "a generic reads one value with the batch pair at two places"
            found[value] = BatchDims(where)
        for r, result in enumerate(op.results):
            found[result] = BatchDims(_pair_position(maps[n_inputs + r], loops))  # type: ignore[arg-type]
        return found
    return f"{op.name} is not a batch matmul, reshape or generic"


def find_region(seed: ir.Operation) -> Region | str:
    """The region around batch matmul `seed`: every op that must swap the batch pair with it."""
    source = defining_op(seed.operands[0])
    if source is None or source.name != "tensor.collapse_shape" or reassociation_groups(source)[0] != [0, 1]:
        return "the batch dim is not a collapsed pair"
    if not static_shaped(source.operands[0]):
        return "dynamic shape"
    pair = tuple(_shape(source.operands[0])[:2])
    if 1 in pair:
        return "the batch pair has a unit dim (nothing to swap)"
    region = Region(pair)  # type: ignore[arg-type]
    seed = seed.operation
    work: list[tuple[ir.Operation, ir.Value, BatchDims]] = [(seed, seed.results[0], BatchDims(0, True))]
    while work:
        op, known, dims = work.pop()
        if op in region.ops:
            continue
        found = _operand_dims(op, known, dims, region.pair)
        if isinstance(found, str):
            return found
        region.ops.add(op)
        for value, value_dims in found.items():
            if op.name == "linalg.generic" and value not in op.results and defining_op(value) is None:
                # A function argument: read with the two loops renamed (a
                # transpose of it would be a new layout move). Constants are
                # transposed instead, once at load time (IREE's const-eval):
                # a permuted read of Swin's relative-position bias plus shift
                # mask kept 5 score adds out of their QK^T dispatches.
                continue
            previous = region.dims.get(value)
            if previous is not None and previous != value_dims:
                return "a value would need two different swaps"
            region.dims[value] = value_dims
            producer = defining_op(value)
            if producer is not None and producer not in region.ops and value not in region.inputs:
                if producer.name in _REGION_OPS:
                    work.append((producer, value, value_dims))
                elif producer.name == "linalg.transpose" and len(list(value.uses)) == 1 and not value_dims.merged:
                    region.inputs.add(value)
                elif _is_constant(value) and not value_dims.merged:
                    region.inputs.add(value)
                else:
                    return f"a region value comes from {producer.name}"
            elif producer is None:
                return "a region value is a function argument"
            for user in user_ops(value):
                if user in region.ops:
                    continue
                if user.name in _REGION_OPS:
                    work.append((user, value, value_dims))
                elif user.name == "linalg.transpose" and not value_dims.merged:
                    region.output_transposes.add(user)
                else:
                    return f"a region value is read by {user.name}"
    if len({op.block for op in region.ops}) != 1:
        return "the region spans several blocks"
    return region


def _runs(permutation: list[int]) -> int:
    """Contiguous runs of a permutation: how many loops IREE keeps after collapsing its dims."""
    return 1 + sum(1 for a, b in zip(permutation, permutation[1:]) if b != a + 1)


def _swapped_at(permutation: list[int], pos: int) -> list[int]:
    out = list(permutation)
    out[pos], out[pos + 1] = out[pos + 1], out[pos]
    return out


def _reading_swapped(permutation: list[int], pos: int) -> list[int]:
    """The permutation of a transpose reading a value whose dims `pos`, `pos + 1` were swapped."""
    swap = {pos: pos + 1, pos + 1: pos}
    return [swap.get(p, p) for p in permutation]


def _permutation(transpose: ir.Operation) -> list[int]:
    return list(ir.DenseI64ArrayAttr(transpose.attributes["permutation"]))


def profitability_refusal(region: Region) -> str:
    before = after = 0
    for value in region.inputs:
        producer = defining_op(value)
        if producer.name == "linalg.transpose":
            permutation = _permutation(producer)
            before += _runs(permutation)
            after += _runs(_swapped_at(permutation, region.dims[value].pos))
    for transpose in region.output_transposes:
        permutation = _permutation(transpose)
        before += _runs(permutation)
        after += _runs(_reading_swapped(permutation, region.dims[transpose.operands[0]].pos))
    if after >= before:
        return f"kept: the border transposes would not get fewer contiguous runs ({before} -> {after})"
    return ""


def _swapped_type(value_type: ir.Type, dims: BatchDims) -> ir.RankedTensorType:
    tensor_type = ir.RankedTensorType(value_type)
    shape = list(tensor_type.shape)
    if not dims.merged:
        shape[dims.pos], shape[dims.pos + 1] = shape[dims.pos + 1], shape[dims.pos]
    return ir.RankedTensorType.get(shape, tensor_type.element_type)


def _loops_of(op: ir.Operation, region: Region) -> tuple[int, int]:
    """The loops of a region generic that run over the batch pair (found through any region value it writes)."""
    result = op.results[0]
    loops = _generic_loops(op, num_inputs(op), region.dims[result])
    assert loops is not None  # checked by find_region
    return loops


def _rename_loops(m: ir.AffineMap, loops: tuple[int, int]) -> ir.AffineMap:
    first, second = loops
    rename = {first: second, second: first}
    results = [
        ir.AffineDimExpr.get(rename.get(e.position, e.position)) if isinstance(e, ir.AffineDimExpr) else e
        for e in m.results
    ]
    return ir.AffineMap.get(m.n_dims, m.n_symbols, results)


def _rename_index_ops(op: ir.Operation, loops: tuple[int, int]) -> None:
    first, second = loops
    rename = {first: second, second: first}
    i64 = ir.IntegerType.get_signless(64)

    def visit(inner: ir.Operation) -> ir.WalkResult:
        if inner.name == "linalg.index":
            dim = ir.IntegerAttr(inner.attributes["dim"]).value
            if dim in rename:
                inner.attributes["dim"] = ir.IntegerAttr.get(i64, rename[dim])
        return ir.WalkResult.ADVANCE

    for body_op in op.regions[0].blocks[0].operations:
        body_op.operation.walk(visit)


def swap_region(region: Region) -> None:
    """Rebuild the region with the batch pair swapped in every region value."""
    swapped: dict[ir.Value, ir.Value] = {}
    block_ops = list(next(iter(region.ops)).block.operations)  # find_region: one block
    ordered = [op.operation for op in block_ops if op.operation in region.ops]

    def new_value(value: ir.Value, at: ir.Operation) -> ir.Value:
        if value in swapped:
            return swapped[value]
        dims = region.dims[value]
        producer = defining_op(value)
        with ir.InsertionPoint(at), at.location:
            if producer is not None and producer.name == "linalg.transpose" and value in region.inputs:
                result = transposed(producer.operands[0], _swapped_at(_permutation(producer), dims.pos))
            else:
                permutation = list(range(len(_shape(value))))
                result = transposed(value, _swapped_at(permutation, dims.pos))
        swapped[value] = result
        return result

    def fresh_init(value: ir.Value, dims: BatchDims) -> ir.Value:
        new_type = _swapped_type(value.type, dims)
        empty = tensor.EmptyOp(list(new_type.shape), new_type.element_type).result
        producer = defining_op(value)
        return fill(producer.operands[0], empty) if producer.name == "linalg.fill" else empty

    for op in ordered:
        with ir.InsertionPoint(op), op.location:
            if op.name == "linalg.generic":
                maps, _ = maps_and_iterators(op)
                n_inputs = num_inputs(op)
                loops = _loops_of(op, region)
                # The loops keep their maps into region values, so they now run
                # over the swapped dims; every other operand and linalg.index
                # swaps the two loops instead. Region values stay read with the
                # maps IREE expects (identity for softmax, which it raises).
                new_maps = list(maps)
                operands = list(op.operands)
                for i, value in enumerate(op.operands):
                    if value in region.dims:
                        operands[i] = new_value(value, op)
                    elif i >= n_inputs:
                        operands[i] = fresh_init(value, region.dims[op.results[i - n_inputs]])
                    else:
                        new_maps[i] = _rename_loops(maps[i], loops)
                # The operands above are created in front of `op`: the clone goes after them.
                clone = op.clone(ir.InsertionPoint(op))
                for i, value in enumerate(operands):
                    clone.operands[i] = value
                for r, result in enumerate(op.results):
                    clone.results[r].set_type(_swapped_type(result.type, region.dims[result]))
                    swapped[result] = clone.results[r]
                clone.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
                _rename_index_ops(clone, loops)
            elif op.name == "linalg.batch_matmul":
                operands = [new_value(v, op) if v in region.dims else v for v in op.operands]
                clone = op.clone(ir.InsertionPoint(op))
                for i, value in enumerate(operands):
                    clone.operands[i] = value
                swapped[op.results[0]] = clone.results[0]
            else:  # collapse_shape / expand_shape
                source = new_value(op.operands[0], op)
                result_type = _swapped_type(op.results[0].type, region.dims[op.results[0]])
                if op.name == "tensor.collapse_shape":
                    new = tensor.CollapseShapeOp(result_type, source, op.attributes["reassociation"]).result
                else:
                    new = tensor.ExpandShapeOp(
                        result_type, source, op.attributes["reassociation"], [], list(result_type.shape)
                    ).result
                swapped[op.results[0]] = new
    for transpose in region.output_transposes:
        value = transpose.operands[0]
        with ir.InsertionPoint(transpose), transpose.location:
            result = transposed(swapped[value], _reading_swapped(_permutation(transpose), region.dims[value].pos))
        transpose.results[0].replace_all_uses_with(result)
        transpose.erase()
    for op in reversed(ordered):
        op.erase()
    for value in region.inputs:
        producer = defining_op(value)
        if producer is not None and producer.name == "linalg.transpose" and not list(value.uses):
            producer.erase()
