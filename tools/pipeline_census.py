"""Codegen pipeline per dispatch kind, stock vs SmartMem.

    python -m smartmem.tools.pipeline_census [MODEL.onnx|MODEL.mlir ...] [--target ampere]
            [--work DIR]

For each model: import and `--compile-to=input` for Vulkan, then
`--compile-to=executable-configurations` for stock, and for SmartMem with
each of its phase pipelines after its phase (as
smartmem.tools.census_report does). Every executable's entry point gets a kind
(smartmem.census.dispatch_kind: `matmul_like`, `batch_matmul`,
`elementwise_transpose`, ...) and the codegen pipeline IREE chose for it
(`translation_info`: `MatmulPromoteVectorize`, `SubgroupReduce`, ...).
Prints, per kind, the pipelines of stock and SmartMem, and for the
contraction kinds how many are not on the pipeline stock uses for most of
them (the matmul pipeline of the target: `MatmulPromoteVectorize` on
ampere, `BaseVectorize` on adreno/valhall), with their entry points. Exit status 1 when a model fails to compile. A
benchmark script, not a test.
"""

from __future__ import annotations

import argparse
import pathlib
import re
from collections import Counter

from iree.compiler import ir

from smartmem.census import dispatch_kind
from smartmem.context import make_context
from smartmem.tools.census_report import BIN, input_ir_pair, report_each, run, smartmem_compile_to, vulkan_flags

CONTRACTION_KINDS = frozenset({"matmul", "matmul_like", "batch_matmul", "matmul_transpose_b",
                               "batch_matmul_transpose_b", "contract", "matvec", "vecmat"})
_PIPELINE = re.compile(r"pipeline\s*=\s*(?:#[\w.]+<)?(\w+)")


def pipelines_of(text: str) -> list[tuple[str, str, str]]:
    """(entry point, kind, pipeline) of every dispatch function of an executable-configurations module."""
    context = make_context()
    module = ir.Module.parse(text, context)
    found: list[tuple[str, str, str]] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "func.func" and "translation_info" in op.attributes:
            entry = ir.StringAttr(op.attributes["sym_name"]).value
            match = _PIPELINE.search(str(op.attributes["translation_info"]))
            found.append((entry, dispatch_kind(entry), match.group(1) if match else "?"))
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return found


def _summary(rows: list[tuple[str, str, str]]) -> dict[str, Counter[str]]:
    by_kind: dict[str, Counter[str]] = {}
    for _, kind, pipeline in rows:
        by_kind.setdefault(kind, Counter())[pipeline] += 1
    return by_kind


def _format(counter: Counter[str] | None) -> str:
    if not counter:
        return "-"
    return ", ".join(f"{n} {p}" for p, n in sorted(counter.items()))


def report(model: pathlib.Path, work: pathlib.Path, target: str) -> bool:
    """Print the census of one model; True when SmartMem keeps the contractions' pipelines."""
    name = model.stem
    vulkan = vulkan_flags(target)
    stock_input, smart_input, _ = input_ir_pair(model, work, target)
    rows = {}
    stock_configured = work / f"{name}.stock.{target}.configs.mlir"
    run([str(BIN / "iree-compile"), str(stock_input), *vulkan, "--compile-from=input",
         "--compile-to=executable-configurations", "-o", str(stock_configured)])
    rows["stock"] = pipelines_of(stock_configured.read_text())
    smart_configured = smartmem_compile_to(smart_input, work, vulkan, "executable-configurations")
    rows["smartmem"] = pipelines_of(smart_configured.read_text())
    stock, smart = _summary(rows["stock"]), _summary(rows["smartmem"])
    print(f"== {name} ({target}): executables {len(rows['stock'])} -> {len(rows['smartmem'])}")
    for kind in sorted(set(stock) | set(smart)):
        print(f"  {kind:28s} stock: {_format(stock.get(kind)):40s} smartmem: {_format(smart.get(kind))}")
    stock_pipelines = Counter(p for _, k, p in rows["stock"] if k in CONTRACTION_KINDS)
    matmul_pipeline = stock_pipelines.most_common(1)[0][0] if stock_pipelines else ""
    smart_contractions = [(e, p) for e, k, p in rows["smartmem"] if k in CONTRACTION_KINDS]
    off = [(e, p) for e, p in smart_contractions if p != matmul_pipeline]
    stock_off = sum(n for p, n in stock_pipelines.items() if p != matmul_pipeline)
    print(f"  contractions: stock {sum(stock_pipelines.values())} ({stock_off} not on {matmul_pipeline}); "
          f"smartmem {len(smart_contractions)} ({len(off)} not on {matmul_pipeline})")
    for entry, pipeline in off:
        print(f"    smartmem: {entry} -> {pipeline}")
    for entry, kind, pipeline in rows["stock"]:
        if kind in CONTRACTION_KINDS and pipeline != matmul_pipeline:
            print(f"    stock: {entry} -> {pipeline}")
    return len(off) <= stock_off


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=pathlib.Path)
    parser.add_argument("--target", default="ampere")
    parser.add_argument("--work", type=pathlib.Path, default=pathlib.Path(".cache/pipeline_census"))
    args = parser.parse_args(argv)
    return report_each(args.models, lambda model: report(model, args.work, args.target))


if __name__ == "__main__":
    raise SystemExit(main())
