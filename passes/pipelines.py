"""Where SmartMem runs inside IREE's compilation pipeline.

IREE compiles in phases (`--compile-to=<phase>`: input, abi, preprocessing,
global-optimization, dispatch-creation, flow, ...). A compile driver stops
IREE after `after_phase` with the in-process API (`iree.compiler.api`
Invocation with `--compile-to=<after_phase>`), runs `pipeline` (a textual
pipeline for `smartmem.passes.pipeline.build_pass_manager`) on the exported
module, imports it back and continues with `--compile-from=<after_phase>`.

Why after `input`: the elimination passes need the model's layout chains as
the frontend wrote them (expand_shape / linalg.transpose / collapse_shape
next to named `linalg.matmul` / `linalg.batch_matmul`). Global optimization
then still runs on our output: its transpose propagation, reshape
propagation and const-eval see contractions that already read through the
chains, and dispatch creation fuses the bias / residual elementwise ops into
them. Run after `global-optimization` instead, the chains have been partly
sunk into elementwise ops (the `elementwise_transpose` dispatches of stock
IREE) and the head-split transposes are fused with bias adds, so fewer
chains are visible as chains. Measured on Swin-T (vulkan/valhall, flow
census, same SmartMem pipeline): stock 274 dispatches / 97 layout moves;
after `input` 202 / 25; after `global-optimization` 224 / 47.
Order inside the phase: cyclic shifts (slice + concat rolls) become
gathers in their elementwise producer or consumers first, while the
producers are still plain elementwise ops; the layout chains those gathers
read are composed into their gathered index right after
(smartmem-gather-through-layout-chains: Swin-T's window reverse after each
shifted block's output projection; with no transpose behind it, the output
projection then reads the head merge too: flow census, ampere, Swin-T
227 -> 217 dispatches, 38 -> 28 layout moves, the other models
unchanged); strided-slice concats become
chains; convolutions whose stride equals their kernel become matmuls on
space-to-depth patches (smartmem-patchify-convs: IREE gives those
convolutions its generic kernel; H200 against the pipeline without it:
ConvNeXt-T 1.57x, SegFormer-B0 1.05x, the rest unchanged; ConvNeXt-T
125 -> 130 dispatches, the one model that gains any, for 16.9 -> 10.9 ms);
convolutions and poolings run channels last
(smartmem-channels-last-convs{everywhere=true}: IREE's SPIR-V convolution
kernels are tuned for NHWC; ConvNeXt-T's 7x7 depthwise ones take 409 us
NCHW and 30 us NHWC on an H200, a 1x1 one 1024 -> 256 at 14x14 1247 us
and 78 us; full convolutions whose output width IREE's NCHW kernel tiles
well stay; against the pipeline without it: ConvNeXt-T 1.37x, MobileViT-S
1.14x, SegFormer-B0 1.05x (next to channels-last data only,
docs/bench/2026-11-22-h200-channels-last), then ResNet-50 2.65x,
MobileNetV2 2.10x, SegFormer-B0 1.58x more with everywhere=true
(docs/bench/2026-11-22-h200-channels-last-everywhere));
batch matmuls against one broadcast weight become matmuls (so the
weight no longer reads the batch loop); batched attention regions whose
two batch dims are (window, head) are stored head-major
(smartmem-swap-batch-dims: one layout choice for the whole region, so
that the projections can write the head splits and the output projection
can read the head merge; flow census, ampere, with both passes: Swin-T
243 -> 229 dispatches, 59 -> 41 layout moves; MobileViT-S 201 -> 188,
47 -> 34; SegFormer-B0 197 -> 181, moves unchanged; H200 against the
pipeline without them, one interleaved run: Swin-T 1.07x, MobileViT-S
1.04x, SegFormer-B0 1.06x, docs/bench/2026-11-22-h200-swap-batch);
transposes of constants that only elementwise ops read (Swin-T's
attention masks, transposed to head-major by the swap) move into
load-time initializers (smartmem-hoist-constant-layouts: IREE's transpose
propagation otherwise fuses a single-reader one into the mask add as a
permuted read, and that add stays a dispatch of its own: Swin-T
217 -> 215 dispatches, 28 -> 26 layout moves, the other models unchanged);
every chain is then written as one `smartmem.relayout` of its
atoms (smartmem-form-relayouts: the explicit intermediate form, transposes
composed into one permutation, cancelling ones gone); chains
in front of contractions are folded into them (the contraction reads
through the index map); remaining chains are written directly by their
producer (pushed up through bias adds into the producing contraction, so
IREE still fuses them); what is left is folded into elementwise consumers;
the relayouts nobody absorbed become linalg.transpose + reshapes again
(smartmem-materialize-relayouts), so IREE sees no smartmem op. Cut the
pipeline after write-through (smartmem-opt) to see the kept chains as
relayouts. The pair changes no fold or write-through decision, except
that chains whose transposes only move unit dims (Swin's one-window last
stage) are reshapes now, so their contraction stays a named matmul; the
census is unchanged (ampere: Swin-T 274 -> 244 / 97 -> 59, the Swin
default 138 -> 122 / 45 -> 25, the same dispatch kinds).
Every rewrite of a contraction must keep it in the form IREE's SPIR-V
backend codegens as a matmul (smartmem.passes.matmul_form: at most 3
parallel loops after IREE collapses contiguous same-order loops); when it
would not, the chain goes to the bias / residual add next to it, or stays.
With this order (flow census, vulkan/valhall, tools/census_report.py):
Swin-T 274 -> 233 dispatches, layout moves 97 -> 48, flow.tensor.update
20 -> 0; the embedded Swin default 138 -> 117 / 45 -> 20; ViT-B 210 -> 162
/ 73 -> 1; BERT 183 -> 159 / 24 -> 0; GPT-2 207 -> 159 / 72 -> 0. Without
the matmul rule Swin-T reached 187 / 0, but 14 of the default model's
contractions left `MatmulPromoteVectorize` (ampere) and the module ran
about 2x slower than stock on lavapipe; with it none leave
(tools/pipeline_census.py) and it runs as fast as stock.
Layout selection by reduction dim (smartmem.passes.reduction_contiguity,
the paper's rule) on top of it: no rewrite may make a contraction read a
computed operand with k strided or write its result with n not innermost
(unless only reductions that then read their reduced dim contiguously
read it), nor make a reduction read its reduced dim strided. Measured on an
H200 (Vulkan, ampere) before that rule: ConvNeXt-T 0.63x and Swin-T 0.71x
of stock, their contractions writing NCHW / reading the window partition
strided (matmul_like dispatches 2-4x slower). With it (flow census, ampere,
tools/census_report.py; tools/contraction_reads.py counts the input-level
reads): ConvNeXt-T 125 -> 125 / 18 -> 18, 18 contractions writing n not
innermost and 19 strided reductions -> 0 (no matmul_like dispatch left);
Swin-T 274 -> 244 / 97 -> 59 (was 233 / 48; 12 strided contraction writes
and 1 strided reduction -> 0); the Swin default 138 -> 122 / 45 -> 25 (was
117 / 20); MobileViT-S 215 -> 206 / 61 -> 46 (was 194 / 34; 9 strided
contraction writes and 3 strided reductions -> 0); DeiT-S unchanged
210 -> 162 / 73 -> 1.
After `global-optimization`: `smartmem-pad-softmax-rows` stores attention
scores with their key dim padded to a multiple of the target's subgroup
size, at least 32 (the softmax and the
QK^T contraction computing it; -inf in the padding, sliced back at the
consumer). It runs there because IREE's global optimization is what raises
the importers' decomposed softmax (max, sub, exp, sum, div) into
`linalg.softmax`, and because its pads must reach dispatch creation as
pads right behind their producers, which IREE then fuses (the producer
writes into the padded buffer). Measured flow census, ampere: Swin-T
244 -> 244 inference dispatches (+3 in initializers: the padded constant
masks, computed once at load).
`smartmem-split-producer-by-slices` is not in the pipeline. It fires on the
fused QKV projections of DeiT-S, ViT-B/16, CLIP text, MobileViT-S,
SegFormer-B0 and GPT-2, and it removes the copies of their Q/K/V slices
(DeiT-S: 174 -> 162 dispatches, 37 -> 1 layout moves). Yet every one of
these models ran faster without it. The measurement: H200, ampere, one run
each way, each ratio against stock from its own interleaved run
(docs/bench/2026-11-22-h200-padded-rows/device/):

    with the split -> without it
    DeiT-S 1.30x -> 1.31x      ViT-B/16 1.30x -> 1.36x
    CLIP 1.07x -> 1.14x        MobileViT-S 1.49x -> 1.56x
    SegFormer 1.02x -> 1.09x   GPT-2 0.98x -> 1.04x

The three split matmuls each cost about what the fused one did: they have
few rows and are occupancy-bound (GPT-2: 46 us each for 128x768x768 and for
128x2304x768). The split also keeps `smartmem-pad-contraction-rows` from
padding the projection (DeiT-S 1.28x, ViT-B 1.28x with both). On a GPU with
few cores the trade may differ; the pass stays available. The layout-move
counts are higher without it (above); the benchmarks decide.
`smartmem-pad-contraction-rows` (after `global-optimization`, after the
softmax padding) runs the linear layers with 196 or 197 rows, and everything
row-independent around them, on 224 rows. IREE tiles 196 rows by 4 and 197
by 1. With it (same run): Swin-T 1.34x -> 1.49x, DeiT-S 1.31x -> 1.38x,
ViT-B/16 1.36x -> 1.59x. No model gains dispatches.
No pipeline runs for llvm-cpu: SmartMem's layout decisions are made for GPU
kernels. On IREE's CPU backend the contractions that read through a layout
(`matmul_like`) miss the data-tiled path of named matmuls. Measured on the
2-core VM (docs/bench/2026-11-22-cpu-numerics, one interleaved round; the
outputs are equal to stock within 2e-6): BERT-base 0.42x, GPT-2 0.47x,
ViT-B/16 0.76x, Swin-T 0.90x. BERT's matmul_like kernels took 279 ms, where
stock's matmul and batch_matmul took 226 ms. `--target cpu` therefore
compiles stock IREE. The passes stay available through `smartmem-opt`.
`smartmem-block-major-slices` (after the row padding) makes a fused QKV
projection write [3, rows, C] instead of [rows, 3*C], so the Q, K and V
slices are contiguous and IREE reads them in place: the copies that
the split pass removed are gone without splitting the matmul. It runs
after `global-optimization` because IREE's horizontal fusion of the three
projections happens there. Flow census, ampere: DeiT-S and ViT-B/16
174 -> 138 dispatches, 37 -> 1 layout moves; GPT-2 171 -> 135, 36 -> 0;
CLIP 170 -> 137, 33 -> 0; LLaMA 62 -> 50, 21 -> 9; MobileViT-S 210 -> 201,
56 -> 47; SegFormer-B0 203 -> 197, 31 -> 25. H200, against the pipeline
without it in one interleaved run: DeiT-S 1.04x, ViT-B 1.03x, CLIP 1.03x,
GPT-2 1.02x, LLaMA 1.02x, MobileViT-S 1.01x, SegFormer-B0 0.99x
(docs/bench/2026-11-22-h200-block-major).
`smartmem-split-reduction-rows` (last) moves a row split that a
LayerNorm's normalization reads above its variance reduction: the write-
through passes make LayerNorms write layouts (Swin's and MobileViT's
window partition, ConvNeXt's space-to-depth) over split rows, and IREE
fuses the normalization into the reduction's dispatch only over the same
loops. Flow census, ampere: Swin-T 229 -> 227 dispatches, 41 -> 38 layout
moves; MobileViT-S 188 -> 180, 34 -> 25. IREE's own
`--iree-dispatch-creation-enable-aggressive-reshape-movement` does this
for every reduction (Swin-T 221 / 36, H200 1.01x; MobileViT-S 177 / 22,
1.03x: docs/bench/2026-11-22-h200-reshape-flag) but also splits
contractions' loops, which took three of MobileViT-S's projections off
the matmul pipeline on valhall; it is not set.
`smartmem-fuse-pads-into-convolutions` (after the canonicalization, right
before IREE's dispatch creation) puts a channels-last convolution, the pad
IREE would otherwise copy and the epilogue IREE would fuse into one
`flow.dispatch.region`: ConvNeXt-T 128 -> 110 dispatches, its 18 pad copies
gone, the other models unchanged (flow census). It must run last: a later
canonicalization or CSE could reach into the regions. H200: 0.98x against
the pipeline without it (docs/bench/2026-11-22-h200-session5), fewer
dispatches for the same time on that GPU.
`smartmem-fuse-normalization-reductions` (after it, last) puts a
LayerNorm's two row reductions (mean, variance) and its normalization into
one `flow.dispatch.region`, as IREE's
`--iree-dispatch-creation-enable-aggressive-fusion` would for every
reduction; that flag breaks Swin-T's Vulkan compile (a fused softmax), this
pass touches normalizations only, within the target's workgroup memory.
Flow census: Swin-T 215 -> 190 dispatches on ampere, 209 on valhall,
adreno and llvmpipe (32 KiB: only rows of at most 256 floats); BERT-base
159 -> 133 on ampere, unchanged on the mobile targets (768-float rows).
H200 against the pipeline without it: Swin-T 1.04x, BERT-base 1.09x
(docs/bench/2026-11-22-h200-session8; that Swin-T module had 187
dispatches, before the workgroup-memory bound, which on ampere leaves out
the 1536-float rows of the last patch merging). It also takes only rows
whose length is a multiple of the targets' largest subgroup size (at least
32): NVIDIA's Vulkan driver failed to create the pipelines of MobileViT-S's
fused LayerNorms over rows of 144 and 240 floats. Since the ninth session
smartmem-split-reduction-rows splits a LayerNorm's mean as well, so Swin's
window-partitioning LayerNorms fuse too (flow census, ampere, the session's
three changes together: Swin-T 190 -> 183, SegFormer-B0 155 -> 149;
H200, Swin-T 190 -> 185 measured 1.02x, docs/bench/2026-11-22-h200-session9).
After `global-optimization`, smartmem-fold-layout-chains runs once more,
for contractions only (elementwise=false reshapes=false). In the input
phase it refuses to fold a head merge into the output projection of a
non-shifted Swin block, because IREE's transpose propagation would then
sink the window reverse after the projection into it (5 parallel loops,
off the matmul pipeline). After global optimization that propagation has
run: the window reverse sits in the residual add as a permuted read, and
the fold is safe. The projection reads the head merge as a (head, head
dim) reduction, as it already did in the shifted blocks; flow census,
ampere: Swin-T 183 -> 178 dispatches, 26 -> 21 layout moves (the five
`transpose` head merges), the rest of the zoo unchanged.
Next, smartmem-pad-window-attention stores the tokens of each attention
window (Swin's 7x7) as an 8x8 grid, from the projections to the output
projection, and lets QK^T read the keys directly instead of a K^T copy.
It runs before smartmem-write-epilogue-layouts and
smartmem-pad-softmax-rows, which then find aligned rows and softmaxes, and
before smartmem-fuse-normalization-reductions, which leaves the padded
LayerNorms to IREE (IREE writes such a LayerNorm into the padded buffer;
behind a hand-formed region the pad would be a copy). Flow census, ampere:
Swin-T 170 -> 165 dispatches, 16 -> 6 layout moves (the ten K^T copies
gone); valhall 199 -> 192, adreno 205 -> 197; the other eleven models
byte-identical. H200, two interleaved runs: 1.066x and 1.084x, GPU time
3.64 -> 3.26 ms (docs/bench/2026-11-22-h200-session11).
Then smartmem-write-epilogue-layouts lets a projection whose bias add
writes a permuted layout (Swin's keys, K^T, in stages 2 and 3) write the
head split itself, in a dispatch of its own, so that it runs on the kernel
of the queries' and values' projections; the bias add keeps the remaining
swap. Only row counts that IREE cannot tile by 32 (196, 784; not
MobileViT-S's 256, which ran slower so). Dispatch counts unchanged; H200,
Swin-T: 1.016x and 1.012x in two interleaved runs, GPU time 3.67 -> 3.64
ms.
`smartmem-permute-row-regions` is not in the pipeline. It stores a
region of row-wise ops (LayerNorms, MLPs, residual adds, linear layers)
with its rows in the order the chains at its edge want: Swin's residual
stream in window order through each stage. Run after form-relayouts,
then form-relayouts and gather-through-layout-chains again, it takes
Swin-T from 215 to 198 dispatches and from 26 to 14 layout moves (flow
census, ampere; the other models unchanged), with the outputs equal to
stock. Yet the module ran slower: H200, one interleaved run against the
pipeline without it, 7.61 -> 7.77 ms (0.98x), GPU dispatch time 3.86 ->
4.26 ms (docs/bench/2026-11-22-h200-session7): matmul 2.56 -> 2.68 ms,
matmul_like 0.68 -> 0.85, reductions 0.22 -> 0.36. Three causes, per
dispatch: smartmem-pad-contraction-rows pads fewer of stage 3's 196-row
linear layers to 224 rows (its regions stop at ops that read
`linalg.index`, which the window-order stream's shifted residual adds
do); the output projections that now read their head merge run as
`matmul_like` at about twice the time of the transpose and matmul they
replace (3136x96x3x32: 1.7 -> 3.4 us); the patch merging LayerNorms
read the stage through the exit gather, fused into their reductions
(49x1536: 1.2 -> 16.7 us). And for lavapipe (`vulkan:llvmpipe`) IREE
3.13 fails to compile that fused reduction (a `memref.alloc` of index
values it cannot legalize for SPIR-V). It stays available for
smartmem-opt, for the study of the global layout choice.
`smartmem-gather-rows-before-normalization` is not in the pipeline. It
moves the row gather after a LayerNorm (Swin's shifted blocks: cyclic shift
and window partition) in front of it, so that the gather becomes a private
producer of the fused LayerNorm. Flow census, ampere: Swin-T 183 -> 181
(stages 1 and 2; stage 3 normalizes rows padded to 224 and slices them, which
the pass does not follow), the other models unchanged; outputs
bit-identical. H200, three interleaved runs against the pipeline without
it: 0.99x, 1.01x, 1.00x (GPU dispatch time 3.576 -> 3.560 ms); no gain on
that GPU. And IREE 3.13 fails to compile the fused gather and LayerNorm
for llvmpipe (a workgroup `memref.alloc` of index values), as it failed
smartmem-permute-row-regions' exit gathers. On a bandwidth-bound phone GPU
the saved read and write of the activation may matter; not measured.
`smartmem-classify` is not in the pipeline: elimination does not read its
tags.

The entries run in order; each names the phase after which it runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhasePipeline:
    """Run `pipeline` (builtin.module(...)) after IREE's phase `after_phase`, for `backends`."""

    after_phase: str
    pipeline: str
    backends: tuple[str, ...] = ("llvm-cpu", "vulkan")


SMARTMEM_PHASE_PIPELINES: tuple[PhasePipeline, ...] = (
    PhasePipeline(
        "input",
        "builtin.module(smartmem-fold-rolls,"
        "smartmem-gather-through-layout-chains,"
        "smartmem-concat-slices-to-transpose,"
        "smartmem-patchify-convs,"
        "smartmem-channels-last-convs{everywhere=true},"
        "smartmem-unbatch-broadcast-matmuls,"
        "smartmem-swap-batch-dims,"
        "smartmem-hoist-constant-layouts,"
        "smartmem-form-relayouts,"
        "smartmem-fold-layout-chains{elementwise=false},"
        "smartmem-write-through-layout-chains,"
        "smartmem-fold-layout-chains,"
        "smartmem-materialize-relayouts,canonicalize,cse)",
        # GPU targets only: on llvm-cpu the contractions that read through
        # layouts lose IREE's data-tiled matmul path (see below).
        backends=("vulkan",),
    ),
    PhasePipeline(
        "global-optimization",
        "builtin.module(smartmem-fold-layout-chains{elementwise=false reshapes=false},smartmem-pad-window-attention,"
        "smartmem-write-epilogue-layouts,smartmem-pad-softmax-rows,smartmem-pad-contraction-rows,"
        "smartmem-block-major-slices,smartmem-split-reduction-rows,canonicalize,cse,"
        "smartmem-fuse-pads-into-convolutions,smartmem-fuse-normalization-reductions)",
        # Subgroup alignment is a GPU concern; on CPUs the padding is only extra work.
        backends=("vulkan",),
    ),
)
