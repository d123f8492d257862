"""Device side of the bench: run a packed bundle on the lent GPU.

    python3 tools/device/run_bench.py --bundle .devbundle --out $OUT [--rounds 7] [--profile-runs 5]

Needs only numpy and the iree-base-runtime tools (SMARTMEM_IREE_TOOLS, set by
run.sh); `smartmem` is the repository's python/ folder on PYTHONPATH, of which
only the runtime parts (smartmem.bench_run, smartmem.bench_parse) are used.
For every model of the manifest, stock and SmartMem:

1. numerics: two calls each on the zoo input and the stand-in weights
   (tools/device/weights.py); SmartMem vs stock, each vs the reference output
   packed with the bundle (stock on this machine's CPU or lavapipe, same
   weights), and the second call vs the first (a moving error is a race);
2. latency: `iree-benchmark-module`, variants interleaved round by round;
3. dispatch profile: `--device_profiling_mode=dispatch-events`, the raw
   `iree-profile dispatch --format=jsonl` text kept for the merge back home.

Writes OUT/device_results.json after every model (so a run cut short still
returns what it finished) and prints a summary table last.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from smartmem.bench_parse import compare
from smartmem.bench_run import (
    BenchError,
    Module,
    Target,
    device_info,
    interleaved_latency,
    profile_texts,
    run_output,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import weights  # noqa: E402  (tools/device/weights.py)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


WEIGHTS = {
    "stand-in": "stand-ins: small and integer parameters real, large float ones seeded random "
                "with the real mean/std (same for stock and SmartMem)",
    "splat": "splat: floats 0.01, integers 0 (SmartMem stores some weight in another layout)",
}


def parameters(entry: dict, spec: dict, bundle: Path, variant: str, scratch: Path) -> str:
    """The --parameters= value of one variant, building its stand-in weights if needed."""
    if "parameters" in spec:
        return f"{spec['scope']}={bundle / spec['parameters']}"
    blob = (bundle / entry["blob"]).read_bytes()
    specs = [weights.StandIn(**s) for s in spec["stand_ins"]]
    path = scratch / f"{entry['model']}.{variant}.safetensors"
    weights.write_safetensors(specs, blob, path)
    return f"{spec['scope']}={path}"


def bench_model(entry: dict, bundle: Path, target: Target, rounds: int, profile_runs: int,
                env: dict, scratch: Path) -> list[dict]:
    model = entry["model"]
    inputs = [bundle / entry["input"]]
    modules = {v: Module(bundle / spec["vmfb"], spec["function"], (parameters(entry, spec, bundle, v, scratch),))
               for v, spec in entry["variants"].items()}
    kind = WEIGHTS[entry.get("weights", "stand-in")]
    records = {v: {"model": model, "target": target.spec, "variant": v, "status": "ok", "date": now(),
                   "weights": kind, **env} for v in modules}
    reference = np.load(bundle / entry["reference"]) if entry.get("reference") else None
    outputs = {}
    for v, module in list(modules.items()):
        try:
            t0 = time.monotonic()
            out = run_output(module, target, inputs)
            records[v]["first_call_s"] = time.monotonic() - t0
            outputs[v] = out
            num: dict = {"nonfinite": int(out.size - np.count_nonzero(np.isfinite(out)))}
            if reference is not None:
                num["vs_reference"] = compare(out, reference, entry.get("reference_name", "reference")).to_json()
            again = run_output(module, target, inputs)
            num["repeat"] = compare(again, out, "the same module's first call").to_json()
            records[v]["numerics"] = num
        except BenchError as exc:
            records[v].update(status="failed", error=str(exc), stage="run")
            del modules[v]
    if "stock" in outputs and "smartmem" in outputs:
        records["smartmem"]["numerics"]["vs_stock"] = compare(outputs["smartmem"], outputs["stock"],
                                                              "stock, same device and parameters").to_json()
    if modules:
        try:
            lat = interleaved_latency(modules, target, inputs, rounds)
            for v, stats in lat.items():
                records[v]["latency"] = stats.to_json()
        except BenchError as exc:
            for v in modules:
                records[v].update(status="failed", error=str(exc), stage="latency")
    for v, module in modules.items():
        try:
            warm, total = profile_texts(module, target, inputs, profile_runs)
            records[v]["profile_raw"] = {"warm": warm, "total": total, "runs": profile_runs}
        except BenchError as exc:
            records[v]["profile_error"] = str(exc)
    return list(records.values())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--profile-runs", type=int, default=5)
    p.add_argument("--models", default="", help="comma-separated subset of the manifest")
    args = p.parse_args()
    manifest = json.loads((args.bundle / "manifest.json").read_text())
    target = Target(manifest["target"])
    env = device_info(target)
    env["host"] = os.uname().nodename
    print(f"device: {env}", flush=True)
    wanted = [m for m in args.models.split(",") if m]
    records: list[dict] = []
    args.out.mkdir(parents=True, exist_ok=True)
    result_path = args.out / "device_results.json"
    for entry in manifest["models"]:
        if wanted and entry["model"] not in wanted:
            continue
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="smartmem-weights.") as scratch:
            records += bench_model(entry, args.bundle, target, args.rounds, args.profile_runs, env, Path(scratch))
        tmp = result_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"schema": 1, "records": records}, indent=1))
        tmp.replace(result_path)
        print(f"{entry['model']}: {time.monotonic() - t0:.0f} s", flush=True)
    print(f"{'model':14s} {'variant':9s} {'status':7s} {'median ms':>10s} {'spread':>7s} {'vs stock':>9s} {'vs ref':>9s}")
    for r in records:
        lat = r.get("latency", {})
        num = r.get("numerics", {})
        vs_stock = num.get("vs_stock", {}).get("rel_l2")
        vs_ref = num.get("vs_reference", {}).get("rel_l2")
        print(f"{r['model']:14s} {r['variant']:9s} {r['status']:7s} {lat.get('median_ms', float('nan')):10.3f} "
              f"{lat.get('spread', float('nan')):7.2f} {vs_stock if vs_stock is not None else float('nan'):9.1e} "
              f"{vs_ref if vs_ref is not None else float('nan'):9.1e} {r.get('error', '')}")
    return 0 if all(r["status"] == "ok" for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
