"""Diagnostics in the `file:line:col: severity: message` form of MLIR tools."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Iterable, TextIO

from iree.compiler import ir

# Module.parse names its buffer "-"; diagnostics are reported under the real
# input name by `Diagnostic.from_location`.
PARSER_BUFFER_NAME = "-"

_SEVERITY_NAMES = {
    ir.DiagnosticSeverity.ERROR: "error",
    ir.DiagnosticSeverity.WARNING: "warning",
    ir.DiagnosticSeverity.NOTE: "note",
    ir.DiagnosticSeverity.REMARK: "remark",
}


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic with a resolved source position (line/col 0 if none)."""

    severity: str
    message: str
    filename: str = ""
    line: int = 0
    column: int = 0

    @staticmethod
    def from_location(
        location: ir.Location, severity: str, message: str, source_name: str
    ) -> "Diagnostic":
        filename, line, column = _file_line_col(location)
        if filename in ("", PARSER_BUFFER_NAME):
            filename = source_name
        return Diagnostic(severity, message, filename, line, column)

    @staticmethod
    def from_mlir(diagnostic: object, source_name: str) -> list["Diagnostic"]:
        """Flatten an MLIR diagnostic (and its notes) into Diagnostics."""
        severity = _SEVERITY_NAMES.get(diagnostic.severity, "error")
        flattened = [
            Diagnostic.from_location(
                diagnostic.location, severity, diagnostic.message, source_name
            )
        ]
        for note in diagnostic.notes:
            flattened.extend(Diagnostic.from_mlir(note, source_name))
        return flattened

    def format(self) -> str:
        if not self.filename:
            return f"{self.severity}: {self.message}"
        where = f"{self.filename}:{self.line}:{self.column}" if self.line else self.filename
        return f"{where}: {self.severity}: {self.message}"


def _file_line_col(location: ir.Location) -> tuple[str, int, int]:
    """File/line/col of a location, looking through name, call-site and fused locs."""
    pending = [location]
    while pending:
        loc = _downcast(pending.pop(0))
        if isinstance(loc, ir.FileLineColLoc):
            return loc.filename, loc.start_line, loc.start_col
        for accessor in ("child_loc", "caller", "locations"):
            inner = getattr(loc, accessor, None)
            if inner is not None:
                pending.extend(inner if isinstance(inner, (list, tuple)) else [inner])
    return "", 0, 0


def _downcast(location: ir.Location) -> ir.Location:
    # Diagnostics hand out plain `Location`s; the typed view has the fields.
    with location.context:
        return ir.Location.from_attr(location.attr)


class SmartMemError(Exception):
    """A user-facing failure carrying ready-to-print diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))

    @staticmethod
    def plain(message: str, filename: str = "") -> "SmartMemError":
        return SmartMemError([Diagnostic("error", message, filename)])


def mlir_error_diagnostics(error: ir.MLIRError, source_name: str) -> list[Diagnostic]:
    """Diagnostics of an MLIRError; its summary line if it carried none."""
    flattened: list[Diagnostic] = []
    for diagnostic in error.error_diagnostics:
        flattened.extend(Diagnostic.from_mlir(diagnostic, source_name))
    if not flattened:
        flattened.append(Diagnostic("error", str(error).strip(), source_name))
    return flattened


def print_diagnostics(
    diagnostics: Iterable[Diagnostic], stream: TextIO = sys.stderr, with_notes: bool = False
) -> None:
    for diagnostic in diagnostics:
        if diagnostic.severity == "note" and not with_notes:
            continue
        print(diagnostic.format(), file=stream)
