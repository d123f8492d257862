"""Pass smartmem-materialize-relayouts: smartmem.relayout as linalg.transpose and reshapes."""

from __future__ import annotations

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.dialect.ops import OP_NAMES, Relayout
from smartmem.dialect.syntax import NAMESPACE, DialectError
from smartmem.passes.base import ModulePass, PassFailure, ops_where
from smartmem.passes.layout_chain import collapse_groups
from smartmem.passes.linalg_ops import reassociation_attr


class MaterializeRelayoutsPass(ModulePass):
    """Lower every `smartmem.relayout` to linalg.transpose + tensor reshapes; no smartmem op remains.

    The end of SmartMem's explicit intermediate form (issue 3, item 6): the
    relayouts that smartmem-form-relayouts wrote and the elimination passes
    did not absorb become plain linalg/tensor IR for IREE. A relayout is a
    `linalg.transpose` by its layout's permutation (none for the identity)
    and a `tensor.collapse_shape` to the result type (with a
    `tensor.expand_shape` for unit dims the result adds). A relayout whose
    result does not group the permuted dims contiguously is reshaped
    through a rank-1 tensor (both reshapes free).

    For example

        %v = "smartmem.relayout"(%f) {layout = #smartmem.layout<array<i64: 0, 2, 1, 3, 4>, array<i64>>}
             : (tensor<8x7x8x7x96xf32>) -> tensor<64x49x96xf32>

    becomes

        %e = tensor.empty() : tensor<8x8x7x7x96xf32>
        %t = linalg.transpose ins(%f ...) outs(%e ...) permutation = [0, 2, 1, 3, 4]
        %v = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] : tensor<8x8x7x7x96xf32> into tensor<64x49x96xf32>

    Refuses (fails the pass with a diagnostic at the op): relayouts with a
    blocked layout (no linalg op splits a dim into an innermost block
    here), and any smartmem op left in the module afterwards
    (convert_layout has no lowering in this pipeline).
    """

    name = "smartmem-materialize-relayouts"

    def run_on_module(self, module: ir.Operation) -> None:
        relayouts = ops_where(module, lambda op: op.name == "smartmem.relayout")
        with module.context:
            for op in relayouts:
                self.materialize(op)
        remaining: list[ir.Operation] = []

        def check(op: ir.Operation) -> ir.WalkResult:
            if op.name.startswith(NAMESPACE + ".") or op.name in OP_NAMES:
                remaining.append(op)
                return ir.WalkResult.INTERRUPT
            return ir.WalkResult.ADVANCE

        module.walk(check)
        if remaining:
            op = remaining[0]
            raise PassFailure(op.location, f"'{op.name}' remains after {self.name}: it has no lowering to linalg/tensor IR")

    def materialize(self, op: ir.Operation) -> None:
        try:
            view = Relayout.view(op)
        except DialectError as error:
            raise PassFailure(op.location, str(error)) from None
        assert view is not None
        if view.layout.blocking is not None:
            raise PassFailure(op.location, f"cannot materialize a relayout with a blocked layout {view.layout}")
        result_type = ir.RankedTensorType(view.result.type)
        with ir.InsertionPoint(op), op.location:
            value = view.input
            permutation = view.layout.permutation
            if permutation != tuple(range(len(permutation))):
                value = transposed(value, list(permutation))
            value = reshape(value, result_type)
        view.result.replace_all_uses_with(value)
        op.erase()


def transposed(value: ir.Value, permutation: list[int]) -> ir.Value:
    """A `linalg.transpose` of `value` (result dim i = input dim permutation[i]) at the insertion point."""
    operand_type = ir.RankedTensorType(value.type)
    shape = [operand_type.shape[p] for p in permutation]
    element = operand_type.element_type
    init = tensor.EmptyOp(shape, element).result
    transpose = linalg.TransposeOp([init.type], value, init, ir.DenseI64ArrayAttr.get(permutation))
    block = transpose.regions[0].blocks.append(element, element)
    with ir.InsertionPoint(block):
        linalg.YieldOp([block.arguments[0]])
    return transpose.results[0]


def reshape(value: ir.Value, result_type: ir.RankedTensorType) -> ir.Value:
    """`value` read row-major as `result_type`, with free reshapes at the insertion point.

    A collapse_shape when the result groups `value`'s dims contiguously
    (then an expand_shape for unit dims the result adds), else a collapse to
    rank 1 and an expand to the result.
    """
    value_type = ir.RankedTensorType(value.type)
    if value_type == result_type:
        return value
    element = result_type.element_type
    result_shape = list(result_type.shape)
    groups = collapse_groups(list(value_type.shape), result_shape)
    if groups is None:
        flat = ir.RankedTensorType.get([_count(result_shape)], element)
        if value_type.rank != 1:
            value = tensor.CollapseShapeOp(flat, value, reassociation_attr([list(range(value_type.rank))])).result
        if result_type.rank == 1:
            return value
        return tensor.ExpandShapeOp(
            result_type, value, reassociation_attr([list(range(result_type.rank))]), [], result_shape
        ).result
    kept = [list(g) for g in groups if g]
    kept_shape = [result_shape[i] for i, g in enumerate(groups) if g]
    if kept_shape != list(value_type.shape) or any(len(g) != 1 for g in kept):
        value = tensor.CollapseShapeOp(ir.RankedTensorType.get(kept_shape, element), value, reassociation_attr(kept)).result
    if len(kept) == len(groups):
        return value
    expand_groups: list[list[int]] = [[] for _ in kept]
    for i in range(len(groups)):
        slot = max(0, sum(1 for g in groups[: i + 1] if g) - 1)
        expand_groups[slot].append(i)
    return tensor.ExpandShapeOp(result_type, value, reassociation_attr(expand_groups), [], result_shape).result


def _count(shape: list[int]) -> int:
    count = 1
    for size in shape:
        count *= size
    return count
