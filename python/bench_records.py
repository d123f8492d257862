"""The bench's result store: one JSON record per model x target x variant.

`DIR/results.json` is `{"schema": 1, "records": [...]}`.  A record is a plain
dict (it round-trips through JSON) with at least `model`, `target`, `variant`
and `status` ("ok" or "failed", with `error` a one-line reason).  Variants are
`stock` and `smartmem` (IREE modules) and `onnxruntime` (the CPU peer, target
`cpu`).  Saving is atomic (write a temporary file, then rename) so an
interrupted sweep leaves the last complete state, and a later run resumes from
it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

SCHEMA = 1
VARIANTS: tuple[str, ...] = ("stock", "smartmem")
PEER_VARIANT = "onnxruntime"

Record = dict[str, Any]


@dataclass(frozen=True, order=True)
class RecordKey:
    model: str
    target: str
    variant: str

    @staticmethod
    def of(record: Record) -> "RecordKey":
        return RecordKey(str(record["model"]), str(record["target"]), str(record["variant"]))

    def __str__(self) -> str:
        return f"{self.model}/{self.target}/{self.variant}"


class ResultStore:
    """Records keyed by (model, target, variant), persisted to one JSON file."""

    def __init__(self, path: Path, records: Iterable[Record] = ()) -> None:
        self.path = path
        self._records: dict[RecordKey, Record] = {}
        for r in records:
            self.put(r)

    @classmethod
    def load(cls, path: Path) -> "ResultStore":
        if not path.exists():
            return cls(path)
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: error: not valid JSON: {exc.msg}") from exc
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("records"), list):
            raise ValueError(f"{path}: error: not a smartmem-bench results file (schema {SCHEMA})")
        return cls(path, doc["records"])

    def put(self, record: Record) -> None:
        for field in ("model", "target", "variant", "status"):
            if field not in record:
                raise ValueError(f"bench record lacks '{field}': {sorted(record)}")
        self._records[RecordKey.of(record)] = record

    def get(self, key: RecordKey) -> Record | None:
        return self._records.get(key)

    def done(self, key: RecordKey) -> bool:
        record = self._records.get(key)
        return record is not None and record.get("status") == "ok"

    def merge(self, other: Iterable[Record]) -> int:
        """Put every record of `other` (replacing same keys); returns how many."""
        n = 0
        for r in other:
            self.put(r)
            n += 1
        return n

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records[k] for k in sorted(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"schema": SCHEMA, "records": list(self)}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".results.", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f, indent=1, sort_keys=True, allow_nan=True)
                f.write("\n")
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def models(self) -> list[str]:
        seen: dict[str, None] = {}
        for k in sorted(self._records):
            seen.setdefault(k.model, None)
        return list(seen)

    def targets(self) -> list[str]:
        return sorted({k.target for k in self._records})
