"""Pass smartmem-concat-slices-to-transpose: strided slices + concat as a layout chain."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, ops_where, static_slice


@dataclass(frozen=True)
class StridedView:
    """A static strided window of `source`: per dim offset, size and stride."""

    source: ir.Value
    offsets: tuple[int, ...]
    sizes: tuple[int, ...]
    strides: tuple[int, ...]


def strided_view(value: ir.Value) -> StridedView | None:
    """Compose a run of static, rank-preserving `tensor.extract_slice`s."""
    owner = value.owner
    if not isinstance(owner, (ir.OpView, ir.Operation)) or owner.name != "tensor.extract_slice":
        return None
    op = owner.operation if isinstance(owner, ir.OpView) else owner
    if len(op.operands) != 1:  # dynamic offsets/sizes/strides
        return None
    source = op.operands[0]
    offsets, sizes, strides = static_slice(op)
    result_rank = ir.RankedTensorType(op.results[0].type).rank
    if result_rank != len(sizes):
        return None  # rank-reducing slice
    inner = strided_view(source)
    if inner is None:
        return StridedView(source, offsets, sizes, strides)
    return StridedView(
        inner.source,
        tuple(o1 + s1 * o2 for o1, s1, o2 in zip(inner.offsets, inner.strides, offsets)),
        sizes,
        tuple(s1 * s2 for s1, s2 in zip(inner.strides, strides)),
    )


class ConcatSlicesToTransposePass(ModulePass):
    """Rewrite a concat of interleaved strided slices as expand_shape + transpose + collapse_shape.

    Swin's patch merging (and space-to-depth in general) concatenates the
    four phases x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2],
    x[:, 1::2, 1::2] along channels. IREE lowers each strided slice to a copy
    dispatch (`slow_memcpy`). The same data movement is a pure relabeling:
    split every strided dim d of x into (n_d / s_d, s_d), move the phase dims
    next to the concat dim in the order the pieces enumerate them, and merge
    them with it. The result is a layout chain that
    `smartmem-fold-layout-chains` then folds into the consumer.

    For example:

        %a = tensor.extract_slice %x[0, 0, 0, 0] [1, 28, 28, 96] [1, 2, 2, 1]
        %b = tensor.extract_slice %x[0, 1, 0, 0] [1, 28, 28, 96] [1, 2, 2, 1]
        %c = tensor.extract_slice %x[0, 0, 1, 0] [1, 28, 28, 96] [1, 2, 2, 1]
        %d = tensor.extract_slice %x[0, 1, 1, 0] [1, 28, 28, 96] [1, 2, 2, 1]
        %r = tensor.concat dim(3) %a, %b, %c, %d -> tensor<1x28x28x384xf32>

    becomes

        %e = tensor.expand_shape %x [[0], [1, 2], [3, 4], [5]] : 1x56x56x96 into 1x28x2x28x2x96
        %t = linalg.transpose ins(%e) outs(...) permutation = [0, 1, 3, 4, 2, 5]
        %r = tensor.collapse_shape %t [[0], [1], [2], [3, 4, 5]] : 1x28x28x2x2x96 into 1x28x28x384

    Refuses: pieces that are not static strided views of one tensor; views
    that do not cover the tensor exactly once (missing or repeated phases,
    partial windows); a concat dim that is itself strided or sliced; piece
    orders that are not a mixed-radix enumeration of the phases.

    Options: none.
    """

    name = "smartmem-concat-slices-to-transpose"

    def run_on_module(self, module: ir.Operation) -> None:
        concats = ops_where(module, lambda op: op.name == "tensor.concat")
        with module.context:
            self.rewrite_each(concats, self.rewrite)

    def rewrite(self, op: ir.Operation) -> str:
        dim = ir.IntegerAttr(op.attributes["dim"]).value
        views = [strided_view(v) for v in op.operands]
        if any(v is None for v in views):
            return "a piece is not a static strided slice"
        source = views[0].source  # type: ignore[union-attr]
        if any(v.source != source for v in views):  # type: ignore[union-attr]
            return "pieces slice different tensors"
        shape = ir.RankedTensorType(source.type).shape
        if not ir.RankedTensorType(source.type).has_static_shape:
            return "dynamic source shape"
        rank = len(shape)
        strides = views[0].strides  # type: ignore[union-attr]
        if any(v.strides != strides or v.sizes != views[0].sizes for v in views):  # type: ignore[union-attr]
            return "pieces have different strides or sizes"
        if strides[dim] != 1 or views[0].sizes[dim] != shape[dim]:  # type: ignore[union-attr]
            return "the concat dim is sliced"
        phased = [d for d in range(rank) if strides[d] > 1]
        if not phased:
            return "no strided dim"
        for d in range(rank):
            if shape[d] % strides[d] or views[0].sizes[d] != shape[d] // strides[d]:  # type: ignore[union-attr]
                return "views do not tile the tensor"
        phases = [tuple(v.offsets[d] for d in phased) for v in views]  # type: ignore[union-attr]
        if any(v.offsets[d] != 0 for v in views for d in range(rank) if d not in phased):  # type: ignore[union-attr]
            return "a piece is offset along an unstrided dim"
        order = _mixed_radix_order(phases, [strides[d] for d in phased])
        if order is None:
            return "piece order is not a mixed-radix enumeration of the phases"
        self._build(op, source, shape, dim, phased, [phased[i] for i in order], strides)
        return ""

    def _build(self, op, source, shape, dim, phased, phase_order, strides) -> None:
        # Expanded source: every phased dim d becomes (shape[d] / s, s).
        expanded_shape: list[int] = []
        groups: list[list[int]] = []
        outer_of: dict[int, int] = {}
        phase_of: dict[int, int] = {}
        for d in range(len(shape)):
            if d in phased:
                outer_of[d] = len(expanded_shape)
                phase_of[d] = len(expanded_shape) + 1
                groups.append([len(expanded_shape), len(expanded_shape) + 1])
                expanded_shape += [shape[d] // strides[d], strides[d]]
            else:
                outer_of[d] = len(expanded_shape)
                groups.append([len(expanded_shape)])
                expanded_shape.append(shape[d])
        # Transposed: original dims in order (outer parts), the phase dims
        # (major to minor as the pieces enumerate them) right before `dim`.
        permutation: list[int] = []
        result_groups: list[list[int]] = []
        for d in range(len(shape)):
            if d == dim:
                group = []
                for p in phase_order:
                    group.append(len(permutation))
                    permutation.append(phase_of[p])
                group.append(len(permutation))
                permutation.append(outer_of[d])
                result_groups.append(group)
            else:
                result_groups.append([len(permutation)])
                permutation.append(outer_of[d])
        element = ir.RankedTensorType(source.type).element_type
        with ir.InsertionPoint(op), op.location:
            i64 = ir.IntegerType.get_signless(64)

            def reassoc(gs: list[list[int]]) -> ir.ArrayAttr:
                return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, i) for i in g]) for g in gs])

            expanded = tensor.ExpandShapeOp(
                ir.RankedTensorType.get(expanded_shape, element), source, reassoc(groups), [], expanded_shape
            ).result
            transposed_shape = [expanded_shape[p] for p in permutation]
            init = tensor.EmptyOp(transposed_shape, element).result
            transposed = linalg.TransposeOp(
                [ir.RankedTensorType.get(transposed_shape, element)], expanded, init,
                ir.DenseI64ArrayAttr.get(permutation),
            )
            block = transposed.regions[0].blocks.append(element, element)
            with ir.InsertionPoint(block):
                linalg.YieldOp([block.arguments[0]])
            collapsed = tensor.CollapseShapeOp(op.results[0].type, transposed.results[0], reassoc(result_groups)).result
        op.results[0].replace_all_uses_with(collapsed)
        pieces = [v.owner for v in op.operands]
        op.erase()
        for piece in pieces:
            _erase_slice_chain(piece)


def _erase_slice_chain(op) -> None:
    op = op.operation if isinstance(op, ir.OpView) else op
    while op is not None and op.name == "tensor.extract_slice" and not list(op.results[0].uses):
        parent = op.operands[0].owner
        op.erase()
        op = parent if isinstance(parent, (ir.OpView, ir.Operation)) else None
        if isinstance(op, ir.OpView):
            op = op.operation


def _mixed_radix_order(phases: list[tuple[int, ...]], radices: list[int]) -> list[int] | None:
    """Indices of phased dims, major first, such that piece k has phase number k."""
    count = 1
    for r in radices:
        count *= r
    if len(phases) != count:
        return None
    for order in itertools.permutations(range(len(radices))):
        ok = True
        for k, phase in enumerate(phases):
            number = 0
            for i in order:
                number = number * radices[i] + phase[i]
            if number != k:
                ok = False
                break
        if ok:
            return list(order)
    return None
