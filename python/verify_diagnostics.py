"""`--verify-diagnostics`: match emitted diagnostics against `expected-*` comments.

Supported forms (as in mlir-opt): `// expected-error {{text}}`,
`// expected-error @+1 {{text}}`, `@-2`, `@above`, `@below`; severities error,
warning, remark and note. `text` must be a substring of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from smartmem.diagnostics import Diagnostic
from smartmem.source import SourceChunk

_EXPECTED = re.compile(
    r"expected-(?P<severity>error|warning|remark|note)\s*"
    r"(?:@(?P<offset>[+-]\d+|above|below))?\s*\{\{(?P<text>.*?)\}\}"
)


@dataclass(frozen=True)
class Expectation:
    severity: str
    text: str
    line: int  # line the diagnostic must be reported on
    comment_line: int


def collect_expectations(chunk: SourceChunk) -> list[Expectation]:
    expectations: list[Expectation] = []
    for index, line_text in enumerate(chunk.text.splitlines()):
        line = chunk.first_line + index
        for match in _EXPECTED.finditer(line_text):
            offset = match.group("offset")
            if offset is None:
                target = line
            elif offset == "above":
                target = line - 1
            elif offset == "below":
                target = line + 1
            else:
                target = line + int(offset)
            expectations.append(
                Expectation(match.group("severity"), match.group("text"), target, line)
            )
    return expectations


def verify(chunk: SourceChunk, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Return the mismatches, as error diagnostics; empty means verified."""
    expectations = collect_expectations(chunk)
    expects_notes = any(e.severity == "note" for e in expectations)
    unmatched = list(expectations)
    problems: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if diagnostic.severity == "note" and not expects_notes:
            continue
        found = next(
            (
                e
                for e in unmatched
                if e.severity == diagnostic.severity
                and e.line == diagnostic.line
                and e.text in diagnostic.message
            ),
            None,
        )
        if found is None:
            if diagnostic.severity == "note":
                continue  # notes are checked only where they are expected
            problems.append(
                Diagnostic(
                    "error",
                    f"unexpected {diagnostic.severity}: {diagnostic.message}",
                    diagnostic.filename,
                    diagnostic.line,
                    diagnostic.column,
                )
            )
        else:
            unmatched.remove(found)
    for expectation in unmatched:
        problems.append(
            Diagnostic(
                "error",
                f"expected {expectation.severity} \"{expectation.text}\" was not produced",
                chunk.name,
                expectation.comment_line,
                1,
            )
        )
    return problems
