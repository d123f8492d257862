"""Pass smartmem-split-reduction-rows: a row split read after a reduction moves in front of it."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import linalg

from smartmem.passes.base import ModulePass, defining_op, ops_where, reassociation_groups, static_shaped, user_ops
from smartmem.passes.layout_chain import expand_loops, reindex_operand_map
from smartmem.passes.linalg_ops import (
    num_inputs,
    maps_and_iterators,
    is_contraction_generic,
    uses_linalg_index,
    expand_to,
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


def _move_split_above(op: ir.Operation, groups: list[list[int]], fine_shape: list[int]) -> ir.Operation | None:
    """Rebuild `op` over split loops so that it yields the split result directly.

    `groups`/`fine_shape` are the reassociation and result shape of the
    expand_shape applied to `op`'s result. Returns the new op (its inputs
    expanded by new expand_shapes), or None when a split dim is not a loop.
    """
    maps, iterators = maps_and_iterators(op)
    out_map = maps[-1]
    split: dict[int, list[int]] = {}
    atom_sizes: list[int] = []
    for dim, group in enumerate(groups):
        if len(group) == 1:
            continue
        expr = out_map.results[dim]
        if not isinstance(expr, ir.AffineDimExpr):
            return None
        split[expr.position] = list(range(len(atom_sizes), len(atom_sizes) + len(group)))
        atom_sizes.extend(fine_shape[d] for d in group)
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
            new_operands.append(expand_to(operand, tuple(tuple(g) for g in operand_groups), tuple(operand_shape)))
        n_inputs = num_inputs(op)
        maps_attr = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
        iterators_attr = ir.ArrayAttr.get(
            [ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in expanded.iterators])
        generic = linalg.GenericOp([new_operands[-1].type], new_operands[:n_inputs], new_operands[n_inputs:],
                                   maps_attr, iterators_attr)
        op.regions[0].blocks[0].append_to(generic.regions[0])
    return generic.operation


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

    Refuses: splits with no reduction behind them through single-reader
    elementwise ops (IREE moves those), sources read unsplit or split
    differently by another op, a normalization's input,
    contractions and named ops, ops reading `linalg.index`,
    non-projected-permutation maps, and dynamic shapes.

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
