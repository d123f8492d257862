"""Index comprehension for chains of reshapes and transposes.

A *layout chain* is a run of `tensor.expand_shape`, `tensor.collapse_shape`,
`linalg.transpose` (and transpose-like `linalg.generic`) and
`smartmem.relayout` ops from a source
value `x` to a value `v`. None of them computes: `v` is `x` read through an
index transformation. This module computes that transformation as *atoms*:
the finest dimensions both tensors are made of. Every dimension of `x` is a
contiguous, major-to-minor run of atoms, and so is every dimension of `v`; the
chain only reorders atoms.

For example, Swin's window partition

    %e = tensor.expand_shape %x [[0], [1, 2, 3, 4], [5]] : 1x3136x96 into 1x8x7x8x7x96
    %t = linalg.transpose ins(%e) permutation = [0, 1, 3, 2, 4, 5]
    %v = tensor.collapse_shape %t [[0, 1, 2, 3, 4], [5]] : 1x8x8x7x7x96 into 3136x96

has atoms a=8, b=7, c=8, d=7, e=96: x = [[], [a, b, c, d], [e]] and
v = [[a, c, b, d], [e]]. A consumer indexing `v[i, k]` reads
`x_fine[a, b, c, d, e]` once its loop `i` is split into loops (a, c, b, d):
per dimension the dependency is identity, split (the loop becomes several) or
merge (several x dims feed one loop group) — the reshape becomes a split of
the iteration space and the transpose a permutation of loops, with no
`floordiv`/`mod` left for the code generator to tile.

Unit dimensions carry no atoms. Chains whose reshapes do not share a common
refinement (mixed radix, e.g. 6 = 2x3 regrouped as 3x2) are refused.

A `smartmem.relayout` (smartmem-form-relayouts writes whole chains as one)
is a permutation of its operand's dims followed by a collapse: its result
must group the permuted dims contiguously (the form that pass writes);
`relayout_step` says why another relayout is not a chain op.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir

from smartmem.passes.base import static_slice


class ChainRefused(Exception):
    """The chain cannot be expressed with atoms; the message says why."""


@dataclass(frozen=True)
class AtomChain:
    """The index transformation of a layout chain, as atoms.

    `atom_sizes[a]` is the extent of atom `a`; `source_dims[i]` the atoms of
    dim i of the source (major to minor), `result_dims[j]` those of dim j of
    the chain's result. Unit dims have no atoms.
    """

    atom_sizes: tuple[int, ...]
    source_dims: tuple[tuple[int, ...], ...]
    result_dims: tuple[tuple[int, ...], ...]
    fixed: tuple[tuple[int, int], ...] = ()  # (atom, index): selected by a slice

    def source_fine_shape(self) -> tuple[int, ...]:
        return tuple(self.atom_sizes[a] for dim in self.source_dims for a in dim)

    def source_fine_atoms(self) -> tuple[int, ...]:
        return tuple(a for dim in self.source_dims for a in dim)

    def is_identity(self) -> bool:
        if self.fixed:
            return False
        return [a for d in self.source_dims for a in d] == [a for d in self.result_dims for a in d]


@dataclass(frozen=True)
class ChainStep:
    """One op of a chain, as the index relabeling it performs."""

    kind: str  # "expand", "collapse", "permute", "relayout" (permute, then collapse) or "select"
    groups: tuple[tuple[int, ...], ...] = ()  # relayout: groups of permuted dims; empty for a unit dim
    result_shape: tuple[int, ...] = ()
    permutation: tuple[int, ...] = ()  # result dim i = operand dim permutation[i]
    offsets: tuple[int, ...] = ()  # select: a tile of `result_shape` at these offsets


def chain_step(op: ir.Operation) -> ChainStep | None:
    """The step `op` performs, or None if it is not a layout-chain op."""
    name = op.name
    if name in ("tensor.expand_shape", "tensor.collapse_shape"):
        result_type = ir.RankedTensorType(op.results[0].type)
        source_type = ir.RankedTensorType(op.operands[0].type)
        if not (result_type.has_static_shape and source_type.has_static_shape):
            return None
        groups = tuple(
            tuple(ir.IntegerAttr(i).value for i in group)
            for group in ir.ArrayAttr(op.attributes["reassociation"])
        )
        kind = "expand" if name == "tensor.expand_shape" else "collapse"
        return ChainStep(kind, groups=groups, result_shape=tuple(result_type.shape))
    if name == "linalg.transpose":
        if not ir.RankedTensorType(op.operands[0].type).has_static_shape:
            return None
        perm = tuple(ir.DenseI64ArrayAttr(op.attributes["permutation"]))
        return ChainStep("permute", permutation=perm)
    if name == "linalg.generic":
        return _transpose_like_generic(op)
    if name == "tensor.extract_slice":
        return _tile_select(op)
    if name == "smartmem.relayout":
        step = relayout_step(op)
        return step if isinstance(step, ChainStep) else None
    return None


def is_chain_op(op: ir.Operation) -> bool:
    """A layout-chain op other than a slice (a slice picks data; it does not relabel it)."""
    step = chain_step(op)
    return step is not None and step.kind != "select"


def relayout_step(op: ir.Operation) -> ChainStep | str:
    """The step of a `smartmem.relayout`, or why it is not a chain op.

    A chain op when its layout is an unblocked permutation and its result
    groups the permuted operand dims contiguously (a collapse; unit dims
    anywhere), e.g. 8x7x8x7x96 permuted [0, 2, 1, 3, 4] read as 64x49x96.
    """
    from smartmem.dialect.ops import Relayout
    from smartmem.dialect.syntax import DialectError

    try:
        view = Relayout.view(op)
    except DialectError as error:
        return f"malformed relayout: {error}"
    if view is None:
        return "not a relayout"
    operand_type = ir.RankedTensorType(view.input.type)
    result_type = ir.RankedTensorType(view.result.type)
    if not (operand_type.has_static_shape and result_type.has_static_shape):
        return "relayout with dynamic shapes"
    if view.layout.blocking is not None:
        return "relayout with a blocked layout: not a permutation of dims"
    if view.layout.rank != operand_type.rank:
        return "relayout layout rank differs from its operand's"
    permutation = view.layout.permutation
    permuted = [operand_type.shape[p] for p in permutation]
    groups = collapse_groups(permuted, list(result_type.shape))
    if groups is None:
        return "relayout result does not group the permuted dims contiguously"
    return ChainStep("relayout", groups=groups, result_shape=tuple(result_type.shape), permutation=permutation)


def collapse_groups(shape: list[int], result_shape: list[int]) -> tuple[tuple[int, ...], ...] | None:
    """Groups of consecutive dims of `shape` whose products are `result_shape`, or None.

    Unit dims of `shape` join a neighbouring group; a unit dim of the result
    gets an empty group unless a unit dim of `shape` is free for it.
    """
    groups: list[list[int]] = []
    position = 0
    for size in result_shape:
        group: list[int] = []
        need = size
        while need > 1:
            if position >= len(shape) or shape[position] == 0 or need % shape[position]:
                return None
            need //= shape[position]
            group.append(position)
            position += 1
        # Unit dims after the group belong to it while the next group needs none of them.
        while size == 1 and not group and position < len(shape) and shape[position] == 1:
            group.append(position)
            position += 1
        groups.append(group)
    while position < len(shape) and shape[position] == 1:
        target = next((g for g in reversed(groups) if g), None)
        if target is None:
            return None
        target.append(position)
        position += 1
    if position != len(shape):
        return None
    return tuple(tuple(g) for g in groups)


def _tile_select(op: ir.Operation) -> ChainStep | None:
    """A static, unit-stride slice that picks one tile per sliced dim.

    E.g. the K part of a fused QKV projection, x[:, :, 768:1536] of a
    1x197x2304 tensor: dim 2 is 3 tiles of 768 and the slice picks tile 1.
    """
    if len(op.operands) != 1:
        return None
    source_type = ir.RankedTensorType(op.operands[0].type)
    result_type = ir.RankedTensorType(op.results[0].type)
    if not source_type.has_static_shape or result_type.rank != source_type.rank:
        return None
    offsets, sizes, strides = static_slice(op)
    if any(s != 1 for s in strides):
        return None
    for offset, size, extent in zip(offsets, sizes, source_type.shape):
        if size <= 0 or extent % size or offset % size:
            return None
    return ChainStep("select", result_shape=sizes, offsets=offsets)


def _transpose_like_generic(op: ir.Operation) -> ChainStep | None:
    """A generic that only permutes its single input into its single output."""
    if len(op.operands) != 2 or len(op.results) != 1:
        return None
    if not ir.RankedTensorType(op.operands[0].type).has_static_shape:
        return None
    iterators = [str(a) for a in ir.ArrayAttr(op.attributes["iterator_types"])]
    if any("parallel" not in it for it in iterators):
        return None
    block = op.regions[0].blocks[0]
    body = list(block.operations)
    if len(body) != 1 or body[0].name != "linalg.yield":
        return None
    if len(body[0].operands) != 1 or body[0].operands[0] != block.arguments[0]:
        return None
    maps = [ir.AffineMapAttr(m).value for m in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if not all(m.is_permutation for m in maps):
        return None
    in_loops = [e.position for e in maps[0].results]
    out_loops = [e.position for e in maps[1].results]
    return ChainStep("permute", permutation=tuple(in_loops.index(loop) for loop in out_loops))


def collect_chain(value: ir.Value) -> tuple[ir.Value, list[ir.Operation]]:
    """Walk back from `value` through layout-chain ops: (source, ops source->value)."""
    ops: list[ir.Operation] = []
    current = value
    while True:
        owner = current.owner
        if not isinstance(owner, ir.OpView) and not isinstance(owner, ir.Operation):
            break
        op = owner.operation if isinstance(owner, ir.OpView) else owner
        if op.name == "func.func" or chain_step(op) is None:
            break
        ops.append(op)
        current = op.operands[0]
    ops.reverse()
    return current, ops


def analyze_chain(source_shape: tuple[int, ...], steps: list[ChainStep]) -> AtomChain:
    """Atoms of the chain `steps` applied to a tensor of `source_shape`."""
    sizes: list[int] = []
    source_dims: list[list[int]] = []
    for extent in source_shape:
        if extent == 1:
            source_dims.append([])
        else:
            sizes.append(extent)
            source_dims.append([len(sizes) - 1])
    dims = [list(d) for d in source_dims]
    fixed: list[tuple[int, int]] = []

    def split_atom(atom: int, major: int) -> tuple[int, int]:
        minor = sizes[atom] // major
        sizes[atom] = major
        sizes.append(minor)
        new_atom = len(sizes) - 1
        for holder in (source_dims, dims):
            for dim in holder:
                if atom in dim:
                    dim.insert(dim.index(atom) + 1, new_atom)
        return atom, new_atom

    for position, step in enumerate(steps):
        if step.kind == "select":
            if position != 0:
                raise ChainRefused("a slice inside the chain")
            for d, (offset, size) in enumerate(zip(step.offsets, step.result_shape)):
                extent = source_shape[d]
                if size == extent:
                    continue
                sizes.append(extent // size)
                selector = len(sizes) - 1
                fixed.append((selector, offset // size))
                if size == 1:
                    source_dims[d] = [selector]
                    dims[d] = []
                else:
                    data = source_dims[d][0]
                    sizes[data] = size
                    source_dims[d] = [selector, data]
                    dims[d] = [data]
            continue
        if step.kind == "permute":
            dims = [dims[p] for p in step.permutation]
        elif step.kind == "relayout":
            permuted = [dims[p] for p in step.permutation]
            dims = [[a for d in group for a in permuted[d]] for group in step.groups]
        elif step.kind == "collapse":
            dims = [[a for d in group for a in dims[d]] for group in step.groups]
        else:
            new_dims: list[list[int]] = [[] for _ in step.result_shape]
            for operand_dim, group in enumerate(step.groups):
                remaining = list(dims[operand_dim])
                for result_dim in group:
                    need = step.result_shape[result_dim]
                    part: list[int] = []
                    while need > 1:
                        if not remaining:
                            raise ChainRefused("reshape sizes do not match")
                        atom = remaining[0]
                        size = sizes[atom]
                        if size <= need and need % size == 0:
                            part.append(remaining.pop(0))
                            need //= size
                        elif size > need and size % need == 0:
                            major, minor = split_atom(atom, need)
                            remaining[0] = minor
                            part.append(major)
                            need = 1
                        else:
                            raise ChainRefused(
                                f"mixed-radix reshape: a dim of {size} cannot be regrouped into {need}"
                            )
                    new_dims[result_dim] = part
                if remaining:
                    raise ChainRefused("reshape sizes do not match")
            dims = new_dims
    return AtomChain(
        atom_sizes=tuple(sizes),
        source_dims=tuple(tuple(d) for d in source_dims),
        result_dims=tuple(tuple(d) for d in dims),
        fixed=tuple(fixed),
    )


def chain_of(value: ir.Value) -> tuple[ir.Value, list[ir.Operation], AtomChain] | None:
    """The longest foldable chain ending at `value`, or None if there is none.

    Shortens the chain from the source side until its atoms are computable
    (a mixed-radix reshape early in a chain does not block the rest).
    """
    source, ops = collect_chain(value)
    while ops:
        try:
            steps = [chain_step(op) for op in ops]
            shape = tuple(ir.RankedTensorType(source.type).shape)
            return source, ops, analyze_chain(shape, steps)  # type: ignore[arg-type]
        except ChainRefused:
            source = ops[0].results[0]
            ops = ops[1:]
    return None


@dataclass(frozen=True)
class ExpandedLoops:
    """An iteration space with some loops split into one loop per atom.

    `loop_of_atom[a]` is the new loop of atom `a`; `loops_of_old[l]` the new
    loops that replace old loop `l` (one if it was not split), in order;
    `iterators` the new loops' iterator types.
    """

    loop_of_atom: dict[int, int]
    loops_of_old: dict[int, list[int]]
    iterators: list[str]


def expand_loops(iterators: list[str], split: dict[int, list[int]]) -> ExpandedLoops:
    """Replace each loop in `split` by its atoms' loops, keeping loop order."""
    loop_of_atom: dict[int, int] = {}
    loops_of_old: dict[int, list[int]] = {}
    new_iterators: list[str] = []
    for loop, iterator in enumerate(iterators):
        loops_of_old[loop] = []
        for atom in split.get(loop, [None]):
            if atom is not None:
                loop_of_atom[atom] = len(new_iterators)
            loops_of_old[loop].append(len(new_iterators))
            new_iterators.append(iterator)
    return ExpandedLoops(loop_of_atom, loops_of_old, new_iterators)


def reindex_operand_map(
    operand_map: ir.AffineMap,
    shape: list[int] | tuple[int, ...],
    expanded: ExpandedLoops,
    split: dict[int, list[int]] | dict[int, tuple[int, ...]],
    atom_sizes: tuple[int, ...] | list[int],
) -> tuple[list[ir.AffineExpr], list[tuple[int, ...]], list[int]] | None:
    """Re-index a projected-permutation operand map over the expanded loops.

    A dim indexed by a split loop becomes one dim per atom. Returns the new
    map results, the reassociation groups of the operand's free
    `expand_shape` and its expanded shape; None if a result is neither a
    loop nor a constant (e.g. a convolution window).
    """
    dims = [ir.AffineDimExpr.get(i) for i in range(len(expanded.iterators))]
    results: list[ir.AffineExpr] = []
    groups: list[tuple[int, ...]] = []
    fine_shape: list[int] = []
    for dim, expr in enumerate(operand_map.results):
        if isinstance(expr, ir.AffineDimExpr):
            group = []
            if expr.position in split:
                for atom in split[expr.position]:
                    results.append(dims[expanded.loop_of_atom[atom]])
                    group.append(len(fine_shape))
                    fine_shape.append(atom_sizes[atom])
            else:
                results.append(dims[expanded.loops_of_old[expr.position][0]])
                group.append(len(fine_shape))
                fine_shape.append(shape[dim])
            groups.append(tuple(group))
        elif isinstance(expr, ir.AffineConstantExpr):
            results.append(expr)
            groups.append((len(fine_shape),))
            fine_shape.append(shape[dim])
        else:
            return None
    return results, groups, fine_shape


def step_shapes(source_shape: tuple[int, ...], steps: list[ChainStep]) -> list[tuple[int, ...]]:
    """The shape after each step of a chain applied to `source_shape` (the source's shape first)."""
    shapes = [tuple(source_shape)]
    for step in steps:
        if step.kind == "permute":
            shapes.append(tuple(shapes[-1][p] for p in step.permutation))
        else:
            shapes.append(tuple(step.result_shape))
    return shapes


def source_index_through_steps(
    source_shape: tuple[int, ...], steps: list[ChainStep], result_indices: list[ir.Value]
) -> list[ir.Value]:
    """The source's indices of the element at `result_indices` of a chain, in any radix (ops at the insertion point).

    Where atoms cannot express a chain (a mixed-radix regrouping, e.g. a
    56-row map read as 8 windows of 7 and as 28 pairs), the index is still
    computable step by step: a collapse splits an index into its group's
    digits (`divui`/`remui`), an expand joins digits (`muli`/`addi`), a
    permutation renames them.
    """
    from smartmem.passes.linalg_ops import delinearize, linearize

    if any(step.kind == "select" for step in steps):
        raise ChainRefused("a slice in the chain")
    shapes = step_shapes(source_shape, steps)
    indices = list(result_indices)
    for position in range(len(steps) - 1, -1, -1):
        step, operand_shape = steps[position], shapes[position]
        if step.kind == "relayout":
            permuted_shape = [operand_shape[p] for p in step.permutation]
            indices = _split_groups(indices, step.groups, permuted_shape, delinearize)
            step_back = list(indices)
            indices = [step_back[0]] * len(operand_shape)
            for i, p in enumerate(step.permutation):
                indices[p] = step_back[i]
        elif step.kind == "collapse":
            indices = _split_groups(indices, step.groups, list(operand_shape), delinearize)
        elif step.kind == "expand":
            result_shape = shapes[position + 1]
            indices = [
                linearize([indices[d] for d in group], [result_shape[d] for d in group]) for group in step.groups
            ]
        else:
            back = list(indices)
            for i, p in enumerate(step.permutation):
                back[p] = indices[i]
            indices = back
    return indices


def _split_groups(indices, groups, operand_shape, delinearize) -> list[ir.Value]:
    from smartmem.passes.linalg_ops import index_constant

    operand: list[ir.Value | None] = [None] * len(operand_shape)
    for index, group in zip(indices, groups):
        if not group:
            continue
        for dim, digit in zip(group, delinearize(index, [operand_shape[d] for d in group])):
            operand[dim] = digit
    return [v if v is not None else index_constant(0) for v in operand]
