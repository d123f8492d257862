"""Write batched-contraction micro modules for `bench_modules.sh`.

    .venv/bin/python tools/device/micro_contractions.py --out .micro --target ampere \
        scores_s1_kt=192x49x64x32:kn scores_s1_tb=192x49x64x32:nk

Each spec NAME=BxMxNxK:LAYOUT becomes NAME.mlir, NAME.vmfb (compiled for
`--iree-vulkan-target=TARGET`) and NAME.flags (function and splat inputs),
for `tools/device/bench_modules.sh OUT ROUNDS` on the device machine.
LAYOUT is the right operand's: `kn` reads it as [B, K, N] (the layout IREE's
batch matmul wants: K^T for attention scores), `nk` as [B, N, K] (the keys
as the projection writes them, read transposed). The modules are built with
the MLIR Python bindings, as one `linalg.generic` contraction each, the form
SmartMem's passes leave. The tenth session's scores table
(docs/bench/2026-11-22-h200-session10) was measured with these shapes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from iree.compiler import ir
from iree.compiler.dialects import arith, func, linalg, tensor

from smartmem.context import make_context
from smartmem.passes.linalg_ops import build_contraction_body

SPEC = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<b>\d+)x(?P<m>\d+)x(?P<n>\d+)x(?P<k>\d+):(?P<layout>kn|nk)$")


@dataclass(frozen=True)
class ContractionSpec:
    """One micro kernel: C[b, m, n] = sum_k A[b, m, k] * B[b, k, n] (layout kn) or B[b, n, k] (layout nk)."""

    name: str
    batch: int
    m: int
    n: int
    k: int
    layout: str

    @classmethod
    def parse(cls, text: str) -> "ContractionSpec":
        match = SPEC.match(text)
        if match is None:
            raise ValueError(f"bad spec {text!r}: expected NAME=BxMxNxK:kn or NAME=BxMxNxK:nk")
        return cls(match["name"], int(match["b"]), int(match["m"]), int(match["n"]), int(match["k"]),
                   match["layout"])

    def right_shape(self) -> list[int]:
        return [self.batch, self.k, self.n] if self.layout == "kn" else [self.batch, self.n, self.k]


def build_module(spec: ContractionSpec) -> ir.Module:
    """A module with `func.func @f(%a, %b)` computing the contraction of `spec`."""
    with make_context(), ir.Location.unknown():
        module = ir.Module.create()
        f32 = ir.F32Type.get()
        left = ir.RankedTensorType.get([spec.batch, spec.m, spec.k], f32)
        right = ir.RankedTensorType.get(spec.right_shape(), f32)
        result = ir.RankedTensorType.get([spec.batch, spec.m, spec.n], f32)
        with ir.InsertionPoint(module.body):
            function = func.FuncOp("f", ir.FunctionType.get([left, right], [result]))
            entry = function.add_entry_block()
            with ir.InsertionPoint(entry):
                zero = arith.ConstantOp(f32, ir.FloatAttr.get(f32, 0.0)).result
                empty = tensor.EmptyOp([spec.batch, spec.m, spec.n], f32).result
                accumulator = linalg.fill(zero, outs=[empty])
                b, m, n, k = (ir.AffineDimExpr.get(i) for i in range(4))
                right_map = [b, k, n] if spec.layout == "kn" else [b, n, k]
                maps = [ir.AffineMap.get(4, 0, [b, m, k]), ir.AffineMap.get(4, 0, right_map),
                        ir.AffineMap.get(4, 0, [b, m, n])]
                iterators = ["parallel", "parallel", "parallel", "reduction"]
                contraction = linalg.GenericOp(
                    [result], list(entry.arguments), [accumulator],
                    ir.ArrayAttr.get([ir.AffineMapAttr.get(x) for x in maps]),
                    ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{it}>") for it in iterators]))
                build_contraction_body(contraction, [f32, f32, f32])
                func.ReturnOp([contraction.results[0]])
        module.operation.verify()
        return module


def flags(spec: ContractionSpec) -> str:
    """The flag file of `bench_modules.sh`: the function and splat inputs, one flag a line."""
    left = f"{spec.batch}x{spec.m}x{spec.k}xf32"
    right = "x".join(str(d) for d in spec.right_shape()) + "xf32"
    return f"--function=f\n--input={left}=0.1\n--input={right}=0.1\n"


def write(spec: ContractionSpec, out: Path, target: str) -> Path:
    """Write NAME.mlir, NAME.flags and NAME.vmfb into `out`; returns the .vmfb."""
    source = out / f"{spec.name}.mlir"
    source.write_text(str(build_module(spec)))
    (out / f"{spec.name}.flags").write_text(flags(spec))
    vmfb = out / f"{spec.name}.vmfb"
    compiler = Path(sys.executable).parent / "iree-compile"
    done = subprocess.run([str(compiler), str(source), "--iree-hal-target-device=vulkan",
                           f"--iree-vulkan-target={target}", "-o", str(vmfb)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        vmfb.unlink(missing_ok=True)
        raise RuntimeError(f"iree-compile failed for {spec.name}: {done.stderr.strip()[:2000]}")
    return vmfb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="+", help="NAME=BxMxNxK:kn or NAME=BxMxNxK:nk")
    parser.add_argument("--out", type=Path, required=True, help="folder for the modules (carried to the device)")
    parser.add_argument("--target", default="ampere", help="--iree-vulkan-target (default ampere)")
    args = parser.parse_args(argv)
    try:
        specs = [ContractionSpec.parse(s) for s in args.specs]
    except ValueError as error:
        print(f"micro_contractions: error: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        try:
            print(write(spec, args.out, args.target))
        except RuntimeError as error:
            print(f"micro_contractions: error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
