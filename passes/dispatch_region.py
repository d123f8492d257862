"""Forming a `flow.dispatch.region` by hand, before IREE's dispatch creation (which keeps the regions it finds)."""

from __future__ import annotations

from iree.compiler import ir

from smartmem.passes.base import user_ops


def block_order(op: ir.Operation) -> dict[ir.Operation, int]:
    """The position of every op in `op`'s block."""
    return {other.operation: i for i, other in enumerate(op.block.operations)}


def escaping_results(ops: list[ir.Operation]) -> list[ir.Value]:
    """The results of `ops` that an op outside them reads: the region's results, in op order."""
    members = set(ops)
    return [r for op in ops for r in op.results if any(u not in members for u in user_ops(r))]


def form_dispatch_region(ops: list[ir.Operation]) -> ir.Operation:
    """Move `ops` (in this order, all in one block, the last one last in it) into a new region at the last op.

    The values of `ops` read outside them become the region's results and
    those readers read the region instead. The caller checks that every such
    reader comes after the last op.
    """
    escaping = escaping_results(ops)
    last = ops[-1]
    with ir.InsertionPoint(last), last.location:
        region = ir.Operation.create(
            "flow.dispatch.region",
            results=[v.type for v in escaping],
            operands=[],
            attributes={"operandSegmentSizes": ir.DenseI32ArrayAttr.get([0, 0])},
            regions=2,
        )
    body = region.regions[0].blocks.append()
    members = set(ops)
    for old, new in zip(escaping, region.results):
        old.replace_all_uses_except(new, [u for u in user_ops(old) if u in members])
    with ir.InsertionPoint(body), last.location:
        terminator = ir.Operation.create("flow.return", operands=escaping)
    for op in ops:
        op.move_before(terminator)
    return region
