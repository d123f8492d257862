"""Pass smartmem-write-through-layout-chains: producers write in their consumer's layout."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import as_operation, ModulePass, reassociation_groups
from smartmem.passes.matmul_form import off_matmul_pipeline, unaligned_output
from smartmem.passes.reduction_contiguity import contraction_layout_refusal
from smartmem.passes.layout_chain import AtomChain, chain_of, chain_step, expand_loops, reindex_operand_map
from smartmem.passes.linalg_ops import (
    num_inputs,
    maps_and_iterators,
    is_contraction_generic,
    uses_linalg_index,
    reassociation_attr,
    expand_to,
    fill,
    build_contraction_body,
)

_PRODUCERS = ("linalg.generic", "linalg.matmul", "linalg.batch_matmul")


@dataclass(frozen=True)
class WriteThroughOptions:
    """Options of smartmem-write-through-layout-chains.

    depth: how many single-use producers (e.g. bias add, then the matmul)
    the new layout is pushed through, counting the first.
    """

    depth: int = 3


class WriteThroughLayoutChainsPass(ModulePass):
    """Let the producer of a reshape/transpose chain write its result in the chain's output layout.

    Variable -> Fixed, the paper's "eliminate the second": when the source
    of a chain (its ops, or the `smartmem.relayout` smartmem-form-relayouts
    made of them) is the only result of a `linalg.generic` (elementwise op) or a
    contraction, and nothing else reads it, the producer's parallel loops
    are split into the chain's atoms (see `layout_chain`) and its output map
    lists them in the chain's output order, so the producer writes the
    transformed tensor and the chain disappears (only a free collapse_shape
    to the chain's result shape remains). The new layout is pushed further
    up through single-use producers that the op reads aligned with its
    output (a bias add and then the matmul in front of it), so that IREE can
    still fuse them into one dispatch: a contraction that writes a permuted
    output is still a contraction, and its elementwise consumers read it
    with identity maps.

    For example (Swin window reverse, after the output projection):

        %p = linalg.generic {...} ins(%mm, %bias ...) -> tensor<64x49x96xf32>     // bias add
        %e = tensor.expand_shape %p ... into tensor<8x8x7x7x96xf32>
        %t = linalg.transpose ins(%e ...) permutation = [0, 2, 1, 3, 4]
        %v = tensor.collapse_shape %t ... into tensor<3136x96xf32>

    becomes a matmul generic and a bias add that both iterate (a, c, b, d, n)
    and write tensor<8x7x8x7x96xf32>, collapsed for free to 3136x96.

    Refuses:
    - a chain source with other users, or chain values with several users
      (the other users need the original layout), except a permuted value
      that several readers only reshape (the chain is then written up to
      that permute, the readers' reshapes stay: free);
    - producers with reductions in the output dims, non-dimension output or
      input expressions on split loops, or bodies that use `linalg.index`;
    - contraction producers whose accumulator is not a fill of an empty
      tensor, elementwise producers whose body reads the output;
    - chains that only reshape (free in IREE);
    - contractions that would leave IREE's matmul code generation (more
      than 3 parallel loops after IREE collapses contiguous same-order loops,
      see `matmul_form`): the chain is then written through by the
      elementwise producer in between (the bias add), or stays;
    - contractions that would write their result with n (the innermost
      parallel loop of the right-hand side) not innermost: the paper's
      layout selection by reduction dim (`reduction_contiguity`); the
      elementwise producer in between writes it instead, or the chain stays;
    - contractions whose innermost output extent is not a multiple of 4
      (IREE's SPIR-V codegen gives wrong results for them on lavapipe once
      their output is split and permuted; llvm-cpu is right).

    Options: depth=3 (producers pushed through, including the first).
    """

    name = "smartmem-write-through-layout-chains"
    Options = WriteThroughOptions

    def run_on_module(self, module: ir.Operation) -> None:
        ends: list[ir.Operation] = []

        def collect(op: ir.Operation) -> ir.WalkResult:
            step = chain_step(op)
            if step is not None and step.kind != "select":
                users = [as_operation(use.owner) for use in op.results[0].uses]
                if not all(_is_reshape_or_permute(u) for u in users):
                    ends.append(op)  # the last op of a chain
                elif _only_permutes(op) and len(users) > 1 and all(_is_reshape(u) for u in users):
                    # Several readers reshape the permuted value (a window
                    # partition read by the Q, K and V projections): the
                    # producer writes the permuted layout once, the readers'
                    # reshapes stay (free). Tried after the chains through it.
                    shared.append(op)
            return ir.WalkResult.ADVANCE

        shared: list[ir.Operation] = []
        module.walk(collect)
        ends.extend(shared)
        with module.context:
            for end in ends:
                reason = self.try_chain(end)
                if reason:
                    self.no_match(end, reason)

    def try_chain(self, end: ir.Operation) -> str:
        found = chain_of(end.results[0])
        if found is None:
            return "no analysable chain"
        source, chain_ops, atoms = found
        if atoms.fixed:
            return "chain starts with a slice: the producer computes more than the chain reads"
        if atoms.is_identity():
            return "chain only reshapes"
        producer = source.owner
        if not isinstance(producer, (ir.OpView, ir.Operation)) or producer.name not in _PRODUCERS:
            return "chain source is not produced by a linalg op"
        producer = as_operation(producer)
        if len(producer.results) != 1:
            return "producer has several results"
        for value in [source] + [op.results[0] for op in chain_ops[:-1]]:
            if len(list(value.uses)) != 1:
                return "a value of the chain has other users"
        result_dims = atoms.result_dims
        order = tuple(a for dim in result_dims for a in dim)
        dead: list[ir.Operation] = []
        new_value = write_through(
            producer, atoms, order, self.options.depth, dead, _read_by_contiguous_reductions(end.results[0])
        )
        if isinstance(new_value, str):
            return new_value
        final = _to_shape(new_value, atoms, ir.RankedTensorType(end.results[0].type), end.location)
        end.results[0].replace_all_uses_with(final)
        for op in reversed(chain_ops):
            op.erase()
        producer.erase()
        for op in dead:
            op.erase()
        return ""


def _is_reshape_or_permute(op: ir.Operation | None) -> bool:
    step = chain_step(op) if op is not None else None
    return step is not None and step.kind != "select"


def _only_permutes(op: ir.Operation) -> bool:
    """A transpose, or a relayout whose result is its permuted operand up to unit dims."""
    step = chain_step(op)
    if step is not None and step.kind == "relayout":
        shape = ir.RankedTensorType(op.operands[0].type).shape
        return all(sum(1 for d in group if shape[step.permutation[d]] != 1) <= 1 for group in step.groups)
    return step is not None and step.kind == "permute"


def _is_reshape(op: ir.Operation | None) -> bool:
    step = chain_step(op) if op is not None else None
    return step is not None and step.kind in ("expand", "collapse")


def _to_shape(value: ir.Value, atoms: AtomChain, result_type: ir.RankedTensorType, location) -> ir.Value:
    """Reshape the atom-ordered tensor `value` to `result_type` (free reshapes)."""
    with ir.InsertionPoint.after(as_operation(value.owner)), location:
        groups, position = [], 0
        for dim in atoms.result_dims:
            groups.append(tuple(range(position, position + len(dim))))
            position += len(dim)
        kept = [g for g in groups if g]
        element = result_type.element_type
        current = value
        kept_shape = [result_type.shape[i] for i, g in enumerate(groups) if g]
        if any(len(g) != 1 for g in kept):
            current = tensor.CollapseShapeOp(
                ir.RankedTensorType.get(kept_shape, element), current, reassociation_attr(tuple(kept))
            ).result
        if len(kept) != len(groups):
            expand_groups: list[list[int]] = [[] for _ in kept]
            for i in range(len(groups)):
                slot = max(0, sum(1 for h in groups[: i + 1] if h) - 1)
                expand_groups[slot].append(i)
            current = tensor.ExpandShapeOp(
                result_type, current, reassociation_attr(tuple(tuple(g) for g in expand_groups)), [],
                list(result_type.shape),
            ).result
        return current


def write_through(
    producer: ir.Operation, atoms: AtomChain, order: tuple[int, ...], depth: int, dead: list[ir.Operation],
    for_reductions: bool = False,
) -> ir.Value | str:
    """Rebuild `producer` so that it writes its result as the atoms in `order`.

    Producers further up that were rebuilt too are appended to `dead`
    (downstream first); the caller erases them once `producer` is gone.
    `for_reductions`: the chain's result is read only by reductions with
    their reduced dim innermost (see `contraction_write_refusal`).
    """
    if depth <= 0:
        return "depth exhausted"
    if producer.name == "linalg.generic" and uses_linalg_index(producer):
        return "producer body uses linalg.index"
    maps, iterators = maps_and_iterators(producer)
    n_inputs = num_inputs(producer)
    out_map = maps[n_inputs]
    result_shape = ir.RankedTensorType(producer.results[0].type).shape
    split: dict[int, tuple[int, ...]] = {}
    for dim, expr in enumerate(out_map.results):
        if isinstance(expr, ir.AffineDimExpr):
            if iterators[expr.position] != "parallel":
                return "output dim indexed by a reduction loop"
            if atoms.source_dims[dim]:
                split[expr.position] = atoms.source_dims[dim]
        elif not (isinstance(expr, ir.AffineConstantExpr) and result_shape[dim] == 1):
            return "producer output map is not a projected permutation"
    is_contraction = producer.name != "linalg.generic" or is_contraction_generic(producer)
    if is_contraction and split and result_shape[-1] % 4:
        # Seen on lavapipe: a contraction writing a split/permuted layout
        # with an innermost extent that is not a multiple of 4 gives wrong
        # results through IREE's SPIR-V pipeline (llvm-cpu is right).
        return "contraction with an innermost extent not a multiple of 4 (miscompiled by IREE's SPIR-V codegen)"
    init = producer.operands[n_inputs]
    fill_value = None
    if is_contraction:
        accumulator = init.owner
        if not isinstance(accumulator, (ir.OpView, ir.Operation)) or accumulator.name != "linalg.fill":
            return "contraction accumulator is not a fill"
        fill_value = as_operation(accumulator).operands[0]
    else:
        out_arg = producer.regions[0].blocks[0].arguments[n_inputs]
        if list(out_arg.uses):
            return "producer body reads its output"

    n_loops = out_map.n_dims
    expanded = expand_loops(list(iterators[:n_loops]), {loop: list(atoms_of) for loop, atoms_of in split.items()})
    loop_of_atom = expanded.loop_of_atom
    new_iterators = expanded.iterators
    n_new = len(new_iterators)
    dims = [ir.AffineDimExpr.get(i) for i in range(n_new)]
    new_inputs: list[ir.Value] = []
    new_maps: list[ir.AffineMap] = []
    aligned_fine = tuple(loop_of_atom[a] for a in order)
    if is_contraction:
        # Decide before building anything.
        reason = contraction_write_refusal(producer, atoms, order, for_reductions)
        if reason:
            return reason
    for i in range(n_inputs):
        m = maps[i]
        operand = producer.operands[i]
        shape = ir.RankedTensorType(operand.type).shape
        upstream = operand.owner
        through: ir.Operation | None = None
        upstream_atoms = atoms
        if (
            m == out_map
            and isinstance(upstream, (ir.OpView, ir.Operation))
            and upstream.name == "tensor.expand_shape"
            and len(list(operand.uses)) == 1
        ):
            # Look through a free reshape: the producer's dim k holds the
            # atoms of the reshaped dims in its reassociation group k.
            through = as_operation(upstream)
            groups = reassociation_groups(through)
            upstream_atoms = AtomChain(
                atoms.atom_sizes,
                tuple(tuple(a for d in g for a in atoms.source_dims[d]) for g in groups),
                atoms.result_dims,
            )
            operand = through.operands[0]
            upstream = operand.owner
        if (
            m == out_map
            and isinstance(upstream, (ir.OpView, ir.Operation))
            and upstream.name in _PRODUCERS
            and len(list(operand.uses)) == 1
            and len(upstream.results) == 1
            and (through is not None or tuple(ir.RankedTensorType(operand.type).shape) == tuple(result_shape))
        ):
            upstream_dead: list[ir.Operation] = []
            pushed = write_through(
                as_operation(upstream), upstream_atoms, order, depth - 1, upstream_dead, for_reductions
            )
            if not isinstance(pushed, str):
                if through is not None:
                    dead.append(through)
                dead.append(as_operation(upstream))
                dead.extend(upstream_dead)
                new_inputs.append(pushed)
                new_maps.append(ir.AffineMap.get(n_new, 0, [dims[k] for k in aligned_fine]))
                continue
        operand = producer.operands[i]
        reindexed = reindex_operand_map(m, shape, expanded, split, atoms.atom_sizes)
        if reindexed is None:
            return "an input map has a non-dimension expression"
        results, groups, fine_shape = reindexed
        with ir.InsertionPoint(producer), producer.location:
            new_inputs.append(expand_to(operand, tuple(groups), tuple(fine_shape)))
        new_maps.append(ir.AffineMap.get(n_new, 0, results))

    element = ir.RankedTensorType(producer.results[0].type).element_type
    fine_shape = [atoms.atom_sizes[a] for a in order]
    with ir.InsertionPoint(producer), producer.location:
        new_init = tensor.EmptyOp(fine_shape, element).result
        if fill_value is not None:
            new_init = fill(fill_value, new_init)
        new_maps.append(ir.AffineMap.get(n_new, 0, [dims[k] for k in aligned_fine]))
        new_maps, new_iterators = _drop_unused_loops(new_maps, new_iterators)
        maps_attr = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
        iter_attr = ir.ArrayAttr.get(
            [ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in new_iterators]
        )
        generic = linalg.GenericOp([new_init.type], new_inputs, [new_init], maps_attr, iter_attr)
        if producer.name == "linalg.generic":
            producer.regions[0].blocks[0].append_to(generic.regions[0])
        else:
            build_contraction_body(generic, [ir.RankedTensorType(v.type).element_type for v in new_inputs + [new_init]])
    return generic.results[0]


def contraction_write_refusal(
    producer: ir.Operation, atoms: AtomChain, order: tuple[int, ...], for_reductions: bool = False
) -> str:
    """Why contraction `producer` must not write its result as the atoms in `order`, or "".

    The result keeps n innermost (`reduction_contiguity`) unless
    `for_reductions`: its only readers are reductions that then read their
    reduced dim contiguously, the paper's "a sub-optimal write costs less
    than a sub-optimal read" (MobileViT's LayerNorms after the attention's
    head merge: 1.58x on an H200 with the write, the reductions 5.2 -> 0.6 ms).

    The inputs of a contraction are read with split maps (never pushed
    through), the output lists the atoms in `order`; the result must stay on
    IREE's matmul pipeline (`matmul_form`). Also used for elementwise readers
    of a contraction's result: IREE's transpose propagation moves their
    permuted read into the contraction's output.
    """
    maps, iterators = maps_and_iterators(producer)
    n_inputs = num_inputs(producer)
    out_map = maps[n_inputs]
    split: dict[int, tuple[int, ...]] = {}
    for dim, expr in enumerate(out_map.results):
        if isinstance(expr, ir.AffineDimExpr) and atoms.source_dims[dim]:
            split[expr.position] = atoms.source_dims[dim]
    loop_of_atom: dict[int, int] = {}
    loops_of_old: dict[int, list[int]] = {}
    new_iterators: list[str] = []
    for loop in range(out_map.n_dims):
        loops_of_old[loop] = []
        for atom in split.get(loop, (None,)):
            if atom is not None:
                loop_of_atom[atom] = len(new_iterators)
            loops_of_old[loop].append(len(new_iterators))
            new_iterators.append(iterators[loop])
    n_new = len(new_iterators)
    planned = [_split_map(maps[i], split, loop_of_atom, loops_of_old, n_new) for i in range(n_inputs)]
    if any(m is None for m in planned) or any(a not in loop_of_atom for a in order):
        return "an input map has a non-dimension expression"
    planned.append(ir.AffineMap.get(n_new, 0, [ir.AffineDimExpr.get(loop_of_atom[a]) for a in order]))
    planned_maps, planned_iterators = _drop_unused_loops(planned, new_iterators)  # type: ignore[arg-type]
    reason = off_matmul_pipeline(planned_maps, planned_iterators) or unaligned_output(
        planned_maps, planned_iterators, [atoms.atom_sizes[a] for a in order],
        maps, iterators, list(ir.RankedTensorType(producer.results[0].type).shape),
    )
    if reason:
        return reason.replace("folding", "writing through")
    # Layout selection by reduction dim: the result keeps n innermost
    # (judged only where the contraction obeyed that before).
    inputs = frozenset(range(n_inputs))
    reason = contraction_layout_refusal(planned_maps, planned_iterators, n_inputs, inputs)
    if reason and not for_reductions and not contraction_layout_refusal(maps, iterators, n_inputs, inputs):
        return reason
    return ""


def _read_by_contiguous_reductions(value: ir.Value) -> bool:
    """Whether `value` is read (through reshapes) by reductions with a reduced dim innermost.

    Its other readers must be elementwise generics (a LayerNorm's
    subtraction next to its mean), never a contraction or a non-linalg op.
    """
    readers, frontier = [], [value]
    while frontier:
        for use in frontier.pop().uses:
            user = as_operation(use.owner)
            if _is_reshape(user):
                frontier.append(user.results[0])
            else:
                readers.append((user, use.operand_number))
    contiguous_reduction = False
    for reader, index in readers:
        if reader.name != "linalg.generic" or is_contraction_generic(reader) or index >= num_inputs(reader):
            return False
        maps, iterators = maps_and_iterators(reader)
        innermost = [e for e in maps[index].results if isinstance(e, ir.AffineDimExpr)]
        if "reduction" in iterators:
            if not innermost or iterators[innermost[-1].position] != "reduction":
                return False
            contiguous_reduction = True
    return contiguous_reduction


def _split_map(
    m: ir.AffineMap, split: dict[int, tuple[int, ...]], loop_of_atom: dict[int, int],
    loops_of_old: dict[int, list[int]], n_new: int,
) -> ir.AffineMap | None:
    """`m` over the new loops: split loops replaced by their atoms' loops."""
    results = []
    for expr in m.results:
        if isinstance(expr, ir.AffineDimExpr):
            if expr.position in split:
                results.extend(ir.AffineDimExpr.get(loop_of_atom[a]) for a in split[expr.position])
            else:
                results.append(ir.AffineDimExpr.get(loops_of_old[expr.position][0]))
        elif isinstance(expr, ir.AffineConstantExpr):
            results.append(expr)
        else:
            return None
    return ir.AffineMap.get(n_new, 0, results)


def _drop_unused_loops(
    maps: list[ir.AffineMap], iterators: list[str]
) -> tuple[list[ir.AffineMap], list[str]]:
    """Remove loops no map uses (unit loops whose only dim was dropped)."""
    used = sorted({e.position for m in maps for e in m.results if isinstance(e, ir.AffineDimExpr)})
    if len(used) == len(iterators):
        return maps, iterators
    renumber = {old: new for new, old in enumerate(used)}
    rebuilt = []
    for m in maps:
        results = [ir.AffineDimExpr.get(renumber[e.position]) if isinstance(e, ir.AffineDimExpr) else e
                   for e in m.results]
        rebuilt.append(ir.AffineMap.get(len(used), 0, results))
    return rebuilt, [iterators[i] for i in used]


