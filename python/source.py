"""Reading MLIR sources: files or stdin, `// -----` splitting, parsing."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from iree.compiler import ir

from smartmem.diagnostics import SmartMemError, mlir_error_diagnostics

SPLIT_MARKER = re.compile(r"^// -----[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class SourceChunk:
    """A piece of an input file; `first_line` is its 1-based line in the file."""

    name: str
    text: str
    first_line: int = 1

    def padded_text(self) -> str:
        # Leading newlines keep parser line numbers equal to file line numbers.
        return "\n" * (self.first_line - 1) + self.text


def read_source(path: str) -> tuple[str, str]:
    """Return (display name, text) for a path, '-' meaning stdin."""
    if path == "-":
        return "<stdin>", sys.stdin.read()
    file = Path(path)
    if not file.exists():
        raise SmartMemError.plain(f"could not open input file '{path}': no such file")
    if file.is_dir():
        raise SmartMemError.plain(f"could not open input file '{path}': is a directory")
    try:
        return path, file.read_text()
    except UnicodeDecodeError:
        raise SmartMemError.plain(f"input file '{path}' is not UTF-8 MLIR text") from None
    except OSError as error:
        raise SmartMemError.plain(f"could not open input file '{path}': {error.strerror}") from None


def split_source(name: str, text: str, split: bool) -> list[SourceChunk]:
    if not split:
        return [SourceChunk(name, text, 1)]
    chunks: list[SourceChunk] = []
    start = 0
    line = 1
    for marker in SPLIT_MARKER.finditer(text):
        chunks.append(SourceChunk(name, text[start : marker.start()], line))
        line += text.count("\n", start, marker.end()) + 1
        start = marker.end() + 1
    chunks.append(SourceChunk(name, text[start:], line))
    return chunks


def parse_chunk(chunk: SourceChunk, context: ir.Context) -> ir.Module:
    """Parse a chunk into a module; raise SmartMemError with file:line:col."""
    try:
        return ir.Module.parse(chunk.padded_text(), context)
    except ir.MLIRError as error:
        raise SmartMemError(mlir_error_diagnostics(error, chunk.name)) from None
