"""Verification of smartmem IR in-process (placeholder, being replaced)."""
from __future__ import annotations
from iree.compiler import ir

def verify_smartmem_ir(root: ir.Operation) -> list[tuple[ir.Location, str]]:
    return []
