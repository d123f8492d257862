"""tools/device/weights.py: stand-in weights for modules shipped without parameters."""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "device"))
import weights  # noqa: E402

DUMP = """//===---===//
// Parameter scope `model` (3 entries, 100 total bytes)
//         Start |              End |           Length | Key
//---------------+------------------+------------------+----//
            2816 |            35584 |            32768 | `__constant_tensor_128x64xf32`
               - |                - |              512 | `__constant_tensor_2x64xi32_3`
"""


def test_parse_dump_and_element_types() -> None:
    entries = weights.parse_dump(DUMP)
    assert entries == [weights.ArchiveEntry("__constant_tensor_128x64xf32", 32768, 2816),
                       weights.ArchiveEntry("__constant_tensor_2x64xi32_3", 512, None)]
    assert weights.element_type(entries[0].name) == "f32"
    assert weights.element_type(entries[1].name) == "i32"
    assert weights.element_type("plain_name") == ""


def _archive(tmp_path: Path, tensors: dict[str, np.ndarray]) -> tuple[Path, list[weights.ArchiveEntry]]:
    path = tmp_path / "a.bin"
    entries, offset, data = [], 0, b""
    for name, array in tensors.items():
        raw = array.tobytes()
        entries.append(weights.ArchiveEntry(name, len(raw), offset))
        data += raw
        offset += len(raw)
    path.write_bytes(data)
    return path, entries


def test_stand_ins_follow_contents_not_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights, "REAL_MAX_BYTES", 64)
    seed = np.random.SeedSequence().entropy
    rng = np.random.default_rng(seed)
    big = (rng.standard_normal((8, 8)) * 0.5 + 0.1).astype(np.float32)  # 256 bytes: random stand-in
    small = rng.standard_normal(4).astype(np.float32)  # 16 bytes: travels as is
    ids = np.arange(6, dtype=np.int64)  # integers always travel as is
    stock, stock_entries = _archive(tmp_path, {"w_8x8xf32": big, "b_4xf32": small, "i_6xi64": ids})
    other_dir = tmp_path / "o"
    other_dir.mkdir()
    # SmartMem stored the same weight reshaped under another name, and one weight transposed.
    other, other_entries = _archive(other_dir, {"w_2x32xf32_7": big.reshape(2, 32), "t_8x8xf32": big.T.copy()})
    blob: dict[str, tuple[int, bytes]] = {}
    s_specs = [weights.stand_in(e, weights.read_entry(stock, e), blob) for e in stock_entries]
    o_specs = [weights.stand_in(e, weights.read_entry(other, e), blob) for e in other_entries]
    assert [s.mode for s in s_specs] == ["random", "real", "real"]
    assert weights.unmatched(s_specs, o_specs) == ["t_8x8xf32"], f"seed {seed}"
    data = b"".join(d for _, d in sorted(blob.values()))
    same_a, same_b = weights.materialize(s_specs[0], data), weights.materialize(o_specs[0], data)
    assert same_a == same_b, f"seed {seed}"
    values = np.frombuffer(same_a, np.float32)
    assert not np.array_equal(values, big.ravel())  # a stand-in, not the weight
    assert abs(values.mean() - big.mean()) < 0.5 and 0.1 < values.std() < 2.0, f"seed {seed}"
    assert weights.materialize(s_specs[1], data) == small.tobytes()
    assert weights.materialize(s_specs[2], data) == ids.tobytes()


def test_transposed_constant_travels_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights, "REAL_MAX_BYTES", 64)
    seed = np.random.SeedSequence().entropy
    rng = np.random.default_rng(seed)
    mask = rng.standard_normal((4, 6)).astype(np.float32)  # 96 bytes: random stand-in on its own
    other_weight = rng.standard_normal((4, 6)).astype(np.float32)
    stock, stock_entries = _archive(tmp_path, {"m_4x6xf32": mask, "w_4x6xf32": other_weight})
    other_dir = tmp_path / "o"
    other_dir.mkdir()
    # SmartMem's compile transposed the mask constant; the other weight is shared as it is.
    other, other_entries = _archive(other_dir, {"mt_6x4xf32": mask.T.copy(), "w_4x6xf32_2": other_weight})
    blob: dict[str, tuple[int, bytes]] = {}
    data: dict[str, bytes] = {}
    specs: dict[str, list[weights.StandIn]] = {}
    for variant, path, entries in (("stock", stock, stock_entries), ("smartmem", other, other_entries)):
        specs[variant] = []
        for e in entries:
            raw = weights.read_entry(path, e)
            spec = weights.stand_in(e, raw, blob)
            data[spec.digest] = raw
            specs[variant].append(spec)
    assert weights.unmatched(specs["stock"], specs["smartmem"]) == ["mt_6x4xf32"]
    real = weights.keep_permutations_real(specs, data, blob)
    assert len(real) == 2, f"seed {seed}"
    assert weights.unmatched(specs["stock"], specs["smartmem"]) == []
    assert [s.mode for s in specs["stock"]] == ["real", "random"]
    assert [s.mode for s in specs["smartmem"]] == ["real", "random"]
    joined = b"".join(d for _, d in sorted(blob.values()))
    assert weights.materialize(specs["stock"][0], joined) == mask.tobytes()
    assert weights.materialize(specs["smartmem"][0], joined) == mask.T.tobytes()
    # The shared weight still gets the same stand-in in both.
    assert weights.materialize(specs["stock"][1], joined) == weights.materialize(specs["smartmem"][1], joined)


def test_safetensors_layout(tmp_path: Path) -> None:
    blob = np.arange(4, dtype=np.float32).tobytes()
    specs = [weights.StandIn("a", 16, "real", "00" * 32, "f32", 0),
             weights.StandIn("b", 8, "real", "11" * 32, "f32", 8)]
    path = tmp_path / "w.safetensors"
    weights.write_safetensors(specs, blob, path)
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["a"] == {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}
    assert header["b"]["data_offsets"] == [16, 24]
    assert raw[8 + n:] == blob + blob[8:16]
