"""smartmem-pad-window-attention: store the tokens of attention windows padded to an aligned count, queries and keys alike.

Layout selection for window attention (Swin's 49-token windows). Every
contraction of such an attention has the window's token count as a row or
column: the Q/K/V projections (rows), QK^T (rows and columns), PV (rows and
reduction) and the output projection (rows). IREE's SPIR-V configurations
tile none of them well at 49, and QK^T wants K^T, which costs a transposing
copy per block. With the tokens stored padded to 64 on an H200 (Vulkan,
ampere, IREE 3.13; micro kernels, GPU time per call,
docs/bench/2026-11-22-h200-session11):

    kernel (Swin-T stage)              49 tokens            64 tokens
    Q/K/V projection (3: 196x384x384)  35.2 us              19.9 us
    Q/K/V projection (1: 3136x96x96)    9.1 us               9.9 us
    QK^T (1: 192 heads x windows)      11.8 us + 8.8 us     9.6 us, keys read
                                       K^T copy             transposed
    QK^T (3: 48)                        7.0 us + 4.4 us     6.9 us, the same
    PV (1 / 3)                          8.5 / 6.7 us        7.6 / 6.3 us

So the pass pads the token dims of the whole attention: the projections
read the window-partitioned activation padded with zero rows, QK^T reads
the keys through a transposed map (smartmem-fold-layout-chains' form for
contractions) instead of a K^T copy, the softmax masks the padded keys to
-inf, PV reduces over the padded keys (their probabilities are exactly 0
and the padded values rows finite), and the output projection's padded rows
are sliced off (or read in place by a gather at remapped indices).

From each `linalg.softmax` whose row and reduced dims both have the
unaligned size n (self-attention of one window), the pass grows a region
through producers and users, tracking which dims of each value are token
dims: elementwise generics, contractions, softmax, and reshapes that keep a
token dim whole; a linalg.matmul whose rows are split into (windows,
tokens) right after it is rebuilt on split rows. Values entering the region
are padded with zeros; values leaving it are sliced back.

    %s = linalg.batch_matmul ins(%q, %kt : tensor<192x49x32xf32>, tensor<192x32x49xf32>) ...
    %p = linalg.softmax dimension(2) ins(%s : tensor<192x49x49xf32>) ...
    %o = linalg.batch_matmul ins(%p, %v : tensor<192x49x49xf32>, tensor<192x49x32xf32>) ...

becomes (every producer of %q, %kt, %v rebuilt on 64 tokens; the keys no longer transposed)

    %s = linalg.generic {(b, m, n, k): q[b, m, k] * keys[b, n, k]} ins(%q64, %k64 : tensor<192x64x32xf32>, tensor<192x64x32xf32>) ...
    %m = linalg.generic {select(k / 8 < 7 and k % 8 < 7, %in, -inf), k = linalg.index 2} ins(%s : tensor<192x64x64xf32>) ...
    %p = linalg.softmax dimension(2) ins(%m : tensor<192x64x64xf32>) ...
    %o = linalg.batch_matmul ins(%p, %v64 : tensor<192x64x64xf32>, tensor<192x64x32xf32>) ...

The 49 tokens of a 7x7 window are stored as an 8x8 grid (row-major,
token (i, j) at 8i + j), not as 64 with 15 trailing: the activation is then
padded right behind the op that computes it in its [windows.., 7, 7, C]
form, which IREE turns into that op writing into a padded buffer (a pad
behind the window collapse is a copy dispatch). The softmax masks the keys
whose grid row or column is 7, slices back take the 7x7 corner, and gathers
(the shifted blocks' window reverse) read the grid position
(t / 7) * 8 + t % 7. QK^T reads K as [batch, key, dim] through a generic
with a transposed map; the key projection's bias add, which wrote K^T,
writes K, and the projection writes the head split itself
(`write_epilogue_layouts.write_epilogue_layout`); where it cannot (an
innermost head dim that is not a multiple of 8), the projection gets a
dispatch region of its own, so that the permuting bias add does not join
it and turn it into IREE's SubgroupReduce kernel. Constant masks that a
`util.initializer` sets get their padding in an initializer of their own.

Swin-T on an H200 (docs/bench/2026-11-22-h200-session11, two interleaved
runs against the pipeline without the pass): 7.05 -> 6.62 ms and 7.18 ->
6.63 ms (1.066x, 1.084x), GPU time 3.64 -> 3.26 ms; flow census, ampere:
170 -> 165 dispatches, 16 -> 6 layout moves; valhall 199 -> 192, adreno
205 -> 197. Outputs 6.1e-7 rel L2 from stock there, 7.4e-7 from
onnxruntime on lavapipe with the real weights.

Runs after `global-optimization` (where IREE has raised softmax), before
smartmem-write-epilogue-layouts and smartmem-pad-softmax-rows, which then
find these rows and softmaxes aligned.

Refuses (the region, left as it was):
- dynamic shapes, aligned token counts, softmaxes that are not over n x n,
  token counts that are not a square window padding to a multiple of
  `multiple` within twice its side;
- windows whose linear layers have fewer than `min_rows` rows in all
  (Swin-T's stage 4, one window of 49 tokens: IREE's kernel for 49 rows is
  faster than its matmul kernel for 64, see smartmem-pad-contraction-rows);
- a token dim read through a non-dim index expression or `linalg.index`;
- a reduction over a token dim other than one over softmax probabilities.

Options: `multiple` (0: from the module's GPU targets), `min_rows` (128).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor, util

from smartmem.passes.base import ModulePass, PassFailure, defining_op, ops_where, reassociation_groups
from smartmem.passes.write_epilogue_layouts import write_epilogue_layout
from smartmem.passes.dispatch_region import form_dispatch_region
from smartmem.passes.linalg_ops import build_contraction_body, maps_and_iterators, reassociation_attr
from smartmem.passes.padding import (
    as_op,
    indexing_maps,
    is_contraction,
    masked_to_negative_infinity,
    mentions_loop,
    target_row_multiple,
    zero_constant,
)


@dataclass(frozen=True)
class PadWindowAttentionOptions:
    multiple: int = 0  # 0: from the module's GPU targets (padding.target_row_multiple)
    min_rows: int = 128


@dataclass(frozen=True)
class TokenPlan:
    """The token dims of each operand and result of one op."""

    operands: tuple[frozenset[int], ...]
    results: tuple[frozenset[int], ...]
    # For a linalg.matmul whose rows are split by the expand_shape after it:
    # that expand's row group (rows -> (windows, tokens)).
    split_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class WindowGrid:
    """A window's tokens as a side x side grid (row major), stored as padded_side x padded_side."""

    side: int
    padded_side: int

    @property
    def tokens(self) -> int:
        return self.side * self.side

    @property
    def extra(self) -> int:
        return self.padded_side * self.padded_side - self.tokens

    @classmethod
    def of(cls, tokens: int, multiple: int) -> "WindowGrid | None":
        side = math.isqrt(tokens)
        if side * side != tokens:
            return None
        padded = side + 1
        while (padded * padded) % multiple:
            padded += 1
            if padded > 2 * side:
                return None
        return cls(side, padded)


@dataclass
class AttentionRegion:
    """The ops of one attention rebuilt on the padded grid, and the token dims of each value they touch."""

    grid: WindowGrid
    plans: dict[ir.Operation, TokenPlan] = field(default_factory=dict)
    dims: dict[ir.Value, frozenset[int]] = field(default_factory=dict)


NO_TOKEN_DIMS: frozenset[int] = frozenset()


def _produced_by(value: ir.Value, *names: str) -> ir.Operation | None:
    """The op defining `value` when it is one of `names`, else None (block arguments too)."""
    op = defining_op(value)
    return op if op is not None and op.name in names else None


def _n_inits(op: ir.Operation) -> int:
    return len(op.results) if op.name.startswith("linalg.") else 0


def _reshape_plan(op: ir.Operation, dims: frozenset[int], from_result: bool) -> TokenPlan | None:
    """Token dims across a reshape; each must be alone in its reassociation group."""
    groups = reassociation_groups(op)
    collapse = op.name == "tensor.collapse_shape"
    # Groups list dims of the side with more dims (operand of a collapse, result of an expand).
    big_side_given = from_result != collapse
    other: set[int] = set()
    for dim in dims:
        if big_side_given:
            found = [i for i, g in enumerate(groups) if g == [dim]]
            if not found:
                return None
            other.add(found[0])
        else:
            if len(groups[dim]) != 1:
                return None
            other.add(groups[dim][0])
    mapped = frozenset(other)
    return TokenPlan((mapped,), (dims,)) if from_result else TokenPlan((dims,), (mapped,))


def _linalg_plan(op: ir.Operation, index: int, dims: frozenset[int], from_result: bool,
                 tokens: int) -> TokenPlan | None:
    maps = indexing_maps(op)
    if maps is None:
        return None
    n_operands = len(op.operands)
    position = n_operands - len(op.results) + index if from_result else index
    given = maps[position]
    loops: set[int] = set()
    for dim in dims:
        expr = given.results[dim]
        if not isinstance(expr, ir.AffineDimExpr):
            return None
        loops.add(expr.position)
    for body_op in op.regions[0].blocks[0].operations:
        if body_op.operation.name == "linalg.index" and \
                ir.IntegerAttr(body_op.operation.attributes["dim"]).value in loops:
            return None
    per_map: list[frozenset[int]] = []
    for m, value in zip(maps, op.operands):
        shape = ir.RankedTensorType(value.type).shape if isinstance(value.type, ir.RankedTensorType) else []
        found: set[int] = set()
        for d, expr in enumerate(m.results):
            if isinstance(expr, ir.AffineDimExpr) and expr.position in loops:
                if shape[d] != tokens:
                    return None
                found.add(d)
            elif any(mentions_loop(expr, loop, m.n_dims) for loop in loops):
                return None
        per_map.append(frozenset(found))
    results = tuple(per_map[n_operands - len(op.results):])
    return TokenPlan(tuple(per_map), results)


def token_plan(op: ir.Operation, index: int, dims: frozenset[int], from_result: bool,
               tokens: int) -> TokenPlan | None:
    """How `op` carries token dims `dims` of its operand (or result) `index`; None: a region boundary."""
    if any(not isinstance(r.type, ir.RankedTensorType) or not ir.RankedTensorType(r.type).has_static_shape
           for r in op.results):
        return None
    name = op.name
    if name in ("tensor.expand_shape", "tensor.collapse_shape"):
        return _reshape_plan(op, dims, from_result) if len(op.operands) == 1 else None
    if name == "linalg.softmax":
        return TokenPlan((dims, dims), (dims,))
    if name in ("linalg.generic", "linalg.matmul", "linalg.batch_matmul"):
        return _linalg_plan(op, index, dims, from_result, tokens)
    return None


def _split_rows_plan(expand: ir.Operation, dims: frozenset[int]) -> TokenPlan | None:
    """An expand_shape splitting a linalg.matmul's rows into (windows, tokens), token last."""
    matmul = _produced_by(expand.operands[0], "linalg.matmul")
    if matmul is None or len(dims) != 1 or len(list(expand.operands[0].uses)) != 1:
        return None
    groups = reassociation_groups(expand)
    (dim,) = dims
    if len(groups[0]) < 2 or groups[0][-1] != dim:
        return None
    return TokenPlan((NO_TOKEN_DIMS,), (dims,), split_rows=tuple(groups[0]))


class PadWindowAttentionPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-pad-window-attention"
    Options = PadWindowAttentionOptions

    def run_on_module(self, module: ir.Operation) -> None:
        multiple = self.options.multiple or target_row_multiple(module)
        if multiple < 2:
            raise PassFailure(module.location, f"'{self.name}': multiple must be 0 (from the target) or at least 2")
        self.padded_globals = 0
        with module.context:
            taken: set[ir.Operation] = set()
            regions: list[AttentionRegion] = []
            for softmax in ops_where(module, lambda op: op.name == "linalg.softmax"):
                if softmax in taken:
                    continue
                region = self.grow(softmax, multiple, taken)
                if region is not None:
                    taken.update(region.plans)
                    regions.append(region)
            for region in regions:
                self.rewrite(region)

    def grow(self, softmax: ir.Operation, multiple: int, taken: set[ir.Operation]) -> AttentionRegion | None:
        source_type = ir.RankedTensorType(softmax.operands[0].type)
        if not source_type.has_static_shape:
            self.no_match(softmax, "dynamic shape")
            return None
        key_dim = ir.IntegerAttr(softmax.attributes["dimension"]).value
        tokens = source_type.shape[key_dim]
        if tokens % multiple == 0:
            self.no_match(softmax, f"{tokens} tokens are already a multiple of {multiple}")
            return None
        token_dims = frozenset(d for d, size in enumerate(source_type.shape) if size == tokens)
        if len(token_dims) != 2:
            self.no_match(softmax, "not a softmax over n x n scores of one window")
            return None
        grid = WindowGrid.of(tokens, multiple)
        if grid is None:
            self.no_match(softmax, f"{tokens} tokens are not a square window that pads to a multiple of {multiple}")
            return None
        region = AttentionRegion(grid)
        work: list[ir.Operation] = []

        def admit(op: ir.Operation, plan: TokenPlan) -> None:
            if op in taken or op.block != softmax.block or op in region.plans:
                return
            values = [*zip(op.operands, plan.operands), *zip(op.results, plan.results)]
            for value, dims in values:
                if dims and region.dims.get(value, dims) != dims:
                    return
            region.plans[op] = plan
            for value, dims in values:
                if dims:
                    region.dims[value] = dims
            work.append(op)

        admit(softmax, TokenPlan((token_dims, token_dims), (token_dims,)))
        while work:
            op = work.pop()
            plan = region.plans[op]
            n_inputs = len(op.operands) - _n_inits(op)
            for value, dims in zip(op.operands[:n_inputs], plan.operands[:n_inputs]):
                producer = defining_op(value)
                if not dims or producer is None or producer in region.plans or len(producer.results) != 1:
                    continue
                producer_plan = token_plan(producer, 0, dims, True, tokens)
                if producer_plan is None and producer.name == "tensor.expand_shape":
                    producer_plan = _split_rows_plan(producer, dims)
                if producer_plan is not None:
                    admit(producer, producer_plan)
            for result, dims in zip(op.results, plan.results):
                for use in result.uses:
                    user = as_op(use.owner)
                    if user in region.plans or use.operand_number >= len(user.operands) - _n_inits(user):
                        continue
                    user_plan = token_plan(user, use.operand_number, dims, False, tokens)
                    if user_plan is not None:
                        admit(user, user_plan)
        reason = self.refusal(region)
        if reason:
            self.no_match(softmax, reason)
            return None
        return region

    def refusal(self, region: AttentionRegion) -> str:
        """Why padding `region` would be wrong or slower, or ""."""
        rows: list[int] = []
        for op, plan in region.plans.items():
            if plan.split_rows:
                rows.append(ir.RankedTensorType(as_op(op.operands[0].owner).results[0].type).shape[0])
                continue
            if not op.name.startswith("linalg.") or op.name == "linalg.softmax":
                continue
            maps = indexing_maps(op)
            assert maps is not None
            iterators = maps_and_iterators(op)[1]
            token_loops = {maps[i].results[d].position for i, dims in enumerate(plan.operands) for d in dims}
            for loop in token_loops:
                if "reduction" in iterators[loop] and not self.reduces_probabilities(op, plan, loop, region):
                    return f"{op.name} reduces over a token dim that is not softmax probabilities"
            if is_contraction(op) and len(op.operands) == 3 and not plan.operands[1] and plan.operands[0]:
                # A linear layer: its rows are the left operand's loops the weights lack.
                right = {e.position for e in maps[1].results if isinstance(e, ir.AffineDimExpr)}
                extents = ir.RankedTensorType(op.operands[0].type).shape
                count = 1
                for d, expr in enumerate(maps[0].results):
                    if isinstance(expr, ir.AffineDimExpr) and expr.position not in right \
                            and "parallel" in iterators[expr.position]:
                        count *= extents[d]
                rows.append(count)
        if not rows:
            return "no linear layer in the attention"
        if min(rows) < self.options.min_rows:
            return f"linear layers of {min(rows)} rows (< min_rows {self.options.min_rows}) stay unpadded"
        return ""

    def reduces_probabilities(self, op: ir.Operation, plan: TokenPlan, loop: int, region: AttentionRegion) -> bool:
        """Whether an input read by reduction loop `loop` is a region softmax's result (through reshapes)."""
        maps = indexing_maps(op)
        assert maps is not None
        n_inputs = len(op.operands) - _n_inits(op)
        for index in range(n_inputs):
            positions = [d for d in plan.operands[index] if maps[index].results[d].position == loop]
            if not positions:
                continue
            value = op.operands[index]
            while (reshape := _produced_by(value, "tensor.expand_shape", "tensor.collapse_shape")) is not None:
                value = reshape.operands[0]
            if _produced_by(value, "linalg.softmax") in region.plans:
                return True
        return False

    def rewrite(self, region: AttentionRegion) -> None:
        grid = region.grid
        extra = grid.extra
        block = next(iter(region.plans)).block
        ordered = [as_op(o) for o in block.operations if as_op(o) in region.plans]
        padded: dict[ir.Value, ir.Value] = {}
        entered: dict[tuple[ir.Value, frozenset[int]], ir.Value] = {}

        def enter(value: ir.Value, dims: frozenset[int]) -> ir.Value:
            """A value from outside the region, in the padded grid layout along `dims` (zeros in the padding)."""
            key = (value, dims)
            if key not in entered:
                load = _produced_by(value, "util.global.load")
                if load is not None:
                    entered[key] = self.padded_global(load, dims, grid)
                else:
                    entered[key] = _to_padded_grid(value, dims, grid)
            return entered[key]

        for op in ordered:
            plan = region.plans[op]
            with ir.InsertionPoint(op), op.location:
                if plan.split_rows:
                    clone = self.split_matmul_rows(op, plan, enter)
                else:
                    clone = self.clone_padded(op, plan, padded, enter, grid)
            for old, new in zip(op.results, clone.results):
                padded[old] = new
        for op in ordered:
            for old in op.results:
                outside = [use for use in old.uses if as_op(use.owner) not in region.plans]
                if not outside:
                    continue
                new = padded[old]
                logical: ir.Value | None = None
                for use in outside:
                    user = as_op(use.owner)
                    if user.name == "tensor.extract":
                        # A gather reads the padded value in place at the remapped index.
                        with ir.InsertionPoint(user), user.location:
                            for dim in region.dims[old]:
                                index_operand = 1 + dim
                                user.operands[index_operand] = _grid_index(user.operands[index_operand], grid)
                        user.operands[use.operand_number] = new
                        continue
                    if logical is None:
                        with ir.InsertionPoint.after(as_op(new.owner)), op.location:
                            logical = _from_padded_grid(new, region.dims[old], grid)
                    user.operands[use.operand_number] = logical
        scores = [clone for op in ordered if op.results
                  and (clone := as_op(padded[op.results[0]].owner)).name == "linalg.batch_matmul"]
        for clone in scores:
            location = clone.location
            reason = _read_keys_transposed(clone)
            if reason:
                self.log.debug("QK^T at %s: %s", location, reason)
        for op in reversed(ordered):
            if op.name == "tensor.expand_shape" and region.plans[op].split_rows:
                matmul = as_op(op.operands[0].owner)
                op.erase()
                matmul.erase()
                continue
            op.erase()
        self.log.debug("padded %d window tokens to %d in %d ops", grid.tokens, grid.tokens + extra, len(ordered))

    def padded_global(self, load: ir.Operation, dims: frozenset[int], grid: WindowGrid) -> ir.Value:
        """A load of a new global holding the global `load` reads in the padded grid layout.

        The padding runs in a `util.initializer` (after those that set the
        source global), once at load time: in the function it would be a copy
        dispatch every run (IREE's hoisting leaves globals that an
        initializer sets, such as smartmem-hoist-constant-layouts' masks).
        """
        module = load.parent
        while module.name != "builtin.module":
            module = module.parent
        source_name = ir.FlatSymbolRefAttr(load.attributes["global"]).value
        name = f"{source_name}_window_grid_{self.padded_globals}"
        self.padded_globals += 1
        body = module.regions[0].blocks[0]
        first_function = next(op for op in body.operations if op.operation.name in ("util.func", "func.func"))
        source_type = load.results[0].type
        padded_type = _padded_type(source_type, dims, grid.extra)
        with ir.InsertionPoint(first_function), load.location:
            util.GlobalOp(name, ir.TypeAttr.get(padded_type), sym_visibility="private")
            initializer = util.InitializerOp(ir.TypeAttr.get(ir.FunctionType.get([], [])))
        block = initializer.regions[0].blocks.append()
        with ir.InsertionPoint(block), load.location:
            source = util.GlobalLoadOp(source_type, source_name, is_immutable=True).result
            util.GlobalStoreOp(_to_padded_grid(source, dims, grid), name)
            util.ReturnOp([])
        return util.GlobalLoadOp(padded_type, name, is_immutable=True).result

    def clone_padded(self, op: ir.Operation, plan: TokenPlan, padded: dict[ir.Value, ir.Value],
                     enter: Callable[[ir.Value, frozenset[int]], ir.Value], grid: WindowGrid) -> ir.Operation:
        n_inits = _n_inits(op)
        operands = []
        for index, (value, dims) in enumerate(zip(op.operands, plan.operands)):
            if not dims:
                operands.append(value)
            elif value in padded:
                operands.append(padded[value])
            elif index >= len(op.operands) - n_inits:
                operands.append(_padded_init(value, dims, grid.extra, enter))
            else:
                operands.append(enter(value, dims))
        if op.name == "linalg.softmax":
            key_dim = ir.IntegerAttr(op.attributes["dimension"]).value
            operands[0] = _mask_padded_keys(operands[0], key_dim, grid)
        clone = op.clone(ir.InsertionPoint(op))
        for index, value in enumerate(operands):
            clone.operands[index] = value
        for result, dims, old in zip(clone.results, plan.results, op.results):
            result.set_type(_padded_type(old.type, dims, grid.extra))
        if op.name == "tensor.expand_shape":
            shape = ir.RankedTensorType(clone.results[0].type).shape
            clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(shape))
        return clone

    def split_matmul_rows(self, expand: ir.Operation, plan: TokenPlan,
                          enter: Callable[[ir.Value, frozenset[int]], ir.Value]) -> ir.Operation:
        """The matmul before `expand` rebuilt on (windows, tokens) rows, tokens padded, then `expand`."""
        matmul = as_op(expand.operands[0].owner)
        left, right = matmul.operands[0], matmul.operands[1]
        row_group = list(plan.split_rows)
        expanded_type = ir.RankedTensorType(expand.results[0].type)
        row_shape = [expanded_type.shape[d] for d in row_group]
        left_type = ir.RankedTensorType(left.type)
        split_type = ir.RankedTensorType.get([*row_shape, left_type.shape[1]], left_type.element_type)
        split_left = _regrouped_collapse(left, split_type) or tensor.ExpandShapeOp(
            split_type, left, reassociation_attr([list(range(len(row_shape))), [len(row_shape)]]),
            [], [*row_shape, left_type.shape[1]]).result
        token_dim = len(row_shape) - 1
        padded_left = enter(split_left, frozenset({token_dim}))
        padded_rows = list(row_shape)
        padded_rows[-1] = ir.RankedTensorType(padded_left.type).shape[token_dim]
        columns = ir.RankedTensorType(right.type).shape[1]
        element = left_type.element_type
        rank = len(row_shape)
        # loops: rows..., n, k
        n_loop, k_loop = rank, rank + 1
        dim = ir.AffineDimExpr.get
        maps = [
            ir.AffineMap.get(rank + 2, 0, [dim(i) for i in range(rank)] + [dim(k_loop)]),
            ir.AffineMap.get(rank + 2, 0, [dim(k_loop), dim(n_loop)]),
            ir.AffineMap.get(rank + 2, 0, [dim(i) for i in range(rank)] + [dim(n_loop)]),
        ]
        fill = as_op(matmul.operands[2].owner)
        init_value = fill.operands[0] if fill.name == "linalg.fill" else zero_constant(element)
        out_type = ir.RankedTensorType.get([*padded_rows, columns], element)
        init = linalg.fill(init_value, outs=[tensor.EmptyOp(list(out_type.shape), element).result])
        parallel = ir.Attribute.parse("#linalg.iterator_type<parallel>")
        reduction = ir.Attribute.parse("#linalg.iterator_type<reduction>")
        generic = linalg.GenericOp(
            [out_type], [padded_left, right], [init],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps]),
            ir.ArrayAttr.get([parallel] * (rank + 1) + [reduction]))
        build_contraction_body(generic, [element] * 3)
        groups = [[i] for i in range(rank)] + [list(range(rank, expanded_type.rank))]
        result_shape = list(expanded_type.shape)
        result_shape[row_group[-1]] = padded_rows[-1]
        return tensor.ExpandShapeOp(
            ir.RankedTensorType.get(result_shape, element), generic.results[0],
            reassociation_attr(groups), [], result_shape).operation


def _padded_type(value_type: ir.Type, dims: frozenset[int], extra: int) -> ir.RankedTensorType:
    ranked = ir.RankedTensorType(value_type)
    shape = [size + extra if d in dims else size for d, size in enumerate(ranked.shape)]
    return ir.RankedTensorType.get(shape, ranked.element_type)


def _padded_init(value: ir.Value, dims: frozenset[int], extra: int,
                 enter: Callable[[ir.Value, frozenset[int]], ir.Value]) -> ir.Value:
    """An init of the padded shape: a new empty, a fill of one, or `value` padded."""
    result_type = _padded_type(value.type, dims, extra)
    if _produced_by(value, "tensor.empty") is not None:
        return tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
    fill = _produced_by(value, "linalg.fill")
    if fill is not None:
        return linalg.fill(fill.operands[0], outs=[_padded_init(fill.operands[1], dims, extra, enter)])
    return enter(value, dims)


def _split_groups(rank: int, dims: frozenset[int]) -> list[list[int]]:
    """Reassociation splitting each dim in `dims` of a rank-`rank` tensor in two."""
    groups: list[list[int]] = []
    position = 0
    for dim in range(rank):
        width = 2 if dim in dims else 1
        groups.append(list(range(position, position + width)))
        position += width
    return groups


def _split_tokens(value: ir.Value, dims: frozenset[int], side: int) -> ir.Value:
    """`value` with each dim in `dims` (side * side tokens) split into (side, side)."""
    ranked = ir.RankedTensorType(value.type)
    shape = [s for d, size in enumerate(ranked.shape) for s in ((side, side) if d in dims else (size,))]
    return tensor.ExpandShapeOp(ir.RankedTensorType.get(shape, ranked.element_type), value,
                                reassociation_attr(_split_groups(ranked.rank, dims)), [], shape).result


def _pad_dims(value: ir.Value, high: dict[int, int]) -> ir.Value:
    """`value` padded with zeros after the end of each dim in `high`, in one tensor.pad."""
    ranked = ir.RankedTensorType(value.type)
    highs = [high.get(d, 0) for d in range(ranked.rank)]
    shape = [size + extra for size, extra in zip(ranked.shape, highs)]
    pad = tensor.PadOp(ir.RankedTensorType.get(shape, ranked.element_type), value, [], [], [0] * ranked.rank, highs)
    block = pad.regions[0].blocks.append(*([ir.IndexType.get()] * ranked.rank))
    with ir.InsertionPoint(block):
        tensor.YieldOp(zero_constant(ranked.element_type))
    return pad.result


def _to_padded_grid(value: ir.Value, dims: frozenset[int], grid: WindowGrid) -> ir.Value:
    """`value` with each token dim in `dims` stored as the padded grid (zeros in the padding).

    When `value` is a collapse_shape of the (row, column) grid dims, the
    pad goes before it, right behind the op computing the data: IREE turns
    that into the op writing into a padded buffer. Behind the collapse it
    would be a copy dispatch.
    """
    ranked = ir.RankedTensorType(value.type)
    collapse = _produced_by(value, "tensor.collapse_shape")
    if collapse is not None:
        groups = reassociation_groups(collapse)
        source = collapse.operands[0]
        source_shape = ir.RankedTensorType(source.type).shape
        high: dict[int, int] = {}
        for dim in dims:
            wide = [d for d in groups[dim] if source_shape[d] != 1]
            if len(wide) != 2 or [source_shape[d] for d in wide] != [grid.side, grid.side]:
                break
            high.update({d: grid.padded_side - grid.side for d in wide})
        else:
            padded_source = _pad_dims(source, high)
            result_type = _padded_type(ranked, dims, grid.extra)
            return tensor.CollapseShapeOp(result_type, padded_source, reassociation_attr(groups)).result
    groups = _split_groups(ranked.rank, dims)
    split = _split_tokens(value, dims, grid.side)
    padded = _pad_dims(split, {d: grid.padded_side - grid.side for dim in dims for d in groups[dim]})
    return tensor.CollapseShapeOp(_padded_type(ranked, dims, grid.extra), padded, reassociation_attr(groups)).result


def _from_padded_grid(value: ir.Value, dims: frozenset[int], grid: WindowGrid) -> ir.Value:
    """The logical tensor stored in `value`: the leading side x side corner of each padded grid."""
    ranked = ir.RankedTensorType(value.type)
    groups = _split_groups(ranked.rank, dims)
    split = _split_tokens(value, dims, grid.padded_side)
    sizes = [s for d, size in enumerate(ranked.shape)
             for s in ((grid.side, grid.side) if d in dims else (size,))]
    corner = tensor.ExtractSliceOp(
        ir.RankedTensorType.get(sizes, ranked.element_type), split, [], [], [],
        [0] * len(sizes), sizes, [1] * len(sizes)).result
    logical_shape = [grid.tokens if d in dims else size for d, size in enumerate(ranked.shape)]
    return tensor.CollapseShapeOp(
        ir.RankedTensorType.get(logical_shape, ranked.element_type), corner, reassociation_attr(groups)).result


def _grid_index(index: ir.Value, grid: WindowGrid) -> ir.Value:
    """The padded-grid position of logical token `index`: (index / side) * padded_side + index % side."""
    side = arith.ConstantOp(ir.IndexType.get(), grid.side).result
    padded_side = arith.ConstantOp(ir.IndexType.get(), grid.padded_side).result
    row = arith.DivUIOp(index, side).result
    column = arith.RemUIOp(index, side).result
    return arith.AddIOp(arith.MulIOp(row, padded_side).result, column).result


def _mask_padded_keys(value: ir.Value, dim: int, grid: WindowGrid) -> ir.Value:
    """`value` with the entries of padding positions along `dim` set to -inf."""
    def inside(index: ir.Value) -> ir.Value:
        side = arith.ConstantOp(ir.IndexType.get(), grid.side).result
        padded_side = arith.ConstantOp(ir.IndexType.get(), grid.padded_side).result
        row_inside = arith.CmpIOp(arith.CmpIPredicate.ult, arith.DivUIOp(index, padded_side).result, side).result
        column_inside = arith.CmpIOp(arith.CmpIPredicate.ult, arith.RemUIOp(index, padded_side).result, side).result
        return arith.AndIOp(row_inside, column_inside).result

    return masked_to_negative_infinity(value, dim, inside)


def _regrouped_collapse(value: ir.Value, target: ir.RankedTensorType) -> ir.Value | None:
    """`value`, a collapse_shape, as a collapse of the same source to `target`'s shape (None if none fits)."""
    collapse = _produced_by(value, "tensor.collapse_shape")
    if collapse is None:
        return None
    source = collapse.operands[0]
    source_shape = ir.RankedTensorType(source.type).shape
    groups: list[list[int]] = []
    position = 0
    for size in target.shape:
        group: list[int] = []
        product = 1
        while position < len(source_shape) and (product < size or not group):
            product *= source_shape[position]
            group.append(position)
            position += 1
        if product != size:
            return None
        groups.append(group)
    if position != len(source_shape):
        return None
    return tensor.CollapseShapeOp(target, source, reassociation_attr(groups)).result


def _read_keys_transposed(scores: ir.Operation) -> str:
    """Let QK^T read the keys [b, n, k] through a transposed map instead of K^T [b, k, n] written by a copy.

    The right operand must be a collapse_shape (keeping its last two dims
    whole) of an elementwise generic with no other reader, whose output
    map puts those two dims in the order of one of its inputs' last two
    result dims swapped: the keys' bias add writing K^T. That generic then
    writes in the keys' order (IREE fuses it into the projection), and the
    contraction becomes a generic reading the right operand as (b, n, k).
    """
    right = scores.operands[1]
    collapse = _produced_by(right, "tensor.collapse_shape")
    if collapse is None:
        return "the keys are not a collapse_shape of their epilogue"
    groups = reassociation_groups(collapse)
    if len(groups) != 3 or len(groups[1]) != 1 or len(groups[2]) != 1:
        return "the collapse merges the keys' last two dims"
    epilogue_value = collapse.operands[0]
    epilogue = _produced_by(epilogue_value, "linalg.generic")
    if epilogue is None or len(list(epilogue_value.uses)) != 1 or len(list(right.uses)) != 1:
        return "the keys' epilogue has other readers or is no generic"
    if len(epilogue.results) != 1 or "reduction" in maps_and_iterators(epilogue)[1]:
        return "the keys come from no elementwise epilogue"
    maps = indexing_maps(epilogue)
    assert maps is not None
    out_map = maps[-1]
    rank = len(out_map.results)
    swapped = list(out_map.results)
    swapped[rank - 2], swapped[rank - 1] = swapped[rank - 1], swapped[rank - 2]
    row, column = out_map.results[rank - 2], out_map.results[rank - 1]

    def reversed_in(m: ir.AffineMap) -> bool:
        results = list(m.results)
        return row in results and column in results and results.index(column) < results.index(row)

    if not any(reversed_in(m) for m in maps[:-1]):
        return "the epilogue does not transpose the keys (no input holds its last two dims the other way round)"
    element = ir.RankedTensorType(epilogue_value.type).element_type
    shape = list(ir.RankedTensorType(epilogue_value.type).shape)
    shape[rank - 2], shape[rank - 1] = shape[rank - 1], shape[rank - 2]
    with ir.InsertionPoint(epilogue), epilogue.location:
        keys_type = ir.RankedTensorType.get(shape, element)
        empty = tensor.EmptyOp(shape, element).result
        clone = epilogue.clone(ir.InsertionPoint(epilogue))
        clone.operands[len(clone.operands) - 1] = empty
        new_maps = [*maps[:-1], ir.AffineMap.get(out_map.n_dims, 0, swapped)]
        clone.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
        clone.results[0].set_type(keys_type)
    _reindex_by_input(clone, 0)
    right_type = ir.RankedTensorType(right.type)
    with ir.InsertionPoint(scores), scores.location:
        keys = tensor.CollapseShapeOp(
            ir.RankedTensorType.get([right_type.shape[0], right_type.shape[2], right_type.shape[1]], element),
            clone.results[0], reassociation_attr(groups)).result
        dim = ir.AffineDimExpr.get
        b, m, n, k = (dim(i) for i in range(4))
        contraction_maps = [ir.AffineMap.get(4, 0, [b, m, k]), ir.AffineMap.get(4, 0, [b, n, k]),
                            ir.AffineMap.get(4, 0, [b, m, n])]
        parallel = ir.Attribute.parse("#linalg.iterator_type<parallel>")
        reduction = ir.Attribute.parse("#linalg.iterator_type<reduction>")
        generic = linalg.GenericOp(
            [scores.results[0].type], [scores.operands[0], keys], [scores.operands[2]],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in contraction_maps]),
            ir.ArrayAttr.get([parallel, parallel, parallel, reduction]))
        build_contraction_body(generic, [element] * 3)
    scores.results[0].replace_all_uses_with(generic.results[0])
    scores.erase()
    collapse.erase()
    epilogue.erase()
    keys = clone.operands[0]
    split = _produced_by(keys, "tensor.expand_shape")
    projection = defining_op(split.operands[0] if split is not None else keys)
    if projection is None or not is_contraction(projection):
        return ""
    # The projection writes the keys' head split itself; the bias add then reads it in order.
    reason = write_epilogue_layout(projection, only_split_rows=False)
    maps = indexing_maps(clone)
    if reason and maps is not None and list(maps[0].results) != list(maps[-1].results):
        # The bias add still permutes the projection's result (the head split): left to IREE it would join
        # the projection's dispatch and give both the SubgroupReduce kernel. A dispatch of its own keeps the
        # projection on the matmul kernel.
        form_dispatch_region(_with_private_fill(projection))
        return f"the key projection keeps its layout ({reason}); it gets a dispatch of its own"
    return ""


def _with_private_fill(contraction: ir.Operation) -> list[ir.Operation]:
    """`contraction`, preceded by the fill of its accumulator when nothing else reads that fill."""
    accumulator = _produced_by(contraction.operands[len(contraction.operands) - 1], "linalg.fill")
    if accumulator is not None and len(list(accumulator.results[0].uses)) == 1:
        return [accumulator, contraction]
    return [contraction]


def _reindex_by_input(generic: ir.Operation, index: int) -> None:
    """Renumber the loops of elementwise `generic` so that input `index` is read with the identity map."""
    maps = indexing_maps(generic)
    assert maps is not None
    order = [e.position for e in maps[index].results if isinstance(e, ir.AffineDimExpr)]
    if len(order) != maps[index].n_dims or sorted(order) != list(range(len(order))):
        return
    new_position = {old: new for new, old in enumerate(order)}
    renumbered = []
    for m in maps:
        if not all(isinstance(e, ir.AffineDimExpr) for e in m.results):
            return
        renumbered.append(ir.AffineMap.get(m.n_dims, 0, [ir.AffineDimExpr.get(new_position[e.position])
                                                          for e in m.results]))
    generic.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in renumbered])
