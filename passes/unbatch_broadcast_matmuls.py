"""Pass smartmem-unbatch-broadcast-matmuls: a batch matmul against one shared matrix becomes one matmul."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, static_shaped
from smartmem.passes.linalg_ops import num_inputs, maps_and_iterators, reassociation_attr, fill

_BROADCAST_MAPS = ("(d0, d1, d2) -> (d1, d2)", "(d0, d1, d2) -> (d0, d1, d2)")


def broadcast_source(value: ir.Value) -> ir.Value | None:
    """The [K, N] matrix that `value` ([B, K, N]) repeats in every batch, or None."""
    op = defining_op(value)
    if op is None or op.name != "linalg.generic" or num_inputs(op) != 1 or len(op.results) != 1:
        return None
    maps, iterators = maps_and_iterators(op)
    if tuple(str(m) for m in maps) != _BROADCAST_MAPS or "reduction" in iterators:
        return None
    body = list(op.regions[0].blocks[0].operations)
    if len(body) != 1 or body[0].operands[0] != op.regions[0].blocks[0].arguments[0]:
        return None
    return op.operands[0]


class UnbatchBroadcastMatmulsPass(ModulePass):
    """Rewrite a batch matmul whose right-hand side is one matrix broadcast over the batch as one matmul.

    ONNX `MatMul` of [B, M, K] by a [K, N] weight imports as a broadcast of
    the weight to [B, K, N] and a `linalg.batch_matmul`. IREE's global
    optimization turns it into a [B*M, K] x [K, N] matmul later; this pass
    does the same before the elimination passes, because the broadcast
    weight reads the batch loop and so keeps the batch loop and the row
    loop from collapsing into one (smartmem.passes.matmul_form): a head
    merge folded into Swin's or MobileViT's output projection would count
    one parallel loop too many and be refused.

    For example:

        %wb = linalg.generic {maps (b, k, n) -> (k, n), (b, k, n) -> (b, k, n)}
                ins(%w : 384x384) outs(%e : 4x384x384) { yield %in }
        %y = linalg.batch_matmul ins(%x, %wb : 4x49x384, 4x384x384) outs(%acc : 4x49x384)

    becomes

        %x2 = tensor.collapse_shape %x [[0, 1], [2]] : 4x49x384 into 196x384
        %y2 = linalg.matmul ins(%x2, %w : 196x384, 384x384) outs(%acc2 : 196x384)
        %y = tensor.expand_shape %y2 [[0, 1], [2]] : 196x384 into 4x49x384

    Refuses: right-hand sides that differ across the batch (attention's
    QK^T and PV), and accumulators that are not a fill or a fresh
    `tensor.empty` (they would have to be reshaped too; none seen).

    Options: none.
    """

    name = "smartmem-unbatch-broadcast-matmuls"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            self.rewrite_each(ops_where(module, lambda op: op.name == "linalg.batch_matmul"), self.unbatch)

    def unbatch(self, op: ir.Operation) -> str:
        if any(not static_shaped(v) for v in list(op.operands) + list(op.results)):
            return "dynamic shape"
        weight = broadcast_source(op.operands[1])
        if weight is None:
            return "the right-hand side is not one matrix broadcast over the batch"
        init = defining_op(op.operands[2])
        if init is None or init.name not in ("linalg.fill", "tensor.empty"):
            return "the accumulator is not a fill or tensor.empty"
        if init.name == "linalg.fill":
            inner = defining_op(init.operands[1])
            if inner is None or inner.name != "tensor.empty":
                return "the accumulator is not a fill of tensor.empty"
        lhs_type = ir.RankedTensorType(op.operands[0].type)
        result_type = ir.RankedTensorType(op.results[0].type)
        batch, rows, depth = lhs_type.shape
        columns = result_type.shape[2]
        broadcast = defining_op(op.operands[1])
        with ir.InsertionPoint(op), op.location:
            groups = reassociation_attr(((0, 1), (2,)))
            lhs = tensor.CollapseShapeOp(
                ir.RankedTensorType.get([batch * rows, depth], lhs_type.element_type), op.operands[0], groups
            ).result
            empty = tensor.EmptyOp([batch * rows, columns], result_type.element_type).result
            accumulator = fill(init.operands[0], empty) if init.name == "linalg.fill" else empty
            product = linalg.matmul(lhs, weight, outs=[accumulator])
            result = tensor.ExpandShapeOp(result_type, product, groups, [], list(result_type.shape)).result
        op.results[0].replace_all_uses_with(result)
        op.erase()
        if not list(broadcast.results[0].uses):
            broadcast.erase()
        return ""
