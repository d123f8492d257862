"""smartmem-fuse-pads-into-convolutions: a channels-last convolution reads its padding in its own dispatch.

A convolution with padding reads a `tensor.pad` of its input. IREE 3.13
fuses such a pad only into the pad's producer, and only when that producer
is an elementwise op read by nothing else (it then writes into the interior
of the padded buffer). Every other pad becomes a dispatch of its own, a
`slow_memcpy` that copies the whole activation: ConvNeXt-T has 18, one in
front of each 7x7 depthwise convolution, because the residual add that
produces the input is also read by the next residual add. IREE's
`--iree-dispatch-creation-enable-fuse-padding-into-linalg-consumer-ops`
fuses every pad into its consumer instead, but its codegen fails on
MobileViT-S and on Swin-T's padded attention keys, so it cannot be set for
a whole model.

This pass forms the dispatch itself, for channels-last convolutions and
poolings only (`linalg.depthwise_conv_2d_nhwc_hwc`, `linalg.conv_2d_nhwc_hwcf`,
`linalg.pooling_nhwc_*`, and the generics IREE's global optimization makes
of them once it drops their unit batch dim: a window slid over operand 0,
whose innermost dim is the channel): a `flow.dispatch.region` holding the pad, the
convolution (with the fill of its accumulator) and the chain of elementwise
ops that IREE would fuse behind it (a bias add: single-reader ops of the
convolution's shape reading it with the identity map). IREE's dispatch
creation keeps regions it finds and forms the rest around them.

    %r = linalg.generic {add} ins(%x, %y ...) -> tensor<1x56x56x96xf32>   // also read elsewhere
    %p = tensor.pad %r low[0, 3, 3, 0] high[0, 3, 3, 0] {zero}
    %c = linalg.depthwise_conv_2d_nhwc_hwc ins(%p, %w) outs(%fill)
    %o = linalg.generic {bias add} ins(%c, %b ...)

becomes

    %r = linalg.generic {add} ins(%x, %y ...) -> tensor<1x56x56x96xf32>
    %o = flow.dispatch.region -> (tensor<1x56x56x96xf32>) {
      %p = tensor.pad %r low[0, 3, 3, 0] high[0, 3, 3, 0] {zero}
      %fill = linalg.fill ...
      %c = linalg.depthwise_conv_2d_nhwc_hwc ins(%p, %w) outs(%fill)
      %o_in = linalg.generic {bias add} ins(%c, %b ...)
      flow.return %o_in
    }

Runs last after `global-optimization`, right before IREE's dispatch
creation, for GPU targets: ConvNeXt-T 128 -> 110 dispatches (flow census,
vulkan:ampere), compiled for ampere, valhall, adreno and llvmpipe.

Refuses (leaves the pad to IREE):
- pads whose producer takes them already: the single-reader result of an
  elementwise op, possibly through reshapes, with no input read elsewhere
  (ResNet-50's and MobileNetV2's activations);
- pads with dynamic amounts, or a padding value computed inside the pad;
- pads read by anything else, or by another operand than the input;
- NCHW convolutions and other ops (IREE's codegen of NCHW kernels is not
  SmartMem's path on GPUs: smartmem-channels-last-convs).
"""

from __future__ import annotations

from iree.compiler import ir

from smartmem.passes.base import ModulePass, defining_op, ops_where, user_ops
from smartmem.passes.dispatch_region import block_order, form_dispatch_region
from smartmem.passes.linalg_ops import is_elementwise, maps_and_iterators, num_inputs

CHANNELS_LAST_WINDOW_OPS = (
    "linalg.depthwise_conv_2d_nhwc_hwc",
    "linalg.conv_2d_nhwc_hwcf",
    "linalg.pooling_nhwc_sum",
    "linalg.pooling_nhwc_max",
    "linalg.pooling_nhwc_min",
)
_RESHAPES = ("tensor.expand_shape", "tensor.collapse_shape")


def _is_channels_last_window(op: ir.Operation) -> bool:
    """A channels-last convolution or pooling: named, or a generic (IREE's global optimization generalizes
    them once it drops the unit batch dim) that slides a window over operand 0 with its channels innermost."""
    if op.name in CHANNELS_LAST_WINDOW_OPS:
        return True
    if op.name != "linalg.generic":
        return False
    maps, iterators = maps_and_iterators(op)
    if "reduction" not in iterators:
        return False
    results = list(maps[0].results)
    return any(isinstance(e, ir.AffineAddExpr) for e in results) and isinstance(results[-1], ir.AffineDimExpr)


def _padding_value_is_constant(pad: ir.Operation) -> bool:
    """Whether the pad yields one value defined outside its body (a constant)."""
    operations = list(pad.regions[0].blocks[0].operations)
    if len(operations) != 1:
        return False
    producer = defining_op(operations[0].operands[0])
    return producer is not None and producer.parent != pad


def _producer_takes_pad(source: ir.Value) -> bool:
    """Whether IREE fuses a pad of `source` into its producer's dispatch.

    It does when the producer is a single-reader elementwise op (through
    reshapes) whose dispatch has this one result: none of its inputs is a
    linalg result read elsewhere too (ResNet-50's ReLU behind a
    convolution). When an input is (ConvNeXt-T's transpose of the residual
    stream), IREE gives the dispatch two results and leaves the pad a copy.
    """
    value = source
    while True:
        if len(user_ops(value)) != 1:
            return False
        producer = defining_op(value)
        if producer is None:
            return False
        if producer.name not in _RESHAPES:
            break
        value = producer.operands[0]
    if not is_elementwise(producer):
        return False
    for operand in list(producer.operands)[:num_inputs(producer)]:
        feeder = defining_op(operand)
        if feeder is not None and feeder.name.startswith("linalg.") and len(user_ops(operand)) > 1:
            return False
    return True


def _epilogue(conv: ir.Operation) -> list[ir.Operation]:
    """The elementwise ops IREE would fuse behind `conv`: each the single reader of the previous, reading it
    through a permutation (a bias add, or one that writes the channels-first layout: MobileViT-S)."""
    chain: list[ir.Operation] = []
    value = conv.results[0]
    while True:
        users = user_ops(value)
        if len(users) != 1 or not is_elementwise(users[0]) or len(users[0].results) != 1:
            return chain
        user = users[0]
        maps, _ = maps_and_iterators(user)
        n_inputs = num_inputs(user)
        reads = [i for i, operand in enumerate(user.operands) if operand == value]
        if any(i >= n_inputs or not maps[i].is_permutation for i in reads) or not maps[-1].is_permutation:
            return chain
        chain.append(user)
        value = user.results[0]


def _cuts_off_a_consumer(op: ir.Operation, region_ops: list[ir.Operation]) -> bool:
    """Whether a reader of `op`'s result (directly or through reshapes) is an elementwise op IREE would fuse
    into the convolution's dispatch but the region leaves out: one that does not also read a reduction of
    that result (MobileViT-S's SiLU reads the bias add twice; SegFormer-B0's GELU sits behind a reshape).
    A LayerNorm's centering reads the mean of the result, so IREE fuses it with that reduction instead
    (ConvNeXt-T)."""
    result_and_reshapes = _with_reshapes(op.results[0])
    for value in result_and_reshapes:
        for reader in user_ops(value):
            if not is_elementwise(reader):
                continue
            others = [v for v in list(reader.operands)[:num_inputs(reader)] if v not in result_and_reshapes]
            if not any(_reduces(v, result_and_reshapes, region_ops) for v in others):
                return True
    return False


def _with_reshapes(value: ir.Value) -> list[ir.Value]:
    """`value` and every reshape of it (transitively)."""
    found = [value]
    for current in found:
        found.extend(r.results[0] for r in user_ops(current) if r.name in _RESHAPES)
    return found


def _reduces(value: ir.Value, sources: list[ir.Value], region_ops: list[ir.Operation]) -> bool:
    """Whether `value` is computed, through elementwise generics and reshapes, from a reduction of one of
    `sources` (a mean of the result, divided and broadcast back over the image)."""
    pending, seen = [value], set()
    while pending:
        producer = defining_op(pending.pop())
        if producer is None or producer in seen or producer in region_ops:
            continue
        seen.add(producer)
        if producer.name in _RESHAPES:
            pending.append(producer.operands[0])
        elif producer.name == "linalg.generic":
            inputs = list(producer.operands)[:num_inputs(producer)]
            if not is_elementwise(producer):
                if any(v in sources for v in inputs):
                    return True
                continue
            pending.extend(inputs)
    return False


def _broadcast_feeders(ops: list[ir.Operation]) -> list[ir.Operation]:
    """Producers read only by `ops` that are fills or elementwise ops broadcasting smaller tensors (a bias
    spread over the image): IREE fuses those into the dispatch that reads them."""
    feeders: list[ir.Operation] = []
    for op in ops:
        for operand in op.operands:
            feeder = defining_op(operand)
            if feeder is None or feeder in ops or feeder in feeders or feeder.parent != op.parent:
                continue
            if any(reader not in ops for reader in user_ops(operand)):
                continue
            if feeder.name == "linalg.fill":
                feeders.append(feeder)
                continue
            if not is_elementwise(feeder) or len(feeder.results) != 1:
                continue
            rank = ir.RankedTensorType(feeder.results[0].type).rank
            inputs = list(feeder.operands)[:num_inputs(feeder)]
            if all(not isinstance(v.type, ir.RankedTensorType) or ir.RankedTensorType(v.type).rank < rank for v in inputs):
                feeders.append(feeder)
    return feeders


class FusePadsIntoConvolutionsPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-fuse-pads-into-convolutions"

    def run_on_module(self, module: ir.Operation) -> None:
        windows = ops_where(module, _is_channels_last_window)
        with module.context:
            for window in windows:
                self.fuse(window)

    def fuse(self, window: ir.Operation) -> None:
        pad = defining_op(window.operands[0])
        if pad is None or pad.name != "tensor.pad":
            self.no_match(window, "the input is not a tensor.pad")
            return
        if len(pad.operands) != 1 or not _padding_value_is_constant(pad):
            self.no_match(pad, "dynamic padding amounts or a padding value computed in the pad")
            return
        if len(user_ops(pad.results[0])) != 1 or any(o == pad.results[0] for o in list(window.operands)[1:]):
            self.no_match(pad, "the padded value has other readers")
            return
        if _producer_takes_pad(pad.operands[0]):
            self.no_match(pad, "its producer writes the padding already (a single-reader elementwise op)")
            return
        if pad.parent != window.parent:
            self.no_match(pad, "the pad and the convolution are in different blocks")
            return
        computed = [window, *_epilogue(window)]
        if _cuts_off_a_consumer(computed[-1], computed):
            self.no_match(window, "an elementwise reader that IREE would fuse into the convolution would be cut off")
            return
        feeders = _broadcast_feeders(computed)
        order = block_order(window)
        form_dispatch_region([pad, *sorted(feeders, key=lambda f: order[f]), *computed])
        self.log.debug("fused %s into the dispatch of %s (+%d epilogue, %d feeders)", pad.name, window.name,
                       len(computed) - 1, len(feeders))

