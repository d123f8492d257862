"""Textual pass pipelines mixing SmartMem passes with IREE/MLIR passes.

Python-defined passes cannot be named in MLIR's pipeline parser, so the
pipeline text is split into elements here: runs of ordinary elements go to the
PassManager as text (MLIR parses and validates them), SmartMem elements are
added as Python passes on `builtin.module`.
"""

from __future__ import annotations

from dataclasses import dataclass

from iree.compiler import ir, passmanager

from smartmem.passes.base import ModulePass, PassOptionError
from smartmem.passes.registry import PASS_REGISTRY, is_smartmem_pass_name, lookup


class PipelineError(ValueError):
    """A pipeline that cannot be built; the message is user-facing."""


@dataclass(frozen=True)
class PipelineElement:
    """`name{options}` or `name(nested, ...)` as written in the pipeline."""

    name: str
    options: str = ""
    nested: tuple["PipelineElement", ...] | None = None

    def text(self) -> str:
        if self.nested is not None:
            return f"{self.name}({','.join(e.text() for e in self.nested)})"
        return f"{self.name}{{{self.options}}}" if self.options else self.name

    def mentions_smartmem(self) -> bool:
        if self.nested is None:
            return is_smartmem_pass_name(self.name)
        return any(e.mentions_smartmem() for e in self.nested)


def parse_pipeline(text: str) -> list[PipelineElement]:
    parser = _PipelineParser(text)
    elements = parser.parse_list(closing=None)
    return elements


class _PipelineParser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def error(self, message: str) -> PipelineError:
        return PipelineError(f"invalid pass pipeline '{self.text}': {message} at offset {self.pos}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def parse_list(self, closing: str | None) -> list[PipelineElement]:
        elements: list[PipelineElement] = []
        while True:
            self.skip_space()
            if self.pos >= len(self.text) or self.text[self.pos] == closing:
                break
            elements.append(self.parse_element())
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            break
        self.skip_space()
        if closing is None and self.pos != len(self.text):
            raise self.error(f"unexpected '{self.text[self.pos]}'")
        return elements

    def parse_element(self) -> PipelineElement:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "-_."):
            self.pos += 1
        name = self.text[start : self.pos]
        if not name:
            raise self.error("expected a pass or operation name")
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == "{":
            depth, begin = 0, self.pos
            while self.pos < len(self.text):
                char = self.text[self.pos]
                depth += char == "{"
                depth -= char == "}"
                self.pos += 1
                if depth == 0:
                    return PipelineElement(name, self.text[begin + 1 : self.pos - 1].strip())
            raise self.error("unterminated '{'")
        if self.pos < len(self.text) and self.text[self.pos] == "(":
            self.pos += 1
            nested = self.parse_list(closing=")")
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise self.error("expected ')'")
            self.pos += 1
            return PipelineElement(name, nested=tuple(nested))
        return PipelineElement(name)


def instantiate_pass(name: str, options: str) -> ModulePass:
    entry = lookup(name)
    if entry is None:
        known = ", ".join(e.name for e in PASS_REGISTRY)
        raise PipelineError(f"unknown SmartMem pass '{name}' (known: {known})")
    try:
        return entry.load().from_option_string(options)
    except PassOptionError as error:
        raise PipelineError(str(error)) from None


def module_level_elements(elements: list[PipelineElement]) -> list[PipelineElement]:
    """Strip a single `builtin.module(...)` anchor; the rest runs on the module."""
    if len(elements) == 1 and elements[0].name == "builtin.module" and elements[0].nested is not None:
        return list(elements[0].nested)
    return elements


def build_pass_manager(
    elements: list[PipelineElement], context: ir.Context
) -> passmanager.PassManager:
    """A PassManager on builtin.module running `elements` in order."""
    manager = passmanager.PassManager("builtin.module", context)
    pending_text: list[str] = []

    def flush_text() -> None:
        if pending_text:
            try:
                manager.add(",".join(pending_text))
            except ValueError as error:
                raise PipelineError(_first_line(str(error))) from None
            pending_text.clear()

    for element in module_level_elements(elements):
        if element.nested is None and is_smartmem_pass_name(element.name):
            flush_text()
            smartmem_pass = instantiate_pass(element.name, element.options)
            manager.add(
                smartmem_pass,
                type(smartmem_pass).__name__,
                smartmem_pass.name,
                smartmem_pass.summary(),
                # An empty op name: the binding cannot schedule a Python pass
                # anchored on a named op ("unable to schedule pass"); as a
                # generic pass on this builtin.module manager it runs on the module.
                "",
            )
        elif element.mentions_smartmem():
            raise PipelineError(
                f"SmartMem passes run on 'builtin.module'; '{element.text()}' nests one under another op"
            )
        else:
            pending_text.append(element.text())
    flush_text()
    return manager


def _first_line(text: str) -> str:
    """The message of MLIR's pipeline-parser error, without its source echo."""
    for line in text.strip().splitlines():
        _, marker, message = line.partition("error: ")
        if marker:
            return message.strip()
    messages = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "; ".join(messages) if messages else text
