"""Small facts about, and builders of, linalg and tensor ops, shared by the passes.

Indexing maps and iterator types of generics and named contractions, the
kind of a generic (elementwise, contraction, reading `linalg.index`), index
constants and the digits of a linear index, the reassociation attribute of
a reshape, a value reshaped to a finer shape, a `linalg.fill`, and the
values IREE's const-eval folds.
"""

from __future__ import annotations

from collections.abc import Sequence

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

# Ops whose results IREE's const-eval folds at compile or load time.
CONSTANT_SOURCES = frozenset({
    "arith.constant", "util.global.load", "util.global.load.indirect", "flow.tensor.constant",
    "torch.vtensor.literal",
})


_NAMED_CONTRACTION_MAPS = {
    "linalg.matmul": "[affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]",
    "linalg.batch_matmul": "[affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]",
}


def num_inputs(op: ir.Operation) -> int:
    """How many of a destination-style op's operands are inputs (`ins`)."""
    segments = ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"])
    return segments[0]


def maps_and_iterators(op: ir.Operation) -> tuple[list[ir.AffineMap], list[str]]:
    """Indexing maps (inputs, then outputs) and iterator types of a generic or a named matmul."""
    if op.name == "linalg.generic":
        maps = [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
        iterators = ["reduction" if "reduction" in str(a) else "parallel"
                     for a in ir.ArrayAttr(op.attributes["iterator_types"])]
        return maps, iterators
    if "indexing_maps" in op.attributes:
        attr = ir.ArrayAttr(op.attributes["indexing_maps"])
    else:
        attr = ir.ArrayAttr(ir.Attribute.parse(_NAMED_CONTRACTION_MAPS[op.name]))
    maps = [ir.AffineMapAttr(m).value for m in attr]
    n_loops = maps[0].n_dims
    reduced = set(range(n_loops))
    for expr in maps[-1].results:
        reduced.discard(expr.position)
    return maps, ["reduction" if d in reduced else "parallel" for d in range(n_loops)]


def loop_extents(types: Sequence[ir.Type], maps: Sequence[ir.AffineMap]) -> list[int | None]:
    """Each loop's extent, read off the operands (of these types, through these maps) that index it.

    None for a loop no operand dim indexes; a dynamic dim gives
    `ir.ShapedType.get_dynamic_size()`.
    """
    extents: list[int | None] = [None] * maps[0].n_dims
    for value_type, m in zip(types, maps):
        if not isinstance(value_type, ir.RankedTensorType):
            continue
        for extent, expr in zip(ir.RankedTensorType(value_type).shape, m.results):
            if isinstance(expr, ir.AffineDimExpr):
                extents[expr.position] = extent
    return extents


def loop_ranges(op: ir.Operation) -> tuple[int, ...] | None:
    """The static trip count of each loop of a generic, or None (dynamic, or a loop no operand dim gives)."""
    maps, _ = maps_and_iterators(op)
    extents = loop_extents([v.type for v in op.operands], maps)
    if any(e is None or e == ir.ShapedType.get_dynamic_size() for e in extents):
        return None
    return tuple(extents)


def is_identity_map(m: ir.AffineMap) -> bool:
    """Whether `m` lists its dims in order, (d0, ..., dn) -> (d0, ..., dn)."""
    return list(m.results) == [ir.AffineDimExpr.get(i) for i in range(m.n_dims)]


def has_permuted_input(op: ir.Operation) -> bool:
    """Whether a generic reads an input through a permutation that is not the identity (IREE names such an
    elementwise op `elementwise_transpose`: it joins no producer's dispatch)."""
    maps, _ = maps_and_iterators(op)
    return any(m.is_permutation and not is_identity_map(m) for m in maps[:num_inputs(op)])


def is_contraction_op(op: ir.Operation | None) -> bool:
    """A named matmul / batch matmul, or a contraction generic."""
    return op is not None and (op.name in ("linalg.matmul", "linalg.batch_matmul") or is_contraction_generic(op))


def is_elementwise(op: ir.Operation) -> bool:
    """A generic whose loops are all parallel."""
    if op.name != "linalg.generic":
        return False
    return all("parallel" in str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"]))


def is_contraction_generic(op: ir.Operation) -> bool:
    """A generic computing out += a * b, a and b two of its inputs, with at least one reduction loop.

    A sum of squares (out += a * a, one input: a LayerNorm's variance) has the
    same body ops but is a reduction, not a contraction.
    """
    if op.name != "linalg.generic" or len(op.results) != 1:
        return False
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    if not any("reduction" in it for it in iterators):
        return False
    block = op.regions[0].blocks[0]
    body = [o.operation for o in block.operations]
    if [o.name for o in body] not in (["arith.mulf", "arith.addf", "linalg.yield"],
                                      ["arith.muli", "arith.addi", "linalg.yield"]):
        return False
    n_inputs = num_inputs(op)
    inputs = {block.arguments[i] for i in range(n_inputs)}
    factors = list(body[0].operands)
    return len(inputs) >= 2 and factors[0] != factors[1] and all(f in inputs for f in factors)


def body_contains(op: ir.Operation, op_name: str) -> bool:
    """Whether an op named `op_name` is nested anywhere in `op`'s regions."""
    found = False

    def visit(inner: ir.Operation) -> ir.WalkResult:
        nonlocal found
        if inner.name == op_name:
            found = True
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    for region in op.regions:
        for block in region.blocks:
            for nested in block.operations:
                nested.operation.walk(visit)
    return found


def uses_linalg_index(op: ir.Operation) -> bool:
    """Whether `op`'s body reads its loop indices (a gather): its loops cannot be renamed freely."""
    return body_contains(op, "linalg.index")


def is_fresh_init(value: ir.Value) -> bool:
    """A `tensor.empty`, or a `linalg.fill` of one: an init that holds no computed data."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return False
    op = owner.operation
    if op.name == "tensor.empty":
        return True
    if op.name != "linalg.fill":
        return False
    inner = op.operands[1].owner
    return not isinstance(inner, ir.Block) and inner.operation.name == "tensor.empty"


def index_constant(value: int) -> ir.Value:
    """An `index` constant at the insertion point."""
    return arith.ConstantOp(ir.IndexType.get(), value).result


def delinearize(index: ir.Value, extents: Sequence[int]) -> list[ir.Value]:
    """`index` split into digits of radix `extents` (major to minor), with `remui`/`divui`.

    The major digit is the remaining quotient, unchecked: `index` is in range.
    """
    digits: list[ir.Value] = []
    remaining = index
    for position, extent in enumerate(reversed(extents)):
        if position == len(extents) - 1:
            digits.append(remaining)
        else:
            divisor = index_constant(extent)
            digits.append(arith.RemUIOp(remaining, divisor).result)
            remaining = arith.DivUIOp(remaining, divisor).result
    return digits[::-1]


def linearize(digits: Sequence[ir.Value], extents: Sequence[int]) -> ir.Value:
    """The linear index of `digits` of radix `extents` (major to minor), with `muli`/`addi`."""
    if not digits:
        return index_constant(0)
    total = digits[0]
    for digit, extent in zip(digits[1:], extents[1:]):
        total = arith.AddIOp(arith.MulIOp(total, index_constant(extent)).result, digit).result
    return total


def reassociation_attr(groups: Sequence[Sequence[int]]) -> ir.ArrayAttr:
    """The `reassociation` attribute of an expand_shape / collapse_shape grouping dims as `groups`."""
    i64 = ir.IntegerType.get_signless(64)
    return ir.ArrayAttr.get([ir.ArrayAttr.get([ir.IntegerAttr.get(i64, d) for d in g]) for g in groups])


def expand_to(value: ir.Value, groups: tuple[tuple[int, ...], ...], shape: tuple[int, ...]) -> ir.Value:
    """`value` reshaped to `shape`; `groups[i]` lists the result dims of dim i.

    An empty group is a unit dim that disappears: it is collapsed into a
    neighbouring dim first, so no constant index is left in the maps.
    """
    value_type = ir.RankedTensorType(value.type)
    if any(not g for g in groups):
        kept = [i for i, g in enumerate(groups) if g]
        if not kept:
            return value
        collapse_groups: list[list[int]] = [[] for _ in kept]
        slot = 0
        for i, g in enumerate(groups):
            collapse_groups[slot].append(i)
            if g and i != kept[-1] and slot < len(kept) - 1 and i == kept[slot]:
                slot += 1
        reduced_shape = [value_type.shape[i] for i in kept]
        reduced_type = ir.RankedTensorType.get(reduced_shape, value_type.element_type)
        value = tensor.CollapseShapeOp(
            reduced_type, value, reassociation_attr(tuple(tuple(g) for g in collapse_groups))
        ).result
        value_type = reduced_type
        groups = tuple(g for g in groups if g)
    if tuple(value_type.shape) == shape and all(len(g) == 1 for g in groups):
        return value
    result_type = ir.RankedTensorType.get(list(shape), value_type.element_type)
    return tensor.ExpandShapeOp(result_type, value, reassociation_attr(groups), [], list(shape)).result


def fill(value: ir.Value, init: ir.Value) -> ir.Value:
    """A `linalg.fill` of `init` with the scalar `value`, at the insertion point."""
    op = ir.Operation.create(
        "linalg.fill",
        results=[init.type],
        operands=[value, init],
        attributes={"operandSegmentSizes": ir.DenseI32ArrayAttr.get([1, 1])},
        regions=1,
    )
    element = ir.RankedTensorType(init.type).element_type
    block = op.regions[0].blocks.append(value.type, element)
    with ir.InsertionPoint(block):
        linalg.YieldOp([block.arguments[0]])
    return op.results[0]


def build_contraction_body(generic: linalg.GenericOp, element_types: list[ir.Type]) -> None:
    """Give `generic` the body of a contraction: out + a * b."""
    block = generic.regions[0].blocks.append(*element_types)
    with ir.InsertionPoint(block):
        product = arith.MulFOp(block.arguments[0], block.arguments[1]).result
        total = arith.AddFOp(block.arguments[2], product).result
        linalg.YieldOp([total])
