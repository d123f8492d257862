"""tools/device/micro_contractions.py: contraction micro modules for the device's micro-benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from iree.compiler import ir

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "device"))
import micro_contractions  # noqa: E402


def _generic(module: ir.Module) -> ir.Operation:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "linalg.generic":
            found.append(op)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("layout,right_map,right_shape", [
    ("kn", "(d0, d1, d2, d3) -> (d0, d3, d2)", [6, 4, 16]),
    ("nk", "(d0, d1, d2, d3) -> (d0, d2, d3)", [6, 16, 4]),
])
def test_module_reads_right_operand_in_layout(layout: str, right_map: str, right_shape: list[int]) -> None:
    spec = micro_contractions.ContractionSpec.parse(f"scores=6x5x16x4:{layout}")
    assert spec == micro_contractions.ContractionSpec("scores", 6, 5, 16, 4, layout)
    module = micro_contractions.build_module(spec)
    generic = _generic(module)
    maps = [str(ir.AffineMapAttr(a).value) for a in ir.ArrayAttr(generic.attributes["indexing_maps"])]
    assert maps == ["(d0, d1, d2, d3) -> (d0, d1, d3)", right_map, "(d0, d1, d2, d3) -> (d0, d1, d2)"]
    assert list(ir.RankedTensorType(generic.operands[1].type).shape) == right_shape
    assert list(ir.RankedTensorType(generic.results[0].type).shape) == [6, 5, 16]
    assert micro_contractions.flags(spec) == (
        "--function=f\n--input=6x5x4xf32=0.1\n--input=" + "x".join(map(str, right_shape)) + "xf32=0.1\n")


@pytest.mark.parametrize("text", ["scores=6x5x16:kn", "scores=6x5x16x4:km", "9s=6x5x16x4:kn", "scores=6x5x16x4"])
def test_bad_specs_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bad spec"):
        micro_contractions.ContractionSpec.parse(text)


def test_cli_compiles_and_refuses_bad_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert micro_contractions.main(["--out", str(tmp_path), "--target", "llvmpipe", "k=2x3x8x4:nk"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k.flags", "k.mlir", "k.vmfb"]
    assert (tmp_path / "k.vmfb").stat().st_size > 0
    assert micro_contractions.main(["--out", str(tmp_path), "k=2x3"]) == 2
    assert "bad spec" in capsys.readouterr().err
