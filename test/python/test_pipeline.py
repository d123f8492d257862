"""Pipeline text parsing and PassManager construction (mixing SmartMem and MLIR passes)."""

from __future__ import annotations

import pytest

from smartmem.context import make_context
from smartmem.passes.pipeline import (
    PipelineElement,
    PipelineError,
    build_pass_manager,
    module_level_elements,
    parse_pipeline,
)


def test_parse_nested_pipeline_with_options() -> None:
    elements = parse_pipeline("builtin.module(canonicalize{max-iterations=3}, func.func(cse), smartmem-x)")
    assert len(elements) == 1
    inner = module_level_elements(elements)
    assert inner == [
        PipelineElement("canonicalize", "max-iterations=3"),
        PipelineElement("func.func", nested=(PipelineElement("cse"),)),
        PipelineElement("smartmem-x"),
    ]
    assert inner[1].text() == "func.func(cse)"
    assert inner[0].text() == "canonicalize{max-iterations=3}"


@pytest.mark.parametrize(
    "text", ["builtin.module(canonicalize", "builtin.module(cse))", "a{b", "(cse)"]
)
def test_malformed_pipelines_are_rejected(text: str) -> None:
    with pytest.raises(PipelineError, match="invalid pass pipeline"):
        parse_pipeline(text)


def test_unknown_mlir_pass_is_reported_by_name() -> None:
    with pytest.raises(PipelineError, match="'no-such-pass' does not refer to a registered pass"):
        build_pass_manager(parse_pipeline("builtin.module(no-such-pass)"), make_context())


def test_smartmem_pass_nested_under_function_is_rejected() -> None:
    with pytest.raises(PipelineError, match="run on 'builtin.module'"):
        build_pass_manager(parse_pipeline("builtin.module(func.func(smartmem-classify))"), make_context())


def test_unknown_smartmem_pass_lists_known_ones() -> None:
    with pytest.raises(PipelineError, match="unknown SmartMem pass 'smartmem-nope'.*known: smartmem-"):
        build_pass_manager(parse_pipeline("smartmem-nope"), make_context())
