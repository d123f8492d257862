"""Which contractions IREE's SPIR-V backend still codegens as matmuls.

The elimination passes rewrite contractions (a chain folded into the
reads, a layout written through the output) by splitting loops into atoms.
That is only profitable while IREE still picks its matmul code generation
for the result. Measured with iree-compile 3.13
(`--compile-to=executable-configurations`, one `linalg.generic`
contraction per module, targets ampere / adreno / valhall):

- IREE's dispatch creation first collapses loops that are adjacent, of the
  same iterator type, and contiguous and in the same order in every operand
  (a split M whose pieces stay in order: 56x56 -> 3136);
- after that, contractions with at most 3 parallel loops get the same
  pipeline as a plain (batch) matmul: `MatmulPromoteVectorize` on ampere,
  `BaseVectorize` on adreno and valhall, whatever order the operands read
  the loops in (transposed operands, a permuted batch dim, a permuted output,
  a split reduction);
- with 4 or more parallel loops they leave it: `SubgroupReduce` (ampere,
  valhall) or `BaseDistribute` (adreno) for Swin's window partition folded
  into the QKV projection (8x8x7x7 M loops), `SubgroupReduce` / `BaseVectorize`
  for two batch dims in different orders.

`off_matmul_pipeline(maps, iterators)` applies that rule to a planned
contraction; the passes refuse the rewrite when it returns a reason.

A third rule, `unaligned_output`: the output's innermost loop group (n
after collapsing) must keep its extent a multiple of 8 when it had one.
Writing a projection head-split makes n the head dim, and for head dims
that are not multiples of 8 IREE leaves the matmul pipeline (same
measurement, X[1024,K] x W[K,4,D] -> [4,1024,D]): D = 36 or 60 gives
`SubgroupReduce` on valhall and `BaseVectorize` on ampere (MobileViT-S's
Q/K/V projections, heads of 36 and 60), where D = 32, 40, 48, 64 or 72 and
the unsplit N = 144 stay on `BaseVectorize` / `MatmulPromoteVectorize`.

A second rule, `short_reduction_pieces`: the pipeline stays the same when
a fold splits the reduction into several loops, but the kernel slows down
when an input then reads its reduction in short innermost pieces. Measured
on an H200 (ampere): patch-embedding convolutions as contractions reading
the image through the space-to-depth index (reduction (c, kh, kw), kw = 2,
4 or 16) took 0.44 ms for ConvNeXt's 192x28x28x96x2x2 (0.31 ms as a
convolution) and 2.8 ms for ViT-B's 768x14x14x3x16x16 (0.94 ms), against
about 0.04 ms as a plain matmul. Head merges read as (head, head dim)
reductions with head dims of 32 to 64 are not affected (ViT-B's
224x768x12x64: 40 us). Reductions of at most `SMALL_REDUCTION` elements
in all are exempt: Swin-T's and ConvNeXt-T's 4x4 patch embedding of the
RGB image (reduction (3, 4, 4) = 48) took 7.6 us reading the image
directly, against 5.2 us (transpose) + 7.7 us (matmul) (H200, ampere,
docs/bench/2026-11-22-h200-session11). One measured point: the bound sits
between that 48 and ConvNeXt's downsampling (384).
"""

from __future__ import annotations

from iree.compiler import ir

MAX_MATMUL_PARALLEL_LOOPS = 3
OFF_MATMUL_PIPELINE = "kept: folding would take the contraction off the matmul pipeline"
MIN_REDUCTION_PIECE = 32
SMALL_REDUCTION = 64
SHORT_REDUCTION_PIECES = "kept: the contraction would read its reduction in short pieces"


def collapsed_loop_groups(maps: list[ir.AffineMap], iterators: list[str]) -> list[tuple[int, ...]]:
    """Loops grouped as IREE's dimension collapsing would merge them.

    Loop `l + 1` joins the group of loop `l` when both have the same
    iterator type and every map either uses neither or lists `l + 1` right
    after `l`. Conservative: IREE may merge more (it never merges less).
    """
    positions: list[list[int | None]] = []
    for m in maps:
        where: list[int | None] = [None] * len(iterators)
        for i, expr in enumerate(m.results):
            if isinstance(expr, ir.AffineDimExpr):
                where[expr.position] = i
        positions.append(where)
    groups: list[list[int]] = []
    for loop in range(len(iterators)):
        if groups and loop > 0 and iterators[loop] == iterators[loop - 1] and all(
            (w[loop - 1] is None and w[loop] is None)
            or (w[loop - 1] is not None and w[loop] is not None and w[loop] == w[loop - 1] + 1)
            for w in positions
        ):
            groups[-1].append(loop)
        else:
            groups.append([loop])
    return [tuple(g) for g in groups]


def off_matmul_pipeline(maps: list[ir.AffineMap], iterators: list[str]) -> str:
    """Why a contraction with these maps would leave the matmul pipeline, or ""."""
    groups = collapsed_loop_groups(maps, iterators)
    parallel = sum(1 for g in groups if iterators[g[0]] == "parallel")
    if parallel <= MAX_MATMUL_PARALLEL_LOOPS:
        return ""
    return (
        f"{OFF_MATMUL_PIPELINE} ({parallel} parallel loops after IREE's dimension collapsing;"
        f" its SPIR-V matmul pipelines take at most {MAX_MATMUL_PARALLEL_LOOPS})"
    )


OUTPUT_ALIGNMENT = 8
UNALIGNED_OUTPUT = "kept: the contraction's innermost output extent would not be a multiple of 8"


def output_inner_extent(maps: list[ir.AffineMap], iterators: list[str], output_shape: list[int]) -> int:
    """The extent of the output's innermost loop group after IREE's collapsing (n of the matmul)."""
    groups = collapsed_loop_groups(maps, iterators)
    sizes = {e.position: extent for e, extent in zip(maps[-1].results, output_shape) if isinstance(e, ir.AffineDimExpr)}
    dims = [e.position for e in maps[-1].results if isinstance(e, ir.AffineDimExpr)]
    if not dims:
        return 1
    group = next(g for g in groups if dims[-1] in g)
    extent = 1
    for loop in group:
        extent *= sizes.get(loop, 1)
    return extent


def unaligned_output(
    maps: list[ir.AffineMap], iterators: list[str], output_shape: list[int],
    old_maps: list[ir.AffineMap], old_iterators: list[str], old_output_shape: list[int],
) -> str:
    """Why a rewrite would make the output's innermost extent lose its alignment to 8, or ""."""
    new = output_inner_extent(maps, iterators, output_shape)
    old = output_inner_extent(old_maps, old_iterators, old_output_shape)
    if new % OUTPUT_ALIGNMENT == 0 or old % OUTPUT_ALIGNMENT != 0:
        return ""
    return f"{UNALIGNED_OUTPUT} ({new}, was {old}: IREE leaves the matmul pipeline)"


def short_reduction_pieces(maps: list[ir.AffineMap], iterators: list[str], shapes: list[list[int]]) -> str:
    """Why a contraction with these maps would read its split reduction in short pieces, or "".

    `shapes` are the operands' shapes (inputs, then the output), in the
    order of `maps`. Only contractions whose reductions stay several loops
    after IREE's collapsing are judged, and only those reducing more than
    SMALL_REDUCTION elements in all; an input fails when the reduction
    group it reads innermost is shorter than MIN_REDUCTION_PIECE.
    """
    groups = collapsed_loop_groups(maps, iterators)
    if sum(1 for g in groups if iterators[g[0]] == "reduction") < 2:
        return ""
    sizes = [1] * len(iterators)
    for m, shape in zip(maps, shapes):
        for extent, expr in zip(shape, m.results):
            if isinstance(expr, ir.AffineDimExpr):
                sizes[expr.position] = extent
    total = 1
    for loop, iterator in enumerate(iterators):
        if iterator == "reduction":
            total *= sizes[loop]
    if total <= SMALL_REDUCTION:
        return ""
    group_of = {loop: g for g in groups for loop in g}
    for m in maps[:-1]:
        innermost = [e for e in m.results if isinstance(e, ir.AffineDimExpr)]
        if not innermost or iterators[innermost[-1].position] != "reduction":
            continue
        piece = 1
        for loop in group_of[innermost[-1].position]:
            piece *= sizes[loop]
        if piece < MIN_REDUCTION_PIECE:
            return (f"{SHORT_REDUCTION_PIECES} (an input's innermost reduction piece has {piece} elements, "
                    f"fewer than {MIN_REDUCTION_PIECE})")
    return ""
