"""Pass smartmem-patchify-convs: a convolution whose stride equals its kernel becomes a matmul."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, static_shaped
from smartmem.passes.materialize_relayouts import transposed
from smartmem.passes.linalg_ops import reassociation_attr, fill


def _ints(attr: ir.Attribute) -> list[int]:
    return [int(v) for v in ir.DenseIntElementsAttr(attr)]


@dataclass(frozen=True)
class Accumulator:
    """Where the convolution's sums start: a scalar (a fill or a splat constant) or a per-feature bias."""

    scalar: ir.Value | ir.Attribute | None = None
    per_feature: ir.Value | None = None  # [F], broadcast over the other dims

    def build(self, shape: list[int], feature_dim: int, element: ir.Type) -> ir.Value:
        """The accumulator of a matmul result of `shape` whose dim `feature_dim` runs over the features."""
        empty = tensor.EmptyOp(shape, element).result
        if self.per_feature is None:
            scalar = self.scalar
            if isinstance(scalar, ir.Attribute):
                scalar = arith.ConstantOp(element, ir.DenseElementsAttr(scalar).get_splat_value()).result
            return fill(scalar, empty)
        rank = len(shape)
        maps = ir.ArrayAttr.get([
            ir.AffineMapAttr.get(ir.AffineMap.get(rank, 0, [ir.AffineDimExpr.get(feature_dim)])),
            ir.AffineMapAttr.get(ir.AffineMap.get_identity(rank)),
        ])
        iterators = ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * rank)
        broadcast = linalg.GenericOp([empty.type], [self.per_feature], [empty], maps, iterators)
        block = broadcast.regions[0].blocks.append(element, element)
        with ir.InsertionPoint(block):
            linalg.YieldOp([block.arguments[0]])
        return broadcast.results[0]


def accumulator_of(value: ir.Value) -> Accumulator | None:
    """How an NCHW convolution accumulator starts: a fill, a splat constant, or a bias broadcast along C; else None."""
    op = defining_op(value)
    if op is None:
        return None
    if op.name == "linalg.fill":
        return Accumulator(scalar=op.operands[0])
    if op.name == "arith.constant":
        attr = op.attributes["value"]
        if isinstance(attr, ir.DenseElementsAttr) and attr.is_splat:
            return Accumulator(scalar=attr)
        return None
    if op.name == "linalg.broadcast":
        # The importer without onnxsim accumulates into the bias: [F] along dim 1.
        if list(ir.DenseI64ArrayAttr(op.attributes["dimensions"])) == [0, 2, 3]:
            return Accumulator(per_feature=op.operands[0])
    return None


def _patches_times_weights(image: ir.Value, weights: ir.Value, start: Accumulator, sizes: tuple[int, ...]) -> ir.Value:
    """[N*OH*OW, C*kh*kw] x [C*kh*kw, F]: the result is channels last (NHWC), transposed back to NCHW."""
    n, channels, out_h, kernel_h, out_w, kernel_w, features = sizes
    element = ir.RankedTensorType(image.type).element_type
    rows, depth = n * out_h * out_w, channels * kernel_h * kernel_w
    patches = _split_windows(image, sizes[:6])
    lhs = tensor.CollapseShapeOp(
        ir.RankedTensorType.get([rows, depth], element), transposed(patches, [0, 2, 4, 1, 3, 5]),
        reassociation_attr(((0, 1, 2), (3, 4, 5))),
    ).result
    flat_weights = tensor.CollapseShapeOp(
        ir.RankedTensorType.get([features, depth], element), weights, reassociation_attr(((0,), (1, 2, 3)))
    ).result
    accumulator = start.build([rows, features], 1, element)
    product = linalg.matmul(lhs, transposed(flat_weights, [1, 0]), outs=[accumulator])
    channels_last = tensor.ExpandShapeOp(
        ir.RankedTensorType.get([n, out_h, out_w, features], element), product,
        reassociation_attr(((0, 1, 2), (3,))), [], [n, out_h, out_w, features],
    ).result
    return transposed(channels_last, [0, 3, 1, 2])


def _split_windows(image: ir.Value, shape: tuple[int, ...]) -> ir.Value:
    """[N, C, H, W] viewed as [N, C, OH, kh, OW, kw]."""
    element = ir.RankedTensorType(image.type).element_type
    return tensor.ExpandShapeOp(
        ir.RankedTensorType.get(list(shape), element), image, reassociation_attr(((0,), (1,), (2, 3), (4, 5))), [],
        list(shape),
    ).result


class PatchifyConvsPass(ModulePass):
    """Rewrite a convolution whose stride equals its kernel (a patch embedding) as a matmul on patches.

    With stride = kernel and no dilation the windows do not overlap, so the
    convolution is a matmul over patches: rows (n, oh, ow), reduction
    (c, kh, kw). The only thing standing between the two is a layout: the
    input read in space-to-depth order [N, OH, OW, C, kh, kw]. IREE's SPIR-V
    backend gives these convolutions its generic `BaseDistribute` kernel:
    measured on an H200 (ampere), ConvNeXt-T's 2x2 downsampling
    768x7x7x384x2x2 takes 5.5 ms, 384x14x14x192x2x2 0.53 ms; ViT-B's
    16x16 patch embedding 0.16 ms. A contraction reading the input through
    the space-to-depth index (reduction split into c, kh, kw) is no answer
    either: 2.4 ms, 0.44 ms and 2.8 ms (short innermost reduction pieces).

    So the pass writes the space-to-depth layout as a transpose chain in
    front of a plain `linalg.matmul`: patches x weights ([N*OH*OW, C*kh*kw]
    x [C*kh*kw, F], weights transposed once at load time), whose result is
    channels last and transposed back to NCHW. Where the model reads it
    channels last (Swin's and ViT's patch embeddings, ConvNeXt's
    downsampling once smartmem-channels-last-convs runs its depthwise
    convolutions channels last) that transpose cancels. The other form,
    weights x patches ([F, C*kh*kw] x [C*kh*kw, OH*OW], NCHW as it is),
    gets IREE's subgroup-reduce kernel when OH*OW is small: ConvNeXt's
    384x196x768 took 333 us and 768x49x1536 294 us on an H200; patches x
    weights measured 1.04x on the whole of ConvNeXt-T before the depthwise
    convolutions went channels last. The elimination passes after it
    decide where the space-to-depth chain goes (written by its producer,
    e.g. ConvNeXt's LayerNorm; a folded read would be split in short
    reduction pieces, which smartmem.passes.matmul_form refuses). Measured
    on an H200 against the pipeline without it, one interleaved run each:
    ConvNeXt-T 1.57x (17.0 -> 10.8 ms), SegFormer-B0 1.05x (its
    attention's spatial-reduction convolutions), Swin-T, ViT-B/16 and
    DeiT-S unchanged (0.99x-1.00x).

    For example (Swin's patch embedding, read channels last):

        %y = linalg.conv_2d_nchw_fchw {strides = 4} ins(%x, %w : 1x3x224x224, 96x3x4x4)

    becomes

        %p = tensor.expand_shape %x : 1x3x224x224 into 1x3x56x4x56x4
        %t = linalg.transpose ins(%p) permutation = [0, 2, 4, 1, 3, 5]   (1x56x56x3x4x4)
        %rows = tensor.collapse_shape %t : into 3136x48
        %wt = linalg.transpose ins(collapse_shape %w : 96x48) permutation = [1, 0]
        %m = linalg.matmul ins(%rows, %wt : 3136x48, 48x96)
        %y = linalg.transpose ins(expand_shape %m : 1x56x56x96) permutation = [0, 3, 1, 2]

    Refuses: 1x1 kernels (IREE already runs them as matmuls in NCHW),
    strides other than the kernel size, dilations, input sizes
    that the kernel does not tile exactly, dynamic shapes, accumulators that
    are not a fill, a splat constant or a bias broadcast along the channels
    (what the ONNX importer writes without onnxsim), and convolutions other than
    `linalg.conv_2d_nchw_fchw`.

    Options: none.
    """

    name = "smartmem-patchify-convs"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            self.rewrite_each(ops_where(module, lambda op: op.name == "linalg.conv_2d_nchw_fchw"), self.patchify)

    def patchify(self, op: ir.Operation) -> str:
        image, weights, init = op.operands[0], op.operands[1], op.operands[2]
        if not all(static_shaped(v) for v in (image, weights, init)):
            return "dynamic shape"
        n, channels, height, width = ir.RankedTensorType(image.type).shape
        features, _, kernel_h, kernel_w = ir.RankedTensorType(weights.type).shape
        _, _, out_h, out_w = ir.RankedTensorType(init.type).shape
        if kernel_h * kernel_w == 1:
            # A 1x1 convolution is already a matmul in NCHW (IREE rewrites it
            # as one, weights on the left): no layout to change.
            return "1x1 kernel"
        if _ints(op.attributes["strides"]) != [kernel_h, kernel_w]:
            return "stride differs from the kernel: windows overlap or leave gaps"
        if _ints(op.attributes["dilations"]) != [1, 1]:
            return "dilated"
        if (height, width) != (out_h * kernel_h, out_w * kernel_w):
            return "the kernel does not tile the input exactly"
        start = accumulator_of(init)
        if start is None:
            return "the accumulator is not a fill, a splat constant or a bias broadcast along the channels"
        with ir.InsertionPoint(op), op.location:
            result = _patches_times_weights(image, weights, start, (n, channels, out_h, kernel_h, out_w, kernel_w, features))
        op.results[0].replace_all_uses_with(result)
        op.erase()
        return ""
