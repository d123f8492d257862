"""elimination_report names the rule (matmul pipeline, reduction contiguity) for the moves it keeps."""

from __future__ import annotations

import pathlib
import re

import pytest
from iree.compiler import ir

from smartmem.context import make_context
from smartmem.passes.elimination_report import GATHER_REFUSED, elimination_report
from smartmem.passes.matmul_form import OFF_MATMUL_PIPELINE
from smartmem.passes.pipeline import build_pass_manager, parse_pipeline
from smartmem.passes.reduction_contiguity import STRIDED_REDUCTION_READ, STRIDED_REDUCTION_WRITE
from smartmem.passes.pipelines import SMARTMEM_PHASE_PIPELINES

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _chunk(test_file: str, function: str) -> str:
    text = (ROOT / "test" / "Passes" / test_file).read_text()
    for chunk in text.split("// -----"):
        if re.search(rf"func\.func @{function}\(", chunk):
            return chunk
    raise AssertionError(f"{function} not in {test_file}")


@pytest.mark.parametrize("test_file,function", [
    ("fold-layout-chains.mlir", "no_fold_into_contraction_off_matmul_pipeline"),
    ("fold-layout-chains.mlir", "no_fold_into_contraction_transpose_sunk_after"),
    ("fold-layout-chains.mlir", "no_fold_into_reader_of_contraction_off_matmul_pipeline"),
    ("write-through-layout-chains.mlir", "no_write_through_contraction_off_matmul_pipeline"),
])
def test_kept_moves_name_the_matmul_rule(test_file: str, function: str) -> None:
    transposes = _transposes_kept_by_input_pipeline(test_file, function)
    assert any(m.reason == OFF_MATMUL_PIPELINE for m in transposes), [m.reason for m in transposes]


def _transposes_kept_by_input_pipeline(test_file: str, function: str) -> list:
    """The report's remaining transposes after the input-phase pipeline on one lit case."""
    context = make_context()
    text = _chunk(test_file, function)
    before = ir.Module.parse(text, context)
    after = ir.Module.parse(text, context)
    (phase,) = [p for p in SMARTMEM_PHASE_PIPELINES if p.after_phase == "input"]
    build_pass_manager(parse_pipeline(phase.pipeline), context).run(after.operation)
    report = elimination_report(before.operation, after.operation)
    transposes = [m for m in report.remaining if m.op == "linalg.transpose"]
    assert transposes, f"{function}: the full pipeline removed every transpose"
    return transposes


@pytest.mark.parametrize("test_file,function,reason", [
    ("fold-layout-chains.mlir", "no_fold_into_contraction_strided_reduction", STRIDED_REDUCTION_READ),
    ("write-through-layout-chains.mlir", "no_write_through_contraction_strided_result", STRIDED_REDUCTION_WRITE),
])
def test_kept_moves_name_the_reduction_contiguity_rule(test_file: str, function: str, reason: str) -> None:
    transposes = _transposes_kept_by_input_pipeline(test_file, function)
    assert [m.reason for m in transposes] == [reason] * len(transposes), [m.reason for m in transposes]


def test_block_major_slices_are_eliminated_strided_ones_remain() -> None:
    """A fused QKV read through strided slices counts 3 slices; after block-major-slices none remain."""
    chunk = _chunk("block-major-slices.mlir", "fused_qkv_with_bias")
    context = make_context()
    before = ir.Module.parse(chunk, context)
    after = ir.Module.parse(chunk, context)
    build_pass_manager(parse_pipeline("builtin.module(smartmem-block-major-slices)"), context).run(after.operation)
    report = elimination_report(before.operation, after.operation).as_dict()
    assert report["before"]["slice"] == 3
    assert report["after"]["slice"] == 0
    assert report["eliminated"]["slice"] == 3


def test_kept_move_read_by_a_gather_says_the_gather_refused_it() -> None:
    # The transpose moves the innermost dim, so the gather keeps reading it.
    transposes = _transposes_kept_by_input_pipeline("gather-through-layout-chains.mlir", "no_gather_innermost_moved")
    assert [m.reason for m in transposes] == [GATHER_REFUSED], [m.reason for m in transposes]
