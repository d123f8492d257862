"""Pass smartmem-fold-layout-chains: consumers read through reshape/transpose chains."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import linalg, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where
from smartmem.passes.matmul_form import off_matmul_pipeline, short_reduction_pieces, unaligned_output
from smartmem.passes.reduction_contiguity import contraction_layout_refusal, reduction_layout_refusal
from smartmem.passes.layout_chain import AtomChain, ChainRefused, analyze_chain, chain_of, chain_step, expand_loops, reindex_operand_map
from smartmem.passes.linalg_ops import (
    CONSTANT_SOURCES,
    num_inputs,
    maps_and_iterators,
    is_elementwise,
    is_contraction_generic,
    uses_linalg_index,
    reassociation_attr,
    expand_to,
    build_contraction_body,
)

_DEFAULT_ITERATORS = {
    "linalg.matmul": ("parallel", "parallel", "reduction"),
    "linalg.batch_matmul": ("parallel", "parallel", "parallel", "reduction"),
}


@dataclass(frozen=True)
class FoldOptions:
    """Options of smartmem-fold-layout-chains.

    contractions / elementwise: which consumers may absorb chains (elementwise
    means any other `linalg.generic`: elementwise ops and reductions).
    reshapes: fold reshape-only chains into elementwise consumers of
    contractions (so that IREE fuses them into the contraction's dispatch).
    slices: also fold a leading tile-selecting slice into elementwise
    consumers as a constant index. Off by default: measured on LLaMA's
    rotary embedding it splits fusion groups (62 -> 90 dispatches), and the
    fused-QKV slices it was meant for are better split at the producer
    (smartmem-split-producer-by-slices).
    split_reductions: risky, off by default: also split reduction loops of
    non-contractions (IREE's SPIR-V reduction codegen gives wrong results
    for them on lavapipe; llvm-cpu is right).
    """

    contractions: bool = True
    elementwise: bool = True
    reshapes: bool = True
    slices: bool = False
    split_reductions: bool = False


@dataclass(frozen=True)
class FoldRecord:
    """One chain folded into (or refused by) a consumer."""

    consumer: str
    chain: tuple[str, ...]
    folded: bool
    reason: str = ""


class FoldLayoutChainsPass(ModulePass):
    """Fold reshape/transpose chains into the indexing maps of their linalg consumers.

    Fixed -> Variable, the paper's "eliminate the first": a chain of
    `tensor.expand_shape` / `linalg.transpose` / `tensor.collapse_shape` (and
    transpose-like generics, or the `smartmem.relayout` that
    smartmem-form-relayouts made of them: the same decisions either way)
    in front of a `linalg.generic`, `linalg.matmul`
    or `linalg.batch_matmul` is not materialized. The consumer's iteration
    space is expanded so that every loop that indexes a reshaped dimension
    becomes one loop per atom (see `layout_chain`), and the consumer reads the
    chain's source (through a free `expand_shape`) with a permuted map. Chains
    compose (Fixed -> Fixed) because the whole chain is analysed at once;
    transposes that cancel give identity maps. Other operands of the consumer
    get free `expand_shape`s, results a free `collapse_shape` back.
    Contractions stay contractions (a `linalg.generic` with `mulf`/`addf` and
    projected-permutation maps), which IREE still codegens as matmul-like
    dispatches. Expanding loops instead of emitting `floordiv`/`mod` maps is
    deliberate: IREE cannot tile semi-affine `mod` maps.

    For example (attention head split read by the score batch_matmul):

        %e = tensor.expand_shape %q [[0], [1, 2]] ... into tensor<8x3x4xf32>
        %t = linalg.transpose ins(%e ...) outs(...) permutation = [1, 0, 2]
        %m = linalg.batch_matmul ins(%t, %k : tensor<3x8x4xf32>, tensor<3x4x8xf32>) outs(...)

    becomes

        %qf = tensor.expand_shape %q [[0], [1, 2]] ... into tensor<8x3x4xf32>
        %m = linalg.generic {indexing_maps = [
                 affine_map<(b, m, n, k) -> (m, b, k)>,
                 affine_map<(b, m, n, k) -> (b, k, n)>,
                 affine_map<(b, m, n, k) -> (b, m, n)>], ...} ins(%qf, %k ...)

    (Swin's window partition in front of the QKV projection is refused:
    it would give the projection 4 M loops, see below.)

    Refuses:
    - chains whose source is a constant or global (IREE's const-eval folds
      those at load time; folding them would only complicate the consumer);
    - chains that only reshape (no reordering of atoms): reshapes alone are
      free in IREE. With `reshapes`, an elementwise reader of a
      contraction's result takes them (IREE then fuses it into the
      contraction's dispatch), unless another of its inputs comes from a
      reduction: a LayerNorm's centering waits for the mean, and split loops
      would only part it from the mean (flow census, ampere: Swin-T
      185 -> 183, SegFormer-B0 155 -> 149, the rest unchanged);
    - mixed-radix reshapes (no common refinement of the dims);
    - consumers whose map for the chain operand is not a projected
      permutation, or whose other operands index a split loop with a
      non-dimension expression (convolution windows);
    - generics whose body uses `linalg.index` (the loop numbering changes);
    - non-contraction readers of a chain that another reader (a slice, a
      concat, a return) keeps alive: the copy stays anyway and folding would
      only split IREE's fusion groups;
    - splitting a reduction loop of a non-contraction into several loops
      (e.g. patch merging in front of LayerNorm): IREE's SPIR-V reduction
      codegen miscompiles it (wrong results on lavapipe); opt in with
      split_reductions=true;
    - named contractions with mixed element types (implicit casts);
    - contractions that would leave IREE's matmul code generation: more
      than 3 parallel loops once IREE collapses contiguous same-order loops
      (see `matmul_form`; e.g. Swin's window partition folded into the QKV
      projection gives 4 M loops and `SubgroupReduce` instead of
      `MatmulPromoteVectorize`). Write-through or an elementwise neighbour
      takes the chain instead;
    - elementwise readers of a contraction's result (directly or through
      bias adds) whose permuted read, moved into the contraction by IREE's
      transpose propagation, would take it off the matmul pipeline or make
      it write n not innermost;
    - layout selection by reduction dim (`reduction_contiguity`, the
      paper's rule): folds after which a contraction reads a computed
      operand with a parallel loop innermost (k strided: ConvNeXt's
      NCHW -> NHWC permute in front of its Linear) or writes its result
      with n not innermost, and folds after which a reduction (LayerNorm,
      softmax pieces) reads its reduced dim strided. Folds that make a
      reduced dim contiguous are done (MobileViT). The elementwise producer
      writes the layout instead (smartmem-write-through-layout-chains).

    Options: contractions=true, elementwise=true, reshapes=true,
    split_reductions=false (see FoldOptions).
    """

    name = "smartmem-fold-layout-chains"
    Options = FoldOptions

    def __init__(self, options: FoldOptions | None = None):
        super().__init__(options)
        self.records: list[FoldRecord] = []

    def run_on_module(self, module: ir.Operation) -> None:
        worklist = ops_where(module, lambda op: op.name in ("linalg.generic", "linalg.matmul", "linalg.batch_matmul"))
        with module.context:
            while worklist:
                op = worklist.pop(0)
                replacement = self.fold_one(op)
                if replacement is not None:
                    worklist.insert(0, replacement)

    # -- legality ---------------------------------------------------------

    def fold_one(self, op: ir.Operation) -> ir.Operation | None:
        """Fold the first foldable chain operand of `op`; the new op or None."""
        is_contraction = op.name != "linalg.generic" or is_contraction_generic(op)
        if is_contraction and not self.options.contractions:
            return None
        if not is_contraction and not self.options.elementwise:
            return None
        if op.name == "linalg.generic" and uses_linalg_index(op):
            self.no_match(op, "body uses linalg.index")
            return None
        n_inputs = num_inputs(op)
        consumer = op.name
        for index in range(n_inputs):
            found = chain_of(op.operands[index])
            if found is None:
                continue
            source, chain_ops, atoms = found
            if not is_contraction and not _all_readers_absorb(chain_ops):
                # Some reader of the chain cannot read through it (a slice, a
                # concat): the chain stays for it, and folding it into the
                # elementwise readers only splits IREE's fusion groups (seen
                # on LLaMA's rotary embedding: 66 -> 94 dispatches).
                reason = "another reader of the chain cannot absorb it, so the chain would stay"
                self.no_match(op, reason)
                self.records.append(FoldRecord(op.name, tuple(c.name for c in chain_ops), False, reason))
                continue
            if atoms.fixed and (is_contraction or not self.options.slices):
                # A constant index would hide a contraction from IREE (and
                # splits fusion groups of elementwise ops): the slice stays,
                # the rest of the chain is folded.
                self.no_match(op, "a leading slice stays a slice")
                found = _without_leading_slice(chain_ops)
                if found is None:
                    continue
                source, chain_ops, atoms = found
            names = tuple(c.name for c in chain_ops)
            reason = self._refusal(op, index, source, atoms, chain_ops)
            if reason:
                self.no_match(op, reason)
                self.records.append(FoldRecord(op.name, names, False, reason))
                continue
            new_op = _rewrite(op, index, source, atoms, self.options.split_reductions)
            if not isinstance(new_op, ir.Operation):
                self.no_match(op, new_op)
                self.records.append(FoldRecord(op.name, names, False, new_op))
                continue
            self.records.append(FoldRecord(consumer, names, True))
            _erase_dead(chain_ops)
            return new_op
        return None

    def _refusal(
        self, op: ir.Operation, index: int, source: ir.Value, atoms: AtomChain, chain_ops: list[ir.Operation]
    ) -> str:
        owner = source.owner
        owner_name = owner.name if isinstance(owner, (ir.OpView, ir.Operation)) else ""
        if owner_name in CONSTANT_SOURCES:
            return f"chain source is a constant ({owner_name}): const-eval folds it"
        if atoms.is_identity() and not any(_is_permute(c) for c in chain_ops):
            if not (self.options.reshapes and is_elementwise(op) and _is_contraction_result(source)):
                return "chain only reshapes: free in IREE"
            if _reads_a_reduction(op, index):
                # A LayerNorm's centering on a linear layer's output: it waits for the
                # mean, so it never joins the contraction's dispatch, and split loops
                # would part it from the mean (Swin-T's patch-embedding LayerNorm).
                return "chain only reshapes, and the consumer also reads a reduction: it cannot join the contraction"
            if not any(len(dim) > 1 for dim in atoms.result_dims):
                return "chain only splits dims: the consumer would not change"
        if op.name in ("linalg.matmul", "linalg.batch_matmul"):
            # A named contraction is left alone by IREE's transpose
            # propagation; the generic it becomes is not: a transpose chain
            # after it (window reverse after the output projection) would be
            # sunk into its output. Fold only if that keeps it a matmul.
            from smartmem.passes.write_through_layout_chains import contraction_write_refusal

            for chain_source, after in chains_after(op.results[0]):
                order = tuple(a for dim in after.result_dims for a in dim)
                reason = contraction_write_refusal(op, after, order)
                if reason:
                    return reason.replace(
                        "writing through", "folding (IREE then sinks the transpose after it into it)"
                    )
        if not is_contraction_generic(op) and op.name == "linalg.generic" and not atoms.is_identity():
            contraction = _contraction_behind(source)
            if contraction is not None:
                # IREE's transpose propagation would move this permuted read
                # into the contraction's output (seen on Swin's window reverse
                # folded into the residual add: the output projection became
                # matmul_like_4x4x4x4x32x2x16 on SubgroupReduce).
                from smartmem.passes.write_through_layout_chains import contraction_write_refusal

                order = tuple(a for dim in atoms.result_dims for a in dim)
                reason = contraction_write_refusal(contraction, atoms, order)
                if reason:
                    return reason.replace("writing through", "folding into a reader of it")
        if op.name != "linalg.generic":
            types = {str(ir.RankedTensorType(v.type).element_type) for v in op.operands}
            if len(types) != 1 or not isinstance(ir.RankedTensorType(op.operands[0].type).element_type, ir.FloatType):
                return "named contraction with mixed or non-float element types"
        return ""


# -- rewriting ----------------------------------------------------------------


def _all_readers_absorb(chain_ops: list[ir.Operation]) -> bool:
    """Every reader of every chain value is the next chain op or a linalg op."""
    members = {str(o.results[0].get_name()) for o in chain_ops}
    for chain_op in chain_ops:
        for use in chain_op.results[0].uses:
            user = use.owner
            name = user.name
            if name in ("linalg.generic", "linalg.matmul", "linalg.batch_matmul"):
                continue
            if name in ("tensor.expand_shape", "tensor.collapse_shape", "linalg.transpose", "smartmem.relayout") and (
                str(user.results[0].get_name()) in members
            ):
                continue
            return False
    return True


def _without_leading_slice(chain_ops: list[ir.Operation]):
    """The chain after its leading slice: (source, ops, atoms), or None."""
    rest = chain_ops[1:]
    if not rest:
        return None
    source = chain_ops[0].results[0]
    try:
        steps = [chain_step(o) for o in rest]
        atoms = analyze_chain(tuple(ir.RankedTensorType(source.type).shape), steps)  # type: ignore[arg-type]
    except ChainRefused:
        return None
    return source, rest, atoms


def _is_permute(op: ir.Operation) -> bool:
    """A transpose, or a relayout that reorders dims."""
    step = chain_step(op)
    if step is not None and step.kind == "relayout":
        return step.permutation != tuple(range(len(step.permutation)))
    return step is not None and step.kind == "permute"


def _reads_a_reduction(op: ir.Operation, skip: int, depth: int = 4) -> bool:
    """Whether an input of `op` other than operand `skip` comes from a non-contraction reduction, directly or
    through up to `depth` elementwise ops and reshapes (a mean broadcast back over its rows)."""
    pending = [(v, 0) for i, v in enumerate(list(op.operands)[:num_inputs(op)]) if i != skip]
    while pending:
        value, level = pending.pop()
        producer = defining_op(value)
        if producer is None or level > depth:
            continue
        if producer.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            pending.append((producer.operands[0], level + 1))
            continue
        if producer.name != "linalg.generic" or is_contraction_generic(producer):
            continue
        if "reduction" in maps_and_iterators(producer)[1]:
            return True
        pending.extend((v, level + 1) for v in list(producer.operands)[:num_inputs(producer)])
    return False


def _is_contraction_result(value: ir.Value) -> bool:
    owner = value.owner
    if not isinstance(owner, (ir.OpView, ir.Operation)):
        return False
    op = owner.operation if isinstance(owner, ir.OpView) else owner
    return op.name in ("linalg.matmul", "linalg.batch_matmul") or (
        op.name == "linalg.generic" and is_contraction_generic(op)
    )


def chains_after(value: ir.Value, depth: int = 2) -> list[tuple[ir.Value, AtomChain]]:
    """Permuting chains reading `value`, directly or after aligned elementwise ops (bias adds).

    Each as (chain source, atoms); the chain source has `value`'s shape.
    """
    found: list[tuple[ir.Value, AtomChain]] = []
    for use in value.uses:
        user = use.owner
        user = user.operation if isinstance(user, ir.OpView) else user
        step = chain_step(user)
        if step is not None and step.kind != "select":
            end = user
            while True:
                users = [u.owner for u in end.results[0].uses]
                nxt = [u.operation if isinstance(u, ir.OpView) else u for u in users]
                if len(nxt) != 1 or (lambda s: s is None or s.kind == "select")(chain_step(nxt[0])):
                    break
                end = nxt[0]
            chain = chain_of(end.results[0])
            if chain is not None and chain[0] == value and not chain[2].is_identity() and not chain[2].fixed:
                found.append((value, chain[2]))
        elif depth > 0 and is_elementwise(user) and len(user.results) == 1:
            maps, _ = maps_and_iterators(user)
            n_inputs = num_inputs(user)
            if use.operand_number < n_inputs and maps[use.operand_number] == maps[n_inputs]:
                found.extend(chains_after(user.results[0], depth - 1))
    return found


def _contraction_behind(value: ir.Value, depth: int = 2) -> ir.Operation | None:
    """The contraction computing `value`, directly or through aligned elementwise ops (bias adds)."""
    owner = value.owner
    if not isinstance(owner, (ir.OpView, ir.Operation)) or depth < 0:
        return None
    op = owner.operation if isinstance(owner, ir.OpView) else owner
    if _is_contraction_result(value):
        return op
    if not is_elementwise(op) or len(op.results) != 1:
        return None
    maps, _ = maps_and_iterators(op)
    n_inputs = num_inputs(op)
    for i in range(n_inputs):
        if maps[i] == maps[n_inputs]:
            found = _contraction_behind(op.operands[i], depth - 1)
            if found is not None:
                return found
    return None


def _rewrite(
    op: ir.Operation, index: int, source: ir.Value, atoms: AtomChain, split_reductions: bool = False,
    plan_only: bool = False,
) -> ir.Operation | str | None:
    """Rebuild `op` reading `source` through `atoms` instead of operand `index`.

    Returns the new op, or why the rewrite is refused. With `plan_only`
    nothing is built: None means the rewrite would be done.
    """
    maps, iterators = maps_and_iterators(op)
    n_loops = maps[0].n_dims
    v_map = maps[index]
    v_shape = ir.RankedTensorType(op.operands[index].type).shape
    split: dict[int, tuple[int, ...]] = {}
    for dim, expr in enumerate(v_map.results):
        if isinstance(expr, ir.AffineDimExpr):
            loop = expr.position
            if loop in split:
                return "chain operand indexes one loop twice"
            if atoms.result_dims[dim]:
                split[loop] = atoms.result_dims[dim]
        elif not (isinstance(expr, ir.AffineConstantExpr) and v_shape[dim] == 1):
            return "chain operand map is not a projected permutation"
    if not split_reductions and not is_contraction_generic(op) and op.name == "linalg.generic" and any(
        iterators[loop] == "reduction" and len(atoms_of) > 1 for loop, atoms_of in split.items()
    ):
        # Seen on Swin's patch merging folded into LayerNorm: IREE's SPIR-V
        # reduction pipeline gives wrong results (lavapipe) for a reduction
        # split into several loops; llvm-cpu is right.
        return "would split a reduction loop of a non-contraction (miscompiled by IREE's SPIR-V reduction codegen)"
    # New loops: old loops in order, split loops replaced by their atoms.
    expanded = expand_loops(list(iterators[:n_loops]), {loop: list(atoms_of) for loop, atoms_of in split.items()})
    new_loop_of_atom = expanded.loop_of_atom
    new_iterators = expanded.iterators
    n_new = len(new_iterators)
    dims = [ir.AffineDimExpr.get(i) for i in range(n_new)]

    # Every unsplit loop that the chain operand used must still appear somewhere.
    used_elsewhere = set()
    for other, m in enumerate(maps):
        if other == index:
            continue
        for expr in m.results:
            if isinstance(expr, ir.AffineDimExpr):
                used_elsewhere.add(expr.position)
    for expr in v_map.results:
        if isinstance(expr, ir.AffineDimExpr):
            loop = expr.position
            if loop not in split and loop not in used_elsewhere:
                return "a unit loop of the chain operand appears in no other operand"

    new_maps: list[ir.AffineMap] = []
    expansions: list[tuple[tuple[int, ...], ...] | None] = []
    expanded_shapes: list[tuple[int, ...]] = []
    for other, m in enumerate(maps):
        shape = ir.RankedTensorType(op.operands[other].type).shape
        if other == index:
            results, groups, fine_shape = [], [], []
            fixed = dict(atoms.fixed)
            for dim_atoms in atoms.source_dims:
                group = []
                for atom in dim_atoms:
                    if atom in fixed:
                        results.append(ir.AffineConstantExpr.get(fixed[atom]))
                    else:
                        results.append(dims[new_loop_of_atom[atom]])
                    group.append(len(fine_shape))
                    fine_shape.append(atoms.atom_sizes[atom])
                groups.append(tuple(group))
            new_maps.append(ir.AffineMap.get(n_new, 0, results))
            expansions.append(tuple(groups))
            expanded_shapes.append(tuple(fine_shape))
            continue
        reindexed = reindex_operand_map(m, shape, expanded, split, atoms.atom_sizes)
        if reindexed is None:
            return "another operand has a non-dimension map result (e.g. a convolution window)"
        results, groups, fine_shape = reindexed
        new_maps.append(ir.AffineMap.get(n_new, 0, results))
        expansions.append(tuple(groups))
        expanded_shapes.append(tuple(fine_shape))

    if op.name != "linalg.generic" or is_contraction_generic(op):
        reason = off_matmul_pipeline(new_maps, new_iterators) or short_reduction_pieces(
            new_maps, new_iterators, [list(s) for s in expanded_shapes]
        ) or unaligned_output(
            new_maps, new_iterators, list(expanded_shapes[-1]),
            maps, iterators, list(ir.RankedTensorType(op.results[0].type).shape),
        )
        if reason:
            return reason
        # Layout selection by reduction dim: the chain operand must still be
        # read with k innermost (or n for the right-hand side), the result
        # written with n innermost; judged only where the op obeyed it before.
        n_in = num_inputs(op)
        others = frozenset(i for i in range(n_in) if i != index)
        reason = contraction_layout_refusal(new_maps, new_iterators, n_in, others)
        if reason and not contraction_layout_refusal(maps, iterators, n_in, others):
            return reason
    elif any(it == "reduction" for it in iterators):
        reason = reduction_layout_refusal(new_maps[index], new_iterators)
        if reason and not reduction_layout_refusal(v_map, iterators):
            return reason
    if plan_only:
        return None
    n_inputs = num_inputs(op)
    location = op.location
    with ir.InsertionPoint(op), location:
        new_operands = []
        for other, operand in enumerate(op.operands):
            value = source if other == index else operand
            new_operands.append(expand_to(value, expansions[other], expanded_shapes[other]))
        result_types = [new_operands[i].type for i in range(n_inputs, len(new_operands))]
        maps_attr = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in new_maps])
        iter_attr = ir.ArrayAttr.get(
            [ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in new_iterators]
        )
        generic = linalg.GenericOp(
            result_types, new_operands[:n_inputs], new_operands[n_inputs:], maps_attr, iter_attr
        )
        if op.name == "linalg.generic":
            op.regions[0].blocks[0].append_to(generic.regions[0])
        else:
            build_contraction_body(generic, [ir.RankedTensorType(v.type).element_type for v in new_operands])
        for result_index, old in enumerate(op.results):
            groups = expansions[n_inputs + result_index]
            new_value = generic.results[result_index]
            if any(len(g) != 1 for g in groups) or new_value.type != old.type:
                new_value = tensor.CollapseShapeOp(old.type, new_value, reassociation_attr(groups)).result
            old.replace_all_uses_with(new_value)
    op.erase()
    return generic.operation


def _erase_dead(chain_ops: list[ir.Operation]) -> None:
    for op in reversed(chain_ops):
        if all(not list(result.uses) for result in op.results):
            op.erase()
        else:
            break
