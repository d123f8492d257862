"""Count contractions and reductions that read or write against the reduction-contiguity rule.

    python -m smartmem.tools.contraction_reads MODULE.mlir [MODULE.mlir ...]

For each input-level module (e.g. `<model>.smartmem.input.mlir` written by
tools/census_report.py, or `smartmem-compile --dump-ir`): every contraction
(`linalg.matmul`, `linalg.batch_matmul`, contraction `linalg.generic`) and
every other reduction generic is judged by
smartmem.passes.reduction_contiguity on its own indexing maps, with
constant operands (weights) exempt. Prints one line per module: how many
contractions read a computed operand with a parallel loop innermost (k
strided), how many write n not innermost, how many reductions read their
reduced dim strided. A measurement script, not a test.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections import Counter

from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.reduction_contiguity import (
    STRIDED_REDUCTION_READ, STRIDED_REDUCTION_WRITE, contraction_layout_refusal, reduction_layout_refusal,
)
from smartmem.passes.linalg_ops import CONSTANT_SOURCES, num_inputs, maps_and_iterators, is_contraction_generic

_RESHAPES = ("tensor.expand_shape", "tensor.collapse_shape")


def _is_constant(value: ir.Value) -> bool:
    """Whether `value` is a constant or global, looking through reshapes."""
    while True:
        owner = value.owner
        if not isinstance(owner, (ir.OpView, ir.Operation)):
            return False
        op = owner.operation if isinstance(owner, ir.OpView) else owner
        if op.name in CONSTANT_SOURCES:
            return True
        if op.name not in _RESHAPES:
            return False
        value = op.operands[0]


def judge(module: ir.Operation) -> Counter[str]:
    """Counts of contractions / reductions by verdict."""
    counts: Counter[str] = Counter()

    def visit(op: ir.Operation) -> ir.WalkResult:
        op = op.operation if isinstance(op, ir.OpView) else op
        is_named = op.name in ("linalg.matmul", "linalg.batch_matmul")
        if not is_named and op.name != "linalg.generic":
            return ir.WalkResult.ADVANCE
        maps, iterators = maps_and_iterators(op)
        n_inputs = num_inputs(op)
        if is_named or is_contraction_generic(op):
            counts["contractions"] += 1
            exempt = frozenset(i for i in range(n_inputs) if _is_constant(op.operands[i]))
            reason = contraction_layout_refusal(maps, iterators, n_inputs, exempt)
            if reason.startswith(STRIDED_REDUCTION_READ):
                counts["contractions reading k strided"] += 1
            elif reason.startswith(STRIDED_REDUCTION_WRITE):
                counts["contractions writing n not innermost"] += 1
        elif "reduction" in iterators:
            counts["reductions"] += 1
            if any(reduction_layout_refusal(maps[i], iterators) for i in range(n_inputs)
                   if not _is_constant(op.operands[i])):
                counts["reductions reading the reduced dim strided"] += 1
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", type=pathlib.Path)
    args = parser.parse_args(argv)
    status = 0
    for path in args.modules:
        context = make_context()
        try:
            with context:
                module = ir.Module.parse(path.read_text())
                counts = judge(module.operation)
        except (OSError, ir.MLIRError) as error:
            print(f"{path}: error: {str(error).splitlines()[0]}", file=sys.stderr)
            status = 1
            continue
        print(f"{path.name}: " + "; ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
