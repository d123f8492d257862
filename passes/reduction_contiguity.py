"""Layout selection by reduction dimension: which reads and writes a rewrite may give an op.

The SmartMem paper's rule (ASPLOS'24, section 4.2, summarised in
shared/docs/smartmem-method.md section 3): the producer writes the layout
the consumer prefers, the one that keeps the consumer's reduction dimension
contiguous (MatMul: k); a sub-optimal write costs less than a sub-optimal
read (1.4x for MatMul, 1.7x for Conv in their micro-benchmark). So a layout
chain may be folded into the read of an ILD&Variable op (contraction,
reduction) only when that read stays contiguous along a reduction loop;
otherwise the elementwise or reduction op that produces the value writes the
chain's layout instead (smartmem-write-through-layout-chains), or the chain
stays.

Measured on an NVIDIA H200 (Vulkan, ampere) before this rule: ConvNeXt-T's
NCHW -> NHWC permute folded into the Linear after LayerNorm made that
Linear read k strided (matmul_like 12.8 ms vs matmul 3.4 ms, 0.63x); Swin-T's
window partition folded into the QKV projections likewise (0.71x). Folding
chains into LayerNorm/softmax reductions that makes the reduced dim
contiguous (MobileViT) gained 1.58x.

The rules, on the planned indexing maps of a rewritten op (innermost map
result = innermost physical dim of the operand, as the op reads it):

- contractions: every input operand's innermost dim is indexed by a
  reduction loop (k) or, for the right-hand side, by the output's innermost
  loop (n: a plain row-major B); the output's innermost dim is indexed by
  the innermost parallel loop the right-hand side reads (n). Operands that
  are constants (weights) are exempt: IREE const-evaluates or packs them.
- reductions (a generic with reduction loops that is not a contraction):
  an operand indexed by a reduction loop must be read with a reduction loop
  innermost;
- elementwise ops (ILI): any read, any write.
"""

from __future__ import annotations

from iree.compiler import ir

STRIDED_REDUCTION_READ = "kept: the contraction would read its reduction dim strided"
STRIDED_REDUCTION_WRITE = "kept: the contraction would write its result with n not innermost"
STRIDED_REDUCTION_READ_REDUCTION = "kept: the reduction would read its reduced dim strided"


def _innermost_loop(m: ir.AffineMap) -> int | None:
    """The loop indexing the innermost non-unit-constant result of `m`, or None."""
    for expr in reversed(list(m.results)):
        if isinstance(expr, ir.AffineDimExpr):
            return expr.position
        if not isinstance(expr, ir.AffineConstantExpr):
            return None
    return None


def _loops(m: ir.AffineMap) -> list[int]:
    return [e.position for e in m.results if isinstance(e, ir.AffineDimExpr)]


def contraction_layout_refusal(
    maps: list[ir.AffineMap], iterators: list[str], n_inputs: int, exempt: frozenset[int] = frozenset()
) -> str:
    """Why a contraction with these maps breaks the reduction-contiguity rule, or "".

    `maps` are the input maps then the output map; `exempt` lists input
    operands that are constants (weights). A 2-input contraction is assumed
    (A, B): the output's innermost loop must be the innermost parallel loop
    B reads (n), A must read a reduction loop innermost, B a reduction loop
    or n.
    """
    if n_inputs != 2 or len(maps) != 3:
        return ""
    rhs_parallel = [l for l in _loops(maps[1]) if iterators[l] == "parallel"]
    n_inner = rhs_parallel[-1] if rhs_parallel else None
    out_inner = _innermost_loop(maps[2])
    if n_inner is not None and out_inner is not None and out_inner != n_inner:
        return f"{STRIDED_REDUCTION_WRITE} (the output's innermost loop d{out_inner} is not d{n_inner})"
    for operand in range(n_inputs):
        if operand in exempt:
            continue
        inner = _innermost_loop(maps[operand])
        if inner is None or iterators[inner] == "reduction":
            continue
        if operand == 1 and inner == out_inner:
            continue
        side = "left" if operand == 0 else "right"
        return f"{STRIDED_REDUCTION_READ} (its {side}-hand side would read parallel loop d{inner} innermost)"
    return ""


def reduction_layout_refusal(m: ir.AffineMap, iterators: list[str]) -> str:
    """Why a (non-contraction) reduction reading an operand with map `m` reads it strided, or ""."""
    if not any(iterators[l] == "reduction" for l in _loops(m)):
        return ""
    inner = _innermost_loop(m)
    if inner is None or iterators[inner] == "reduction":
        return ""
    return f"{STRIDED_REDUCTION_READ_REDUCTION} (parallel loop d{inner} would be innermost)"
