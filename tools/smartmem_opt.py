"""smartmem-opt: parse MLIR, run a pass pipeline, print the result.

An mlir-opt-style driver on IREE's MLIR context: SmartMem passes and any
IREE/upstream pass can be mixed in one pipeline, either with
`--pass-pipeline='builtin.module(...)'` or with one flag per pass
(`--smartmem-classify`, `--canonicalize`, `--cse='...'`).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Sequence

from iree.compiler import ir

from smartmem.context import make_context
from smartmem.cli import run_cli, write_text_atomically
from smartmem.diagnostics import (
    Diagnostic,
    SmartMemError,
    mlir_error_diagnostics,
    print_diagnostics,
)
from smartmem.passes.base import format_options
from smartmem.passes.pipeline import (
    PipelineElement,
    PipelineError,
    build_pass_manager,
    parse_pipeline,
)
from smartmem.passes.registry import PASS_REGISTRY
from smartmem.source import SourceChunk, parse_chunk, read_source, split_source
from smartmem.verify_diagnostics import verify

SPLIT_SEPARATOR = "// -----\n"


@dataclass
class ChunkResult:
    output: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: bool = False


def pass_listing() -> str:
    lines = ["SmartMem passes (use as --NAME[='opt=val ...'] or inside --pass-pipeline):"]
    for entry in PASS_REGISTRY:
        pass_class = entry.load()
        lines.append(f"  --{entry.name:<40} {pass_class.summary()}")
        defaults = format_options(pass_class.Options())
        if defaults:
            lines.append(f"      options (defaults): {defaults}")
    lines.append("Any IREE or upstream MLIR pass is accepted as --NAME too (e.g. --canonicalize, --cse).")
    return "\n".join(lines)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smartmem-opt",
        description="Run SmartMem and IREE/MLIR passes over MLIR on IREE's context.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
        add_help=False,
    )
    parser.add_argument("input", nargs="?", default="-", help="input .mlir file ('-' for stdin)")
    parser.add_argument("-o", dest="output", default="-", help="output file ('-' for stdout)")
    parser.add_argument("--pass-pipeline", default=None, help="textual pipeline, e.g. 'builtin.module(smartmem-classify,canonicalize)'")
    parser.add_argument("--split-input-file", action="store_true", help="process each '// -----' chunk separately")
    parser.add_argument("--verify-diagnostics", action="store_true", help="check diagnostics against expected-* comments")
    parser.add_argument("--mlir-print-ir-after-all", action="store_true", help="print the IR after every pass (to stderr)")
    parser.add_argument("--mlir-print-op-generic", action="store_true", help="print operations in generic form")
    parser.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    parser.add_argument("--list-passes", action="store_true", help="list SmartMem passes and exit")
    parser.add_argument("-h", "--help", action="store_true", help="show this help (with the pass list) and exit")
    return parser


def pass_flag_elements(flags: Sequence[str]) -> list[PipelineElement]:
    """`--name` / `--name=opts` flags, in order, as pipeline elements."""
    elements = []
    for flag in flags:
        if not flag.startswith("--") or len(flag) == 2:
            raise SmartMemError.plain(f"unknown argument '{flag}' (see --help)")
        name, _, options = flag[2:].partition("=")
        elements.append(PipelineElement(name, options.strip("'\"")))
    return elements


def run_chunk(
    chunk: SourceChunk, context: ir.Context, elements: list[PipelineElement], args: argparse.Namespace
) -> ChunkResult:
    from smartmem.dialect.verifier import verify_smartmem_ir

    result = ChunkResult()
    handled: list[Diagnostic] = []

    def on_diagnostic(diagnostic: object) -> bool:
        handled.extend(Diagnostic.from_mlir(diagnostic, chunk.name))
        return True

    handler = context.attach_diagnostic_handler(on_diagnostic)
    try:
        module = parse_chunk(chunk, context)
        problems = verify_smartmem_ir(module.operation)
        if problems:
            raise SmartMemError(
                Diagnostic.from_location(loc, "error", message, chunk.name) for loc, message in problems
            )
        manager = build_pass_manager(elements, context)
        if args.mlir_print_ir_after_all:
            manager.enable_ir_printing(print_after_all=True, print_generic_op_form=args.mlir_print_op_generic)
        try:
            manager.run(module.operation)
        except ir.MLIRError as error:
            raise SmartMemError(mlir_error_diagnostics(error, chunk.name)) from None
        result.output = module.operation.get_asm(
            print_generic_op_form=args.mlir_print_op_generic,
            enable_debug_info=args.mlir_print_debuginfo,
        )
    except SmartMemError as error:
        result.diagnostics.extend(error.diagnostics)
        result.failed = True
    finally:
        handler.detach()
    result.diagnostics = handled + result.diagnostics
    return result


def write_output(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
    else:
        write_text_atomically(path, text)


def run(argv: Sequence[str]) -> int:
    parser = make_parser()
    args, pass_flags = parser.parse_known_args(argv)
    if args.help:
        parser.print_help()
        print()
        print(pass_listing())
        return 0
    if args.list_passes:
        print(pass_listing())
        return 0
    flag_elements = pass_flag_elements(pass_flags)
    if args.pass_pipeline is not None and flag_elements:
        raise SmartMemError.plain("--pass-pipeline cannot be combined with pass flags")
    try:
        elements = parse_pipeline(args.pass_pipeline) if args.pass_pipeline is not None else flag_elements
    except PipelineError as error:
        raise SmartMemError.plain(str(error)) from None

    context = make_context()
    try:
        build_pass_manager(elements, context)  # reject bad pipelines before reading input
    except PipelineError as error:
        raise SmartMemError.plain(str(error)) from None
    name, text = read_source(args.input)
    outputs: list[str] = []
    failed = False
    for chunk in split_source(name, text, args.split_input_file):
        try:
            result = run_chunk(chunk, context, elements, args)
        except PipelineError as error:
            raise SmartMemError.plain(str(error)) from None
        if args.verify_diagnostics:
            problems = verify(chunk, result.diagnostics)
            print_diagnostics(problems)
            failed |= bool(problems)
        else:
            print_diagnostics(result.diagnostics)
            failed |= result.failed
        if not result.failed:
            outputs.append(result.output)
    if failed:
        return 1
    write_output(args.output, SPLIT_SEPARATOR.join(outputs))
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    run_cli("smartmem-opt", run, argv, error_status=1)


if __name__ == "__main__":
    main()
