"""Pass smartmem-split-reduction-rows: row splits and merges move across the reductions of a normalization."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, reassociation_groups, static_shaped, user_ops
from smartmem.passes.layout_chain import expand_loops, reindex_operand_map
from smartmem.passes.linalg_ops import (
    num_inputs,
    has_permuted_input,
    loop_ranges,
    maps_and_iterators,
    is_contraction_generic,
    uses_linalg_index,
    expand_to,
    reassociation_attr,
)

# How many elementwise ops may stand between a reduction and a split for the
# split to seed a move (a LayerNorm's mean / epsilon / rsqrt / broadcast: four).
MAX_ELEMENTWISE_BETWEEN = 6


def _reduces(op: ir.Operation | None) -> bool:
    """Whether `op` is a generic with a reduction loop."""
    return op is not None and op.name == "linalg.generic" and "reduction" in maps_and_iterators(op)[1]


def _movable(op: ir.Operation) -> bool:
    """A generic a split can move above: one result, projected-permutation maps, no linalg.index, no contraction.

    Contractions are left out on purpose: split loops would take them off
    IREE's matmul pipeline (smartmem.passes.matmul_form).
    """
    if op.name != "linalg.generic" or len(op.results) != 1 or uses_linalg_index(op):
        return False
    if is_contraction_generic(op):
        return False
    maps, _ = maps_and_iterators(op)
    return all(m.is_projected_permutation for m in maps)


def _reaches_reduction(split: ir.Operation) -> bool:
    """Whether a (non-contraction) reduction produces `split`'s source, directly or through single-reader elementwise ops."""
    value = split.operands[0]
    for _ in range(MAX_ELEMENTWISE_BETWEEN + 1):
        op = defining_op(value)
        if op is None or not _movable(op) or len(user_ops(op.results[0])) != 1:
            return False
        if _reduces(op):
            return True
        inputs = [v for v in op.operands[:num_inputs(op)] if defining_op(v) is not None]
        if len(inputs) != 1:
            return False
        value = inputs[0]
    return False


def _same_split(splits: list[ir.Operation]) -> bool:
    first = splits[0]
    return all(e.name == "tensor.expand_shape" and e.results[0].type == first.results[0].type
               and reassociation_groups(e) == reassociation_groups(first) for e in splits)


def _rebuild_over_split_loops(op: ir.Operation, split: dict[int, list[int]], atom_sizes: list[int]) -> ir.Operation | None:
    """`op` rebuilt with each loop in `split` replaced by one loop per atom (sizes `atom_sizes`).

    Every operand is read through a free expand_shape (or, for an operand
    that is a collapse_shape of exactly that split, its source); the new op
    yields the split result. None when an operand map is not a projected
    permutation of loops and constants.
    """
    maps, iterators = maps_and_iterators(op)
    expanded = expand_loops(iterators, split)
    new_maps: list[ir.AffineMap] = []
    new_operands: list[ir.Value] = []
    n_loops = len(expanded.iterators)
    with ir.InsertionPoint(op), op.location:
        for operand, operand_map in zip(op.operands, maps):
            shape = list(ir.RankedTensorType(operand.type).shape)
            reindexed = reindex_operand_map(operand_map, shape, expanded, split, atom_sizes)
            if reindexed is None:
                return None
            results, operand_groups, operand_shape = reindexed
            new_maps.append(ir.AffineMap.get(n_loops, 0, results))
            new_operands.append(_split_operand(operand, [list(g) for g in operand_groups], operand_shape))
        n_inputs = num_inputs(op)
        maps_attr = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
        iterators_attr = ir.ArrayAttr.get(
            [ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in expanded.iterators])
        generic = linalg.GenericOp([new_operands[-1].type], new_operands[:n_inputs], new_operands[n_inputs:],
                                   maps_attr, iterators_attr)
        op.regions[0].blocks[0].append_to(generic.regions[0])
    return generic.operation


def _split_operand(value: ir.Value, groups: list[list[int]], fine_shape: list[int]) -> ir.Value:
    """`value` split by `groups` into `fine_shape`: the source of a collapse_shape that merged exactly that, else
    a new expand_shape."""
    merge = defining_op(value)
    if (merge is not None and merge.name == "tensor.collapse_shape" and reassociation_groups(merge) == groups
            and list(ir.RankedTensorType(merge.operands[0].type).shape) == fine_shape):
        return merge.operands[0]
    return expand_to(value, tuple(tuple(g) for g in groups), tuple(fine_shape))


def _loop_split(operand_map: ir.AffineMap, groups: list[list[int]], fine_shape: list[int]
                ) -> tuple[dict[int, list[int]], list[int]] | None:
    """The loops an operand read through `operand_map` splits when its dims split by `groups` into
    `fine_shape`: {loop: its atoms}, and the atoms' sizes. None when a split dim is not a loop."""
    split: dict[int, list[int]] = {}
    atom_sizes: list[int] = []
    for dim, group in enumerate(groups):
        if len(group) == 1:
            continue
        expr = operand_map.results[dim]
        if not isinstance(expr, ir.AffineDimExpr):
            return None
        split[expr.position] = list(range(len(atom_sizes), len(atom_sizes) + len(group)))
        atom_sizes.extend(fine_shape[d] for d in group)
    return split, atom_sizes


def _move_split_above(op: ir.Operation, groups: list[list[int]], fine_shape: list[int]) -> ir.Operation | None:
    """Rebuild `op` over split loops so that it yields the split result directly.

    `groups`/`fine_shape` are the reassociation and result shape of the
    expand_shape applied to `op`'s result. Returns the new op (its inputs
    expanded by new expand_shapes), or None when a split dim is not a loop.
    """
    maps, _ = maps_and_iterators(op)
    loops = _loop_split(maps[-1], groups, fine_shape)
    if loops is None:
        return None
    return _rebuild_over_split_loops(op, *loops)


def _sink_merge_below(merge: ir.Operation, reader: ir.Operation) -> ir.Operation | str:
    """Rebuild `reader` of the row merge `merge` (a collapse_shape) over the merge's fine rows.

    The rebuilt generic reads the merge's source and yields split rows; a new
    collapse_shape gives `reader`'s readers its old result, and is returned.
    Or why not.
    """
    maps, iterators = maps_and_iterators(reader)
    groups = reassociation_groups(merge)
    fine_shape = list(ir.RankedTensorType(merge.operands[0].type).shape)
    splits = []
    for operand, operand_map in zip(reader.operands, maps):
        if operand == merge.results[0]:
            splits.append(_loop_split(operand_map, groups, fine_shape))
    if not splits or any(s is None or s != splits[0] for s in splits):
        return "the reader indexes the merged rows other than by one loop"
    split, atom_sizes = splits[0]  # type: ignore[misc]
    if any(iterators[loop] != "parallel" for loop in split):
        return "the merged dims are reduced by the reader"
    rebuilt = _rebuild_over_split_loops(reader, split, atom_sizes)
    if rebuilt is None:
        return "an operand map of the reader is not a projected permutation"
    out_map = maps[-1]
    expanded = expand_loops(iterators, split)
    result_shape = list(ir.RankedTensorType(reader.results[0].type).shape)
    reindexed = reindex_operand_map(out_map, result_shape, expanded, split, atom_sizes)
    assert reindexed is not None  # rebuilding succeeded, so every map reindexes
    _, out_groups, _ = reindexed
    with ir.InsertionPoint(reader), reader.location:
        merged = tensor.CollapseShapeOp(reader.results[0].type, rebuilt.results[0],
                                        reassociation_attr(tuple(tuple(g) for g in out_groups)))
    reader.results[0].replace_all_uses_with(merged.result)
    reader.erase()
    return merged.operation


class SplitReductionRowsPass(ModulePass):
    """Move row splits (`tensor.expand_shape`) above the generics that produce them, reductions included.

    A LayerNorm that writes a layout for its consumer (Swin's and
    MobileViT's window partition, ConvNeXt's space-to-depth: the write-
    through passes put it there) normalizes over split rows,
    [8, 7, 8, 7, 96], while its reductions loop over [3136, 96]: the
    split sits between the reductions and the elementwise ops after them.
    IREE fuses a consumer into a reduction's dispatch only over the same
    iteration space, and its reshape propagation moves a split neither
    across a reduction nor above a value read by two ops, so the
    normalization ran as an `elementwise_transpose` dispatch of its own.
    This pass moves such a split up through the generics producing its
    source, across the variance reduction, the centering and the mean,
    whenever every reader of a source takes the same split. It stops at
    the normalization's input (read by the mean and the centering), which
    both then read through the same split; IREE moves that its own way.
    Both reductions and the normalization then loop over the same split
    rows: IREE puts the variance and the normalization in one dispatch,
    and smartmem-fuse-normalization-reductions can add the mean (flow
    census, ampere, with that pass letting the permuted result out:
    Swin-T 190 -> 187 dispatches, MobileViT-S 171 -> 168, the rest of the
    zoo unchanged; stopping below the mean, as this pass did before, left
    the mean in a dispatch of its own).
    Unlike IREE's `--iree-dispatch-creation-enable-aggressive-reshape-
    movement`, which also splits contractions, it never splits a
    contraction's loops: the flag took MobileViT-S's unfolded projections
    off the matmul pipeline on valhall (3 more `SubgroupReduce`
    contractions).

    For example (Swin's LayerNorm, window-partitioned output):

        %ss = linalg.generic {reduction over d1} ins(%sq : 3136x96) -> 3136
        %r = linalg.generic {elementwise: rsqrt(%ss / 96 + eps)} ins(%ss) -> 3136
        %b = linalg.generic {broadcast along d1} ins(%r) -> 3136x96
        %e = tensor.expand_shape %b [[0, 1, 2, 3], [4]] : into 8x7x8x7x96
        %y = linalg.generic {maps to 8x8x7x7x96} ins(%x_split, %e)

    becomes

        %sq_split = tensor.expand_shape %sq [[0, 1, 2, 3], [4]] : into 8x7x8x7x96
        %ss = linalg.generic {reduction over d4} ins(%sq_split) -> 8x7x8x7
        %r = linalg.generic {elementwise} ins(%ss) -> 8x7x8x7
        %b = linalg.generic {broadcast along d4} ins(%r) -> 8x7x8x7x96
        %y = linalg.generic {maps to 8x8x7x7x96} ins(%x_split, %b)

    and so on up (%sq_split moves above the square and the centering).

    The dual move, for a row merge (`tensor.collapse_shape`) in front of
    a normalization: when the merged value comes from an elementwise op
    that reads an input through a permutation (Swin's residual add after a
    non-shifted window attention reads the attention's output through the
    window reverse; IREE gives it a dispatch of its own), the merge moves
    below the normalization: the reductions reading it, and the
    elementwise ops over the same loops that read their results, are
    rebuilt over the fine rows and read the add directly; their results
    are merged after them. The add and the LayerNorm then loop alike, and
    smartmem-fuse-normalization-reductions puts the add into the
    LayerNorm's dispatch (flow census, ampere: Swin-T 178 -> 176,
    MobileViT-S 178 -> 177; valhall with the head-merge fold after global
    optimization: Swin-T 206 -> 199; the rest of the zoo unchanged). Other
    readers of the merge (the later residual add) keep reading it.

        %x = linalg.generic {a + window_reverse(b)} -> 8x7x8x7x96
        %m = tensor.collapse_shape %x [[0, 1, 2, 3], [4]] : into 3136x96
        %s = linalg.generic {reduction over d1} ins(%m) -> 3136

    becomes

        %x = linalg.generic {a + window_reverse(b)} -> 8x7x8x7x96
        %s8 = linalg.generic {reduction over d4} ins(%x) -> 8x7x8x7
        %s = tensor.collapse_shape %s8 [[0, 1, 2, 3]] : into 3136

    and so on down to the normalization's result.

    Refuses: splits with no reduction behind them through single-reader
    elementwise ops (IREE moves those), sources read unsplit or split
    differently by another op, a normalization's input,
    contractions and named ops, ops reading `linalg.index`,
    non-projected-permutation maps, and dynamic shapes; merges whose source
    has no permuted read (IREE fuses such an op into its producer's
    dispatch), merges that join reduced dims (the patch merging in front of
    Swin's LayerNorm: a split reduction loop), and readers of the merge that
    read no moved reduction's result (they keep the merge).

    Options: none.
    """

    name = "smartmem-split-reduction-rows"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            # Seeds: splits that reach a reduction through the elementwise ops
            # after it. A split moves up op by op, across both reductions of
            # a LayerNorm and what lies between them, and stops at the
            # normalization's input (read by the mean and the centering),
            # which keeps an expand_shape: IREE moves that its own way.
            work: list[ir.Operation] = []
            for split in ops_where(module, lambda op: op.name == "tensor.expand_shape"):
                if _reaches_reduction(split):
                    work.append(split)
                else:
                    self.no_match(split, "no reduction behind it through single-reader elementwise ops")
            while work:
                split = work.pop(0)
                moved = self.move(split, work)
                if isinstance(moved, str):
                    self.no_match(split, moved)
                    continue
                work.extend(op for op in (defining_op(v) for v in moved.operands)
                            if op is not None and op.name == "tensor.expand_shape")
            for merge in ops_where(module, lambda op: op.name == "tensor.collapse_shape"):
                self.sink_merge(merge)

    def sink_merge(self, seed: ir.Operation) -> None:
        """Move the row merge `seed` (a collapse_shape of a permuted elementwise op's result) below the
        normalization that reads it: its reductions and the elementwise ops reading them, over the same
        loops, rebuilt over the fine rows."""
        if not static_shaped(seed.results[0]) or not static_shaped(seed.operands[0]):
            return
        source = defining_op(seed.operands[0])
        if source is None or not _movable(source) or _reduces(source) or not has_permuted_input(source):
            self.no_match(seed, "its source is not an elementwise op with a permuted read")
            return
        reductions = [r for r in user_ops(seed.results[0]) if _movable(r) and _reduces(r)]
        if not reductions:
            self.no_match(seed, "no reduction reads it")
            return
        ranges = loop_ranges(reductions[0])
        if ranges is None:
            return
        iterators = maps_and_iterators(reductions[0])[1]
        rows = tuple(r for r, it in zip(ranges, iterators) if it == "parallel")
        work: list[tuple[ir.Operation, bool]] = [(seed, False)]  # (merge, whether it follows a reduction)
        merges: list[ir.Operation] = []
        while work:
            merge, downstream = work.pop(0)
            for reader in list(user_ops(merge.results[0])):
                if not _movable(reader) or loop_ranges(reader) not in (ranges, rows):
                    continue
                if not (downstream or _reduces(reader)):
                    continue  # read before the reductions (a centering): reached through the reduction's side
                moved = _sink_merge_below(merge, reader)
                if isinstance(moved, str):
                    self.no_match(reader, moved)
                    continue
                work.append((moved, True))
                merges.append(moved)
        # A reader rebuilt before another of its operands sank reads that operand through a split of its
        # merge: read the merge's source instead.
        for merge in merges:
            for split in [u for u in user_ops(merge.results[0]) if u.name == "tensor.expand_shape"]:
                if (reassociation_groups(split) == reassociation_groups(merge)
                        and split.results[0].type == merge.operands[0].type):
                    split.results[0].replace_all_uses_with(merge.operands[0])
                    split.erase()

    def move(self, split: ir.Operation, work: list[ir.Operation]) -> ir.Operation | str:
        """Move `split` (and the same splits of the same source) above the source's producer.

        Returns the rebuilt producer, or why not. The splits it replaces are
        erased, and dropped from the worklist `work` first.
        """
        if not static_shaped(split.results[0]) or not static_shaped(split.operands[0]):
            return "dynamic shape"
        producer = defining_op(split.operands[0])
        if producer is None or not _movable(producer):
            return "the source is not an elementwise or reduction generic (contractions keep their loops)"
        readers = user_ops(producer.results[0])
        if not _same_split(readers):
            return "another op reads the source unsplit or split differently"
        behind = [op for reader in readers for op in user_ops(reader.results[0])]
        if len(behind) > 1 and any(_reduces(op) for op in behind):
            return "the source is a normalization's input (read by a reduction and another op)"
        groups = reassociation_groups(split)
        shape = list(ir.RankedTensorType(split.results[0].type).shape)
        rebuilt = _move_split_above(producer, groups, shape)
        if rebuilt is None:
            return "a split dim is not a loop of the producer"
        work[:] = [w for w in work if not any(w == reader for reader in readers)]
        for reader in readers:
            reader.results[0].replace_all_uses_with(rebuilt.results[0])
            reader.erase()
        producer.erase()
        return rebuilt
