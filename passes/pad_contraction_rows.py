"""smartmem-pad-contraction-rows: run linear layers, and everything row-independent around them, on padded token rows.

Layout selection for the other ILD op of transformers: the linear layers.
Their row count is the token count: 196 in Swin-T's stage 3 and ConvNeXt-T's
stage 3, 197 in ViT and DeiT. IREE's SPIR-V matmul configuration tiles rows
by a divisor of the row count, so 196 gets row tiles of 4 and 197 tiles of
1. On an H200 (Vulkan, ampere, IREE 3.13), one matmul plus bias add took:

    rows x K x N          as is       rows padded to 224
    196 x 384 x 1536      61 us       22 us
    196 x 1536 x 384     129 us       69 us
    196 x 384 x 384       36 us       22 us
    49 x 768 x 3072      146 us      187 us  (64 rows: slower, not padded)

Small row counts stay unpadded: IREE's BaseVectorize kernel for 49 rows beats
its matmul kernel for 56 or 64 rows. 49 x 768 x 768 took 29 us, against
50 us at 56 rows and 38 us at 64; 49 x 768 x 3072 took 146 us, against
365 us at 56 rows.

So only row counts of at least `min_rows` whose largest power-of-two divisor
is below 8 are padded, to the next multiple of `multiple`.

The padded layout is a token layout: rows are independent in most of a
transformer, so one padded tensor flows from the first padded layer through
everything that keeps rows apart, and rows are sliced back only where they
mix. From each such contraction (the seed) the pass grows a region, through
producers and users alike:
- linalg generics and named contractions whose row loop is parallel, read
  as a plain dim and not through `linalg.index`: elementwise ops with any
  number of operands (a value read twice: GELU), reductions over other dims
  (LayerNorm), the next linear layer, the queries side of attention scores;
- `linalg.softmax` over another dim (attention rows);
- reshapes keeping the row dim apart from all but unit dims (1x197x384);
- extract_slices that keep all rows (the Q/K/V columns of IREE's fused
  projection).
Region ops are rebuilt on padded types; operands indexed by rows from
outside the region (weights, the first activation) are padded with zeros;
a multi-user producer joins the region, so its other users read a slice
instead of the region padding a copy of it; every use outside the region (or
by a row-mixing operand: the keys and values of attention) reads a leading
slice. Padded rows hold finite values computed from zero rows (LayerNorm of
a zero row is finite) and never reach a row-mixing op, so the result is
exact.

    %y = linalg.matmul ins(%x, %w1 : tensor<197x384xf32>, tensor<384x1536xf32>) outs(%zero : tensor<197x1536xf32>)
    %g = linalg.generic {gelu} ins(%y, %y : tensor<197x1536xf32>, tensor<197x1536xf32>) -> tensor<197x1536xf32>
    %z = linalg.matmul ins(%g, %w2 : tensor<197x1536xf32>, tensor<1536x384xf32>) outs(%zero2 : tensor<197x384xf32>)
    %r = linalg.generic {add} ins(%z, %x : tensor<197x384xf32>, tensor<197x384xf32>) -> tensor<197x384xf32>

becomes

    %xp = tensor.pad %x low[0, 0] high[27, 0] { 0.0 } : tensor<197x384xf32> to tensor<224x384xf32>
    %y = linalg.matmul ins(%xp, %w1 : ...) outs(%zero224 : tensor<224x1536xf32>)
    %g = linalg.generic {gelu} ins(%y, %y : tensor<224x1536xf32>, tensor<224x1536xf32>) -> tensor<224x1536xf32>
    %z = linalg.matmul ins(%g, %w2 : ...) outs(%zero224b : tensor<224x384xf32>)
    %rp = linalg.generic {add} ins(%z, %xp : tensor<224x384xf32>, tensor<224x384xf32>) -> tensor<224x384xf32>
    %r = tensor.extract_slice %rp[0, 0] [197, 384] [1, 1]

Runs after `global-optimization` and smartmem-pad-softmax-rows, for GPU
targets. End to end on the H200 (docs/bench/2026-11-22-h200-padded-rows):
Swin-T 1.34x -> 1.49x, DeiT-S 1.31x -> 1.38x, ViT-B/16 1.36x -> 1.59x of
stock. Measured (flow census, vulkan:ampere, against the pipeline without
it): DeiT-S and ViT-B 174 -> 174 dispatches, every linear layer, LayerNorm
and attention row on 224 rows; Swin-T 244 -> 244 with its stage-3 MLPs on
224 rows. A first version that padded each contraction with its single-use
elementwise consumers only (slice at the first other reader) made DeiT-S
162 -> 198 dispatches: the slice between a bias add and GELU unfused them,
the fused Q/K/V projection's row+column slices and the padded residuals
became copies.

Refuses:
- dynamic shapes, aligned row counts, row counts below `min_rows`;
- a contraction whose result is read by an op that splits or mixes rows
  (Swin's window partition right after the Q/K/V matmuls): the slice would
  cut the bias add off the contraction's dispatch, and the keys' pad of
  smartmem-pad-softmax-rows behind it becomes a copy (Swin-T 244 -> 249);
- a region whose slice back feeds a contraction from anything but a slice
  (ConvNeXt-T: the MLP's first layer padded but not its second, whose rows
  are split right after it: each slice was a copy dispatch, 125 -> 133);
- a region whose slice back sits behind an elementwise epilogue it alone
  reads (ConvNeXt-T's downsampling matmul + bias add, ViT-B/16's patch
  embedding): IREE moves that slice above the epilogue, which then runs as
  a dispatch of its own on the logical rows (ConvNeXt-T 129 -> 128, ViT-B/16
  and DeiT-S 140 -> 139 dispatches, flow census);
- a value reached with its rows at two different dims (the op stays out);
- a LayerNorm (and the ops reading it up to the next contraction) that
  reads a merge of split rows written by an elementwise op with a permuted
  read, where the targets let it be one dispatch: it stays on its logical
  rows so that the op joins its dispatch (`_pinned_normalizations`; Swin-T's
  stage-3 residual adds after non-shifted window attention, flow census,
  ampere: 173 -> 170 dispatches; valhall unchanged). The region then reads
  the LayerNorm's result padded instead of its input.

Options: `multiple` (default 32), `min_rows` (default 128).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, reassociation_groups, static_slice
from smartmem.passes.fuse_normalization_reductions import FusionLimits
from smartmem.passes.linalg_ops import has_permuted_input, is_elementwise
from smartmem.passes.padding import (
    as_op,
    contraction_step,
    indexing_maps,
    is_contraction,
    mentions_loop,
    pad_high,
    padded_type,
    zero_constant,
)


@dataclass(frozen=True)
class PadContractionRowsOptions:
    multiple: int = 32
    min_rows: int = 128


@dataclass(frozen=True)
class RowPlan:
    """How an op computes rows independently: the row dim of each operand and result (None: not indexed by rows)."""

    operands: tuple[int | None, ...]
    results: tuple[int | None, ...]


@dataclass
class TokenRegion:
    """Ops that compute `rows` rows independently, all rewritten to `rows + extra` rows."""

    rows: int
    extra: int
    plans: dict[ir.Operation, RowPlan] = field(default_factory=dict)
    dims: dict[ir.Value, int] = field(default_factory=dict)


def _is_op(owner) -> bool:
    return isinstance(owner, (ir.Operation, ir.OpView))


def _reshape_dim(op: ir.Operation, dim: int, forward: bool) -> int | None:
    """The dim that row dim `dim` becomes across a reshape (operand -> result when `forward`).

    The row dim may share its reassociation group with unit dims only.
    """
    groups = reassociation_groups(op)
    collapse = op.name == "tensor.collapse_shape"
    big = ir.RankedTensorType((op.operands[0] if collapse else op.results[0]).type).shape
    # `big` is the side with more dims; each group lists dims of that side.
    if forward == collapse:
        # From the big side to the small side: the group holding `dim`.
        for index, group in enumerate(groups):
            if dim in group:
                return index if all(big[d] == 1 for d in group if d != dim) else None
        return None
    # From the small side (group `dim`) to the one big dim of that group that is not a unit.
    group = groups[dim]
    wide = [d for d in group if big[d] != 1]
    return wide[0] if len(wide) == 1 else None


def _slice_dims(op: ir.Operation) -> list[int | None]:
    """For each source dim of a static extract_slice, the result dim it becomes (None when dropped)."""
    sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
    result_shape = ir.RankedTensorType(op.results[0].type).shape
    to_drop = len(sizes) - len(result_shape)
    mapping: list[int | None] = []
    position = 0
    for size in sizes:
        if size == 1 and to_drop > 0:
            mapping.append(None)
            to_drop -= 1
        elif position < len(result_shape) and result_shape[position] == size:
            mapping.append(position)
            position += 1
        else:
            return []
    return mapping if position == len(result_shape) else []


def _generic_plan(op: ir.Operation, loop: int) -> RowPlan | None:
    """Row dims of a linalg op (generic or named contraction) that keeps loop `loop` independent."""
    maps = indexing_maps(op)
    if maps is None:
        return None
    if "iterator_types" in op.attributes:
        iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
        if "parallel" not in iterators[loop]:
            return None
    elif not any(isinstance(e, ir.AffineDimExpr) and e.position == loop for e in maps[-1].results):
        return None
    for body_op in op.regions[0].blocks[0].operations:
        if body_op.operation.name == "linalg.index" and ir.IntegerAttr(body_op.operation.attributes["dim"]).value == loop:
            return None
    dims: list[int | None] = []
    for m in maps:
        positions = [p for p, e in enumerate(m.results) if isinstance(e, ir.AffineDimExpr) and e.position == loop]
        if len(positions) > 1 or any(
            not isinstance(e, ir.AffineDimExpr) and mentions_loop(e, loop, m.n_dims) for e in m.results
        ):
            return None
        dims.append(positions[0] if positions else None)
    n_results = len(op.results)
    results = tuple(dims[len(dims) - n_results:])
    if any(d is None for d in results):
        return None
    return RowPlan(tuple(dims), results)


def _loop_of(op: ir.Operation, index: int, dim: int, is_result: bool) -> int | None:
    maps = indexing_maps(op)
    if maps is None:
        return None
    m = maps[len(op.operands) - len(op.results) + index] if is_result else maps[index]
    expr = m.results[dim]
    return expr.position if isinstance(expr, ir.AffineDimExpr) else None


def row_plan(op: ir.Operation, index: int, dim: int, is_result: bool) -> RowPlan | None:
    """How `op` treats rows when its operand (or result) `index` has its rows at `dim`; None if it mixes rows."""
    name = op.name
    if name in ("tensor.expand_shape", "tensor.collapse_shape"):
        if len(op.operands) != 1:
            return None
        other = _reshape_dim(op, dim, forward=not is_result)
        if other is None:
            return None
        return RowPlan((dim,), (other,)) if not is_result else RowPlan((other,), (dim,))
    if name == "tensor.extract_slice":
        if len(op.operands) != 1:
            return None  # dynamic offsets, sizes or strides
        mapping = _slice_dims(op)
        if not mapping:
            return None
        source_dim = mapping.index(dim) if is_result and dim in mapping else (None if is_result else dim)
        if source_dim is None or mapping[source_dim] is None:
            return None
        offsets, sizes, strides = static_slice(op)
        source_rows = ir.RankedTensorType(op.operands[0].type).shape[source_dim]
        if offsets[source_dim] != 0 or strides[source_dim] != 1 or sizes[source_dim] != source_rows:
            return None  # the slice selects rows
        return RowPlan((source_dim,), (mapping[source_dim],))
    if name == "linalg.softmax":
        if ir.IntegerAttr(op.attributes["dimension"]).value == dim:
            return None
        return RowPlan((dim, dim), (dim,))
    if name in ("linalg.generic", "linalg.matmul", "linalg.batch_matmul"):
        if any(not ir.RankedTensorType(r.type).has_static_shape for r in op.results):
            return None
        loop = _loop_of(op, index, dim, is_result)
        return None if loop is None else _generic_plan(op, loop)
    return None


class PadContractionRowsPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-pad-contraction-rows"
    Options = PadContractionRowsOptions

    def run_on_module(self, module: ir.Operation) -> None:
        if self.options.multiple < 2:
            raise ValueError("multiple must be at least 2")
        seeds: list[tuple[ir.Operation, int]] = []

        def visit(op: ir.Operation) -> ir.WalkResult:
            if is_contraction(op):
                dim = self.seed_dim(op)
                if dim is not None:
                    seeds.append((op, dim))
            return ir.WalkResult.ADVANCE

        self.fusion_limits = FusionLimits.of_module(module)
        with module.context:
            module.walk(visit)
            regions: list[TokenRegion] = []
            taken: set[ir.Operation] = set()
            for op, dim in seeds:
                if op in taken:
                    continue
                region = self.grow(op, dim, taken)
                if region is None:
                    continue
                taken.update(region.plans)
                regions.append(region)
            for region in regions:
                self.rewrite(region)

    def badly_aligned(self, rows: int) -> bool:
        power_of_two = rows & -rows
        return rows % self.options.multiple != 0 and rows >= self.options.min_rows and power_of_two < 8

    def seed_dim(self, op: ir.Operation) -> int | None:
        """The row dim of a contraction's result: a parallel dim (not the innermost) read by the left operand only."""
        result_type = ir.RankedTensorType(op.results[0].type)
        if not result_type.has_static_shape or len(op.operands) != 3:
            self.no_match(op, "dynamic shape or not a two-input contraction")
            return None
        for dim in range(result_type.rank - 1):
            step = contraction_step(op, dim)
            if step is not None and step.operand == 0 and self.badly_aligned(result_type.shape[dim]):
                return dim
        self.no_match(op, "no badly aligned row dim read only by the left operand")
        return None

    def grow(self, seed: ir.Operation, dim: int, taken: set[ir.Operation]) -> TokenRegion | None:
        """The closure of row-independent producers and users around `seed`, outside earlier regions."""
        rows = ir.RankedTensorType(seed.results[0].type).shape[dim]
        multiple = self.options.multiple
        region = TokenRegion(rows, -(-rows // multiple) * multiple - rows)
        work: list[ir.Operation] = []
        pinned = _pinned_normalizations(seed.block, self.fusion_limits)

        def admit(op: ir.Operation, plan: RowPlan) -> None:
            if op in taken or op.block != seed.block:
                return
            n_inputs = len(op.operands) - _n_inits(op)
            values = [*zip(op.operands[:n_inputs], plan.operands), *zip(op.results, plan.results)]
            for value, d in values:
                if d is None:
                    continue
                if region.dims.get(value, d) != d or ir.RankedTensorType(value.type).shape[d] != rows:
                    return  # the value's rows are elsewhere or of another count: a boundary
            if op in pinned:
                self.no_match(op, "part of a normalization that stays on the logical rows (it fuses with a "
                                  "row-permuting neighbour there)")
                return
            if is_contraction(op) and not _rows_stay_padded(op, plan):
                self.no_match(op, "a reader of the result mixes or splits rows: the slice would cut the epilogue off")
                return
            region.plans[op] = plan
            for value, d in values:
                if d is not None:
                    region.dims[value] = d
            work.append(op)

        plan = row_plan(seed, 0, dim, is_result=True)
        if plan is None:
            return None
        admit(seed, plan)
        while work:
            op = work.pop()
            plan = region.plans[op]
            n_inputs = len(op.operands) - _n_inits(op)
            for index, d in enumerate(plan.operands[:n_inputs]):
                value = op.operands[index]
                owner = value.owner
                if d is None or not _is_op(owner):
                    continue
                producer = as_op(owner)
                if producer in region.plans or len(producer.results) != 1:
                    continue
                producer_plan = row_plan(producer, 0, d, is_result=True)
                if producer_plan is not None:
                    admit(producer, producer_plan)
            for result, d in zip(op.results, plan.results):
                for use in result.uses:
                    user = as_op(use.owner)
                    if user in region.plans:
                        continue
                    user_plan = row_plan(user, use.operand_number, d, is_result=False)
                    if user_plan is not None:
                        admit(user, user_plan)
        if not region.plans:
            return None
        copied = _copied_boundary(region)
        if copied is not None:
            self.no_match(seed, f"rows sliced back into a contraction ({copied.name}) would be a copy dispatch")
            return None
        cut = _epilogue_cut_by_slice(region)
        if cut is not None:
            self.no_match(seed, f"the slice back would cut the epilogue off {cut.name}: IREE moves it above elementwise ops")
            return None
        return region

    def rewrite(self, region: TokenRegion) -> None:
        extra = region.extra
        block = next(iter(region.plans)).block
        ordered = [as_op(o) for o in block.operations if as_op(o) in region.plans]
        padded: dict[ir.Value, ir.Value] = {}
        for op in ordered:
            plan = region.plans[op]
            n_inits = _n_inits(op)
            with ir.InsertionPoint(op), op.location:
                operands = []
                for index, (value, d) in enumerate(zip(op.operands, plan.operands)):
                    if d is None:
                        operands.append(value)  # not read by rows: the logical value (a slice if padded)
                    elif value in padded:
                        operands.append(padded[value])
                    elif index >= len(op.operands) - n_inits:
                        operands.append(_padded_init(value, d, extra))
                    else:
                        element = ir.RankedTensorType(value.type).element_type
                        operands.append(pad_high(value, d, extra, zero_constant(element)))
                clone = op.clone(ir.InsertionPoint(op))
                for index, value in enumerate(operands):
                    clone.operands[index] = value
                for result, d in zip(clone.results, plan.results):
                    result.set_type(padded_type(result.type, d, extra))
                if op.name == "tensor.expand_shape":
                    shape = ir.RankedTensorType(clone.results[0].type).shape
                    clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(shape))
                if op.name == "tensor.extract_slice":
                    sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
                    sizes[plan.operands[0]] += extra
                    clone.attributes["static_sizes"] = ir.DenseI64ArrayAttr.get(sizes)
            for old, new in zip(op.results, clone.results):
                padded[old] = new
        for op in ordered:
            for old in op.results:
                outside = [use for use in old.uses if as_op(use.owner) not in region.plans]
                if not outside:
                    continue
                logical = ir.RankedTensorType(old.type)
                sizes = list(logical.shape)
                new = padded[old]
                with ir.InsertionPoint.after(as_op(new.owner)), op.location:
                    sliced = tensor.ExtractSliceOp(
                        logical, new, [], [], [], [0] * len(sizes), sizes, [1] * len(sizes)).result
                for use in outside:
                    as_op(use.owner).operands[use.operand_number] = sliced
        for op in reversed(ordered):
            op.erase()
        self.log.debug("padded %d rows to %d in %d ops", region.rows, region.rows + extra, len(ordered))


def _pinned_normalizations(block: ir.Block, limits: FusionLimits) -> set[ir.Operation]:
    """Ops of normalizations that stay on their logical rows, outside any padded region.

    A normalization is a row reduction that is not a contraction and the
    generics that read it, transitively, up to the next contraction (the
    mean, the centering, the variance, the normalization and its affine
    tail). It stays on its logical rows when it reads a merge of split rows
    (collapse_shape) written by an elementwise op with a permuted read:
    Swin's residual add after a non-shifted window attention reads the
    attention's output through the window reverse, and
    smartmem-split-reduction-rows and smartmem-fuse-normalization-reductions
    put that add into the normalization's dispatch, which a pad between
    them prevents. (Keeping Swin's window-partitioning LayerNorms unpadded
    too would save two more dispatches, but the MLP in front of them then
    loses its padding: its residual add would be read only outside the
    region, see `_epilogue_cut_by_slice`.)
    Its pad moves to the other side: the padded region reads its result
    padded (a copy, as its input was before). Only normalizations whose rows
    the targets let smartmem-fuse-normalization-reductions put in one
    dispatch are kept (on valhall Swin's 384-float rows are not: padding
    them costs nothing more there).
    """
    pinned: set[ir.Operation] = set()
    grouped: set[ir.Operation] = set()
    for entry in block.operations:
        op = as_op(entry)
        if op in grouped or not _is_row_reduction(op):
            continue
        group = _normalization_of(op)
        grouped |= group
        if _reads_permuted_merge(group) and not limits.refusal(op):
            pinned |= group
    return pinned


def _is_row_reduction(op: ir.Operation) -> bool:
    if op.name != "linalg.generic" or is_contraction(op):
        return False
    return any("reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"]))


def _normalization_of(reduction: ir.Operation) -> set[ir.Operation]:
    """`reduction` and the non-contraction generics reading it, transitively."""
    group = {reduction}
    work = [reduction]
    while work:
        op = work.pop()
        for result in op.results:
            for use in result.uses:
                user = as_op(use.owner)
                if user in group or user.name != "linalg.generic" or is_contraction(user) or user.block != op.block:
                    continue
                group.add(user)
                work.append(user)
    return group


def _reads_permuted_merge(group: set[ir.Operation]) -> bool:
    """Whether an op of `group` reads a collapse_shape of an elementwise op with a permuted read."""
    for op in group:
        for value in op.operands:
            merge = value.owner
            if not _is_op(merge) or as_op(merge).name != "tensor.collapse_shape":
                continue
            source = as_op(merge).operands[0].owner
            if _is_op(source) and as_op(source).name == "linalg.generic" and is_elementwise(as_op(source)) \
                    and has_permuted_input(as_op(source)):
                return True
    return False


def _copied_boundary(region: TokenRegion) -> ir.Operation | None:
    """A contraction outside `region` that would read a slice of a region value IREE must copy.

    IREE fuses a slice into the dispatch that reads it only when the value
    already was a slice of a dispatch result (the Q/K/V columns of a fused
    projection: the row slice composes with the column slice); a row slice of
    a contraction's or elementwise op's result in front of another
    contraction becomes a copy dispatch (ConvNeXt-T: the MLP's first linear
    layer padded, its second one not, +8 dispatches).
    """
    for op, plan in region.plans.items():
        for result, d in zip(op.results, plan.results):
            for use in result.uses:
                user = as_op(use.owner)
                if user in region.plans and region.plans[user].operands[use.operand_number] is not None:
                    continue
                if is_contraction(user) and not _is_slice_of_dispatch(op):
                    return user
    return None


def _epilogue_cut_by_slice(region: TokenRegion) -> ir.Operation | None:
    """A region contraction whose elementwise epilogue would run apart from it, on the logical rows.

    IREE's dispatch creation moves an extract_slice above the elementwise op
    it slices when that op has no other reader, and on through single-reader
    elementwise producers. A region value read only outside the region is
    sliced back; when the elementwise chain it ends reaches a contraction,
    the slice lands between the contraction and its epilogue (the bias add),
    which then becomes a dispatch of its own (ConvNeXt-T's stage-3
    downsampling matmul: one more dispatch and two copies, for padding one
    matmul).
    """
    for op in region.plans:
        if not is_elementwise(op) or not op.results:
            continue
        uses = list(op.results[0].uses)
        if not uses or any(as_op(use.owner) in region.plans for use in uses):
            continue
        chain = [op]
        while chain:
            current = chain.pop()
            for value in current.operands[:len(current.operands) - _n_inits(current)]:
                if not _is_op(value.owner):
                    continue
                producer = as_op(value.owner)
                if producer not in region.plans or len(list(value.uses)) != 1:
                    continue
                if is_contraction(producer):
                    return producer
                if is_elementwise(producer):
                    chain.append(producer)
    return None


def _is_slice_of_dispatch(op: ir.Operation) -> bool:
    """Whether `op` is an extract_slice, or reshapes of one."""
    while op.name in ("tensor.expand_shape", "tensor.collapse_shape"):
        owner = op.operands[0].owner
        if not _is_op(owner):
            return False
        op = as_op(owner)
    return op.name == "tensor.extract_slice"


def _rows_stay_padded(op: ir.Operation, plan: RowPlan) -> bool:
    """Whether every reader of `op`'s results keeps rows independent.

    A contraction whose result is sliced back at once loses its epilogue:
    IREE fuses the bias add into the contraction's dispatch, but not across
    the slice, and a pad after that epilogue (the keys of padded attention)
    then becomes a copy.
    """
    for result, d in zip(op.results, plan.results):
        for use in result.uses:
            if row_plan(as_op(use.owner), use.operand_number, d, is_result=False) is None:
                return False
    return True


def _n_inits(op: ir.Operation) -> int:
    """How many trailing operands of `op` are destination (init) operands."""
    return len(op.results) if op.name.startswith("linalg.") else 0


def _padded_init(value: ir.Value, dim: int, extra: int) -> ir.Value:
    """An init of the padded shape: a new empty, or a fill of one, or `value` padded."""
    result_type = padded_type(value.type, dim, extra)
    owner = value.owner
    if _is_op(owner) and as_op(owner).name == "tensor.empty":
        return tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
    if _is_op(owner) and as_op(owner).name == "linalg.fill":
        fill = as_op(owner)
        inner = _padded_init(fill.operands[1], dim, extra)
        return linalg.fill(fill.operands[0], outs=[inner])
    return pad_high(value, dim, extra, zero_constant(result_type.element_type))
