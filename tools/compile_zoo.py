"""Compile the zoo with and without SmartMem for several targets; check cpu numerics.

For every `.cache/zoo/<model>.onnx` (built by `python -m smartmem.zoo`) and
every target, compiles stock IREE and SmartMem modules with smartmem-compile's
driver (each compile in a forked child, so an IREE crash is a row, not the
end of the sweep), records the dispatch census and compile time, and for
targets that run here (`cpu`, `vulkan:llvmpipe`) runs the module on the
model's fixed input and compares with onnxruntime (rel L2, tolerance 1e-4).
Results are appended to OUT/results.jsonl (an interrupted sweep resumes
where it stopped) and printed as a Markdown table. Not a test: it takes tens
of minutes; run it with `nice`.

    nice -n 10 .venv/bin/python -m smartmem.tools.compile_zoo [--models swin_t,vit_b16]
        [--targets cpu,vulkan:adreno,vulkan:valhall] [--out out/zoo]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from smartmem.diagnostics import SmartMemError

REPO = Path(__file__).resolve().parent.parent
ZOO = REPO / ".cache" / "zoo"
RUNNABLE = {"cpu": "local-task", "vulkan:llvmpipe": "vulkan"}
BIN = Path(sys.executable).parent
TOLERANCE = 1e-4


def reference(model: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def revision() -> str:
    """The repository's commit (+ "-dirty" with uncommitted changes): passes evolve."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def one(model: Path, target: str, smartmem: bool, expected: np.ndarray | None, x: np.ndarray) -> dict:
    from smartmem.compile import CompileOptions, Target
    from smartmem.compile_isolated import compile_isolated
    from smartmem.runtime import relative_l2

    record: dict = {"model": model.stem, "target": target, "smartmem": smartmem, "revision": revision()}
    with tempfile.TemporaryDirectory(prefix="zoo-", dir=REPO / "out") as work:
        vmfb = Path(work) / f"{model.stem}.vmfb"
        start = time.perf_counter()
        try:
            report = compile_isolated(model, vmfb, CompileOptions(Target.parse(target), smartmem=smartmem), lambda _: None)
        except SmartMemError as error:
            record.update(status="compile failed", error=str(error).splitlines()[0][:300])
            return record
        record.update(
            status="compiled",
            compile_s=round(time.perf_counter() - start, 1),
            dispatches=report["dispatches"]["total"],
            layout_moves=report["dispatches"]["layout_moves"],
            by_kind=report["dispatches"]["by_kind"],
        )
        if target in RUNNABLE and expected is not None:
            # iree-run-module in a subprocess: no runtime threads in this
            # process, which forks the next compile.
            output = Path(work) / "y.npy"
            x_path = Path(work) / "x.npy"
            np.save(x_path, x)
            command = [
                str(BIN / "iree-run-module"), f"--device={RUNNABLE[target]}", f"--module={vmfb}",
                f"--parameters=model={report['outputs']['irpa']}", f"--function={report['entry_function']}",
                f"--input=@{x_path}", f"--output=@{output}",
            ]
            start = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True)
            record["run_s"] = round(time.perf_counter() - start, 2)
            if result.returncode != 0:
                record.update(status="run failed", error=(result.stderr.strip().splitlines() or ["?"])[-1][:300])
            else:
                record["rel_l2"] = relative_l2(np.load(output), expected)
                record["status"] = "ok" if record["rel_l2"] <= TOLERANCE else "MISMATCH"
    return record


def table(records: list[dict]) -> str:
    lines = [
        "| model | target | variant | status | dispatches | layout moves | compile (s) | rel L2 vs ORT |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        rel = f"{r['rel_l2']:.1e}" if "rel_l2" in r else "—"
        lines.append(
            f"| {r['model']} | {r['target']} | {'SmartMem' if r['smartmem'] else 'stock'} | {r['status']}"
            f"{': ' + r['error'] if 'error' in r else ''} | {r.get('dispatches', '—')} | {r.get('layout_moves', '—')} "
            f"| {r.get('compile_s', '—')} | {rel} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="compile_zoo", description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated model names (default: every .onnx in the zoo cache)")
    parser.add_argument("--targets", default="cpu,vulkan:adreno,vulkan:valhall")
    parser.add_argument("--zoo", type=Path, default=ZOO)
    parser.add_argument("--out", type=Path, default=REPO / "out" / "zoo")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    models = sorted(args.zoo.glob("*.onnx"))
    if args.models:
        wanted = args.models.split(",")
        models = [m for m in models if m.stem in wanted]
    if not models:
        print(f"compile_zoo: error: no models in {args.zoo} (build them with python -m smartmem.zoo)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (REPO / "out").mkdir(exist_ok=True)
    results = args.out / "results.jsonl"
    done = []
    if results.exists():
        done = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    seen = {(r["model"], r["target"], r["smartmem"]) for r in done}
    for model in models:
        x = np.load(model.with_suffix(".input.npy"))
        expected = None
        for target in args.targets.split(","):
            for smartmem in (False, True):
                if (model.stem, target, smartmem) in seen:
                    continue
                if expected is None and target in RUNNABLE:
                    expected = reference(model, x)
                record = one(model, target, smartmem, expected, x)
                print(json.dumps(record), file=sys.stderr, flush=True)
                with results.open("a") as sink:
                    sink.write(json.dumps(record) + "\n")
                done.append(record)
    print(table([r for r in done if r["model"] in {m.stem for m in models}]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
