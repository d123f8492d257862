"""Dispatch census: what every inference runs, apart from what runs at load time."""

from __future__ import annotations

import pathlib

from smartmem.census import census_of_flow_text, format_census

INPUT = pathlib.Path(__file__).resolve().parents[1] / "Inputs" / "flow_with_initializer.mlir"


def test_initializer_dispatches_are_counted_apart() -> None:
    census = census_of_flow_text(INPUT.read_text())
    # The same copy kernel is called by the entry function and by an initializer.
    assert census.total == 1
    assert census.layout_moves == 1
    assert census.initializer_dispatches == 1
    assert census.as_dict()["initializer_dispatches"] == 1
    assert "1 more at load time" in format_census(census)
