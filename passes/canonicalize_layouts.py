"""Fold no-op layout conversions, compose chains of them, drop dead and duplicate ones.

A `smartmem.convert_layout` keeps the logical tensor and changes how it is
stored, from `source` to `target`. Two facts make conversions cheap to
simplify: one whose source and target agree moves nothing, and a conversion
of a conversion is one conversion from the first source to the last target
(the verifier guarantees that the second's source is the first's target).

For example

    %1 = "smartmem.convert_layout"(%0) {source = #A, target = #B} : (tensor<2x3xf32>) -> tensor<2x3xf32>
    %2 = "smartmem.convert_layout"(%1) {source = #B, target = #C} : (tensor<2x3xf32>) -> tensor<2x3xf32>

becomes

    %2 = "smartmem.convert_layout"(%0) {source = #A, target = #C} : (tensor<2x3xf32>) -> tensor<2x3xf32>

and, when #C is #A, %2 is replaced by %0 and both conversions vanish.

Patterns (applied by MLIR's walk driver, so nothing else in the module is
folded or erased; MLIR's own canonicalize and cse leave these ops alone, as
unregistered ops may have side effects):
- EraseDeadConversion: a conversion whose result is unused is erased (a
  conversion only computes its result).
- MergeDuplicateConversion: a conversion of the same value between the same
  layouts as an earlier one in the same block reuses the earlier result.
- FoldIdentityConversion: source == target -> the operand.
- ComposeConversionChain: convert(convert(x, A->B), B->C) -> convert(x, A->C),
  or x when A == C, or an earlier convert(x, A->C) of the same block; the
  first conversion is erased once it has no other use.

Layouts are compared structurally (`Layout` equality), not by attribute
spelling: `array<i64:1,0>` and `array<i64: 1, 0>` are the same layout.

Refuses:
- a conversion between distinct layouts: it moves data (materializing it is
  the lowering's job);
- a conversion whose operand comes from any other op, even a layout-agnostic
  one: pushing conversions through ops is layout propagation, another pass;
- the first conversion of a chain when it has other uses: it stays for them
  (the second is still composed);
- duplicate conversions in different blocks: the earlier one may not
  dominate the later one, and hoisting is not canonicalization.

Options: none.
"""

from __future__ import annotations

from iree.compiler import ir, rewrite

from smartmem.dialect.layout import Layout
from smartmem.dialect.ops import CONVERT_LAYOUT, ConvertLayout, create_convert_layout
from smartmem.passes.base import ModulePass

# Pattern callbacks return a falsy value on success and True when they refuse.
_REFUSED = True


class CanonicalizeLayoutsPass(ModulePass):
    """Fold, compose, deduplicate and erase dead smartmem.convert_layout ops."""

    name = "smartmem-canonicalize-layouts"

    def run_on_module(self, module: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet(module.context)
        patterns.add(CONVERT_LAYOUT, self.fold_identity_conversion)
        patterns.add(CONVERT_LAYOUT, self.compose_conversion_chain, benefit=2)
        patterns.add(CONVERT_LAYOUT, self.merge_duplicate_conversion, benefit=3)
        patterns.add(CONVERT_LAYOUT, self.erase_dead_conversion, benefit=4)
        rewrite.walk_and_apply_patterns(module, patterns.freeze())

    def erase_dead_conversion(self, op: ir.Operation, rewriter: rewrite.PatternRewriter) -> bool | None:
        if _has_uses(op.results[0]):
            return _REFUSED  # the common case; not worth a log line
        rewriter.erase_op(op)
        return None

    def merge_duplicate_conversion(self, op: ir.Operation, rewriter: rewrite.PatternRewriter) -> bool | None:
        convert = ConvertLayout.view(op)
        earlier = _earlier_conversion(convert.input, convert.source, convert.target, op)
        if earlier is None:
            self.no_match(op, "no earlier identical conversion of its operand in its block")
            return _REFUSED
        rewriter.replace_op(op, [earlier.result])
        return None

    def fold_identity_conversion(self, op: ir.Operation, rewriter: rewrite.PatternRewriter) -> bool | None:
        convert = ConvertLayout.view(op)
        if convert.source != convert.target:
            self.no_match(op, f"converts {convert.source} to a different layout {convert.target}")
            return _REFUSED
        rewriter.replace_op(op, [convert.input])
        return None

    def compose_conversion_chain(self, op: ir.Operation, rewriter: rewrite.PatternRewriter) -> bool | None:
        second = ConvertLayout.view(op)
        producer = second.input.owner
        first = ConvertLayout.view(producer) if isinstance(producer, (ir.Operation, ir.OpView)) else None
        if first is None:
            self.no_match(op, "operand is not produced by a smartmem.convert_layout")
            return _REFUSED
        if first.target != second.source:
            # Unreachable on verified IR; refuse rather than guess.
            self.no_match(op, f"source {second.source} is not the producer's target {first.target}")
            return _REFUSED
        earlier = _earlier_conversion(first.input, first.source, second.target, op)
        if first.source == second.target:
            rewriter.replace_op(op, [first.input])
        elif earlier is not None:
            rewriter.replace_op(op, [earlier.result])
        else:
            with ir.InsertionPoint(op):
                composed = create_convert_layout(first.input, first.source, second.target, op.location)
            rewriter.replace_op(op, composed)
        if not _has_uses(first.result):
            rewriter.erase_op(first.op)
        return None


def _earlier_conversion(value: ir.Value, source: Layout, target: Layout, op: ir.Operation) -> ConvertLayout | None:
    """A conversion of `value` from `source` to `target` before `op` in its block."""
    op = op.operation
    for use in value.uses:
        other = use.owner.operation
        if other == op or other.name != CONVERT_LAYOUT:
            continue
        if other.block != op.block or not other.is_before_in_block(op):
            continue
        earlier = ConvertLayout.view(other)
        if (earlier.source, earlier.target) == (source, target):
            return earlier
    return None


def _has_uses(value: ir.Value) -> bool:
    return any(True for _ in value.uses)
