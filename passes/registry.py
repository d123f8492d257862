"""Pass registry: pass argument -> lazily imported pass class.

Importing a pass module is deferred until the pass is used or `--help` is
asked for, so tools start without loading every pass.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class PassEntry:
    name: str
    module: str
    class_name: str

    def load(self) -> type:
        return getattr(importlib.import_module(self.module), self.class_name)


PASS_REGISTRY: tuple[PassEntry, ...] = (
    PassEntry("smartmem-classify", "smartmem.passes.classify", "ClassifyPass"),
    PassEntry("smartmem-canonicalize-layouts", "smartmem.passes.canonicalize_layouts", "CanonicalizeLayoutsPass"),
    PassEntry("smartmem-fold-layout-chains", "smartmem.passes.fold_layout_chains", "FoldLayoutChainsPass"),
    PassEntry("smartmem-write-through-layout-chains", "smartmem.passes.write_through_layout_chains", "WriteThroughLayoutChainsPass"),
    PassEntry("smartmem-write-epilogue-layouts", "smartmem.passes.write_epilogue_layouts", "WriteEpilogueLayoutsPass"),
    PassEntry("smartmem-split-producer-by-slices", "smartmem.passes.split_producer_by_slices", "SplitProducerBySlicesPass"),
    PassEntry("smartmem-fold-rolls", "smartmem.passes.fold_rolls", "FoldRollsPass"),
    PassEntry("smartmem-gather-through-layout-chains", "smartmem.passes.gather_through_layout_chains", "GatherThroughLayoutChainsPass"),
    PassEntry("smartmem-hoist-constant-layouts", "smartmem.passes.hoist_constant_layouts", "HoistConstantLayoutsPass"),
    PassEntry("smartmem-concat-slices-to-transpose", "smartmem.passes.concat_slices_to_transpose", "ConcatSlicesToTransposePass"),
    PassEntry("smartmem-pad-softmax-rows", "smartmem.passes.pad_softmax_rows", "PadSoftmaxRowsPass"),
    PassEntry("smartmem-pad-window-attention", "smartmem.passes.pad_window_attention", "PadWindowAttentionPass"),
    PassEntry("smartmem-pad-contraction-rows", "smartmem.passes.pad_contraction_rows", "PadContractionRowsPass"),
    PassEntry("smartmem-split-reduction-rows", "smartmem.passes.split_reduction_rows", "SplitReductionRowsPass"),
    PassEntry("smartmem-block-major-slices", "smartmem.passes.block_major_slices", "BlockMajorSlicesPass"),
    PassEntry("smartmem-swap-batch-dims", "smartmem.passes.swap_batch_dims", "SwapBatchDimsPass"),
    PassEntry("smartmem-unbatch-broadcast-matmuls", "smartmem.passes.unbatch_broadcast_matmuls", "UnbatchBroadcastMatmulsPass"),
    PassEntry("smartmem-patchify-convs", "smartmem.passes.patchify_convs", "PatchifyConvsPass"),
    PassEntry("smartmem-channels-last-convs", "smartmem.passes.channels_last_convs", "ChannelsLastConvsPass"),
    PassEntry("smartmem-fuse-pads-into-convolutions", "smartmem.passes.fuse_pads_into_convolutions", "FusePadsIntoConvolutionsPass"),
    PassEntry("smartmem-fuse-normalization-reductions", "smartmem.passes.fuse_normalization_reductions", "FuseNormalizationReductionsPass"),
    PassEntry("smartmem-gather-rows-before-normalization", "smartmem.passes.gather_rows_before_normalization", "GatherRowsBeforeNormalizationPass"),
    PassEntry("smartmem-permute-row-regions", "smartmem.passes.permute_row_regions", "PermuteRowRegionsPass"),
    PassEntry("smartmem-form-relayouts", "smartmem.passes.form_relayouts", "FormRelayoutsPass"),
    PassEntry("smartmem-materialize-relayouts", "smartmem.passes.materialize_relayouts", "MaterializeRelayoutsPass"),
)


def lookup(name: str) -> PassEntry | None:
    for entry in PASS_REGISTRY:
        if entry.name == name:
            return entry
    return None


def is_smartmem_pass_name(name: str) -> bool:
    return name.startswith("smartmem-")
