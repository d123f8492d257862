"""Padding helpers shared by the passes that store a tensor with a dim padded to an aligned size.

A padded dim is a layout choice (the paper's layout selection for ILD ops):
the logical tensor is the leading part of the stored one. These helpers
rebuild ops on padded types, pad values where IREE can fuse the pad into the
producer's write, and follow reshapes that keep the padded dim whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from typing import Callable

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import reassociation_groups


def as_op(owner) -> ir.Operation:
    return owner.operation if hasattr(owner, "operation") else owner


def operand_dim_of(op: ir.Operation, dim: int) -> int | None:
    """The operand dim that result dim `dim` of a reshape is, when it is that dim alone."""
    return _lone_dim(reassociation_groups(op), dim, dim_is_coarse=op.name == "tensor.collapse_shape")


def result_dim_of(op: ir.Operation, dim: int) -> int | None:
    """The result dim that operand dim `dim` of a reshape becomes, when it stays alone."""
    return _lone_dim(reassociation_groups(op), dim, dim_is_coarse=op.name == "tensor.expand_shape")


def _lone_dim(groups: list[list[int]], dim: int, dim_is_coarse: bool) -> int | None:
    """The dim on the other side of a reassociation that `dim` maps to one to one, or None."""
    if dim_is_coarse:
        return groups[dim][0] if len(groups[dim]) == 1 else None
    for coarse, group in enumerate(groups):
        if dim in group:
            return coarse if group == [dim] else None
    return None


def reshaped(reshape: ir.Operation, value: ir.Value, dim: int, extra: int) -> ir.Value:
    """`reshape` applied to padded `value`; `dim` is the padded dim of its result."""
    result_type = padded_type(reshape.results[0].type, dim, extra)
    clone = reshape.clone(ir.InsertionPoint.after(as_op(value.owner)))
    clone.operands[0] = value
    if reshape.name == "tensor.expand_shape":
        clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(result_type.shape))
    clone.results[0].set_type(result_type)
    return clone.results[0]


def indexing_maps(op: ir.Operation) -> list[ir.AffineMap] | None:
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


def body_op_names(op: ir.Operation) -> list[str]:
    return [o.operation.name for o in op.regions[0].blocks[0].operations]


def is_contraction(op: ir.Operation) -> bool:
    if op.name in ("linalg.matmul", "linalg.batch_matmul"):
        return True
    if op.name != "linalg.generic":
        return False
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    return any("reduction" in it for it in iterators) and body_op_names(op) == ["arith.mulf", "arith.addf", "linalg.yield"]


def mentions_loop(expr: ir.AffineExpr, loop: int, n_dims: int) -> bool:
    """Whether `expr` depends on loop `loop`."""
    if isinstance(expr, ir.AffineDimExpr):
        return expr.position == loop
    if isinstance(expr, ir.AffineBinaryExpr):
        return mentions_loop(expr.lhs, loop, n_dims) or mentions_loop(expr.rhs, loop, n_dims)
    return False


def padded_type(value_type: ir.Type, dim: int, extra: int) -> ir.RankedTensorType:
    ranked = ir.RankedTensorType(value_type)
    shape = list(ranked.shape)
    shape[dim] += extra
    return ir.RankedTensorType.get(shape, ranked.element_type)


def zero_constant(element: ir.Type) -> ir.Value:
    return arith.ConstantOp(element, ir.FloatAttr.get(element, 0.0)).result


def pad_high(value: ir.Value, dim: int, extra: int, padding: ir.Value) -> ir.Value:
    ranked = ir.RankedTensorType(value.type)
    high = [0] * ranked.rank
    high[dim] = extra
    pad = tensor.PadOp(padded_type(value.type, dim, extra), value, [], [], [0] * ranked.rank, high)
    block = pad.regions[0].blocks.append(*([ir.IndexType.get()] * ranked.rank))
    with ir.InsertionPoint(block):
        tensor.YieldOp(padding)
    return pad.result


def pad_before_reshapes(value: ir.Value, dim: int, extra: int, padding: ir.Value) -> ir.Value:
    """`pad_high`, applied before the reshapes that produce `value` (keeping `dim` whole).

    The pad then directly follows the op computing the data, which IREE
    turns into that op writing into a padded buffer; behind a reshape it
    becomes a copy dispatch of its own.
    """
    owner = value.owner
    if isinstance(owner, (ir.Operation, ir.OpView)):
        reshape = as_op(owner)
        if reshape.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            source_dim = operand_dim_of(reshape, dim)
            if source_dim is not None:
                padded_source = pad_before_reshapes(reshape.operands[0], source_dim, extra, padding)
                return reshaped(reshape, padded_source, dim, extra)
        groups = collapsible_groups(as_op(owner), dim)
        if any(len(group) > 1 for group in groups):
            # Pad the value in the shape IREE will give its producer once it
            # collapses the producer's contiguous loops; a pad of the
            # uncollapsed shape sits behind a reshape and is not fused.
            return pad_collapsed(value, groups, dim, extra, padding)
    return pad_high(value, dim, extra, padding)


def collapsible_groups(producer: ir.Operation, dim: int) -> list[list[int]]:
    """Runs of result dims of a generic whose loops every input reads contiguously, in order.

    `dim` stays alone. Any other producer gets one group per dim.
    """
    rank = ir.RankedTensorType(producer.results[0].type).rank if len(producer.results) == 1 else 0
    singles = [[d] for d in range(rank)]
    if producer.name != "linalg.generic" or len(producer.results) != 1:
        return singles
    maps = indexing_maps(producer)
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


def pad_collapsed(value: ir.Value, groups: list[list[int]], dim: int, extra: int, padding: ir.Value) -> ir.Value:
    value_type = ir.RankedTensorType(value.type)
    shape = value_type.shape
    collapsed_shape = [product(shape[d] for d in group) for group in groups]
    reassociation = ir.ArrayAttr.get([
        ir.ArrayAttr.get([ir.IntegerAttr.get(ir.IntegerType.get_signless(64), d) for d in group]) for group in groups
    ])
    collapsed = tensor.CollapseShapeOp(
        ir.RankedTensorType.get(collapsed_shape, value_type.element_type), value, reassociation).result
    group_of_dim = next(i for i, group in enumerate(groups) if dim in group)
    padded = pad_high(collapsed, group_of_dim, extra, padding)
    result_type = padded_type(value.type, dim, extra)
    return tensor.ExpandShapeOp(result_type, padded, reassociation, [], list(result_type.shape)).result


def product(values) -> int:
    result = 1
    for v in values:
        result *= v
    return result


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


def contraction_step(op: ir.Operation, dim: int) -> ContractionStep | None:
    if not is_contraction(op) or len(op.operands) != 3:
        return None
    maps = indexing_maps(op)
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
            elif not isinstance(expr, ir.AffineDimExpr) and mentions_loop(expr, loop, maps[index].n_dims):
                return None
    if len(readers) != 1:
        return None
    init = op.operands[2].owner
    if not isinstance(init, (ir.Operation, ir.OpView)) or as_op(init).name != "linalg.fill":
        return None
    return ContractionStep(op, readers[0][0], readers[0][1], dim)


def elementwise_operands(op: ir.Operation) -> list[int]:
    """Inputs of an all-parallel single-result generic read with its (identity) output map."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return []
    if any("reduction" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])):
        return []
    maps = indexing_maps(op)
    out_map = maps[-1]
    if out_map != ir.AffineMap.get_identity(out_map.n_dims):
        return []
    n_inputs = len(op.operands) - 1
    return [i for i in range(n_inputs) if maps[i] == out_map and op.operands[i].type == op.results[0].type]


def pad_step(step: Step, value: ir.Value, extra: int) -> ir.Value:
    op = step.op
    result_type = padded_type(op.results[0].type, step.dim, extra)
    with ir.InsertionPoint(op), op.location:
        operands = list(op.operands)
        if isinstance(step, ReshapeStep):
            operands[0] = value
        else:
            maps = indexing_maps(op)
            loop = step.dim  # identity output map: result dim == loop
            n_inputs = len(operands) - 1
            for index in range(n_inputs):
                if index == step.operand:
                    operands[index] = value
                    continue
                for position, expr in enumerate(maps[index].results):
                    if isinstance(expr, ir.AffineDimExpr) and expr.position == loop:
                        element = ir.RankedTensorType(operands[index].type).element_type
                        operands[index] = pad_high(operands[index], position, extra, zero_constant(element))
            init = operands[n_inputs]
            if isinstance(init.owner, (ir.Operation, ir.OpView)) and as_op(init.owner).name == "tensor.empty":
                operands[n_inputs] = tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
            else:
                operands[n_inputs] = pad_high(init, step.dim, extra, zero_constant(result_type.element_type))
        clone = op.clone(ir.InsertionPoint(op))
    for index, operand in enumerate(operands):
        clone.operands[index] = operand
    if op.name == "tensor.expand_shape":
        clone.attributes["static_output_shape"] = ir.DenseI64ArrayAttr.get(list(result_type.shape))
    clone.results[0].set_type(result_type)
    return clone.results[0]


_SUBGROUP_CHOICES = re.compile(r"subgroup_size_choices = \[([0-9, ]*)\]")


_WORKGROUP_MEMORY = re.compile(r"max_workgroup_memory_bytes = ([0-9]+)")


def _target_texts(module: ir.Operation) -> list[str]:
    """The printed attributes of the module and its top-level ops that hold an `#iree_gpu.target`."""
    holders = [module, *[op.operation for op in module.regions[0].blocks[0].operations]]
    texts = []
    for holder in holders:
        attributes = holder.attributes
        for index in range(len(attributes)):
            text = str(attributes[index].attr)
            if "#iree_gpu.target" in text:
                texts.append(text)
    return texts


def has_gpu_target(module: ir.Operation) -> bool:
    """Whether the module (or a top-level op of it) names an `#iree_gpu.target`."""
    return bool(_target_texts(module))


def target_workgroup_memory(module: ir.Operation) -> int | None:
    """The smallest `max_workgroup_memory_bytes` among the module's GPU targets, or None (no GPU target).

    Read from the printed `#iree_gpu.target`, like the subgroup sizes below.
    """
    sizes = [int(m.group(1)) for text in _target_texts(module) for m in _WORKGROUP_MEMORY.finditer(text)]
    return min(sizes) if sizes else None


def target_row_multiple(module: ir.Operation, at_least: int = 32) -> int:
    """The largest subgroup size among the module's GPU targets, and at least `at_least`.

    The targets are `#hal.device.target` values of top-level globals (or
    module attributes). Their `#iree_gpu.target` has no Python accessor in
    these bindings, so its printed `subgroup_size_choices` is read.
    """
    sizes = [at_least]
    for text in _target_texts(module):
        for match in _SUBGROUP_CHOICES.finditer(text):
            sizes += [int(v) for v in match.group(1).replace(" ", "").split(",") if v]
    return max(sizes)


def negative_infinity(element: ir.Type) -> ir.Value:
    return arith.ConstantOp(element, ir.FloatAttr.get(element, float("-inf"))).result


def masked_to_negative_infinity(value: ir.Value, dim: int,
                                inside: Callable[[ir.Value], ir.Value]) -> ir.Value:
    """`value` with -inf where `inside(index along dim)` (an i1, built in the body) is false."""
    ranked = ir.RankedTensorType(value.type)
    identity = ir.AffineMap.get_identity(ranked.rank)
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(identity)] * 2)
    iterators = ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * ranked.rank)
    empty = tensor.EmptyOp(list(ranked.shape), ranked.element_type).result
    generic = linalg.GenericOp([ranked], [value], [empty], maps, iterators)
    block = generic.regions[0].blocks.append(ranked.element_type, ranked.element_type)
    with ir.InsertionPoint(block):
        keep = inside(linalg.IndexOp(dim).result)
        masked = arith.SelectOp(keep, block.arguments[0], negative_infinity(ranked.element_type)).result
        linalg.YieldOp([masked])
    return generic.results[0]
