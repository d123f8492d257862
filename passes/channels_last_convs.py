"""Pass smartmem-channels-last-convs: NCHW convolutions and poolings run channels last."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, static_shaped
from smartmem.passes.fold_layout_chains import chains_after
from smartmem.passes.layout_chain import AtomChain, chain_of
from smartmem.passes.materialize_relayouts import transposed
from smartmem.passes.patchify_convs import accumulator_of

TO_CHANNELS_LAST = [0, 2, 3, 1]
TO_CHANNELS_FIRST = [0, 3, 1, 2]
DEPTHWISE = "linalg.depthwise_conv_2d_nchw_chw"
FULL = "linalg.conv_2d_nchw_fchw"
# Filter permutations to the channels-last form of each op (None: a pooling
# window, which has no channels).
FILTER_TO_CHANNELS_LAST: dict[str, list[int] | None] = {
    DEPTHWISE: [1, 2, 0],  # [C, kh, kw] -> [kh, kw, C]
    FULL: [2, 3, 1, 0],  # [F, C, kh, kw] -> [kh, kw, C, F]
    "linalg.pooling_nchw_max": None,
    "linalg.pooling_nchw_sum": None,
}
_CHANNELS_LAST_BUILDER = {
    DEPTHWISE: linalg.depthwise_conv_2d_nhwc_hwc,
    FULL: linalg.conv_2d_nhwc_hwcf,
    "linalg.pooling_nchw_max": linalg.pooling_nhwc_max,
    "linalg.pooling_nchw_sum": linalg.pooling_nhwc_sum,
}


@dataclass(frozen=True)
class ChannelsLastOptions:
    """Options of smartmem-channels-last-convs.

    everywhere: run every NCHW convolution and pooling channels last, not
    only those next to channels-last data (a CNN of NCHW operators becomes
    channels last as a whole, transposed once at its input and output).
    """

    everywhere: bool = False


def _channels_innermost_in_source(chain: AtomChain, channel_dim: int) -> bool:
    """Whether the chain's source holds result dim `channel_dim` innermost (the data is channels last)."""
    channel_atoms = chain.result_dims[channel_dim]
    source_atoms = chain.source_fine_atoms()
    return bool(channel_atoms) and bool(source_atoms) and source_atoms[-1] == channel_atoms[-1]


def _channels_innermost_in_result(chain: AtomChain, channel_dim: int) -> bool:
    """Whether the chain's result holds source dim `channel_dim` innermost (read channels last)."""
    channel_atoms = chain.source_dims[channel_dim]
    result_atoms = [a for dim in chain.result_dims for a in dim]
    return bool(channel_atoms) and bool(result_atoms) and result_atoms[-1] == channel_atoms[-1]


def _nchw_tiles_well(op: ir.Operation) -> str:
    """Why a full NCHW convolution should stay NCHW, or "".

    IREE's NCHW kernel tiles the output width by 8; it stays as fast as the
    NHWC one (or faster) where the width divides, and collapses where it
    does not (measured on an H200: ResNet's 3x3 512 -> 512 at 7x7 39 ms
    NCHW, 3.8 ms NHWC; 256 at 14x14 2.8x, 128 at 28x28 stride 2 2.2x faster
    NHWC; 64 at 56x56 0.9x; MobileViT-S's 3x3 convolutions at widths 32, 16
    and 8: 5-8x slower NHWC). 1x1 convolutions are matmuls, NHWC everywhere
    (1024 -> 256 at 14x14: 1247 us NCHW, 78 us NHWC).
    """
    kernel = ir.RankedTensorType(op.operands[1].type).shape[2:]
    width = ir.RankedTensorType(op.operands[2].type).shape[3]
    if list(kernel) != [1, 1] and width % 8 == 0:
        return f"output width {width} is a multiple of 8: IREE's NCHW kernel tiles it well"
    return ""


def _spatial_pad(op: ir.Operation) -> tuple[list[int], list[int]] | None:
    """(low, high) of a static `tensor.pad` of NCHW along H and W only, with a constant, or None."""
    if op.name != "tensor.pad":
        return None
    low = list(ir.DenseI64ArrayAttr(op.attributes["static_low"]))
    high = list(ir.DenseI64ArrayAttr(op.attributes["static_high"]))
    if len(op.operands) != 1 or low[:2] != [0, 0] or high[:2] != [0, 0] or min(low + high) < 0:
        return None
    body = list(op.regions[0].blocks[0].operations)
    yielded = body[-1].operands[0]
    if any(yielded == arg for arg in op.regions[0].blocks[0].arguments):
        return None
    inside = yielded.owner
    if isinstance(inside, (ir.OpView, ir.Operation)) and inside.operation.parent == op:
        return None  # computed in the pad region: keep it simple, only a value from outside
    return low, high


def _pad_channels_last(source: ir.Value, low: list[int], high: list[int], value: ir.Value) -> ir.Value:
    """`source` (NHWC) padded by the NCHW pad amounts `low`/`high`, moved to NHWC order."""
    source_type = ir.RankedTensorType(source.type)
    low_nhwc = [low[p] for p in TO_CHANNELS_LAST]
    high_nhwc = [high[p] for p in TO_CHANNELS_LAST]
    shape = [s + lo + hi for s, lo, hi in zip(source_type.shape, low_nhwc, high_nhwc)]
    result_type = ir.RankedTensorType.get(shape, source_type.element_type)
    pad = tensor.PadOp(result_type, source, [], [], low_nhwc, high_nhwc)
    index = ir.IndexType.get()
    block = pad.regions[0].blocks.append(*([index] * len(shape)))
    with ir.InsertionPoint(block):
        tensor.YieldOp(value)
    return pad.result


class ChannelsLastConvsPass(ModulePass):
    """Run NCHW convolutions and poolings channels last: next to channels-last data, or everywhere.

    IREE's SPIR-V backend has tuned convolution configurations for
    channels-last convolutions; an NCHW one gets a slower kernel. Measured
    on an H200 (ampere), one kernel per module: ConvNeXt's 7x7 depthwise
    convolution at 56x56x96 takes 409 us NCHW and 30 us NHWC, at 14x14x384
    101 us and 14 us; SegFormer's 3x3 depthwise ones 72 -> 44 us at
    128x128x128, 30 -> 23 us at 64x64x256; a stride-1 3x3 full convolution
    of 256 channels at 14x14 1293 -> 469 us (64 channels at 56x56: 253 and
    266 us). Strided full convolutions stay NCHW: SegFormer's 3x3 stride-2
    patch embeddings ran 1.5-2.9x slower channels last (163 -> 303 us at
    32x32x160, 177 -> 507 us at 16x16x256).

    The rewrite transposes the input to NHWC (moving a spatial `tensor.pad`
    behind the transpose), the filter to [kh, kw, C] (a constant: IREE's
    const-eval does it once) and the result back to NCHW, and rebuilds the
    accumulator channels last (a full convolution's filter goes to
    [kh, kw, C, F]). It only pays where those transposes cancel:
    so it runs only when the input comes from channels-last data through
    a layout chain (ConvNeXt's downsampling written channels last,
    SegFormer's tokens reshaped to an image) or a layout chain reads the
    result channels last (ConvNeXt's permute before its LayerNorm,
    SegFormer's flatten to tokens); the elimination passes after it compose
    the chains and cancel the pairs. Convolutions between other NCHW
    operators (ResNet-50's, MobileNetV2's) stay. Measured on an H200
    against the pipeline without it, one interleaved run each: ConvNeXt-T
    1.37x (convolutions 2.93 -> 0.44 ms of GPU time, with patchify-convs
    writing channels last), MobileViT-S 1.14x (its stride-1 3x3
    convolutions, which feed the unfolding into patches), SegFormer-B0
    1.05x (docs/bench/2026-11-22-h200-channels-last; two identical modules
    measured 1.04x apart in the same kind of run: that is the noise).

    For example (ConvNeXt's depthwise convolution, read channels last):

        %p = tensor.pad %x low[0, 0, 3, 3] high[0, 0, 3, 3]          (1x96x62x62)
        %y = linalg.depthwise_conv_2d_nchw_chw ins(%p, %w : 1x96x62x62, 96x7x7)
        %z = linalg.transpose ins(%y) permutation = [0, 2, 3, 1]

    becomes

        %xt = linalg.transpose ins(%x) permutation = [0, 2, 3, 1]    (1x56x56x96)
        %pt = tensor.pad %xt low[0, 3, 3, 0] high[0, 3, 3, 0]        (1x62x62x96)
        %wt = linalg.transpose ins(%w) permutation = [1, 2, 0]        (7x7x96)
        %yt = linalg.depthwise_conv_2d_nhwc_hwc ins(%pt, %wt)
        %y = linalg.transpose ins(%yt) permutation = [0, 3, 1, 2]
        %z = linalg.transpose ins(%y) permutation = [0, 2, 3, 1]     (cancels with %y later)

    With `everywhere=true` (the GPU pipeline's setting) the neighbours are
    not asked: every NCHW convolution and pooling of a CNN runs channels
    last, transposed once at the network's input and output, and the
    transposes between them cancel through the elementwise ops in between.
    Full convolutions whose output width is a multiple of 8 stay NCHW
    (`_nchw_tiles_well`: IREE's NCHW kernel is as fast there, and MobileViT-S's
    3x3 convolutions at widths 32, 16 and 8 ran 5-8x slower NHWC). Measured
    on an H200 against the neighbour rule alone, one interleaved run
    (docs/bench/2026-11-22-h200-channels-last-everywhere): ResNet-50 2.65x
    (54.4 -> 20.5 ms), MobileNetV2 2.10x, SegFormer-B0 1.58x (its decoder's
    1x1 convolutions), MobileViT-S 1.01x; without the width rule
    MobileViT-S was 0.71x.

    Refuses: dynamic shapes, pads on the batch or channel dims or with a
    value computed in the pad region; without `everywhere`, strided full
    convolutions and convolutions with channels-first data on both sides;
    with it, full convolutions that IREE's NCHW kernel tiles well.

    Options: everywhere=false.
    """

    name = "smartmem-channels-last-convs"
    Options = ChannelsLastOptions

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            self.rewrite_each(ops_where(module, lambda op: op.name in FILTER_TO_CHANNELS_LAST), self.rewrite)

    def rewrite(self, op: ir.Operation) -> str:
        image, filters, init = op.operands[0], op.operands[1], op.operands[2]
        if not all(static_shaped(v) for v in (image, filters, init)):
            return "dynamic shape"
        everywhere = self.options.everywhere
        if everywhere and op.name == FULL:
            reason = _nchw_tiles_well(op)
            if reason:
                return reason
        elif op.name == FULL and set(ir.DenseIntElementsAttr(op.attributes["strides"])) != {1}:
            return "a strided full convolution (measured slower channels last)"
        pad_op = defining_op(image)
        pad = _spatial_pad(pad_op) if pad_op is not None else None
        if pad_op is not None and pad_op.name == "tensor.pad" and pad is None:
            return "the input pad is not a constant spatial pad"
        unpadded = pad_op.operands[0] if pad is not None else image
        if not everywhere and not self._next_to_channels_last(unpadded, op.results[0]):
            return "channels-first data on both sides: the transposes would stay"
        with ir.InsertionPoint(op), op.location:
            source = transposed(unpadded, TO_CHANNELS_LAST)
            if pad is not None:
                pad_value = list(pad_op.regions[0].blocks[0].operations)[-1].operands[0]
                source = _pad_channels_last(source, pad[0], pad[1], pad_value)
            permutation = FILTER_TO_CHANNELS_LAST[op.name]
            filters_last = filters if permutation is None else transposed(filters, permutation)
            start = accumulator_of(init)
            init_shape = list(ir.RankedTensorType(init.type).shape)
            element = ir.RankedTensorType(init.type).element_type
            if start is not None:
                init_last = start.build([init_shape[p] for p in TO_CHANNELS_LAST], 3, element)
            else:
                init_last = transposed(init, TO_CHANNELS_LAST)
            result_last = _CHANNELS_LAST_BUILDER[op.name](source, filters_last, outs=[init_last])
            conv = result_last.owner
            for name in ("strides", "dilations"):
                # Copied as they are (the builder would retype them as tensors).
                conv.attributes[name] = op.attributes[name]
            result = transposed(result_last, TO_CHANNELS_FIRST)
        op.results[0].replace_all_uses_with(result)
        op.erase()
        if pad_op is not None and pad is not None and not list(pad_op.results[0].uses):
            pad_op.erase()
        return ""

    @staticmethod
    def _next_to_channels_last(image: ir.Value, result: ir.Value) -> bool:
        chain = chain_of(image)
        if chain is not None and not chain[2].is_identity() and _channels_innermost_in_source(chain[2], 1):
            return True
        return any(_channels_innermost_in_result(chain, 1) for _, chain in chains_after(result))
