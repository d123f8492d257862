"""Tag every linalg and tensor data operator with its SmartMem operator group.

SmartMem (ASPLOS'24, section 3) asks two questions of each operator: does its
performance depend on the layout of its input (ILD) or not (ILI), and can it
write its output in any layout (variable) or in one only (fixed)? This pass
answers them from the structure of linalg-on-tensors IR and records the answer
as the discardable attribute `smartmem.op_class = #smartmem.op_class<...>`.

The model: a structured op (linalg.generic or any named linalg op) is judged
by its generic form, i.e. its indexing maps and its body, so named and
generic spellings of one computation get one class.

- ILD & variable: ops with a reduction dim, a loop dim that no output map
  reads (matmul, batch_matmul, contractions, convolutions, pooling,
  linalg.reduce, the max/sum/mean/variance generics of softmax and
  layernorm), plus linalg.softmax and IREE's attention, scan, sort, top-k and
  arg-compare, which all walk one dimension of their input. A reduction
  walks its reduction dim, so whether that dim is contiguous in the input
  decides its speed; its output is written element by element in any order,
  so any output layout is possible.
- ILI & variable: all-parallel ops that compute (elementwise generics with
  identity, broadcast or permuted maps, linalg.elementwise, linalg.map), and
  all-parallel pure copies that keep the dim order (linalg.fill,
  linalg.broadcast, linalg.copy, broadcast generics), tensor.splat and
  tensor.generate. Each output element reads one input element, so any input
  layout is read equally well and any output layout can be written.
- ILD & fixed: pure data movement whose only job is to reorder dims or to
  reinterpret the shape: linalg.transpose, generics that only yield an input
  through a dim-reordering projected permutation, tensor.expand_shape /
  collapse_shape / reshape (and so depth-to-space / space-to-depth, which
  lower to reshape + transpose chains), linalg.pack / unpack. Their output
  layout is their whole semantics (fixed), and the cost of the move depends
  on how the input is laid out (ILD).
- ILI & fixed: movement that selects elements: tensor.extract_slice /
  insert_slice / parallel_insert_slice / concat / pad / gather / scatter,
  iree_linalg_ext.gather / scatter / map_scatter / im2col, copy generics
  whose input map is not a
  projected permutation (strided or offset reads; a constant 0 indexing a
  unit dim is a reshape, not a selection), and generics whose body
  reads with tensor.extract (gathers). Each element is fetched independently
  (ILI), but which elements land where is fixed by the op.

Refuses (leaves untagged; counted as "untagged" by the census):
- tensor.empty, tensor.dim, tensor.rank, tensor.cast, tensor.bitcast: no data
  is read or written;
- scalar accesses (tensor.extract / tensor.insert outside linalg bodies,
  tensor.from_elements): not tensor operators;
- linalg ops without indexing maps other than softmax/pack/unpack (e.g.
  winograd transforms), and structured ops on buffers (no tensor results);
- anything nested in a linalg body (linalg.yield, linalg.index, scalar math):
  part of its op, which is tagged as a whole;
- iree_linalg_ext ops not listed above (e.g. winograd transforms): no rule
  yet; the census lists them as untagged rather than guessing.

Example:

    %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
    %1 = tensor.expand_shape %0 [[0], [1, 2]] output_shape [4, 2, 8] : tensor<4x16xf32> into tensor<4x2x8xf32>

becomes

    %0 = linalg.matmul {smartmem.op_class = #smartmem.op_class<"ILD", "variable">} ins(...) outs(...) -> tensor<4x16xf32>
    %1 = tensor.expand_shape %0 [[0], [1, 2]] output_shape [4, 2, 8] {smartmem.op_class = #smartmem.op_class<"ILD", "fixed">} : ...

Options:
- report (bool, default false): after tagging, print the census to stderr:
  one line with the totals, one per class listing the count per op name, and
  one for the untagged linalg/tensor ops, each starting with
  `smartmem-classify census:`. The census of the last run is also kept as
  `self.census` (a `Census`) for programmatic use.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg

from smartmem.dialect.op_class import (
    ALL_CLASSES,
    ILD_FIXED,
    ILD_VARIABLE,
    ILI_FIXED,
    ILI_VARIABLE,
    OP_CLASS_ATTR,
    OpClass,
)
from smartmem.passes.base import ModulePass
from smartmem.passes.linalg_ops import body_contains

# Ops whose class follows from their name (they have no indexing maps, or
# their maps alone would not say what they are for).
_BY_NAME: dict[str, tuple[OpClass, str]] = {
    "linalg.softmax": (ILD_VARIABLE, "softmax reduces along its dimension"),
    "linalg.pack": (ILD_FIXED, "pack relayouts into tiles"),
    "linalg.unpack": (ILD_FIXED, "unpack relayouts out of tiles"),
    "tensor.expand_shape": (ILD_FIXED, "reshape"),
    "tensor.collapse_shape": (ILD_FIXED, "reshape"),
    "tensor.reshape": (ILD_FIXED, "reshape"),
    "tensor.extract_slice": (ILI_FIXED, "slice"),
    "tensor.insert_slice": (ILI_FIXED, "slice"),
    "tensor.parallel_insert_slice": (ILI_FIXED, "slice"),
    "tensor.concat": (ILI_FIXED, "concat"),
    "tensor.pad": (ILI_FIXED, "pad"),
    "tensor.gather": (ILI_FIXED, "gather"),
    "tensor.scatter": (ILI_FIXED, "scatter"),
    "tensor.splat": (ILI_VARIABLE, "splat writes one value everywhere"),
    "iree_linalg_ext.attention": (ILD_VARIABLE, "attention reduces over keys"),
    "iree_linalg_ext.online_attention": (ILD_VARIABLE, "attention reduces over keys"),
    "iree_linalg_ext.scan": (ILD_VARIABLE, "scan accumulates along its dimension"),
    "iree_linalg_ext.sort": (ILD_VARIABLE, "sort compares along its dimension"),
    "iree_linalg_ext.topk": (ILD_VARIABLE, "top-k reduces along its dimension"),
    "iree_linalg_ext.arg_compare": (ILD_VARIABLE, "arg-compare reduces along its dimension"),
    "iree_linalg_ext.gather": (ILI_FIXED, "gather"),
    "iree_linalg_ext.scatter": (ILI_FIXED, "scatter"),
    "iree_linalg_ext.map_scatter": (ILI_FIXED, "scatter"),
    "iree_linalg_ext.im2col": (ILI_FIXED, "im2col gathers convolution patches"),
}

# Ops of the classified dialects that are deliberately left untagged.
_UNTAGGED: dict[str, str] = {
    "tensor.empty": "no data is read or written",
    "tensor.dim": "reads metadata only",
    "tensor.rank": "reads metadata only",
    "tensor.cast": "changes the static type only",
    "tensor.bitcast": "changes the element type only",
    "tensor.extract": "scalar access, not a tensor operator",
    "tensor.insert": "scalar access, not a tensor operator",
    "tensor.from_elements": "builds a tensor from scalars",
    "tensor.yield": "terminator",
}

_CLASSIFIED_DIALECTS = ("linalg", "tensor", "iree_linalg_ext")


@dataclass(frozen=True)
class Decision:
    """The class of an op (None: left untagged) and why."""

    op_class: OpClass | None
    reason: str


def classify(op: ir.Operation) -> Decision:
    """The SmartMem class of one linalg/tensor op (see the module docstring)."""
    op = op.operation
    if op.name in _BY_NAME:
        op_class, reason = _BY_NAME[op.name]
        return Decision(op_class, reason)
    if op.name in _UNTAGGED:
        return Decision(None, _UNTAGGED[op.name])
    if op.name == "tensor.generate":
        if body_contains(op, "tensor.extract"):
            return Decision(ILI_FIXED, "generate reading with tensor.extract is a gather")
        return Decision(ILI_VARIABLE, "generate computes each element independently")
    if op.name.startswith("linalg."):
        return _classify_structured(op)
    return Decision(None, "not a SmartMem operator")


def _classify_structured(op: ir.Operation) -> Decision:
    maps_attr = linalg.get_indexing_maps(op)
    if maps_attr is None:
        return Decision(None, "linalg op without indexing maps")
    outputs = len(op.results)
    if outputs == 0:
        return Decision(None, "structured op on buffers (no tensor results)")
    maps = [m.value for m in maps_attr]
    if not maps:
        return Decision(None, "linalg op without indexing maps")
    input_maps, output_maps = maps[:-outputs], maps[-outputs:]
    written = set()
    for output_map in output_maps:
        for expr in output_map.results:
            written |= _dims_of(expr)
    if any(dim not in written for dim in range(maps[0].n_dims)):
        return Decision(ILD_VARIABLE, "has a reduction dim (a loop dim no output map uses)")
    if body_contains(op, "tensor.extract"):
        return Decision(ILI_FIXED, "body reads with tensor.extract (gather)")
    moved = _yielded_inputs(op, len(input_maps))
    if moved is None:
        return Decision(ILI_VARIABLE, "all-parallel op that computes (elementwise)")
    for input_index, output_index in moved:
        read = _dims_read(input_maps[input_index], _shape(op.operands[input_index]))
        written = _dims_read(output_maps[output_index], _shape(op.results[output_index]))
        if read is None or written is None or len(set(written)) != len(written) or not set(read) <= set(written):
            return Decision(ILI_FIXED, "copy through a non-permutation index map (slice-like move)")
        position = {dim: i for i, dim in enumerate(written)}
        order = [position[dim] for dim in read]
        if order != sorted(order):
            return Decision(ILD_FIXED, "copy that reorders dims (transpose)")
    return Decision(ILI_VARIABLE, "copy that keeps the dim order (copy, fill or broadcast)")


def _shape(value: ir.Value) -> list[int] | None:
    return list(value.type.shape) if isinstance(value.type, ir.ShapedType) else None


def _dims_read(indexing: ir.AffineMap, shape: list[int] | None) -> list[int] | None:
    """The loop dims an operand is indexed by, in operand dim order.

    A constant index into a unit dim (a reshape's unit dim) is skipped; any
    other constant or compound index selects elements: None.
    """
    dims = []
    for position, expr in enumerate(indexing.results):
        if isinstance(expr, ir.AffineDimExpr):
            dims.append(expr.position)
        elif isinstance(expr, ir.AffineConstantExpr) and expr.value == 0 and shape is not None and shape[position] == 1:
            continue
        else:
            return None
    return dims


def _dims_of(expr: ir.AffineExpr) -> set[int]:
    if isinstance(expr, ir.AffineDimExpr):
        return {expr.position}
    if isinstance(expr, ir.AffineBinaryExpr):
        return _dims_of(expr.lhs) | _dims_of(expr.rhs)
    return set()


def _body(op: ir.Operation) -> ir.Block | None:
    if len(op.regions) == 0:
        return None
    blocks = list(op.regions[0].blocks)
    return blocks[0] if blocks else None


def _yielded_inputs(op: ir.Operation, inputs: int) -> list[tuple[int, int]] | None:
    """(input index, output index) pairs if the body only yields inputs, else None."""
    body = _body(op)
    if body is None:
        return None
    operations = list(body.operations)
    if len(operations) != 1:
        return None
    pairs = []
    for output_index, value in enumerate(operations[0].operands):
        if not isinstance(value, ir.BlockArgument) or value.owner != body or value.arg_number >= inputs:
            return None
        pairs.append((value.arg_number, output_index))
    return pairs


@dataclass(frozen=True)
class Census:
    """How many ops of each op name fell into each class (None: untagged)."""

    counts: tuple[tuple[OpClass | None, str, int], ...]

    def total(self, op_class: OpClass | None) -> int:
        return sum(n for c, _, n in self.counts if c == op_class)

    def lines(self) -> list[str]:
        tagged = sum(n for c, _, n in self.counts if c is not None)
        lines = [f"census: {tagged} ops tagged, {self.total(None)} untagged"]
        for op_class in (*ALL_CLASSES, None):
            label = op_class.label if op_class else "untagged"
            names = ", ".join(f"{name} {n}" for c, name, n in self.counts if c == op_class)
            lines.append(f"census: {label} {self.total(op_class)}" + (f": {names}" if names else ""))
        return lines


class ClassifyPass(ModulePass):
    """Tag linalg/tensor ops with their #smartmem.op_class (ILD/ILI x variable/fixed)."""

    name = "smartmem-classify"
    census: "Census | None" = None

    @dataclass(frozen=True)
    class Options:
        report: bool = False

    def run_on_module(self, module: ir.Operation) -> None:
        counts: Counter[tuple[OpClass | None, str]] = Counter()

        def visit(op: ir.Operation) -> ir.WalkResult:
            op = op.operation
            dialect = op.name.split(".", 1)[0]
            if dialect not in _CLASSIFIED_DIALECTS:
                return ir.WalkResult.ADVANCE
            decision = classify(op)
            counts[(decision.op_class, op.name)] += 1
            if decision.op_class is None:
                self.no_match(op, decision.reason)
                if OP_CLASS_ATTR in op.attributes:
                    del op.attributes[OP_CLASS_ATTR]
            else:
                op.attributes[OP_CLASS_ATTR] = decision.op_class.to_attribute(op.context)
            # A linalg body is part of its op: never classify inside it.
            return ir.WalkResult.SKIP

        module.walk(visit, ir.WalkOrder.PRE_ORDER)
        census = Census(
            tuple(
                (op_class, name, n)
                for (op_class, name), n in sorted(counts.items(), key=lambda item: (_class_key(item[0][0]), item[0][1]))
            )
        )
        self.census = census
        for line in census.lines():
            self.log.info("%s", line)
            if self.options.report:
                print(f"{self.name} {line}", file=sys.stderr)


def _class_key(op_class: OpClass | None) -> int:
    return ALL_CLASSES.index(op_class) if op_class in ALL_CLASSES else len(ALL_CLASSES)
