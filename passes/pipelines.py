"""Where SmartMem runs inside IREE's compilation pipeline.

IREE compiles in phases (`--compile-to=<phase>`: input, abi, preprocessing,
global-optimization, dispatch-creation, flow, ...). A compile driver stops
IREE after `after_phase` with the in-process API (`iree.compiler.api`
Invocation with `--compile-to=<after_phase>`), runs `pipeline` (a textual
pipeline for `smartmem.passes.pipeline.build_pass_manager`) on the exported
module, imports it back and continues with `--compile-from=<after_phase>`.

The entries run in order; each names the phase after which it runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhasePipeline:
    """Run `pipeline` (builtin.module(...)) after IREE's phase `after_phase`."""

    after_phase: str
    pipeline: str


SMARTMEM_PHASE_PIPELINES: tuple[PhasePipeline, ...] = (
    PhasePipeline("input", "builtin.module(smartmem-classify)"),
)
