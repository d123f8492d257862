"""smartmem-compile: an ONNX or MLIR model to an IREE module for a GPU or CPU.

    smartmem-compile MODEL -o OUT.vmfb --target TARGET [--no-smartmem]
                     [--report REPORT.json] [--dump-ir DIR] [--dim NAME=N] [-q]

Writes OUT.vmfb and its weights OUT.irpa (parameter scope `model`). Run it:

    iree-run-module --device=vulkan --module=OUT.vmfb \\
        --parameters=model=OUT.irpa --function=main_graph --input=@x.npy

Exit status: 0 success, 2 bad input or failed compile (one error line),
3 internal error of SmartMem.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from smartmem.cli import run_cli, write_text_atomically
from smartmem.diagnostics import SmartMemError

PROG = "smartmem-compile"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, status 2
        print(f"{PROG}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def make_parser() -> argparse.ArgumentParser:
    from smartmem.compile import VULKAN_TARGETS

    parser = _Parser(
        prog=PROG,
        description="Compile an ONNX or MLIR model with SmartMem's layout passes inside IREE.",
        epilog=(
            "targets: cpu, or vulkan:<name> with name one of: " + ", ".join(VULKAN_TARGETS)
            + ". Run vulkan:llvmpipe modules here (Mesa lavapipe); mobile targets assume the "
            "subgroup sizes of their GPUs. SmartMem's pipelines are for GPU targets: cpu "
            "compiles stock IREE (passes/pipelines.py says why)."
        ),
    )
    parser.add_argument("model", type=Path, help="model file: .onnx, or .mlir (torch/onnx import output or linalg IR)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output module OUT.vmfb (weights go to OUT.irpa)")
    parser.add_argument("--target", required=True, help="cpu or vulkan:<target>, e.g. vulkan:adreno")
    parser.add_argument("--no-smartmem", action="store_true", help="stock IREE: same import and flags, no SmartMem passes")
    parser.add_argument("--report", type=Path, help="write a JSON report (dispatch census, phase times, versions)")
    parser.add_argument("--dump-ir", type=Path, metavar="DIR", help="write the IR after each phase into DIR")
    parser.add_argument(
        "--dim", action="append", default=[], metavar="NAME=N",
        help="size of a symbolic ONNX input dimension (repeatable)",
    )
    parser.add_argument("--no-simplify", action="store_true", help="skip onnxsim constant folding of ONNX input")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return parser


def parse_dims(items: Sequence[str]) -> dict[str, int]:
    dims: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value.isdigit() or int(value) <= 0:
            raise SmartMemError.plain(f"--dim expects NAME=N with N a positive integer, got '{item}'")
        dims[name] = int(value)
    return dims


def write_json_atomically(path: Path, data: object) -> None:
    directory = path.resolve().parent
    if not directory.is_dir():
        raise SmartMemError.plain(f"report directory '{directory}' does not exist")
    write_text_atomically(path, json.dumps(data, indent=2) + "\n")


def summary(report: dict) -> str:
    outputs = report["outputs"]
    dispatches = report["dispatches"]
    return (
        f"{PROG}: wrote {outputs['vmfb']} ({outputs['vmfb_bytes'] / 1e3:.0f} kB) and "
        f"{outputs['irpa']} ({outputs['irpa_bytes'] / 1e6:.2f} MB): {dispatches['total']} dispatches, "
        f"{dispatches['layout_moves']} layout moves, entry '{report['entry_function']}', "
        f"{report['compile_seconds_total']:.1f} s"
    )


def run(argv: Sequence[str]) -> int:
    args = make_parser().parse_args(argv)
    from smartmem.compile import CompileOptions, Target
    from smartmem.compile_isolated import compile_isolated

    options = CompileOptions(
        target=Target.parse(args.target),
        smartmem=not args.no_smartmem,
        dims=parse_dims(args.dim),
        simplify=not args.no_simplify,
        dump_ir=args.dump_ir,
    )
    if args.report is not None and not args.report.resolve().parent.is_dir():
        raise SmartMemError.plain(f"report directory '{args.report.resolve().parent}' does not exist")

    def progress(phase: str) -> None:
        if not args.quiet:
            print(f"{PROG}: {phase} ...", file=sys.stderr, flush=True)

    report = compile_isolated(args.model, args.output, options, progress)
    if args.report is not None:
        write_json_atomically(args.report, report)
    if not args.quiet:
        print(summary(report), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    run_cli(PROG, run, argv, error_status=2)


if __name__ == "__main__":
    main()
