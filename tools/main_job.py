"""The README's main job: the embedded Swin model, stock IREE vs SmartMem.

Compiles `models/swin_tiny_default.onnx` for `vulkan:llvmpipe` twice (stock
IREE, `--no-smartmem`, and with SmartMem), runs both modules on Vulkan
(Mesa's lavapipe here), checks that they agree with each other and with
onnxruntime (relative L2 error at most 1e-4), and prints the dispatch census
side by side. Exit status 1 on a numerical mismatch, 2 on a failed compile
or run.

    python -m smartmem.tools.main_job [--target vulkan:llvmpipe] [--out-dir out/main_job]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartmem.diagnostics import SmartMemError, print_diagnostics

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = REPO / "models" / "swin_tiny_default.onnx"
TOLERANCE = 1e-4
RUNS = 3


@dataclass(frozen=True)
class Variant:
    label: str
    smartmem: bool


VARIANTS = (Variant("stock IREE", False), Variant("SmartMem", True))


@dataclass
class Outcome:
    variant: Variant
    report: dict
    output: np.ndarray
    run_seconds: float


def reference_output(model: Path, inputs: list[np.ndarray]) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))[0]


def compile_variant(model: Path, target: str, out_dir: Path, variant: Variant) -> dict:
    from smartmem.compile import CompileOptions, Target
    from smartmem.compile_isolated import compile_isolated

    stem = "smartmem" if variant.smartmem else "stock"
    vmfb = out_dir / f"{model.stem}.{stem}.vmfb"

    def progress(phase: str) -> None:
        print(f"  [{variant.label}] {phase}", file=sys.stderr, flush=True)

    return compile_isolated(model, vmfb, CompileOptions(Target.parse(target), smartmem=variant.smartmem), progress)


def run_variant(report: dict, inputs: list[np.ndarray], variant: Variant) -> Outcome:
    from smartmem.runtime import load_module

    outputs = report["outputs"]
    module = load_module(Path(outputs["vmfb"]), Path(outputs["irpa"]), report["run"]["device"], report["entry_function"])
    times = []
    output = None
    for _ in range(RUNS):
        start = time.perf_counter()
        output = module.run(inputs)[0]
        times.append(time.perf_counter() - start)
    return Outcome(variant, report, output, statistics.median(times))


def census_table(outcomes: list[Outcome]) -> str:
    kinds = sorted({k for o in outcomes for k in o.report["dispatches"]["by_kind"]})
    header = f"{'dispatches':<28}" + "".join(f"{o.variant.label:>14}" for o in outcomes)
    lines = [header, "-" * len(header)]

    def row(label: str, values: list[object]) -> None:
        lines.append(f"{label:<28}" + "".join(f"{v:>14}" for v in values))

    for kind in kinds:
        row(f"  {kind}", [o.report["dispatches"]["by_kind"].get(kind, 0) for o in outcomes])
    row("total", [o.report["dispatches"]["total"] for o in outcomes])
    row("layout moves", [o.report["dispatches"]["layout_moves"] for o in outcomes])
    row("flow.tensor.update/slice", [
        f"{o.report['dispatches']['flow_tensor_update']}/{o.report['dispatches']['flow_tensor_slice']}"
        for o in outcomes
    ])
    row("executables", [o.report["dispatches"]["executables"] for o in outcomes])
    row("compile (s)", [f"{o.report['compile_seconds_total']:.1f}" for o in outcomes])
    row(f"run, median of {RUNS} (ms)", [f"{o.run_seconds * 1e3:.1f}" for o in outcomes])
    row(".vmfb (kB)", [f"{o.report['outputs']['vmfb_bytes'] / 1e3:.0f}" for o in outcomes])
    return "\n".join(lines)


def run(argv: list[str]) -> int:
    from smartmem.runtime import relative_l2

    parser = argparse.ArgumentParser(prog="main_job", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--input", type=Path, help="input .npy (default: MODEL with .input.npy)")
    parser.add_argument("--target", default="vulkan:llvmpipe")
    parser.add_argument("--out-dir", type=Path, default=REPO / "out" / "main_job")
    args = parser.parse_args(argv)
    input_path = args.input or args.model.with_suffix(".input.npy")
    if not input_path.is_file():
        raise SmartMemError.plain(f"no input file '{input_path}'")
    inputs = [np.load(input_path)]
    args.out_dir.mkdir(parents=True, exist_ok=True)

    print(f"main job: {args.model.name} on {args.target}, stock IREE vs SmartMem", file=sys.stderr)
    expected = reference_output(args.model, inputs)
    # Compile both (each in a forked child) before any runtime device starts
    # threads in this process, then run both.
    reports = [compile_variant(args.model, args.target, args.out_dir, v) for v in VARIANTS]
    outcomes = [run_variant(r, inputs, v) for r, v in zip(reports, VARIANTS)]

    print(census_table(outcomes))
    print()
    failed = False
    checks = [(f"{o.variant.label} vs onnxruntime", o.output, expected) for o in outcomes]
    checks.append(("SmartMem vs stock IREE", outcomes[1].output, outcomes[0].output))
    for label, actual, reference in checks:
        error = relative_l2(actual, reference)
        ok = error <= TOLERANCE
        failed |= not ok
        print(f"{label:<32} rel L2 {error:.2e}  {'ok' if ok else f'MISMATCH (tolerance {TOLERANCE:.0e})'}")
    stock, smart = (o.report["dispatches"] for o in outcomes)
    print(
        f"\nSmartMem: {stock['total']} -> {smart['total']} dispatches, "
        f"{stock['layout_moves']} -> {smart['layout_moves']} layout moves; modules in {args.out_dir}"
    )
    if args.target.endswith(":llvmpipe"):
        # SmartMem's kernel choices are measured on GPUs; lavapipe runs the
        # Vulkan kernels on this machine's CPU cores.
        print("Run times are Mesa lavapipe's (Vulkan on the CPU) and do not predict a GPU's; "
              "GPU measurements: docs/benchmarks.md")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> None:
    try:
        status = run(sys.argv[1:] if argv is None else argv)
    except SmartMemError as error:
        print_diagnostics(error.diagnostics)
        status = 2
    sys.exit(status)


if __name__ == "__main__":
    main()
