"""smartmem-pad-softmax-rows: give a softmax with an unaligned row, and the contraction computing it, an aligned padded layout.

Layout selection by reduction dimension (the paper's idea 3), applied to the
ILD ops of attention. A window of Swin-T has 49 tokens, DeiT 197, CLIP's text
77: none is a multiple of a GPU subgroup. IREE's SPIR-V code generation then
drops to its fallback configurations. Measured on an H200 (Vulkan, ampere,
IREE 3.13), for one Swin-T stage-1 attention (192 x 49 x 49, head dim 32):

    QK^T batch_matmul 192x49x49x32   SubgroupReduce, 1 output a workgroup   281 us
    softmax 192x49x49                BaseDistribute, 1 row a thread         320 us
    PV batch_matmul 192x49x32x49     BaseVectorize                            7 us

With the key dim stored padded to 64 (this pass), the same attention is
24 us (QK^T, BaseVectorize, bias add fused) + 9 us (softmax,
SubgroupReduce) + 8 us (PV): 608 -> 41 us. (`tools/device/bench_modules.sh`
on the micro kernels; the model numbers are in docs/benchmarks.md.)

The padded layout is exact: the padded columns of the scores are -inf, so
softmax gives them probability 0 and the real columns are unchanged; the
result is sliced back to its logical shape before anyone else reads it.

Two forms, per softmax over dim `d` of static size n (n % multiple != 0,
n' the next multiple):

1. Through the contraction. Walking back from the softmax input through
   single-use elementwise generics (identity output map) and reshapes that
   keep dim `d` whole, the walk reaches a contraction whose output dim `d`
   is a parallel loop read by exactly one operand (the keys), accumulated
   into a zero fill. That operand is padded with zeros along that loop; the
   contraction, the elementwise ops and reshapes compute n' columns (other
   operands of the elementwise ops that index the column are padded too:
   constants, folded by IREE's const-eval); a mask sets the padded columns
   to -inf; the softmax runs over n' and is sliced back.

       %s = linalg.batch_matmul ins(%q, %kt : tensor<192x49x32xf32>, tensor<192x32x49xf32>)
              outs(%zero : tensor<192x49x49xf32>)
       %p = linalg.softmax dimension(2) ins(%s : tensor<192x49x49xf32>) ...

   becomes

       %ktp = tensor.pad %kt low[0, 0, 0] high[0, 0, 15] { ... 0.0 } : ... to tensor<192x32x64xf32>
       %s = linalg.batch_matmul ins(%q, %ktp : ...) outs(%zero64 : tensor<192x49x64xf32>)
       %m = linalg.generic ... { select(linalg.index 2 < 49, %in, -inf) } -> tensor<192x49x64xf32>
       %pp = linalg.softmax dimension(2) ins(%m : tensor<192x49x64xf32>) ...
       %p = tensor.extract_slice %pp[0, 0, 0] [192, 49, 49] [1, 1, 1]

2. Softmax alone (no such contraction): its input is padded with -inf
   (IREE fuses the pad and the slice into the softmax dispatch).

Runs after IREE's `global-optimization`, where IREE has raised the
decomposed softmax of the importers (max, sub, exp, sum, div) into
`linalg.softmax`; see passes/pipelines.py.

Refuses:
- softmaxes with a dynamic shape, or an aligned row (n % multiple == 0);
- a value on the walk with more than one user (padding it would change
  what the other users read): form 2 is used instead;
- a contraction whose column loop is read by both operands, is a reduction
  or appears in a non-dim map expression, or whose init is not a fill.

Options: `multiple`: the row is padded to a multiple of it. The default, 0,
takes the largest subgroup size of the module's GPU targets, and at least
32 (`passes/padding.py: target_row_multiple`). That gives 32 for NVIDIA,
Mali Valhall (16) and lavapipe, and 64 for Adreno and AMD wave64 targets,
whose SubgroupReduce needs whole 64-lane subgroups.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir
from iree.compiler.dialects import arith, linalg, tensor

from smartmem.passes.base import ModulePass, PassFailure, ops_where
from smartmem.passes.padding import (
    ContractionStep,
    ElementwiseStep,
    ReshapeStep,
    Step,
    as_op,
    contraction_step,
    elementwise_operands,
    masked_to_negative_infinity,
    negative_infinity,
    operand_dim_of,
    pad_before_reshapes,
    pad_high,
    pad_step,
    padded_type,
    reshaped,
    result_dim_of,
    target_row_multiple,
    zero_constant,
)


@dataclass(frozen=True)
class PadSoftmaxRowsOptions:
    multiple: int = 0  # 0: from the module's GPU targets (padding.target_row_multiple)


class PadSoftmaxRowsPass(ModulePass):
    __doc__ = __doc__
    name = "smartmem-pad-softmax-rows"
    Options = PadSoftmaxRowsOptions

    def run_on_module(self, module: ir.Operation) -> None:
        multiple = self.options.multiple or target_row_multiple(module)
        if multiple < 2:
            raise PassFailure(module.location, f"'{self.name}': multiple must be 0 (from the target) or at least 2")
        with module.context:
            softmaxes = ops_where(module, lambda op: op.name == "linalg.softmax")
            for op in softmaxes:
                with op.location:
                    self.pad_one(op, multiple)

    def pad_one(self, softmax: ir.Operation, multiple: int) -> None:
        source_type = ir.RankedTensorType(softmax.operands[0].type)
        if not source_type.has_static_shape:
            self.no_match(softmax, "dynamic shape")
            return
        dim = ir.IntegerAttr(softmax.attributes["dimension"]).value
        n = source_type.shape[dim]
        if n % multiple == 0:
            self.no_match(softmax, f"row of {n} is already a multiple of {multiple}")
            return
        padded = -(-n // multiple) * multiple
        walk = self.walk_to_contraction(softmax.operands[0], dim)
        with ir.InsertionPoint(softmax), softmax.location:
            if walk is None:
                scores = pad_high(softmax.operands[0], dim, padded - n, negative_infinity(source_type.element_type))
            else:
                contraction, steps = walk
                scores = _mask_columns(_pad_walk(contraction, steps, padded - n), dim, n)
            empty = tensor.EmptyOp(list(ir.RankedTensorType(scores.type).shape), source_type.element_type).result
            padded_softmax = linalg.SoftmaxOp([scores.type], scores, empty, dim).results[0]
        # Slice back as late as the reshapes after the softmax allow, so the
        # slice sits right at the consumer (IREE fuses it into the softmax
        # dispatch's store; between two reshapes it becomes a copy dispatch).
        logical, padded_value = softmax.results[0], padded_softmax
        while True:
            users = [use.owner for use in logical.uses]
            if len(users) != 1:
                break
            reshape = as_op(users[0])
            if reshape.name not in ("tensor.expand_shape", "tensor.collapse_shape"):
                break
            next_dim = result_dim_of(reshape, dim)
            if next_dim is None:
                break
            padded_value = reshaped(reshape, padded_value, next_dim, padded - n)
            logical, dim = reshape.results[0], next_dim
        logical_type = ir.RankedTensorType(logical.type)
        sizes = list(logical_type.shape)
        with ir.InsertionPoint.after(as_op(padded_value.owner)), softmax.location:
            result = tensor.ExtractSliceOp(
                logical_type, padded_value, [], [], [], [0] * len(sizes), sizes, [1] * len(sizes)
            ).result
        logical.replace_all_uses_with(result)
        _erase_chain_after(softmax)
        if walk is not None:
            contraction, steps = walk
            for step in steps:
                step.op.erase()
            contraction.op.erase()
        self.log.debug("padded softmax row %d -> %d (%s)", n, padded,
                       "through its contraction" if walk else "softmax alone")

    def walk_to_contraction(
        self, value: ir.Value, dim: int
    ) -> tuple[ContractionStep, list[Step]] | None:
        """The contraction computing `value`'s dim `dim` and the ops between, softmax-side first."""
        owner = value.owner
        if not isinstance(owner, (ir.Operation, ir.OpView)):
            return None
        owner = as_op(owner)
        if len(list(value.uses)) != 1 or len(owner.results) != 1:
            self.no_match(owner, "value on the walk has other users or results")
            return None
        if owner.name in ("tensor.expand_shape", "tensor.collapse_shape"):
            source_dim = operand_dim_of(owner, dim)
            if source_dim is None:
                self.no_match(owner, "reshape splits or merges the softmax dim")
                return None
            found = self.walk_to_contraction(owner.operands[0], source_dim)
            return None if found is None else (found[0], [ReshapeStep(owner, dim), *found[1]])
        contraction = contraction_step(owner, dim)
        if contraction is not None:
            return contraction, []
        for operand in elementwise_operands(owner):
            found = self.walk_to_contraction(owner.operands[operand], dim)
            if found is not None:
                return found[0], [ElementwiseStep(owner, operand, dim), *found[1]]
        self.no_match(owner, "no contraction behind it through elementwise ops and reshapes")
        return None


def _erase_chain_after(op: ir.Operation) -> None:
    """Erase `op` and the single-user reshapes after it that no longer have users."""
    chain = [op]
    while True:
        users = [as_op(use.owner) for use in chain[-1].results[0].uses]
        if len(users) != 1:
            break
        chain.append(users[0])
    for dead in reversed(chain):
        if all(not list(result.uses) for result in dead.results):
            dead.erase()


def _pad_walk(contraction: ContractionStep, steps: list[Step], extra: int) -> ir.Value:
    """Rebuild the walk, contraction first, computing `extra` more columns; returns the last value."""
    op = contraction.op
    with ir.InsertionPoint(op), op.location:
        operands = list(op.operands)
        zero = zero_constant(ir.RankedTensorType(operands[contraction.operand].type).element_type)
        operands[contraction.operand] = pad_before_reshapes(
            operands[contraction.operand], contraction.operand_dim, extra, zero)
        fill = as_op(operands[2].owner)
        result_type = padded_type(op.results[0].type, contraction.dim, extra)
        empty = tensor.EmptyOp(list(result_type.shape), result_type.element_type).result
        operands[2] = linalg.fill(fill.operands[0], outs=[empty])
        clone = op.clone(ir.InsertionPoint(op))
        for index, value in enumerate(operands):
            clone.operands[index] = value
        clone.results[0].set_type(result_type)
        value = clone.results[0]
    for step in reversed(steps):
        value = pad_step(step, value, extra)
    return value


def _mask_columns(value: ir.Value, dim: int, valid: int) -> ir.Value:
    """`value` with entries at index >= `valid` along `dim` set to -inf."""
    def inside(index: ir.Value) -> ir.Value:
        bound = arith.ConstantOp(ir.IndexType.get(), valid).result
        return arith.CmpIOp(arith.CmpIPredicate.ult, index, bound).result

    return masked_to_negative_infinity(value, dim, inside)
