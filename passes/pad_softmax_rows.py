"""smartmem-pad-softmax-rows: give a softmax with an unaligned row, and the contraction computing it, an aligned padded layout.

Layout selection by reduction dimension (the paper's idea 3), applied to the
ILD ops of attention. A window of Swin-T has 49 tokens, DeiT 197, CLIP's text
77: none is a multiple of a GPU subgroup. IREE's SPIR-V code generation then
drops to its fallback configurations. Measured on an H200 (Vulkan, ampere,
IREE 3.13), for one Swin-T stage-1 attention (192 x 49 x 49, head dim 32):

    QK^T batch_matmul 192x49x49x32   SubgroupReduce, 1 output a workgroup   281 us
    softmax 192x49x49                BaseDistribute, 1 row a thread         320 us
    PV batch_matmul 192x49x32x49     BaseVectorize                            7 us

With the key dim stored padded to 64 (this pass), the same attention is
24 us (QK^T, BaseVectorize, bias add fused) + 9 us (softmax,
SubgroupReduce) + 8 us (PV): 608 -> 41 us. (`tools/device/bench_modules.sh`
on the micro kernels; the model numbers are in docs/benchmarks.md.)

The padded layout is exact: the padded columns of the scores are -inf, so
softmax gives them probability 0 and the real columns are unchanged; the
result is sliced back to its logical shape before anyone else reads it.

Two forms, per softmax over dim `d` of static size n (n % multiple != 0,
n' the next multiple):

1. Through the contraction. Walking back from the softmax input through
   single-use elementwise generics (identity output map) and reshapes that
   keep dim `d` whole, the walk reaches a contraction whose output dim `d`
   is a parallel loop read by exactly one operand (the keys), accumulated
   into a zero fill. That operand is padded with zeros along that loop; the
   contraction, the elementwise ops and reshapes compute n' columns (other
   operands of the elementwise ops that index the column are padded too:
   constants, folded by IREE's const-eval); a mask sets the padded columns
   to -inf; the softmax runs over n' and is sliced back.

       %s = linalg.batch_matmul ins(%q, %kt : tensor<192x49x32xf32>, tensor<192x32x49xf32>)
              outs(%zero : tensor<192x49x49xf32>)
       %p = linalg.softmax dimension(2) ins(%s : tensor<192x49x49xf32>) ...

   becomes

       %ktp = tensor.pad %kt low[0, 0, 0] high[0, 0, 15] { ... 0.0 } : ... to tensor<192x32x64xf32>
       %s = linalg.batch_matmul ins(%q, %ktp : ...) outs(%zero64 : tensor<192x49x64xf32>)
       %m = linalg.generic ... { select(linalg.index 2 < 49, %in, -inf) } -> tensor<192x49x64xf32>
       %pp = linalg.softmax dimension(2) ins(%m : tensor<192x49x64xf32>) ...
       %p = tensor.extract_slice %pp[0, 0, 0] [192, 49, 49] [1, 1, 1]

2. Softmax alone (no such contraction): its input is padded with -inf
   (IREE fuses the pad and the slice into the softmax dispatch).

Runs after IREE's `global-optimization`, where IREE has raised the
decomposed softmax of the importers (max, sub, exp, sum, div) into
`linalg.softmax`; see passes/pipelines.py.

Refuses:
- softmaxes with a dynamic shape, or an aligned row (n % multiple == 0);
- a value on the walk with more than one user (padding it would change
  what the other users read): form 2 is used instead;
- a contraction whose column loop is read by both operands, is a reduction
  or appears in a non-dim map expression, or whose init is not a fill.

Options: `multiple` (default 32: the subgroup size of NVIDIA and of Mali
Valhall's larger mode; Adreno wants 64).
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import ModulePass


@dataclass(frozen=True)
class PadSoftmaxRowsOptions:
    multiple: int = 32


@dataclass(frozen=True)
class ReshapeStep:
    """A reshape on the walk; `dim` is the padded dim of its result."""

    op: ir.Operation
    dim: int


@dataclass(frozen=True)
class ElementwiseStep:
    """An elementwise generic on the walk, reading the padded value as operand `operand`."""

    op: ir.Operation
    operand: int
    dim: int


@dataclass(frozen=True)
class ContractionStep:
    """The contraction at the end of the walk: its column loop is read by operand `operand` at dim `operand_dim`."""

    op: ir.Operation
    operand: int
    operand_dim: int
    dim: int


Step = ReshapeStep | ElementwiseStep


class PadSoftmaxRowsPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-pad-softmax-rows"
    Options = PadSoftmaxRowsOptions

    def run_on_module(self, module: ir.Operation) -> None:
        if self.options.multiple < 2:
            raise ValueError("multiple must be at least 2")
        softmaxes: list[ir.Operation] = []

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name == "linalg.softmax":
                softmaxes.append(op)
            return ir.WalkResult.ADVANCE

        with module.context:
            module.walk(visit)
            for op in softmaxes:
                with op.location:
                    self.pad_one(op)

    def pad_one(self, softmax: ir.Operation) -> None:
        source_type = ir.RankedTensorType(softmax.operands[0].type)
        if not source_type.has_static_shape:
            self.no_match(softmax, "dynamic shape")
            return
        dim = ir.IntegerAttr(softmax.attributes["dimension"]).value
        n = source_type.shape[dim]
        multiple = self.options.multiple
        if n % multiple == 0:
            self.no_match(softmax, f"row of {n} is already a multiple of {multiple}")
            return
        padded = -(-n // multiple) * multiple
        walk = self.walk_to_contraction(softmax.operands[0], dim)
        with ir.InsertionPoint(softmax), softmax.location:
            if walk is None:
                scores = _pad(softmax.operands[0], dim, padded - n, _negative_infinity(source_type.element_type))
            else:
                contraction, steps = walk
                scores = _mask_columns(_pad_walk(contraction, steps, padded - n), dim, n)
            empty = tensor.EmptyOp(list(ir.RankedTensorType(scores.type).shape), source_type.element_type).result
            padded_softmax = linalg.SoftmaxOp([scores.type], scores, empty, dim).results[0]
        # Slice back as late as the reshapes after the softmax allow, so the
        # slice sits right at the consumer (IREE fuses it into the softmax
        # dispatch's store; between two reshapes it becomes a copy dispatch).
        logical, padded_value = softmax.results[0], padded_softmax
        while True:
            users = [use.owner for use in logical.uses]
            if len(users) != 1:
                break
            reshape = _as_op(users[0])
            if reshape.name not in ("tensor.expand_shape", "tensor.collapse_shape"):
                break
            next_dim = _result_side_dim(reshape, dim)
            if next_dim is None:
                break
            padded_value = _reshaped(reshape, padded_value, next_dim, padded - n)
            logical, dim = reshape.results[0], next_dim
        logical_type = ir.RankedTensorType(logical.type)
        sizes = list(logical_type.shape)
        with ir.InsertionPoint.after(_as_op(padded_value.owner)), softmax.location:
            result = tensor.ExtractSliceOp(
                logical_type, padded_value, [], [], [], [0] * len(sizes), sizes, [1] * len(sizes)
            ).result
        logical.replace_all_uses_with(result)
        _erase_chain_after(softmax)
        if walk is not None:
            contraction, steps = walk
            for step in steps:
                step.op.erase()
            contraction.op.erase()
        self.log.debug("padded softmax row %d -> %d (%s)", n, padded,
                       "through its contraction" if walk else "softmax alone")

    def walk_to_contraction(
        self, value: ir.Value, dim: int
    ) -> tuple[ContractionStep, list[Step]] | None:
        """The contraction computing `value`'s dim `dim` and the ops between, softmax-side first."""
        owner = value.owner
        if not isinstance(owner, (ir.Operation, ir.OpView)):
            return None
        owner = _as_op(owner)
        if len(list(value.uses)) != 1 or len(owner.results) != 1:
            self.no_match(owner, "value on the walk has other users or results")
            return None
        if owner.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            source_dim = _other_side_dim(owner, dim)
            if source_dim is None:
                self.no_match(owner, "reshape splits or merges the softmax dim")
                return None
            found = self.walk_to_contraction(owner.operands[0], source_dim)
            return None if found is None else (found[0], [ReshapeStep(owner, dim), *found[1]])
        contraction = _contraction_step(owner, dim)
        if contraction is not None:
            return contraction, []
        for operand in _elementwise_operands(owner):
            found = self.walk_to_contraction(owner.operands[operand], dim)
            if found is not None:
                return found[0], [ElementwiseStep(owner, operand, dim), *found[1]]
        self.no_match(owner, "no contraction behind it through elementwise ops and reshapes")
        return None


def _as_op(owner) -> ir.Operation:
    return owner.operation if hasattr(owner, "operation") else owner


def _other_side_dim(op: ir.Operation, dim: int) -> int | None:
    """The operand dim that result dim `dim` of a reshape is, when it is that dim alone."""
    groups = [[ir.IntegerAttr(d).value for d in ir.ArrayAttr(g)] for g in ir.ArrayAttr(op.attributes["reassociation"])]
    if op.name == "tensor.collapse_shape":
        return groups[dim][0] if len(groups[dim]) == 1 else None
    for source_dim, group in enumerate(groups):
        if dim in group:
            return source_dim if group == [dim] else None
    return None


def _result_side_dim(op: ir.Operation, dim: int) -> int | None:
    """The result dim that operand dim `dim` of a reshape becomes, when it stays alone."""
    groups = [[ir.IntegerAttr(d).value for d in ir.ArrayAttr(g)] for g in ir.ArrayAttr(op.attributes["reassociation"])]
    if op.name == "tensor.expand_shape":
        return groups[dim][0] if len(groups[dim]) == 1 else None
    for result_dim, group in enumerate(groups):
        if dim in group:
            return result_dim if group == [dim] else None
    return None


def _reshaped(reshape: ir.Operation, value: ir.Value, dim: int, extra: int) -> ir.Value:
    """`reshape` applied to padded `value`; `dim` is the padded dim of its result."""
    result_type = _padded_type(reshape.results[0].type, dim, extra)
    clone = reshape.clone(ir.InsertionPoint.after(_as_op(value.owner)))
    clone.operands[0] = value
    if reshape.name == "tensor.expand_shape":
        clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(result_type.shape))
    clone.results[0].set_type(result_type)
    return clone.results[0]


def _erase_chain_after(op: ir.Operation) -> None:
    """Erase `op` and the single-user reshapes after it that no longer have users."""
    chain = [op]
    while True:
        users = [_as_op(use.owner) for use in chain[-1].results[0].uses]
        if len(users) != 1:
            break
        chain.append(users[0])
    for dead in reversed(chain):
        if all(not list(result.uses) for result in dead.results):
            dead.erase()


def _maps(op: ir.Operation) -> list[ir.AffineMap] | None:
    if "indexing_maps" in op.attributes:
        return [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
    defaults = {
        "linalg.matmul": "[affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]",
        "linalg.batch_matmul": "[affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>,"
                               " affine_map<(b, m, n, k) -> (b, m, n)>]",
    }
    if op.name not in defaults:
        return None
    return [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(ir.Attribute.parse(defaults[op.name]))]


def _body_ops(op: ir.Operation) -> list[str]:
    return [o.operation.name for o in op.regions[0].blocks[0].operations]


def _is_contraction(op: ir.Operation) -> bool:
    if op.name in ("linalg.matmul", "linalg.batch_matmul"):
        return True
    if op.name != "linalg.generic":
        return False
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    return any("reduction" in it for it in iterators) and _body_ops(op) == ["arith.mulf", "arith.addf", "linalg.yield"]


def _contraction_step(op: ir.Operation, dim: int) -> ContractionStep | None:
    if not _is_contraction(op) or len(op.operands) != 3:
        return None
    maps = _maps(op)
    if maps is None:
        return None
    out_expr = maps[2].results[dim]
    if not isinstance(out_expr, ir.AffineDimExpr):
        return None
    loop = out_expr.position
    readers = []
    for index in (0, 1):
        for position, expr in enumerate(maps[index].results):
            if isinstance(expr, ir.AffineDimExpr) and expr.position == loop:
                readers.append((index, position))
            elif not isinstance(expr, ir.AffineDimExpr) and _mentions(expr, loop, maps[index].n_dims):
                return None
    if len(readers) != 1:
        return None
    init = op.operands[2].owner
    if not isinstance(init, (ir.Operation, ir.OpView)) or _as_op(init).name != "linalg.fill":
        return None
    return ContractionStep(op, readers[0][0], readers[0][1], dim)


def _mentions(expr: ir.AffineExpr, loop: int, n_dims: int) -> bool:
    """Whether `expr` depends on loop `loop` (probed by composing with a map that zeroes it)."""
    zero_loop = ir.AffineMap.get(n_dims, 0, [
        ir.AffineConstantExpr.get(0) if d == loop else ir.AffineDimExpr.get(d) for d in range(n_dims)
    ])
    probe = ir.AffineMap.get(n_dims, 0, [expr])
    return str(probe.compose(zero_loop)) != str(probe)


def _elementwise_operands(op: ir.Operation) -> list[int]:
    """Inputs of an all-parallel single-result generic read with its (identity) output map."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return []
    if any("reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return []
    maps = _maps(op)
    out_map = maps[-1]
    if out_map != ir.AffineMap.get_identity(out_map.n_dims):
        return []
    n_inputs = len(op.operands) - 1
    return [i for i in range(n_inputs) if maps[i] == out_map and op.operands[i].type == op.results[0].type]


def _pad_walk(contraction: ContractionStep, steps: list[Step], extra: int) -> ir.Value:
    """Rebuild the walk, contraction first, computing `extra` more columns; returns the last value."""
    op = contraction.op
    with ir.InsertionPoint(op), op.location:
        operands = list(op.operands)
        zero = _zero(ir.RankedTensorType(operands[contraction.operand].type).element_type)
        operands[contraction.operand] = _pad_before_reshapes(
            operands[contraction.operand], contraction.operand_dim, extra, zero)
        fill = _as_op(operands[2].owner)
        result_type = _padded_type(op.results[0].type, contraction.dim, extra)
        empty = tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
        operands[2] = linalg.fill(fill.operands[0], outs=[empty])
        clone = op.clone(ir.InsertionPoint(op))
        for index, value in enumerate(operands):
            clone.operands[index] = value
        clone.results[0].set_type(result_type)
        value = clone.results[0]
    for step in reversed(steps):
        value = _pad_step(step, value, extra)
    return value


def _pad_step(step: Step, value: ir.Value, extra: int) -> ir.Value:
    op = step.op
    result_type = _padded_type(op.results[0].type, step.dim, extra)
    with ir.InsertionPoint(op), op.location:
        operands = list(op.operands)
        if isinstance(step, ReshapeStep):
            operands[0] = value
        else:
            maps = _maps(op)
            loop = step.dim  # identity output map: result dim == loop
            n_inputs = len(operands) - 1
            for index in range(n_inputs):
                if index == step.operand:
                    operands[index] = value
                    continue
                for position, expr in enumerate(maps[index].results):
                    if isinstance(expr, ir.AffineDimExpr) and expr.position == loop:
                        element = ir.RankedTensorType(operands[index].type).element_type
                        operands[index] = _pad(operands[index], position, extra, _zero(element))
            init = operands[n_inputs]
            if isinstance(init.owner, (ir.Operation, ir.OpView)) and _as_op(init.owner).name == "tensor.empty":
                operands[n_inputs] = tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
            else:
                operands[n_inputs] = _pad(init, step.dim, extra, _zero(result_type.element_type))
        clone = op.clone(ir.InsertionPoint(op))
    for index, operand in enumerate(operands):
        clone.operands[index] = operand
    if op.name == "tensor.expand_shape":
        clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(result_type.shape))
    clone.results[0].set_type(result_type)
    return clone.results[0]


def _padded_type(value_type: ir.Type, dim: int, extra: int) -> ir.RankedTensorType:
    ranked = ir.RankedTensorType(value_type)
    shape = list(ranked.shape)
    shape[dim] += extra
    return ir.RankedTensorType.get(shape, ranked.element_type)


def _zero(element: ir.Type) -> ir.Value:
    return arith.ConstantOp(element, ir.FloatAttr.get(element, 0.0)).result


def _negative_infinity(element: ir.Type) -> ir.Value:
    return arith.ConstantOp(element, ir.FloatAttr.get(element, float("-inf"))).result


def _pad(value: ir.Value, dim: int, extra: int, padding: ir.Value) -> ir.Value:
    ranked = ir.RankedTensorType(value.type)
    high = [0] * ranked.rank
    high[dim] = extra
    pad = tensor.PadOp(_padded_type(value.type, dim, extra), value, [], [], [0] * ranked.rank, high)
    block = pad.regions[0].blocks.append(*([ir.IndexType.get()] * ranked.rank))
    with ir.InsertionPoint(block):
        tensor.YieldOp(padding)
    return pad.result


def _pad_before_reshapes(value: ir.Value, dim: int, extra: int, padding: ir.Value) -> ir.Value:
    """`_pad`, applied before the reshapes that produce `value` (keeping `dim` whole).

    The pad then directly follows the op computing the data, which IREE
    turns into that op writing into a padded buffer; behind a reshape it
    becomes a copy dispatch of its own.
    """
    owner = value.owner
    if isinstance(owner, (ir.Operation, ir.OpView)):
        reshape = _as_op(owner)
        if reshape.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            source_dim = _other_side_dim(reshape, dim)
            if source_dim is not None:
                padded_source = _pad_before_reshapes(reshape.operands[0], source_dim, extra, padding)
                return _reshaped(reshape, padded_source, dim, extra)
        groups = _collapsible_groups(_as_op(owner), dim)
        if any(len(group) > 1 for group in groups):
            # Pad the value in the shape IREE will give its producer once it
            # collapses the producer's contiguous loops; a pad of the
            # uncollapsed shape sits behind a reshape and is not fused.
            return _pad_collapsed(value, groups, dim, extra, padding)
    return _pad(value, dim, extra, padding)


def _collapsible_groups(producer: ir.Operation, dim: int) -> list[list[int]]:
    """Runs of result dims of a generic whose loops every input reads contiguously, in order.

    `dim` stays alone. Any other producer gets one group per dim.
    """
    rank = ir.RankedTensorType(producer.results[0].type).rank if len(producer.results) == 1 else 0
    singles = [[d] for d in range(rank)]
    if producer.name != "linalg.generic" or len(producer.results) != 1:
        return singles
    maps = _maps(producer)
    if not maps[-1].is_permutation:
        return singles
    loop_of_dim = [e.position for e in maps[-1].results]

    def adjacent_everywhere(first: int, second: int) -> bool:
        for m in maps[:-1]:
            if any(not isinstance(e, ir.AffineDimExpr) for e in m.results):
                return False
            positions = {e.position: i for i, e in enumerate(m.results)}
            if (first in positions) != (second in positions):
                return False
            if first in positions and positions[second] != positions[first] + 1:
                return False
        return True

    groups: list[list[int]] = [[0]] if rank else []
    for result_dim in range(1, rank):
        previous = groups[-1][-1]
        if dim not in (previous, result_dim) and adjacent_everywhere(loop_of_dim[previous], loop_of_dim[result_dim]):
            groups[-1].append(result_dim)
        else:
            groups.append([result_dim])
    return groups


def _pad_collapsed(value: ir.Value, groups: list[list[int]], dim: int, extra: int, padding: ir.Value) -> ir.Value:
    value_type = ir.RankedTensorType(value.type)
    shape = value_type.shape
    collapsed_shape = [_product(shape[d] for d in group) for group in groups]
    reassociation = ir.ArrayAttr.get([
        ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), d) for d in group]) for group in groups
    ])
    collapsed = tensor.CollapseShapeOp(
        ir.RankedTensorType.get(collapsed_shape, value_type.element_type), value, reassociation).result
    group_of_dim = next(i for i, group in enumerate(groups) if dim in group)
    padded = _pad(collapsed, group_of_dim, extra, padding)
    result_type = _padded_type(value.type, dim, extra)
    return tensor.ExpandShapeOp(result_type, padded, reassociation, [], list(result_type.shape)).result


def _product(values) -> int:
    result = 1
    for v in values:
        result *= v
    return result


def _mask_columns(value: ir.Value, dim: int, valid: int) -> ir.Value:
    """`value` with entries at index >= `valid` along `dim` set to -inf."""
    ranked = ir.RankedTensorType(value.type)
    identity = ir.AffineMap.get_identity(ranked.rank)
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(identity)] * 2)
    iterators = ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * ranked.rank)
    empty = tensor.EmptyOp(list(ranked.shape), ranked.element_type).result
    generic = linalg.GenericOp([ranked], [value], [empty], maps, iterators)
    block = generic.regions[0].blocks.append(ranked.element_type, ranked.element_type)
    with ir.InsertionPoint(block):
        index = linalg.IndexOp(dim).result
        bound = arith.ConstantOp(ir.IndexType.get(), valid).result
        inside = arith.CmpIOp(arith.CmpIPredicate.ult, index, bound).result
        masked = arith.SelectOp(inside, block.arguments[0], _negative_infinity(ranked.element_type)).result
        linalg.YieldOp([masked])
    return generic.results[0]
