"""Stand-in weights for modules shipped without their parameter archive.

The device machine gets at most 64 MiB per call, and Swin-T's weights alone are
113 MiB, so modules travel without them.  Their parameters are rebuilt there:

- small parameters (at most `REAL_MAX_BYTES`) and every non-float parameter
  travel as they are, in one deduplicated blob;
- every large float parameter becomes seeded random data with the mean and
  standard deviation of the real one, the seed being the hash of the real
  bytes.  Parameters with identical contents (the same weight in stock and
  SmartMem modules, under whatever name each compile gave it, or in a module
  for another target) therefore get identical stand-ins, and both variants
  compute the same function on them.

A SmartMem parameter whose bytes match no stock parameter (a weight stored in
another layout) would break that. When its values are a permutation of a
stock parameter's (a constant transposed at compile time), both travel real
(`keep_permutations_real`); otherwise `unmatched` reports it, and the caller
falls back to a splat archive for the model.

Only numpy and the standard library are used: this module runs on the device.
The stand-ins are written as .safetensors, which iree-run-module loads with
`--parameters=SCOPE=FILE.safetensors`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

REAL_MAX_BYTES = 64 * 1024
_ENTRY = re.compile(r"^\s*(\d+|-)\s*\|\s*(\d+|-)\s*\|\s*(\d+)\s*\|\s*`(.+)`\s*$")
_TYPE = re.compile(r"x(f16|bf16|f32|f64|i1|i8|i16|i32|i64|ui8|ui16|ui32|ui64)(?:_\d+)?$")
_FLOAT_DTYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64}


@dataclass(frozen=True)
class ArchiveEntry:
    """One parameter of an .irpa as `iree-dump-parameters` lists it."""

    name: str
    length: int
    start: int | None  # byte offset in the file; None for storage-free (splat) entries


def parse_dump(text: str) -> list[ArchiveEntry]:
    """Entries of `iree-dump-parameters --parameters=FILE.irpa` output."""
    out = []
    for line in text.splitlines():
        m = _ENTRY.match(line)
        if m:
            start = None if m.group(1) == "-" else int(m.group(1))
            out.append(ArchiveEntry(m.group(4), int(m.group(3)), start))
    return out


def element_type(name: str) -> str:
    """The element type IREE wrote into a parameter name ('' if none)."""
    m = _TYPE.search(name)
    return m.group(1) if m else ""


def read_entry(irpa: Path, entry: ArchiveEntry) -> bytes:
    if entry.start is None:
        raise ValueError(f"{irpa.name}: parameter '{entry.name}' has no storage")
    with open(irpa, "rb") as f:
        f.seek(entry.start)
        data = f.read(entry.length)
    if len(data) != entry.length:
        raise ValueError(f"{irpa.name}: parameter '{entry.name}' is truncated")
    return data


@dataclass(frozen=True)
class StandIn:
    """How to rebuild one parameter: 'real' bytes from the blob, or 'random'."""

    name: str
    length: int
    mode: str  # "real" or "random"
    digest: str  # sha256 of the real bytes (the seed source)
    dtype: str = ""
    offset: int = 0  # into the blob, for "real"
    mean: float = 0.0
    std: float = 0.0

    def to_json(self) -> dict[str, object]:
        return self.__dict__.copy()


def stand_in(entry: ArchiveEntry, data: bytes, blob: dict[str, tuple[int, bytes]]) -> StandIn:
    """Plan one parameter; real data goes into `blob` (digest -> (offset, bytes))."""
    digest = hashlib.sha256(data).hexdigest()
    dtype = element_type(entry.name)
    if dtype in _FLOAT_DTYPES and entry.length > REAL_MAX_BYTES:
        values = np.frombuffer(data, dtype=_FLOAT_DTYPES[dtype]).astype(np.float64)
        return StandIn(entry.name, entry.length, "random", digest, dtype,
                       mean=float(values.mean()), std=float(values.std()))
    return StandIn(entry.name, entry.length, "real", digest, dtype, offset=add_to_blob(blob, digest, data))


def add_to_blob(blob: dict[str, tuple[int, bytes]], digest: str, data: bytes) -> int:
    """The offset of `data` in the blob (digest -> (offset, bytes)), appended once."""
    if digest not in blob:
        blob[digest] = (sum(len(b) for _, b in blob.values()), data)
    return blob[digest][0]


def seed_of(digest: str) -> int:
    return int(digest[:16], 16)


def materialize(spec: StandIn, blob: bytes) -> bytes:
    """The bytes of one stand-in parameter."""
    if spec.mode == "real":
        return blob[spec.offset: spec.offset + spec.length]
    dtype = _FLOAT_DTYPES[spec.dtype]
    count = spec.length // np.dtype(dtype).itemsize
    rng = np.random.default_rng(seed_of(spec.digest))
    values = rng.standard_normal(count, dtype=np.float32) * np.float32(spec.std) + np.float32(spec.mean)
    return values.astype(dtype).tobytes()


def write_safetensors(specs: Sequence[StandIn], blob: bytes, path: Path) -> None:
    """All stand-ins of one module as a .safetensors file (raw bytes, dtype U8)."""
    header: dict[str, object] = {}
    offset = 0
    for s in specs:
        header[s.name] = {"dtype": "U8", "shape": [s.length], "data_offsets": [offset, offset + s.length]}
        offset += s.length
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for s in specs:
            f.write(materialize(s, blob))
    tmp.replace(path)


def values_digest(data: bytes, dtype: str) -> str:
    """A digest of a float parameter's values in sorted order: equal for permutations of one tensor."""
    values = np.sort(np.frombuffer(data, dtype=_FLOAT_DTYPES[dtype]))
    return hashlib.sha256(values.tobytes()).hexdigest()


def keep_permutations_real(
    specs: dict[str, list[StandIn]], data: dict[str, bytes], blob: dict[str, tuple[int, bytes]]
) -> set[str]:
    """Ship real bytes for a SmartMem parameter that permutes a stock one, and for that stock one.

    `specs` maps variant -> stand-ins ("stock" among them), `data` maps a
    digest to the parameter's real bytes. Random stand-ins of the two would
    not be permutations of each other; the real values are (and are what
    both modules compute with). Rewrites `specs` in place; returns the
    digests made real, for other modules with the same parameters.
    """
    stock = specs.get("stock", [])
    by_values: dict[str, StandIn] = {}
    for s in stock:
        if s.mode == "random":
            by_values.setdefault(values_digest(data[s.digest], s.dtype), s)
    known = {s.digest for s in stock}
    real: set[str] = set()
    for variant, variant_specs in specs.items():
        if variant == "stock":
            continue
        for s in variant_specs:
            if s.mode != "random" or s.digest in known:
                continue
            partner = by_values.get(values_digest(data[s.digest], s.dtype))
            if partner is not None and partner.length == s.length:
                real.update((s.digest, partner.digest))
    for digest in sorted(real):
        add_to_blob(blob, digest, data[digest])
    for variant, variant_specs in specs.items():
        specs[variant] = with_real(variant_specs, real, blob)
    return real


def with_real(specs: Sequence[StandIn], real: set[str], blob: dict[str, tuple[int, bytes]]) -> list[StandIn]:
    """`specs` with the parameters whose digest is in `real` read from the blob."""
    return [dataclasses.replace(s, mode="real", offset=blob[s.digest][0]) if s.digest in real else s for s in specs]


def unmatched(stock: Iterable[StandIn], other: Iterable[StandIn]) -> list[str]:
    """Names of `other`'s large parameters whose contents match no stock parameter."""
    known = {s.digest for s in stock}
    return [s.name for s in other if s.mode == "random" and s.digest not in known]
