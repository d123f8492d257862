"""Compile one bench variant in a process of its own.

    python -m smartmem.bench_compile MODEL.onnx OUT.vmfb TARGET {stock,smartmem} META.json

Runs the compile driver (`smartmem.compile`) and writes META.json: compile
seconds, the driver's report (with the dispatch census) and the names of the
dispatches that only move data.  The bench runs this as a subprocess so that a
compiler abort or a large model's memory stays out of the sweep's process.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence


def compile_variant(model: Path, vmfb: Path, target: str, smartmem: bool) -> dict[str, Any]:
    from smartmem import compile as driver

    options = driver.CompileOptions(target=driver.Target.parse(target), smartmem=smartmem)
    start = time.monotonic()
    result = driver.compile_model(model, vmfb, options)
    seconds = time.monotonic() - start
    report = driver.report_dict(result, model, options)
    from smartmem.bench_run import versions

    return {
        "seconds": seconds,
        "versions": versions(),
        "report": report,
        "moves_only_entry_points": list(result.census.moves_only_entry_points),
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 5 or args[3] not in ("stock", "smartmem"):
        print("usage: python -m smartmem.bench_compile MODEL OUT.vmfb TARGET {stock,smartmem} META.json",
              file=sys.stderr)
        return 2
    model, vmfb, target, variant, meta = Path(args[0]), Path(args[1]), args[2], args[3], Path(args[4])
    from smartmem.diagnostics import SmartMemError, print_diagnostics

    try:
        data = compile_variant(model, vmfb, target, variant == "smartmem")
    except SmartMemError as error:
        print_diagnostics(error.diagnostics, sys.stderr)
        return 1
    fd, tmp = tempfile.mkstemp(dir=meta.parent, prefix=".meta.", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(tmp, meta)
    return 0


if __name__ == "__main__":
    sys.exit(main())
