"""smartmem-fuse-normalization-reductions: a reduction that reads another reduction of the same rows shares its dispatch.

A LayerNorm reduces each row twice: the mean, then the variance of the
row centered on that mean. After IREE's global optimization it is four
generics over the same [rows, columns] loops: the sum (reduction), the
centering (elementwise, reads the sum), the sum of squares (reduction,
reads the centering) and the normalization (elementwise, reads both).
IREE 3.13 forms one dispatch per reduction: the sum with the centering,
then the sum of squares with the normalization; the centered rows make a
round trip through memory in between. Its
`--iree-dispatch-creation-enable-aggressive-fusion` puts all four in one
dispatch, and its SPIR-V code generation handles that well (H200, ampere,
one LayerNorm: 3136x96 11.3 -> 6.7 us, 196x384 7.5 -> 4.8 us, 197x768
7.7 -> 5.0 us of GPU time, one dispatch instead of two), but the flag
applies to the whole model, and Swin-T no longer compiles with it for
Vulkan (a softmax dispatch it fuses needs a workgroup `memref.alloc` of
index values, which the SPIR-V lowering rejects).

This pass forms that one dispatch for normalizations only: a
`flow.dispatch.region` holding the first reduction, the elementwise ops
between the two reductions, the second reduction and the elementwise ops
after it that read the group, all over the same loops. IREE's dispatch
creation keeps regions it finds and forms the rest around them.

    %s = linalg.generic {reduction d1} ins(%x : tensor<64x32xf32>) -> tensor<64xf32>
    %c = linalg.generic {x - s / 32} ins(%x, %s) -> tensor<64x32xf32>
    %q = linalg.generic {reduction d1: c * c} ins(%c) -> tensor<64xf32>
    %y = linalg.generic {c * rsqrt(q / 32 + eps) * g + b} ins(%c, %q, %g, %b) -> tensor<64x32xf32>

becomes

    %y = flow.dispatch.region -> (tensor<64x32xf32>) {
      %s = linalg.generic {reduction d1} ins(%x ...)
      %c = linalg.generic {x - s / 32} ins(%x, %s)
      %q = linalg.generic {reduction d1: c * c} ins(%c)
      %y_in = linalg.generic {normalize} ins(%c, %q, %g, %b)
      flow.return %y_in
    }

An elementwise op over the group's loops that reads an input through a
permutation also joins, even when its result is read after the group
(the region then writes it too): IREE gives such an op a dispatch of its
own (`elementwise_transpose`), so joining saves that dispatch. Swin's
residual add after a non-shifted window attention reads the attention's
output through the window reverse; smartmem-split-reduction-rows has
moved the LayerNorm's row merge below it. Flow census, ampere: Swin-T
178 -> 176 (stages 1 and 2; stage 3 normalizes rows padded to 224, which
the add does not loop over), MobileViT-S 178 -> 177.

Runs last after `global-optimization`, for GPU targets (passes/pipelines.py).
Values of the group read outside it become results of the region.

Measured (docs/bench/2026-11-22-h200-session8, H200, ampere, one
interleaved run each, against the pipeline without the pass): Swin-T
7.80 -> 7.53 ms (1.04x), 215 -> 187 dispatches, reductions 0.22 -> 0.14 ms
of GPU time; BERT-base 8.12 -> 7.44 ms (1.09x), 159 -> 133 dispatches;
outputs within 6.8e-7 rel L2 (BERT bit-identical).

Refuses (leaves the reductions to IREE):
- reductions over different loops, or with other reduced loops (a
  LayerNorm writing a layout for its consumer, Swin's window partition,
  qualifies once smartmem-split-reduction-rows has split the rows of both
  its reductions);
- contractions, generics that read `linalg.index`, non-projected-
  permutation maps, dynamic shapes;
- groups whose per-row values (the mean) are read outside: one dispatch
  writing an [rows] and an [rows, cols] result fails IREE's workgroup
  distribution (llvm-cpu). A result written with its loops permuted (the
  window partition, 8x8x7x7x96 from loops 8x7x8x7x96) holds one element per
  iteration and may leave the region, unless a reduced loop is permuted
  (ConvNeXt's LayerNorm also writing its rows transposed: IREE's SPIR-V
  vectorization then fails);
- rows whose length is not a multiple of the targets' largest subgroup
  size, and at least of 32 (option `row-multiple`): NVIDIA's Vulkan driver
  (H200, 580.159) fails to create the pipelines of MobileViT-S's fused
  LayerNorms of 144 and 240 floats (VK_ERROR_UNKNOWN; 96, 192, 384 and 768
  run), and lavapipe fails to vectorize a region with several results at
  4, 12, 20 or 100 floats;
- groups that would need more workgroup memory than the smallest target
  offers: IREE's code keeps up to 32 rows of the reduced dim there, and
  at most 24576 elements, so Mali, Adreno and lavapipe (32 KiB) take rows
  of at most 256 floats, and ampere (163 KiB) takes any (option
  `workgroup-memory`, default from the module's targets). Without the
  bound lavapipe fails to compile Swin-T's stage 3 (196x384: 49408
  bytes). Until the tenth session the estimate kept 32 rows of any length,
  which left out Swin-T's 1536-float LayerNorm on ampere (16 rows, 98432
  bytes on valhall; ampere's code keeps 528): 176 -> 173 dispatches;
- a permuted-read elementwise producer (above) that an op outside the
  group reads before the group's last op (a view aside): it stays out,
  and the group forms without it; an elementwise producer without a
  permuted read joins only when the group alone reads it (IREE fuses it
  into its own producer's dispatch otherwise);
- groups with ops in different blocks, or whose values are read by an op
  outside the group that comes before the group's last op (the region
  could not be placed). Slices and reshapes are the exception: when all
  their readers come after the group they move behind it (Swin-T's stage
  3 computes its LayerNorms on rows padded to 224 and slices 196 of them
  between the two reductions).

Reshapes end a group: a unit-dim reshape inside the region stops IREE's
tiling of the ops in front of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir

from smartmem.passes.base import ModulePass, ancestor_beside, defining_op, ops_where, user_ops
from smartmem.passes.dispatch_region import block_order, escaping_results, form_dispatch_region
from smartmem.passes.padding import has_gpu_target, target_row_multiple, target_workgroup_memory
from smartmem.passes.linalg_ops import (
    is_contraction_generic,
    is_elementwise,
    has_permuted_input,
    is_fresh_init,
    loop_ranges,
    maps_and_iterators,
    num_inputs,
    uses_linalg_index,
)

# IREE 3.13's SPIR-V code for one such dispatch keeps up to 32 rows of the
# input, and at most 24576 elements, in workgroup memory, plus two floats a
# row (lavapipe and valhall: 196x768 needs 98560 bytes, 49x1536 98432,
# 196x384 49408). On ampere it keeps only per-subgroup partial sums (49x1536:
# 528 bytes), so the estimate is an upper bound there.
ROWS_IN_WORKGROUP_MEMORY = 32
ELEMENTS_IN_WORKGROUP_MEMORY = 24576

# How many elementwise ops may stand between the two reductions (a
# LayerNorm's centering, split into mean and subtraction: two).
MAX_OPS_BETWEEN = 4


def _plain_generic(op: ir.Operation | None) -> bool:
    """A generic the group may hold: projected-permutation maps, no linalg.index, no contraction."""
    if op is None or op.name != "linalg.generic" or uses_linalg_index(op):
        return False
    if is_contraction_generic(op):
        return False
    maps, _ = maps_and_iterators(op)
    return all(m.is_projected_permutation for m in maps)


def _is_row_reduction(op: ir.Operation | None) -> bool:
    return _plain_generic(op) and "reduction" in maps_and_iterators(op)[1]


def _same_loops(op: ir.Operation, reduction: ir.Operation) -> bool:
    """Whether `op` loops like `reduction`: the same loops, or an elementwise op over all of them or over its
    parallel ones only (a mean computed per row)."""
    ranges, iterators = loop_ranges(reduction), maps_and_iterators(reduction)[1]
    op_ranges = loop_ranges(op)
    if op_ranges is None or ranges is None:
        return False
    if _is_row_reduction(op):
        return op_ranges == ranges and maps_and_iterators(op)[1] == iterators
    parallel = tuple(r for r, it in zip(ranges, iterators) if it == "parallel")
    return is_elementwise(op) and op_ranges in (ranges, parallel)


@dataclass(frozen=True)
class FusionLimits:
    """What the module's targets allow one normalization dispatch: workgroup memory (None: no limit) and the
    multiple its row length must be."""

    memory: int | None
    row_multiple: int

    @classmethod
    def of_module(cls, module: ir.Operation, workgroup_memory: int = 0, row_multiple: int = 0) -> "FusionLimits":
        """The limits of `module`'s GPU targets; nonzero arguments override them."""
        memory = workgroup_memory or target_workgroup_memory(module)
        multiple = row_multiple or (target_row_multiple(module) if has_gpu_target(module) else 1)
        return cls(memory, multiple)

    def refusal(self, reduction: ir.Operation) -> str:
        """Why a normalization with the rows of `reduction` may not be one dispatch, or ""."""
        needed = _workgroup_bytes(reduction)
        if self.memory is not None and needed > self.memory:
            return f"needs about {needed} bytes of workgroup memory, the target has {self.memory}"
        reduced = _reduced_extent(reduction)
        if reduced % self.row_multiple:
            # NVIDIA's Vulkan driver fails to create the pipeline of such a dispatch (H200: MobileViT-S's rows
            # of 144 and 240 floats; 96, 192, 384, 768 run) and lavapipe fails to vectorize one with several
            # results (rows of 4, 12, 20, 100 floats).
            return f"rows of {reduced} elements, not a multiple of {self.row_multiple}"
        return ""


@dataclass(frozen=True)
class FuseNormalizationReductionsOptions:
    # Workgroup memory a dispatch may use, in bytes; 0: the smallest of the
    # module's GPU targets (none: no limit).
    workgroup_memory: int = 0
    # Row length (reduced elements) a group's rows must be a multiple of; 0:
    # the largest subgroup size of the module's GPU targets and at least 32
    # (no GPU target: any length).
    row_multiple: int = 0


class FuseNormalizationReductionsPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-fuse-normalization-reductions"
    Options = FuseNormalizationReductionsOptions

    def run_on_module(self, module: ir.Operation) -> None:
        self.limits = FusionLimits.of_module(module, self.options.workgroup_memory, self.options.row_multiple)
        reductions = ops_where(module, _is_row_reduction)
        grouped: set[ir.Operation] = set()
        with module.context:
            for reduction in reductions:
                if reduction in grouped:
                    continue
                group = self.group_of(reduction, grouped)
                if group:
                    self.form_region(group)
                    grouped.update(group)

    def group_of(self, second: ir.Operation, grouped: set[ir.Operation]) -> list[ir.Operation]:
        """The ops of `second`'s normalization in block order, or [] (refusal logged)."""
        if second.parent.name == "flow.dispatch.region":
            self.no_match(second, "inside a region already (another pass formed its dispatch)")
            return []
        refusal = self.limits.refusal(second)
        if refusal:
            self.no_match(second, refusal)
            return []
        first, between = self.first_reduction(second)
        if first is None or first in grouped:
            return []
        members = {first, *between, second}
        members |= set(self.readers_after(members, second))
        members |= set(_private_producers(members, second))
        members |= set(_standalone_producers(members, second))
        if any(op.parent != second.parent for op in members):
            self.no_match(second, "the normalization spans several blocks")
            return []
        order = block_order(second)
        ops = sorted(members, key=lambda op: order[op])
        full = loop_ranges(second)
        iterators = maps_and_iterators(second)[1]
        results = escaping_results(ops)
        for value in results:
            if any(reader.name == "tensor.pad" for reader in user_ops(value)):
                # IREE fuses a pad into its producer only while forming the producer's dispatch; behind a
                # region formed here it is a copy dispatch, and inside one SPIR-V codegen fails on it
                # (Swin-T's window-partitioning LayerNorms before smartmem-pad-window-attention's grid).
                self.no_match(second, "a result is padded: left to IREE, which writes it into the padded buffer")
                return []
            if not _covers_loops(value, full, iterators):
                # One dispatch writing results of two shapes fails IREE's llvm-cpu workgroup distribution.
                self.no_match(second, f"a value of type {value.type} is read outside the group")
                return []
        last = order[ops[-1]]
        early: set[ir.Operation] = set()
        for op in ops:
            for result in op.results:
                for reader in user_ops(result):
                    if reader not in members and reader.parent == second.parent and order.get(reader, last + 1) < last:
                        deferred = _deferrable_views(reader, order, last)
                        if deferred is None:
                            self.no_match(second, f"{reader.name} outside the group reads it before the group ends")
                            return []
                        early |= deferred
        # Views read inside the span (Swin's stage 3: the slices of a LayerNorm computed on padded rows) move
        # behind the group, in their order, so that the region can sit at its last op.
        anchor = ops[-1]
        for view in sorted(early, key=lambda op: order[op]):
            view.move_after(anchor)
            anchor = view
        return ops

    def first_reduction(self, second: ir.Operation) -> tuple[ir.Operation | None, list[ir.Operation]]:
        """The reduction over the same loops that `second` reads through elementwise ops, and those ops."""
        pending = [(v, 0) for v in list(second.operands)[:num_inputs(second)]]
        visited: set[ir.Operation] = set()
        found: ir.Operation | None = None
        while pending:
            value, depth = pending.pop()
            producer = defining_op(value)
            if producer is None or producer in visited or not _plain_generic(producer):
                continue
            visited.add(producer)
            if _is_row_reduction(producer):
                if found is None and _same_loops(producer, second):
                    found = producer
                continue
            if depth >= MAX_OPS_BETWEEN or not _same_loops(producer, second):
                continue
            pending.extend((v, depth + 1) for v in list(producer.operands)[:num_inputs(producer)])
        if found is None:
            self.no_match(second, "reads no reduction over the same loops through elementwise ops")
            return None, []
        between = [op for op in visited if not _is_row_reduction(op) and _depends_on(op, found)]
        return found, between

    def readers_after(self, members: set[ir.Operation], second: ir.Operation) -> list[ir.Operation]:
        """Elementwise ops over the group's loops that read the second reduction (the normalization),
        transitively. Not through reshapes: a unit-dim reshape inside the region stops IREE's tiling of the
        ops in front of it (workgroup distribution fails on llvm-cpu and SPIR-V)."""
        tail: list[ir.Operation] = []
        downstream = {second}  # ops whose values come after the second reduction
        order = block_order(second)
        changed = True
        while changed:
            changed = False
            for op in [*members, *tail]:
                for result in op.results:
                    for reader in user_ops(result):
                        if reader in members or reader in tail:
                            continue
                        if _plain_generic(reader) and is_elementwise(reader) and _same_loops(reader, second):
                            producers = [defining_op(v) for v in reader.operands]
                            if not any(p in downstream for p in producers if p is not None):
                                continue  # a reader of the mean alone: not the normalization
                            # Its other inputs must exist before the second reduction (a residual add
                            # reading the attention's output is a later op: IREE fuses it elsewhere).
                            if not all(p is None or p in members or p in tail or order.get(p, -1) < order[second]
                                       or is_fresh_init(v) for p, v in zip(producers, reader.operands)):
                                continue
                            tail.append(reader)
                        else:
                            continue
                        if op in downstream or reader.name == "linalg.generic":
                            downstream.add(reader)
                        changed = True
        return tail

    def form_region(self, ops: list[ir.Operation]) -> None:
        fills = [f for f in _private_fills(ops) if f not in set(ops)]
        region = form_dispatch_region([*fills, *ops])
        self.log.debug("formed one dispatch for %d ops (%d results) at %s", len(ops), len(region.results),
                       ops[-1].location)


VIEW_OPS = ("tensor.extract_slice", "tensor.expand_shape", "tensor.collapse_shape")


def _deferrable_views(reader: ir.Operation, order: dict[ir.Operation, int], last: int) -> set[ir.Operation] | None:
    """`reader` and the views behind it, when `reader` is a view (a static slice or reshape: no side effects, no
    operand but its source) whose readers all come after position `last` or are such views themselves; else
    None. Moved behind `last`, they read the same values."""
    if reader.name not in VIEW_OPS or len(reader.operands) != 1 or len(reader.results) != 1:
        return None
    views = {reader}
    for nested_user in user_ops(reader.results[0]):
        user = ancestor_beside(nested_user, reader)  # a reader nested in a region: its op here
        if user is None:
            return None
        if order.get(user, last + 1) > last:
            continue
        behind = _deferrable_views(user, order, last)
        if behind is None:
            return None
        views |= behind
    return views


def _covers_loops(value: ir.Value, full: tuple[int, ...] | None, iterators: list[str]) -> bool:
    """Whether `value` holds one element per iteration of the loops `full`: written in loop order, or by a
    generic over those loops whose output map permutes the row loops only (a LayerNorm writing the window
    partition). A permuted reduced loop (ConvNeXt's LayerNorm also writing its rows transposed, 96x3136)
    fails IREE's SPIR-V vectorization of the dispatch (a vector<64xf32>)."""
    if tuple(ir.RankedTensorType(value.type).shape) == full:
        return True
    op = defining_op(value)
    if op is None or op.name != "linalg.generic" or loop_ranges(op) != full:
        return False
    maps, _ = maps_and_iterators(op)
    out_map = maps[num_inputs(op) + ir.OpResult(value).result_number]
    if not out_map.is_permutation:
        return False
    return all(out_map.results[d] == ir.AffineDimExpr.get(d)
               for d, iterator in enumerate(iterators) if iterator == "reduction")


def _reduced_extent(reduction: ir.Operation) -> int:
    """The number of elements a reduction reduces per row (the product of its reduction loops)."""
    ranges = loop_ranges(reduction) or ()
    _, iterators = maps_and_iterators(reduction)
    reduced = 1
    for size, iterator in zip(ranges, iterators):
        if iterator == "reduction":
            reduced *= size
    return reduced


def _workgroup_bytes(reduction: ir.Operation) -> int:
    """The workgroup memory IREE's code for the fused dispatch may take: rows of the reduced loops (as many as
    fit in ELEMENTS_IN_WORKGROUP_MEMORY, at most ROWS_IN_WORKGROUP_MEMORY)."""
    reduced = _reduced_extent(reduction)
    element = ir.RankedTensorType(reduction.operands[0].type).element_type
    try:
        bits = ir.FloatType(element).width
    except ValueError:
        bits = 32
    rows = max(1, min(ROWS_IN_WORKGROUP_MEMORY, ELEMENTS_IN_WORKGROUP_MEMORY // max(reduced, 1)))
    return rows * reduced * max(bits // 8, 1)


def _depends_on(op: ir.Operation, source: ir.Operation, depth: int = MAX_OPS_BETWEEN + 1) -> bool:
    """Whether `op` reads `source`'s result, directly or through up to `depth` generics."""
    if depth < 0:
        return False
    for operand in op.operands:
        producer = defining_op(operand)
        if producer is None:
            continue
        if producer == source:
            return True
        if producer.name == "linalg.generic" and _depends_on(producer, source, depth - 1):
            return True
    return False


def _private_producers(members: set[ir.Operation], second: ir.Operation) -> list[ir.Operation]:
    """Elementwise ops over the group's loops read only by the group (the residual add in front of a
    LayerNorm), transitively: IREE fuses such producers into the dispatch that reads them."""
    found: list[ir.Operation] = []
    frontier = list(members)
    while frontier:
        op = frontier.pop()
        for operand in list(op.operands)[:num_inputs(op)] if op.name == "linalg.generic" else []:
            producer = defining_op(operand)
            if producer is None or producer in members or producer in found or producer.parent != second.parent:
                continue
            # Gathers too (BERT's embedding lookup in front of its first LayerNorm): IREE fuses them alike.
            if not (is_elementwise(producer) and _same_loops(producer, second)):
                continue
            if all(u in members or u in found for r in producer.results for u in user_ops(r)):
                found.append(producer)
                frontier.append(producer)
    return found


def _standalone_producers(members: set[ir.Operation], second: ir.Operation) -> list[ir.Operation]:
    """Elementwise ops over the group's loops that read an input through a permutation (a residual add
    reading the attention's output through Swin's window reverse), read by the group and otherwise only
    after it: IREE gives such an op a dispatch of its own (`elementwise_transpose`); in the group it
    writes its result from the normalization's dispatch."""
    order = block_order(second)
    last = max(order[op] for op in members)
    found: list[ir.Operation] = []
    for op in list(members):
        for operand in list(op.operands)[:num_inputs(op)]:
            producer = defining_op(operand)
            if producer is None or producer in members or producer in found or producer.parent != second.parent:
                continue
            if not (_plain_generic(producer) and is_elementwise(producer) and has_permuted_input(producer)
                    and _same_loops(producer, second)):
                continue
            outside = [u for r in producer.results for u in user_ops(r) if u not in members]
            if all(order.get(u, last + 1) > last or _deferrable_views(u, order, last) is not None for u in outside):
                found.append(producer)
    return found


def _private_fills(ops: list[ir.Operation]) -> list[ir.Operation]:
    """The `linalg.fill` inits read only by `ops` (moved into the region with them, in block order)."""
    members = set(ops)
    fills: list[ir.Operation] = []
    for op in ops:
        for operand in op.operands:
            producer = defining_op(operand)
            if producer is not None and producer.name == "linalg.fill" and producer not in fills \
                    and all(u in members for u in user_ops(operand)):
                fills.append(producer)
    order = block_order(ops[0])
    return sorted(fills, key=lambda f: order[f])

