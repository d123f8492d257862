"""Pass smartmem-gather-through-layout-chains: gathers read through the layout chains in front of them."""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import arith, tensor

from smartmem.passes.base import ModulePass, defining_op, ops_where, user_ops
from smartmem.passes.layout_chain import AtomChain, chain_of
from smartmem.passes.linalg_ops import CONSTANT_SOURCES, delinearize, index_constant


@dataclass(frozen=True)
class GatherPlan:
    """The gathers that read one chain's result, and the chain they will read through."""

    source: ir.Value
    chain_ops: tuple[ir.Operation, ...]
    atoms: AtomChain
    extracts: tuple[ir.Operation, ...]


class GatherThroughLayoutChainsPass(ModulePass):
    """Gathers read a layout chain's source through the composed index.

    A gather is a `tensor.extract` in the body of a `linalg.generic`, at
    indices computed from `linalg.index` (smartmem-fold-rolls makes Swin's
    cyclic shifts into such gathers). A gather cannot read through an
    indexing map, so a reshape/transpose chain in front of it stayed a
    kernel of its own: Swin's window reverse after each shifted block's
    output projection was a `transpose` dispatch before the gather that
    undoes the shift. Index comprehension works for gathers too: the
    gathered index of the chain's result is split into the chain's atoms
    (`divui`/`remui` by the atom extents) and the atoms are recombined into
    the source's index, so the gather reads the chain's source and the chain
    is gone. With no chain behind it, the output projection also reads the
    head merge (smartmem-fold-layout-chains), which it refused while a
    transpose followed it.

    For example (a 2x2 window reverse of a 4x4 map, then a shifted read):

        %e = tensor.expand_shape %x [[0, 1, 2, 3], [4]] : tensor<16x8xf32> into tensor<2x2x2x2x8xf32>
        %t = linalg.transpose ins(%e) outs(...) permutation = [0, 2, 1, 3, 4]
        %c = tensor.collapse_shape %t [[0, 1], [2, 3], [4]] : tensor<2x2x2x2x8xf32> into tensor<4x4x8xf32>
        %r = linalg.generic ... {
          %v = tensor.extract %c[%h, %w, %k] : tensor<4x4x8xf32>
        }

    becomes

        %r = linalg.generic ... {
          %hw = arith.divui %h, %c2 ; %hi = arith.remui %h, %c2   // h = (window row, row in window)
          %ww = arith.divui %w, %c2 ; %wi = arith.remui %w, %c2
          %row = ((%hw * 2 + %ww) * 2 + %hi) * 2 + %wi
          %v = tensor.extract %x[%row, %k] : tensor<16x8xf32>
        }

    Refuses:
    - chains from constants (IREE's const-eval folds them);
    - chains that only reshape (reshapes are free in IREE);
    - chains another op still reads (an intermediate value with another
      user, or a result read by anything but gathers): the copy would stay;
    - chains that move the source's innermost dim away from the innermost
      dim of the result: the gather's neighbouring elements would no longer
      be neighbours in memory (uncoalesced reads instead of one transpose).

    Options: none.
    """

    name = "smartmem-gather-through-layout-chains"

    def run_on_module(self, module: ir.Operation) -> None:
        gathered: dict[ir.Value, list[ir.Operation]] = {}
        for extract in ops_where(module, _is_gather):
            gathered.setdefault(extract.operands[0], []).append(extract)
        with module.context:
            for value, extracts in gathered.items():
                plan = self.plan(value, extracts)
                if isinstance(plan, str):
                    self.no_match(extracts[0], plan)
                    continue
                _rewrite(plan)

    def plan(self, value: ir.Value, extracts: list[ir.Operation]) -> GatherPlan | str:
        found = chain_of(value)
        if found is None:
            return "not read through a layout chain"
        source, chain_ops, atoms = found
        source_op = defining_op(source)
        if source_op is not None and source_op.name in CONSTANT_SOURCES:
            return f"chain source is a constant ({source_op.name}): const-eval folds it"
        if atoms.is_identity():
            return "chain only reshapes: free in IREE"
        for op, next_op in zip(chain_ops, chain_ops[1:]):
            if user_ops(op.results[0]) != [next_op]:
                return f"{op.name} in the chain has another reader: the copy would stay"
        if len(user_ops(value)) != len(extracts):
            return "the chain's result has readers other than gathers: the copy would stay"
        if not _keeps_innermost(atoms):
            return "the chain moves the source's innermost dim: the gather's reads would be strided"
        return GatherPlan(source, tuple(chain_ops), atoms, tuple(extracts))


def _is_gather(op: ir.Operation) -> bool:
    """A tensor.extract in a linalg.generic body of a tensor defined outside that generic."""
    if op.name != "tensor.extract":
        return False
    generic = op.parent
    while generic is not None and generic.name != "linalg.generic":
        generic = generic.parent
    if generic is None:
        return False
    producer = defining_op(op.operands[0])
    if producer is None:  # a function argument: linalg block arguments are scalars
        return True
    inside = producer.parent
    while inside is not None:
        if inside == generic:
            return False
        inside = inside.parent
    return True


def _keeps_innermost(atoms: AtomChain) -> bool:
    source_atoms = [a for dim in atoms.source_dims for a in dim]
    result_atoms = [a for dim in atoms.result_dims for a in dim]
    return bool(source_atoms) and bool(result_atoms) and source_atoms[-1] == result_atoms[-1]


def source_indices(atoms: AtomChain, result_indices: list[ir.Value]) -> list[ir.Value]:
    """The source's indices for `result_indices` of the chain's result (ops at the insertion point)."""
    atom_value: dict[int, ir.Value] = {a: index_constant(i) for a, i in atoms.fixed}
    for index, dim_atoms in zip(result_indices, atoms.result_dims):
        digits = delinearize(index, [atoms.atom_sizes[a] for a in dim_atoms])
        atom_value.update(zip(dim_atoms, digits))
    indices: list[ir.Value] = []
    for dim_atoms in atoms.source_dims:
        if not dim_atoms:
            indices.append(index_constant(0))
            continue
        linear = atom_value[dim_atoms[0]]
        for atom in dim_atoms[1:]:
            scaled = arith.MulIOp(linear, index_constant(atoms.atom_sizes[atom])).result
            linear = arith.AddIOp(scaled, atom_value[atom]).result
        indices.append(linear)
    return indices


def _rewrite(plan: GatherPlan) -> None:
    for extract in plan.extracts:
        with ir.InsertionPoint(extract), extract.location:
            indices = source_indices(plan.atoms, list(extract.operands[1:]))
            new = tensor.ExtractOp(plan.source, indices).result
        extract.results[0].replace_all_uses_with(new)
        extract.erase()
    for op in reversed(plan.chain_ops):
        op.erase()
