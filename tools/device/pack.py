"""Pack compiled bench modules into a bundle for the device machine.

    .venv/bin/python tools/device/pack.py --bench DIR --target vulkan:ampere \
        --models swin_t,deit_s --bundle .devbundle [--reference-target vulkan:llvmpipe]

Reads the modules that `smartmem-bench MODELS --targets vulkan:ampere --out DIR`
compiled (both variants), and writes to the bundle folder:

- each variant's .vmfb, without its .irpa: the device rebuilds the weights
  (tools/device/weights.py: small and integer parameters real, large float
  ones seeded random with the real mean and std, seeded by content so that
  stock and SmartMem get the same weights).  `<model>.blob.bin` holds the real
  small parameters, deduplicated;
- a SmartMem parameter whose values permute a stock parameter's (a constant
  transposed at compile time) travels real, and so does that stock one;
- if a SmartMem parameter matches no stock parameter otherwise (a weight
  stored in another layout), stand-ins cannot be shared and the model falls
  back to *splat* archives (`iree-convert-parameters --strip --splat`: floats
  0.01, integers 0), under which numerics only show that both run;
- the model's fixed zoo input (.npy);
- a reference output: the stock module for `--reference-target` (lavapipe
  here) run on the same input and the same stand-in weights;
- manifest.json, read by tools/device/run_bench.py on the device.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from smartmem.bench import artifact_dir, compile_variant
from smartmem.bench_records import VARIANTS
from smartmem.bench_run import BenchError, Module, Target, _tool, run_output
from smartmem.zoo import model_paths

sys.path.insert(0, str(Path(__file__).resolve().parent))
import weights  # noqa: E402  (tools/device/weights.py, shared with the device side)

SPLAT_FLOAT = 0.01


def splat_flag(name: str) -> str:
    """The --splat= of one parameter: 0.01 for floats, zero for the rest."""
    dtype = weights.element_type(name)
    if dtype == "f32":
        return f"--splat={name}=f32={SPLAT_FLOAT}"
    if dtype == "f16":
        return f"--splat={name}=x16=211F"  # 0.01 as IEEE half
    if dtype == "bf16":
        return f"--splat={name}=x16=3C24"  # 0.01 as bfloat16
    if dtype == "f64":
        return f"--splat={name}=x64=3F847AE147AE147B"
    return f"--splat={name}"


def make_splat_archive(irpa: Path, output: Path) -> int:
    """Write a storage-free archive with the same keys as `irpa`; returns the key count."""
    text = subprocess.run([_tool("iree-dump-parameters"), f"--parameters={irpa}"],
                          capture_output=True, text=True, check=True).stdout
    keys = [(e.name, e.length) for e in weights.parse_dump(text)]
    with tempfile.NamedTemporaryFile("w", suffix=".flags", delete=False) as f:
        f.write("\n".join([f"--parameters={irpa}", "--strip", "--quiet",
                           *(splat_flag(k) for k, _ in keys), f"--output={output}"]) + "\n")
        flagfile = f.name
    try:
        subprocess.run([_tool("iree-convert-parameters"), f"--flagfile={flagfile}"],
                       capture_output=True, text=True, check=True)
    finally:
        Path(flagfile).unlink()
    return len(keys)


class MissingModule(BenchError):
    """A variant was not compiled (e.g. its compile failed): the model is left out."""


def stand_ins(irpa: Path, blob: dict[str, tuple[int, bytes]], data: dict[str, bytes]) -> list[weights.StandIn]:
    """The stand-ins of an archive's parameters; their real bytes are kept in `data` by digest."""
    text = subprocess.run([_tool("iree-dump-parameters"), f"--parameters={irpa}"],
                          capture_output=True, text=True, check=True).stdout
    specs = []
    for entry in weights.parse_dump(text):
        raw = weights.read_entry(irpa, entry)
        spec = weights.stand_in(entry, raw, blob)
        data.setdefault(spec.digest, raw)
        specs.append(spec)
    return specs


def blob_bytes(blob: dict[str, tuple[int, bytes]]) -> bytes:
    return b"".join(data for _, data in sorted(blob.values(), key=lambda od: od[0]))


def pack_model(bench: Path, target: Target, model: str, bundle: Path, reference_target: Target | None,
               variants: tuple[str, ...], splat_weights: bool = False) -> dict[str, object]:
    art = artifact_dir(bench, model, target)
    zoo = model_paths(model)
    shutil.copy(zoo.input, bundle / f"{model}.input.npy")
    entry: dict[str, object] = {"model": model, "input": f"{model}.input.npy", "variants": {}}
    blob: dict[str, tuple[int, bytes]] = {}
    specs: dict[str, list[weights.StandIn]] = {}
    data: dict[str, bytes] = {}
    reports = {}
    for variant in variants:
        vmfb = art / f"{variant}.vmfb"
        meta = art / f"{variant}.bench.json"
        if not vmfb.exists() or not meta.exists():
            raise MissingModule(f"{model}: no {variant} module for {target.spec} in {art}; "
                             f"run smartmem-bench {model} --targets {target.spec} --out {bench} first")
        reports[variant] = json.loads(meta.read_text())["report"]
        shutil.copy(vmfb, bundle / f"{model}.{variant}.vmfb")
        specs[variant] = stand_ins(vmfb.with_suffix(".irpa"), blob, data)
    if splat_weights:
        # Timings only: permuted weights that would travel real make the bundle too big.
        made_real, mismatched = [], ["all (--splat-weights)"]
    else:
        made_real = weights.keep_permutations_real(specs, data, blob)
        base = specs.get("stock", [])
        mismatched = sorted({n for v, sp in specs.items() if v != "stock" for n in weights.unmatched(base, sp)})
    entry["weights"] = "splat" if mismatched else "stand-in"
    if splat_weights:
        entry["weights_note"] = "splat weights forced by --splat-weights: timings only, numerics not comparable"
    elif mismatched:
        entry["weights_note"] = f"{len(mismatched)} SmartMem parameters match no stock parameter, e.g. {mismatched[0]}"
    for variant in variants:
        scope = reports[variant].get("outputs", {}).get("parameter_scope", "model")
        spec: dict[str, object] = {"vmfb": f"{model}.{variant}.vmfb", "function": reports[variant]["entry_function"],
                                   "scope": scope}
        if mismatched:
            splat = bundle / f"{model}.{variant}.splat.irpa"
            make_splat_archive(art / f"{variant}.irpa", splat)
            spec["parameters"] = splat.name
        else:
            spec["stand_ins"] = [s.to_json() for s in specs[variant]]
        entry["variants"][variant] = spec  # type: ignore[index]
    if not mismatched:
        (bundle / f"{model}.blob.bin").write_bytes(blob_bytes(blob))
        entry["blob"] = f"{model}.blob.bin"
    if reference_target is not None and reference_target.runs_here:
        ref_dir = artifact_dir(bench, model, reference_target)
        compiled = compile_variant(zoo.onnx, ref_dir, reference_target, "stock", force=False)
        scope = compiled.report.get("outputs", {}).get("parameter_scope", "model")
        ref_irpa = compiled.module.vmfb.with_suffix(".irpa")
        if mismatched:
            params = ref_dir / "stock.splat.irpa"
            make_splat_archive(ref_irpa, params)
        else:
            ref_specs = weights.with_real(stand_ins(ref_irpa, blob, data), made_real, blob)
            if weights.unmatched(base, ref_specs):
                params = None
            else:
                params = ref_dir / "stock.standin.safetensors"
                weights.write_safetensors(ref_specs, blob_bytes(blob), params)
        if params is not None:
            ref_module = Module(compiled.module.vmfb, compiled.module.function, (f"{scope}={params}",))
            np.save(bundle / f"{model}.reference.npy", run_output(ref_module, reference_target, [zoo.input]))
            entry["reference"] = f"{model}.reference.npy"
            entry["reference_name"] = f"stock IREE on {reference_target.spec}, same {entry['weights']} weights"
    return entry


def pack(bench: Path, target: Target, models: list[str], bundle: Path,
         reference_target: Target | None, variants: tuple[str, ...] = VARIANTS,
         splat_weights: bool = False) -> dict[str, object]:
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir(parents=True)
    manifest: dict[str, object] = {"target": target.spec, "models": []}
    for model in models:
        try:
            entry = pack_model(bench, target, model, bundle, reference_target, variants, splat_weights)
        except MissingModule as exc:
            print(f"pack: warning: {exc}; left out", file=sys.stderr)
            for leftover in bundle.glob(f"{model}.*"):
                leftover.unlink()
            continue
        manifest["models"].append(entry)  # type: ignore[union-attr]
        print(f"packed {model} ({entry['weights']} weights)", file=sys.stderr)
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=1))
    manifest["bytes"] = sum(p.stat().st_size for p in bundle.iterdir())
    return manifest


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bench", type=Path, required=True, help="smartmem-bench results folder")
    p.add_argument("--target", default="vulkan:ampere")
    p.add_argument("--models", required=True, help="comma-separated zoo models")
    p.add_argument("--bundle", type=Path, default=Path(".devbundle"))
    p.add_argument("--reference-target", default="vulkan:llvmpipe", help="'' for none")
    p.add_argument("--variants", default=",".join(VARIANTS), help="variants to ship (default: stock,smartmem)")
    p.add_argument("--splat-weights", action="store_true",
                   help="ship splat parameter archives (timings only; for permuted weights too big to travel)")
    args = p.parse_args()
    try:
        ref = Target.parse(args.reference_target) if args.reference_target else None
        manifest = pack(args.bench, Target.parse(args.target),
                        [m for m in args.models.split(",") if m], args.bundle, ref,
                        tuple(v for v in args.variants.split(",") if v), args.splat_weights)
    except (BenchError, ValueError, OSError, subprocess.CalledProcessError) as exc:
        print(f"pack: error: {exc}", file=sys.stderr)
        return 1
    print(f"bundle {args.bundle}: {len(manifest['models'])} models, {manifest['bytes'] / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
