"""Pass smartmem-block-major-slices: a result read in equal blocks of one dim is stored block by block."""

from __future__ import annotations

from dataclasses import dataclass, field

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, reassociation_groups, static_shaped, static_slice, user_ops
from smartmem.passes.matmul_form import off_matmul_pipeline
from smartmem.passes.reduction_contiguity import contraction_layout_refusal
from smartmem.passes.linalg_ops import (
    num_inputs,
    maps_and_iterators,
    is_contraction_generic,
    uses_linalg_index,
    reassociation_attr,
    fill,
    build_contraction_body,
    loop_extents,
)

_PRODUCERS = ("linalg.generic", "linalg.matmul", "linalg.batch_matmul")


@dataclass(frozen=True)
class BlockReads:
    """How the users of a result read it: `blocks` equal slices of `dim`, each `block` long."""

    dim: int
    blocks: int
    block: int
    slices: tuple[ir.Operation, ...]
    expand: ir.Operation | None  # an expand_shape between the result and the slices
    result_dim: int  # `dim` as a dim of the op's result (before `expand`)


@dataclass
class BlockPlan:
    """The rewrite of one linalg op: loop `loop` split into (block, offset in block), block loop outermost.

    `producers` maps an input operand index to the plan of the op computing
    it, rewritten the same way (its result is then already block-major);
    the other inputs that read the loop are reshaped to split its dim.
    """

    op: ir.Operation
    loop: int
    blocks: int
    producers: dict[int, "BlockPlan"] = field(default_factory=dict)


class BlockMajorSlicesPass(ModulePass):
    """Store a result that is only read in equal blocks of one dim block by block.

    Variable -> Fixed for split projections: a fused QKV projection (one
    matmul of N = 3*C, IREE's horizontal fusion of three projections
    sharing an input, or a matmul plus a bias add) is read by `Split`, three
    `tensor.extract_slice` of N. Each slice is strided in memory (row stride
    3*C), so IREE copies it into a buffer of its own: one `slow_memcpy`
    dispatch per slice. Here the producer instead writes the result as
    [3, rows, C] (the slice index outermost), so every slice is one
    contiguous range that IREE's dispatches read in place: no copy, and the
    projection stays one matmul (unlike smartmem-split-producer-by-slices,
    which pays for the copies with three occupancy-bound matmuls). Loop n of
    the producer becomes (g, n') with n = g * C + n'; operands indexed by n
    (weights, biases) are reshaped to split that dim (free: a view), and an
    elementwise producer chain in front (bias add after the matmul) is
    rewritten the same way, so IREE keeps fusing it.

    For example:

        %qkv = linalg.matmul ins(%x, %w : 128x768, 768x2304) outs(%acc : 128x2304)
        %k = tensor.extract_slice %qkv[0, 768] [128, 768] [1, 1]

    becomes

        %w3 = tensor.expand_shape %w [[0], [1, 2]] : 768x2304 into 768x3x768
        %qkv3 = linalg.generic {maps (g, m, n, k) -> (m, k), (k, g, n), (g, m, n)}
                  ins(%x, %w3) outs(%acc3 : 3x128x768)
        %k = tensor.extract_slice %qkv3[1, 0, 0] [1, 128, 768] [1, 1, 1] : to 128x768

    Runs after IREE's global optimization, which is where the horizontal
    fusion of Q/K/V projections happens. Unit loops (the batch of a batch-1
    matmul) are dropped from the rewritten ops, as IREE's global
    optimization did before: left in, the block loop makes a fourth
    parallel loop and the projection leaves the matmul pipeline (measured:
    ViT-B/16 2.6 ms per projection instead of about 0.1 ms).
    Measured (flow census, vulkan ampere; slow_memcpy dispatches): DeiT-S,
    ViT-B/16 and GPT-2 36 -> 0, CLIP text 33 -> 0, LLaMA-small 12 -> 0,
    MobileViT-S 17 -> 8, SegFormer-B0 14 -> 8. On an H200 (Vulkan,
    ampere), this pipeline against the one without the pass, interleaved in
    one run (docs/bench/2026-11-22-h200-block-major): DeiT-S 1.04x, ViT-B
    1.03x, CLIP 1.03x, GPT-2 1.02x, LLaMA 1.02x, MobileViT-S 1.01x,
    SegFormer-B0 0.99x (spreads 2-6%).

    Refuses: results with a user that is not a static unit-stride slice
    (through at most one expand_shape that leaves the sliced dim whole);
    slices that cut more than one dim, or blocks of unequal size or
    unaligned offsets; sliced dims that are not a parallel loop written
    as a plain dim; operand maps with non-dimension expressions; bodies
    that use `linalg.index`; inits other than `tensor.empty` or a
    `linalg.fill` of one (an elementwise op whose body ignores its init
    gets a fresh `tensor.empty`); contractions the rewrite would take off
    IREE's SPIR-V matmul pipeline (smartmem.passes.matmul_form) or make read
    or write against the reduction-dim rule
    (smartmem.passes.reduction_contiguity).

    Options: none.
    """

    name = "smartmem-block-major-slices"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            # A rewrite erases the op, its planned producers (earlier in walk
            # order) and the slices (not candidates): the later candidates stay valid.
            for op in ops_where(module, lambda op: op.name in _PRODUCERS and len(op.results) == 1):
                reads = block_reads(op)
                if isinstance(reads, str):
                    self.no_match(op, reads)
                    continue
                plan = plan_block_major(op, reads.result_dim, reads.blocks)
                if isinstance(plan, str):
                    self.no_match(op, plan)
                    continue
                apply_block_major(plan, reads)


def block_reads(op: ir.Operation) -> BlockReads | str:
    """The equal-block slices that are the only readers of `op`'s result, or why there are none."""
    value = op.results[0]
    users = user_ops(value)
    expand = None
    if len(users) == 1 and users[0].name == "tensor.expand_shape":
        expand = users[0]
        value = expand.results[0]
        users = user_ops(value)
    if not users:
        return "no users"
    if not static_shaped(value):
        return "dynamic shape"
    if any(u.name != "tensor.extract_slice" or len(u.operands) != 1 for u in users):
        return "a user is not a static slice"
    shape = list(ir.RankedTensorType(value.type).shape)
    dims: set[int] = set()
    blocks: set[int] = set()
    for user in users:
        offsets, sizes, strides = static_slice(user)
        if any(s != 1 for s in strides):
            return "a slice is strided"
        cut = [d for d in range(len(shape)) if offsets[d] != 0 or sizes[d] != shape[d]]
        if len(cut) != 1:
            return "a slice reads the whole result" if not cut else "a slice cuts several dims"
        d = cut[0]
        if shape[d] % sizes[d] or offsets[d] % sizes[d]:
            return "slices are not aligned equal blocks of their dim"
        dims.add(d)
        blocks.add(sizes[d])
    if len(dims) != 1 or len(blocks) != 1:
        return "slices cut different dims or blocks of different sizes"
    dim, block = dims.pop(), blocks.pop()
    if shape[dim] // block < 2:
        return "one block only"
    result_dim = dim if expand is None else _source_dim(expand, dim)
    if result_dim is None:
        return "the expand_shape before the slices reshapes the sliced dim"
    return BlockReads(dim, shape[dim] // block, block, tuple(users), expand, result_dim)


def _source_dim(expand: ir.Operation, dim: int) -> int | None:
    """The source dim of an expand_shape whose group holds `dim` and otherwise only unit dims."""
    shape = ir.RankedTensorType(expand.results[0].type).shape
    for source, members in enumerate(reassociation_groups(expand)):
        if dim in members:
            return source if all(shape[m] == 1 for m in members if m != dim) else None
    return None


def _dim_position(m: ir.AffineMap, loop: int) -> int | None:
    """The result of `m` that is plain dim `loop` (None if `m` does not read the loop)."""
    for i, expr in enumerate(m.results):
        if isinstance(expr, ir.AffineDimExpr) and expr.position == loop:
            return i
    return None


def plan_block_major(op: ir.Operation, result_dim: int, blocks: int) -> BlockPlan | str:
    """Plan writing `op`'s result with dim `result_dim` split into `blocks` blocks, block index outermost."""
    if op.name not in _PRODUCERS or len(op.results) != 1:
        return f"{op.name} is not a one-result linalg op"
    if op.name == "linalg.generic" and uses_linalg_index(op):
        return "body uses linalg.index"
    if any(not static_shaped(v) for v in op.operands):
        return "dynamic shape"
    maps, iterators = maps_and_iterators(op)
    n_inputs = num_inputs(op)
    for m, operand in zip(maps, op.operands):
        if any(not isinstance(e, (ir.AffineDimExpr, ir.AffineConstantExpr)) for e in m.results):
            return "an operand map has a non-dimension expression"
        if not isinstance(operand.type, ir.RankedTensorType):
            continue
        shape = ir.RankedTensorType(operand.type).shape
        if any(isinstance(e, ir.AffineConstantExpr) and shape[d] != 1 for d, e in enumerate(m.results)):
            return "an operand map reads a constant index of a dim longer than 1"
    out_expr = maps[n_inputs].results[result_dim]
    if not isinstance(out_expr, ir.AffineDimExpr) or iterators[out_expr.position] != "parallel":
        return "the sliced dim is not a parallel loop of the result"
    loop = out_expr.position
    sizes = _loop_sizes_of_shapes([v.type for v in op.operands], maps)
    if sizes[loop] % blocks:
        return "the sliced loop does not split into the blocks"
    for m in maps:
        if sum(1 for e in m.results if isinstance(e, ir.AffineDimExpr) and e.position == loop) > 1:
            return "an operand reads the sliced loop twice"
    init_reason = _init_refusal(op)
    if init_reason:
        return init_reason
    plan = BlockPlan(op, loop, blocks)
    for i, operand in enumerate(list(op.operands)[:n_inputs]):
        position = _dim_position(maps[i], loop)
        owner = defining_op(operand) if position is not None else None
        if owner is None or owner.name not in _PRODUCERS or len(list(operand.uses)) != 1:
            continue
        producer_plan = plan_block_major(owner, position, blocks)
        if isinstance(producer_plan, BlockPlan):
            # Rewritten with it, so IREE still fuses the producer (a matmul
            # under a bias add) with this op: a reshape between them would not.
            plan.producers[i] = producer_plan
    new_maps, new_iterators = _planned_maps(plan, maps, iterators, n_inputs)
    if op.name != "linalg.generic" or is_contraction_generic(op):
        new_sizes = [blocks] + sizes
        new_sizes[loop + 1] //= blocks
        kept = [index for index, size in enumerate(new_sizes) if size != 1]
        off_pipeline = off_matmul_pipeline(*_compact_loops(new_maps, new_iterators, kept))
        if off_pipeline:
            return off_pipeline
        layout = contraction_layout_refusal(new_maps, new_iterators, n_inputs)
        if layout:
            return layout
    return plan


def _init_refusal(op: ir.Operation) -> str:
    init = op.operands[num_inputs(op)]
    owner = defining_op(init)
    if owner is not None and owner.name == "tensor.empty":
        return ""
    fill_of = defining_op(owner.operands[1]) if owner is not None and owner.name == "linalg.fill" else None
    if fill_of is not None and fill_of.name == "tensor.empty":
        return ""
    if op.name == "linalg.generic" and not is_contraction_generic(op):
        block = op.regions[0].blocks[0]
        if not list(block.arguments[len(block.arguments) - 1].uses):
            return ""
    return "the init is neither tensor.empty nor a fill of one"


def _planned_maps(
    plan: BlockPlan, maps: list[ir.AffineMap], iterators: list[str], n_inputs: int
) -> tuple[list[ir.AffineMap], list[str]]:
    """Maps over loops (g, old loops...) with the split loop now the offset inside a block."""
    n_dims = maps[0].n_dims + 1
    g = ir.AffineDimExpr.get(0)
    new_maps = []
    for i, m in enumerate(maps):
        results: list[ir.AffineExpr] = []
        for expr in m.results:
            if isinstance(expr, ir.AffineDimExpr):
                shifted = ir.AffineDimExpr.get(expr.position + 1)
                if expr.position == plan.loop and i not in plan.producers and i != n_inputs:
                    results.append(g)
                results.append(shifted)
            else:
                results.append(expr)
        if i in plan.producers or i == n_inputs:
            results.insert(0, g)
        new_maps.append(ir.AffineMap.get(n_dims, 0, results))
    return new_maps, ["parallel"] + iterators


def _split_dim(value: ir.Value, dim: int, blocks: int) -> ir.Value:
    """`value` with dim `dim` reshaped into (blocks, dim / blocks)."""
    value_type = ir.RankedTensorType(value.type)
    shape = list(value_type.shape)
    new_shape = shape[:dim] + [blocks, shape[dim] // blocks] + shape[dim + 1:]
    groups = tuple((d,) if d < dim else (d, d + 1) if d == dim else (d + 1,) for d in range(len(shape)))
    result_type = ir.RankedTensorType.get(new_shape, value_type.element_type)
    return tensor.ExpandShapeOp(result_type, value, reassociation_attr(groups), [], new_shape).result


def _build(plan: BlockPlan) -> ir.Value:
    """Create the rewritten op of `plan` (and of its producers) in front of the old one; its new result."""
    op = plan.op
    maps, iterators = maps_and_iterators(op)
    n_inputs = num_inputs(op)
    inputs: list[ir.Value] = []
    for i, operand in enumerate(list(op.operands)[:n_inputs]):
        if i in plan.producers:
            inputs.append(_build(plan.producers[i]))
            continue
        with ir.InsertionPoint(op), op.location:
            position = _dim_position(maps[i], plan.loop)
            inputs.append(operand if position is None else _split_dim(operand, position, plan.blocks))
    new_maps, new_iterators = _planned_maps(plan, maps, iterators, n_inputs)
    with ir.InsertionPoint(op), op.location:
        old_type = ir.RankedTensorType(op.results[0].type)
        out_shape = list(old_type.shape)
        out_dim = _dim_position(maps[n_inputs], plan.loop)
        out_shape[out_dim] //= plan.blocks
        out_shape.insert(0, plan.blocks)
        old_init = defining_op(op.operands[n_inputs])
        fill_value = old_init.operands[0] if old_init is not None and old_init.name == "linalg.fill" else None
        # IREE folds unit loops in global optimization, before this pass: a
        # unit loop left in (the batch of a batch-1 matmul) would count as a
        # parallel loop and take the contraction off the matmul pipeline.
        sizes = _loop_sizes_of_shapes([v.type for v in inputs] + [ir.RankedTensorType.get(out_shape, old_type.element_type)], new_maps)
        kept = [loop for loop, size in enumerate(sizes) if size != 1]
        inputs = [_without_unit_dims(v, m, kept) for v, m in zip(inputs, new_maps)]
        out_kept = _kept_dims(new_maps[n_inputs], kept)
        empty = tensor.EmptyOp([out_shape[d] for d in out_kept], old_type.element_type).result
        init = fill(fill_value, empty) if fill_value is not None else empty
        compact_maps, compact_iterators = _compact_loops(new_maps, new_iterators, kept)
        generic = linalg.GenericOp(
            [empty.type], inputs, [init],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in compact_maps]),
            ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in compact_iterators]),
        )
        if op.name == "linalg.generic":
            op.regions[0].blocks[0].append_to(generic.regions[0])
        else:
            build_contraction_body(generic, [ir.RankedTensorType(v.type).element_type for v in inputs + [init]])
        return _with_unit_dims(generic.results[0], ir.RankedTensorType.get(out_shape, old_type.element_type), out_kept)


def _loop_sizes_of_shapes(types: list[ir.Type], maps: list[ir.AffineMap]) -> list[int]:
    """Each loop's extent (1 for a loop no operand indexes: scalars index none)."""
    return [1 if extent is None else extent for extent in loop_extents(types, maps)]


def _kept_dims(m: ir.AffineMap, kept_loops: list[int]) -> list[int]:
    """The dims of an operand read through `m` that a kept (non-unit) loop indexes."""
    return [d for d, e in enumerate(m.results) if isinstance(e, ir.AffineDimExpr) and e.position in kept_loops]


def _unit_reassociation(rank: int, kept: list[int]) -> tuple[tuple[int, ...], ...]:
    """Groups of a collapse from `rank` dims to the `kept` ones (the others are unit dims)."""
    if not kept:
        return ()
    groups: list[list[int]] = [[] for _ in kept]
    slot = 0
    for d in range(rank):
        groups[slot].append(d)
        if d == kept[slot] and slot < len(kept) - 1:
            slot += 1
    return tuple(tuple(g) for g in groups)


def _without_unit_dims(value: ir.Value, m: ir.AffineMap, kept_loops: list[int]) -> ir.Value:
    if not isinstance(value.type, ir.RankedTensorType):
        return value
    value_type = ir.RankedTensorType(value.type)
    kept = _kept_dims(m, kept_loops)
    if len(kept) == value_type.rank:
        return value
    result_type = ir.RankedTensorType.get([value_type.shape[d] for d in kept], value_type.element_type)
    return tensor.CollapseShapeOp(result_type, value, reassociation_attr(_unit_reassociation(value_type.rank, kept))).result


def _with_unit_dims(value: ir.Value, full_type: ir.RankedTensorType, kept: list[int]) -> ir.Value:
    if len(kept) == full_type.rank:
        return value
    groups = reassociation_attr(_unit_reassociation(full_type.rank, kept))
    return tensor.ExpandShapeOp(full_type, value, groups, [], list(full_type.shape)).result


def _compact_loops(maps: list[ir.AffineMap], iterators: list[str], kept: list[int]) -> tuple[list[ir.AffineMap], list[str]]:
    """`maps` over the `kept` loops only; results indexed by a dropped (unit) loop or a constant disappear."""
    renumber = {loop: i for i, loop in enumerate(kept)}
    compact = [
        ir.AffineMap.get(len(kept), 0, [
            ir.AffineDimExpr.get(renumber[e.position]) for e in m.results
            if isinstance(e, ir.AffineDimExpr) and e.position in renumber
        ])
        for m in maps
    ]
    return compact, [iterators[loop] for loop in kept]


def _erase(plan: BlockPlan) -> None:
    plan.op.erase()
    for producer in plan.producers.values():
        _erase(producer)


def apply_block_major(plan: BlockPlan, reads: BlockReads) -> None:
    """Rewrite the planned ops and point every slice at its contiguous block."""
    new_value = _build(plan)
    if reads.expand is not None:
        with ir.InsertionPoint(reads.expand), reads.expand.location:
            expanded_type = ir.RankedTensorType(reads.expand.results[0].type)
            shape = [reads.blocks] + list(expanded_type.shape)
            shape[reads.dim + 1] = reads.block
            groups = ((0,),) + tuple(
                tuple(i + 1 for i in g) for g in reassociation_groups(reads.expand)
            )
            new_value = tensor.ExpandShapeOp(
                ir.RankedTensorType.get(shape, expanded_type.element_type), new_value, reassociation_attr(groups), [], shape
            ).result
    full = list(ir.RankedTensorType(new_value.type).shape)
    for user in reads.slices:
        offset = static_slice(user).offsets[reads.dim]
        with ir.InsertionPoint(user), user.location:
            offsets = [offset // reads.block] + [0] * (len(full) - 1)
            sizes = [1] + full[1:]
            block = tensor.ExtractSliceOp(
                user.results[0].type, new_value, [], [], [], offsets, sizes, [1] * len(full)
            ).result
        user.results[0].replace_all_uses_with(block)
        user.erase()
    if reads.expand is not None:
        reads.expand.erase()
    _erase(plan)
