"""Pass smartmem-write-epilogue-layouts: a contraction writes the part of its epilogue's output layout it can."""

from __future__ import annotations

from iree.compiler import ir

from smartmem.passes.base import ModulePass, defining_op, ops_where, reassociation_groups, user_ops
from smartmem.passes.dispatch_region import form_dispatch_region
from smartmem.passes.layout_chain import AtomChain
from smartmem.passes.linalg_ops import (
    is_contraction_op,
    is_elementwise,
    is_identity_map,
    maps_and_iterators,
    num_inputs,
)
from smartmem.passes.write_through_layout_chains import write_through


# Row counts whose largest power-of-two divisor reaches this keep their plain matmul (see the docstring).
ALIGNED_ROWS = 32


class WriteEpilogueLayoutsPass(ModulePass):
    """Let a contraction write as much of its epilogue's permuted output layout as keeps it a fast matmul.

    After IREE's global optimization, a contraction whose elementwise
    epilogue (the bias add) writes a permuted layout that the contraction
    cannot write itself stays a plain matmul, and the epilogue runs as a
    dispatch of its own that reads the matmul's result and writes the
    layout (`elementwise_transpose`). Swin's keys: the projection is
    [3136, 96] = [(window, token), (head, dim)], and its bias add writes
    K^T as [head, window, dim, token] for the QK^T batch matmul. Written by
    the projection, that layout has the token loop innermost: n not
    innermost, off IREE's matmul pipeline (`matmul_form`). This pass gives
    the contraction the epilogue's order with the innermost atom of its own
    n moved last, here [head, window, token, dim] (the head split the
    queries' and values' projections already write), when that keeps it on
    the matmul pipeline; the epilogue then reads that layout and does the
    rest of the permutation (here a swap of token and dim). The
    projection goes into a dispatch region of its own: left to IREE, the
    epilogue with its permuted read would join the projection's dispatch,
    which then gets the SubgroupReduce kernel (one output element a
    workgroup). Dispatches stay the same; the projection changes kernel.
    H200, ampere (docs/bench/2026-11-22-h200-session10, against the
    pipeline without the pass, GPU time per call): Swin-T's key projections
    took 304.8 -> 288.0 us (stage 3, 196 rows, six calls), 32.4 -> 20.5
    (stage 2, 784 rows), 17.3 -> 17.7 (stage 1, 3136 rows); Swin-T's GPU
    time 3.67 -> 3.64 ms, wall time 1.016x and 1.012x in two interleaved
    runs (C1, C2). MobileViT-S's (256 rows) took 38.0 -> 45.6 us, its GPU
    time unchanged (D1, D2). So only contractions whose row count has a
    largest power-of-two divisor below 32 are rewritten: IREE's matmul
    kernel cannot tile those rows by 32.

        %k = linalg.matmul ins(%x, %w : tensor<3136x96xf32>, tensor<96x96xf32>) ...
        %e = tensor.expand_shape %k [[0, 1], [2, 3]] : into tensor<64x49x3x32xf32>
        %kt = linalg.generic {maps: (w, t, h, d) -> (w, t, h, d), (h, d), out (h, w, d, t)} ins(%e, %bias)

    becomes

        %k = linalg.generic {contraction; out (h, w, t, d)} ins(%x64x49x96, %w96x3x32) -> tensor<3x64x49x32xf32>
        %kt = linalg.generic {maps: (w, t, h, d) -> (h, w, t, d), (h, d), out (h, w, d, t)} ins(%k, %bias)

    Runs after `global-optimization` (passes/pipelines.py): in the input
    phase IREE's transpose propagation would move the epilogue's permuted
    read back into the contraction.

    Refuses: contractions whose rows IREE tiles by 32 already (above),
    contractions with other readers, epilogues that are not
    elementwise or read the contraction other than in its own order, or
    write it unpermuted; orders that leave the contraction as it was, or
    that `write_through_layout_chains.write_through` refuses
    (off the matmul pipeline, n not innermost, unaligned output).

    Options: none.
    """

    name = "smartmem-write-epilogue-layouts"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            self.rewrite_each(ops_where(module, is_contraction_op), self.rewrite)

    def rewrite(self, contraction: ir.Operation) -> str:
        result_shape = list(ir.RankedTensorType(contraction.results[0].type).shape)
        rows = 1
        for extent in result_shape[:-1]:
            rows *= extent
        if rows & -rows >= ALIGNED_ROWS:
            # H200: 3136 rows (Swin-T stage 1) ran the same either way, 256 rows (MobileViT-S) 20% slower
            # written head-split; 784 and 196 rows (Swin-T stages 2 and 3) 1.6x and 1.8x faster.
            return f"{rows} rows: IREE's matmul kernel tiles them by {ALIGNED_ROWS} already"
        return write_epilogue_layout(contraction)


def write_epilogue_layout(contraction: ir.Operation, only_split_rows: bool = True) -> str:
    """Rewrite `contraction` to write as much of its epilogue's layout as it can (see the pass); a refusal or "".

    `only_split_rows`: refuse when the contraction's rows are not split
    (IREE fuses such an epilogue into the contraction's dispatch already).
    """
    if len(contraction.results) != 1:
        return "several results"
    readers = user_ops(contraction.results[0])
    if len(readers) != 1:
        return "the result has other readers"
    split = readers[0] if readers[0].name == "tensor.expand_shape" else None
    value = split.results[0] if split is not None else contraction.results[0]
    epilogue_readers = user_ops(value)
    if len(epilogue_readers) != 1:
        return "the result has other readers"
    epilogue = epilogue_readers[0]
    if epilogue.name != "linalg.generic" or not is_elementwise(epilogue):
        return "not read by an elementwise epilogue"
    maps, _ = maps_and_iterators(epilogue)
    n_in = num_inputs(epilogue)
    slots = [i for i in range(n_in) if epilogue.operands[i] == value]
    if len(slots) != 1 or not is_identity_map(maps[slots[0]]):
        return "the epilogue reads the result other than in its own order"
    out_map = maps[n_in]
    if not out_map.is_permutation or is_identity_map(out_map):
        return "the epilogue writes the result's layout"
    shape = list(ir.RankedTensorType(value.type).shape)
    groups = reassociation_groups(split) if split is not None else [[d] for d in range(len(shape))]
    if only_split_rows and not any(len(g) > 1 for g in groups[:-1]):
        # Seen on Swin-T's last stage (keys [49, 768] split into [49, 24, 32]): IREE fuses such an
        # epilogue into the contraction's dispatch already.
        return "no row dim of the result is split: IREE fuses the epilogue into the contraction's dispatch"
    # Atoms: the epilogue's loops (the fine dims of the contraction's result).
    full = tuple(r.position for r in out_map.results)  # type: ignore[attr-defined]
    innermost = groups[-1][-1]
    partial = tuple(a for a in full if a != innermost) + (innermost,)
    if partial == tuple(range(len(shape))):
        return "the contraction would write its own layout"
    atoms = AtomChain(tuple(shape), tuple(tuple(g) for g in groups), tuple((a,) for a in partial))
    dead: list[ir.Operation] = []
    written = write_through(contraction, atoms, partial, 1, dead)
    if isinstance(written, str):
        return written
    loops = [ir.AffineDimExpr.get(a) for a in partial]
    new_maps = list(maps)
    new_maps[slots[0]] = ir.AffineMap.get(out_map.n_dims, 0, loops)
    epilogue.operands[slots[0]] = written
    epilogue.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
    if split is not None:
        split.erase()
    contraction.erase()
    if partial == full:
        return ""  # the epilogue now reads in its own order: IREE fuses it into the contraction's dispatch
    # A dispatch of its own: IREE would otherwise fuse the epilogue, with its permuted read, into the
    # contraction's dispatch and give the pair its SubgroupReduce kernel (one output element a workgroup).
    rebuilt = defining_op(written)
    accumulator = defining_op(rebuilt.operands[num_inputs(rebuilt)])
    members = [rebuilt]
    if accumulator is not None and accumulator.name == "linalg.fill" and len(user_ops(accumulator.results[0])) == 1:
        members.insert(0, accumulator)
    form_dispatch_region(members)
    return ""

