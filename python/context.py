"""MLIR contexts for SmartMem: IREE's context, with `smartmem` IR allowed.

The `smartmem` dialect is defined in IRDL (dialect/smartmem.irdl.mlir). The
Python bindings of iree-base-compiler cannot load IRDL dialects, so in-process
the dialect's ops and attributes are parsed as unregistered (opaque) IR and
checked by `smartmem.dialect.verifier`, which mirrors and extends the IRDL
constraints.
"""

from __future__ import annotations

from iree.compiler import ir


def make_context() -> ir.Context:
    """Return a fresh IREE context that accepts unregistered `smartmem` IR."""
    context = ir.Context()
    context.allow_unregistered_dialects = True
    return context
