"""smartmem-gather-rows-before-normalization: a gather that reorders a LayerNorm's rows reads its input instead.

A LayerNorm treats each row alike and on its own, so reordering the rows of
its output is the same as normalizing its input's rows reordered. Swin's
shifted blocks reorder rows after their first LayerNorm: the cyclic shift
and the window partition, which smartmem-fold-rolls and
smartmem-gather-through-layout-chains turn into one gather (a generic that
reads the LayerNorm's [rows, cols] result with `tensor.extract` at a row it
computes from its loop indices and at its own column). That gather reads
other workgroups' rows, so it cannot share the LayerNorm's dispatch and
runs as a dispatch of its own. This pass moves the row gather in front of
the LayerNorm: a new gather reads the LayerNorm's input in the order the
old one wanted, the LayerNorm is computed again on the gathered rows, and
what the old gather did with the value it read (the bias add) runs after
it as an elementwise op. smartmem-fuse-normalization-reductions then puts
the gather, as a private producer, into the LayerNorm's dispatch region.

    %n = <LayerNorm over [3136, 96]> ins(%x)
    %g = linalg.generic {maps to 8x8x7x7x96} ins(%beta) {
      %row = <shifted, window-partitioned row from linalg.index 0..3>
      %v = tensor.extract %n[%row, linalg.index 4]
      yield %v + %beta_elem
    }

becomes

    %xg = linalg.generic {3136x96} {
      %row = <the same row, from the digits of linalg.index 0>
      yield tensor.extract %x[%row, linalg.index 1]
    }
    %n2 = <the same LayerNorm> ins(%xg)
    %t = linalg.generic {3136x96: %n2 + %beta} ins(%n2, %beta)
    %g = tensor.expand_shape %t [[0, 1, 2, 3], [4]] : into 8x8x7x7x96

The LayerNorm is the set of row-wise generics (elementwise over [rows,
cols] or [rows], reductions over cols) behind the gathered value, each read
only inside the set, with at least one reduction. Their inputs are the
[rows, cols] values they read row by row (gathered), values that do not
vary by row (gamma, beta: kept) and fresh inits.

Refuses: gathers with several extracts, a reduction loop, a non-identity
output map, inputs that vary by row, a column index other than their
innermost loop, a row index that reads the innermost loop, or a body
whose other ops read the row index; sources that are not 2-D static
[rows, cols] generics matching the gather's loops; sets without a
reduction, read outside themselves, or reading per-row values ([rows]) from
outside.

Not in the default pipeline: on the H200 it saves two of Swin-T's
dispatches but no time, and IREE 3.13 cannot compile the fused gather and
LayerNorm for llvmpipe (smartmem.passes.pipelines has the measurement).
Run it right before smartmem-fuse-normalization-reductions.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, ancestor_beside, clone_renamed, defining_op, ops_where, user_ops
from smartmem.passes.dispatch_region import block_order
from smartmem.passes.linalg_ops import (
    delinearize,
    expand_to,
    is_contraction_generic,
    is_fresh_init,
    maps_and_iterators,
    num_inputs,
    uses_linalg_index,
)


@dataclass
class RowGather:
    """A generic that reads a [rows, cols] value at (row computed from its loops, its innermost loop)."""

    gather: ir.Operation
    source: ir.Value
    extract: ir.Operation
    row_ops: list[ir.Operation]  # the body ops computing the row index, in order
    tail: list[ir.Operation]  # the body ops reading the extracted value, in order (no yield)
    loops: list[int]


def _index_dim(op: ir.Operation) -> int | None:
    return ir.IntegerAttr(op.attributes["dim"]).value if op.name == "linalg.index" else None


def _backward_slice(value: ir.Value, body: ir.Block) -> list[ir.Operation] | None:
    """The ops of `body` that `value` depends on, in body order; None if it depends on a block argument."""
    needed: set[ir.Operation] = set()
    pending = [value]
    while pending:
        current = pending.pop()
        owner = current.owner
        if isinstance(owner, ir.Block):
            if owner == body:
                return None
            continue
        op = owner.operation
        if op.parent is None or op in needed or op.block != body:
            continue
        needed.add(op)
        pending.extend(op.operands)
    return [o.operation for o in body.operations if o.operation in needed]


def row_gather_of(op: ir.Operation) -> RowGather | str:
    """`op` as a row gather, or why it is not one."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return "not a one-result generic"
    maps, iterators = maps_and_iterators(op)
    if any(it != "parallel" for it in iterators):
        return "has a reduction loop"
    n_loops = len(iterators)
    if maps[-1] != ir.AffineMap.get_identity(n_loops):
        return "its output map is not the identity"
    result_type = ir.RankedTensorType(op.results[0].type)
    if not result_type.has_static_shape:
        return "dynamic shape"
    loops = list(result_type.shape)
    innermost = ir.AffineDimExpr.get(n_loops - 1)
    for input_map in maps[:num_inputs(op)]:
        if any(not (r == innermost or isinstance(r, ir.AffineConstantExpr)) for r in input_map.results):
            return "an input varies by row"
    body = op.regions[0].blocks[0]
    extracts = [o.operation for o in body.operations if o.operation.name == "tensor.extract"]
    if len(extracts) != 1:
        return f"{len(extracts)} tensor.extract ops"
    extract = extracts[0]
    source = extract.operands[0]
    if not isinstance(source.owner, ir.Block) and source.owner.operation.block == body:
        return "the extract reads a value of the body"
    source_type = ir.RankedTensorType(source.type)
    if source_type.rank != 2 or not source_type.has_static_shape:
        return "the source is not a static [rows, cols] tensor"
    rows, cols = source_type.shape
    row_loops = 1
    for extent in loops[:-1]:
        row_loops *= extent
    if loops[-1] != cols or row_loops != rows:
        return f"its loops {loops} do not cover the source's {rows}x{cols}"
    column = defining_op(extract.operands[2])
    if column is None or column.block != body or _index_dim(column) != n_loops - 1:
        return "the column index is not the innermost loop"
    row_ops = _backward_slice(extract.operands[1], body)
    if row_ops is None or any(_index_dim(o) == n_loops - 1 for o in row_ops):
        return "the row index reads the innermost loop or a block argument"
    index_values = {r for o in [*row_ops, column] for r in o.results}
    tail = [o.operation for o in body.operations
            if o.operation not in row_ops and o.operation != extract and o.operation.name != "linalg.yield"
            and o.operation != column]
    if any(v in index_values for o in tail for v in o.operands) or any(o.name == "linalg.index" for o in tail):
        return "an op besides the extract reads the loop indices"
    if list(body.arguments)[-1] in {v for o in tail for v in o.operands}:
        return "the body reads its output"
    return RowGather(op, source, extract, row_ops, tail, loops)


def _row_wise(op: ir.Operation | None, rows: int, cols: int) -> bool:
    """A generic over [rows, cols] (elementwise or reducing cols) or [rows], reading operands row by row."""
    if op is None or op.name != "linalg.generic" or len(op.results) != 1 or uses_linalg_index(op):
        return False
    if is_contraction_generic(op):
        return False
    maps, iterators = maps_and_iterators(op)
    ranges = [ir.RankedTensorType(v.type).shape for v in op.operands]
    if iterators not in (["parallel", "parallel"], ["parallel", "reduction"], ["parallel"]):
        return False
    extents = [rows, cols][:len(iterators)]
    for value_shape, operand_map in zip(ranges, maps):
        if not operand_map.is_projected_permutation:
            return False
        dims = [r.position for r in operand_map.results]
        if dims != sorted(dims) or [extents[d] for d in dims] != list(value_shape):
            return False  # a transposed or mis-sized operand
    return True


def normalization_behind(gathered: RowGather) -> tuple[list[ir.Operation], list[ir.Value]] | str:
    """The row-wise ops computing the gathered source, read only among themselves, in block order, and the
    [rows, cols] values they read row by row from outside; or why not."""
    rows, cols = ir.RankedTensorType(gathered.source.type).shape
    last = defining_op(gathered.source)
    if not _row_wise(last, rows, cols):
        return "the source is not a row-wise generic"
    if any(ancestor_beside(u, last) != gathered.gather for u in user_ops(gathered.source)):
        return "the source is read by another op too"
    if last.parent != gathered.gather.parent:
        return "the source is computed in another block"
    members = {last}
    changed = True
    while changed:
        changed = False
        for op in list(members):
            for value in list(op.operands)[:num_inputs(op)]:
                producer = defining_op(value)
                if producer in members or not _row_wise(producer, rows, cols) or producer.parent != last.parent:
                    continue
                if all(u in members for u in user_ops(producer.results[0])):
                    members.add(producer)
                    changed = True
    if not any("reduction" in maps_and_iterators(op)[1] for op in members):
        return "no reduction behind it (not a normalization)"
    row_inputs: list[ir.Value] = []
    for op in members:
        maps, _ = maps_and_iterators(op)
        for index, (value, operand_map) in enumerate(zip(op.operands, maps)):
            if defining_op(value) in members:
                continue
            if index >= num_inputs(op):
                if not is_fresh_init(value):
                    return "an init holds data"
                continue
            dims = [r.position for r in operand_map.results]
            if 0 not in dims:
                continue  # does not vary by row (gamma, beta)
            if dims != [0, 1]:
                return "it reads per-row values from outside"
            if value not in row_inputs:
                row_inputs.append(value)
    if not row_inputs:
        return "no input varies by row"
    order = block_order(last)
    return sorted(members, key=lambda op: order[op]), row_inputs


def _rows_generic(value_type: ir.RankedTensorType, inputs: list[ir.Value],
                  input_maps: list[ir.AffineMap]) -> linalg.GenericOp:
    """An elementwise generic over [rows, cols] writing a fresh `value_type`, body left to the caller."""
    rows, cols = value_type.shape
    identity = ir.AffineMap.get_identity(2)
    return linalg.GenericOp(
        [value_type], inputs, [tensor.EmptyOp([rows, cols], value_type.element_type).result],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in [*input_maps, identity]]),
        ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * 2))


def _gather_rows(source: ir.Value, gathered: RowGather) -> ir.Value:
    """`source` ([rows, cols]) with its rows in the order `gathered` reads them, at the insertion point."""
    source_type = ir.RankedTensorType(source.type)
    generic = _rows_generic(source_type, [], [])
    block = generic.regions[0].blocks.append(source_type.element_type)
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(block):
        row = linalg.IndexOp(ir.IntegerAttr.get(i64, 0)).result
        column = linalg.IndexOp(ir.IntegerAttr.get(i64, 1)).result
        digits = delinearize(row, gathered.loops[:-1])
        mapping: dict[ir.Value, ir.Value] = {}
        for op in gathered.row_ops:
            dim = _index_dim(op)
            if dim is not None:
                mapping[op.results[0]] = digits[dim]
            else:
                clone_renamed(op, mapping)
        value = tensor.ExtractOp(source, [mapping[gathered.extract.operands[1]], column]).result
        linalg.YieldOp([value])
    return generic.results[0]


def _apply_tail(normalized: ir.Value, gathered: RowGather) -> ir.Value:
    """What the gather did with the value it read, as an elementwise op over `normalized` ([rows, cols]),
    reshaped to the gather's result."""
    op = gathered.gather
    value_type = ir.RankedTensorType(normalized.type)
    maps, _ = maps_and_iterators(op)
    inputs = list(op.operands)[:num_inputs(op)]

    def two_d(old: ir.AffineMap) -> ir.AffineMap:
        results = [ir.AffineDimExpr.get(1) if isinstance(r, ir.AffineDimExpr) else r for r in old.results]
        return ir.AffineMap.get(2, 0, results)

    generic = _rows_generic(value_type, [normalized, *inputs],
                            [ir.AffineMap.get_identity(2), *[two_d(m) for m in maps[:len(inputs)]]])
    old_block = op.regions[0].blocks[0]
    block = generic.regions[0].blocks.append(value_type.element_type, *[a.type for a in old_block.arguments])
    mapping: dict[ir.Value, ir.Value] = {gathered.extract.results[0]: block.arguments[0]}
    for old_argument, new_argument in zip(old_block.arguments, list(block.arguments)[1:]):
        mapping[old_argument] = new_argument
    with ir.InsertionPoint(block):
        for tail_op in gathered.tail:
            clone_renamed(tail_op, mapping)
        yielded = [o.operation for o in old_block.operations][-1].operands[0]
        linalg.YieldOp([mapping.get(yielded, yielded)])
    n_loops = len(gathered.loops)
    return expand_to(generic.results[0], (tuple(range(n_loops - 1)), (n_loops - 1,)), tuple(gathered.loops))


class GatherRowsBeforeNormalizationPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-gather-rows-before-normalization"

    def run_on_module(self, module: ir.Operation) -> None:
        with module.context:
            for op in ops_where(module, lambda o: o.name == "linalg.generic" and uses_linalg_index(o)):
                gathered = row_gather_of(op)
                if isinstance(gathered, str):
                    self.no_match(op, gathered)
                    continue
                found = normalization_behind(gathered)
                if isinstance(found, str):
                    self.no_match(op, found)
                    continue
                members, row_inputs = found
                self.rewrite(gathered, members, row_inputs)

    def rewrite(self, gathered: RowGather, members: list[ir.Operation], row_inputs: list[ir.Value]) -> None:
        op = gathered.gather
        with ir.InsertionPoint(op), op.location:
            mapping = {value: _gather_rows(value, gathered) for value in row_inputs}
            for member in members:
                clone_renamed(member, mapping)
            replacement = _apply_tail(mapping[gathered.source], gathered)
        self.log.debug("gathered %d input(s) before %d row-wise ops at %s", len(row_inputs), len(members),
                       op.location)
        op.results[0].replace_all_uses_with(replacement)
        op.erase()
        for member in reversed(members):
            member.erase()
