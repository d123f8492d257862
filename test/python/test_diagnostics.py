"""Diagnostics: parse errors carry the input's name, line and column."""

from __future__ import annotations

import pytest

from smartmem.context import make_context
from smartmem.diagnostics import SmartMemError
from smartmem.source import parse_chunk, split_source


def test_split_keeps_file_line_numbers() -> None:
    text = "func.func @a() { return }\n// -----\nfunc.func @b() { return }\n// -----\n\nfunc.func @c( {\n"
    chunks = split_source("in.mlir", text, split=True)
    assert [c.first_line for c in chunks] == [1, 3, 5]
    context = make_context()
    parse_chunk(chunks[0], context)
    parse_chunk(chunks[1], context)
    with pytest.raises(SmartMemError) as raised:
        parse_chunk(chunks[2], context)
    first = raised.value.diagnostics[0]
    assert (first.filename, first.line, first.severity) == ("in.mlir", 6, "error")
    assert first.format().startswith("in.mlir:6:")


def test_unsplit_input_is_one_chunk() -> None:
    chunks = split_source("x", "a\n// -----\nb\n", split=False)
    assert len(chunks) == 1 and chunks[0].first_line == 1
