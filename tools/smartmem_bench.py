"""smartmem-bench: stock IREE vs SmartMem on the model zoo (see smartmem.bench).

    smartmem-bench MODEL... [--targets cpu,vulkan:llvmpipe] --out DIR
    smartmem-bench all --targets vulkan:ampere --out DIR       # compile only: runs on the device
    smartmem-bench --merge FILE.json --out DIR                 # records from tools/device/
    smartmem-bench --report-only --out DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from smartmem.bench import BenchOptions, finish_device_record, run_sweep
from smartmem.bench_records import ResultStore
from smartmem.bench_report import write_report
from smartmem.bench_run import Target
from smartmem.zoo import MODEL_NAMES, ZooError, get_spec


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="smartmem-bench", description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="*", metavar="MODEL", help=f"zoo models or 'all' ({', '.join(MODEL_NAMES)})")
    p.add_argument("--targets", default="cpu", help="comma-separated: cpu, vulkan:llvmpipe, vulkan:ampere, ...")
    p.add_argument("--out", type=Path, required=True, help="results folder (results.json, report.md, plots)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved latency rounds per variant (default 5)")
    p.add_argument("--profile-runs", type=int, default=2, help="profiled calls per variant (default 2)")
    p.add_argument("--force", action="store_true", help="recompile and remeasure cached records")
    p.add_argument("--compile-only", action="store_true", help="compile and census only, no runs")
    p.add_argument("--compile-timeout", type=float, default=1200.0, metavar="S",
                   help="give up a variant's compile after S seconds (default 1200)")
    p.add_argument("--zoo-dir", type=Path, default=None, help="zoo cache (default $SMARTMEM_ZOO_DIR or .cache/zoo)")
    p.add_argument("--merge", type=Path, action="append", default=[], metavar="FILE",
                   help="merge records from a results file (e.g. the device run's) before reporting")
    p.add_argument("--merge-artifacts", type=Path, default=None, metavar="DIR",
                   help="results folder whose artifacts/ compiled the merged device records (default --out)")
    p.add_argument("--report-only", action="store_true", help="only re-render report.md and plots")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--title", default="SmartMem vs stock IREE", help="report title")
    return p


def _models(names: Sequence[str]) -> list[str]:
    if not names or list(names) == ["all"]:
        return list(MODEL_NAMES)
    for n in names:
        get_spec(n)
    return list(dict.fromkeys(names))


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        targets = tuple(Target.parse(t) for t in args.targets.split(",") if t.strip())
        if args.rounds < 1 or args.profile_runs < 1:
            raise ValueError("--rounds and --profile-runs must be at least 1")
        models = [] if (args.report_only or (args.merge and not args.models)) else _models(args.models)
        store = ResultStore.load(args.out / "results.json")
        for path in args.merge:
            other = ResultStore.load(path)
            n = store.merge(finish_device_record(r, args.merge_artifacts or args.out) for r in other)
            store.save()
            print(f"merged {n} records from {path}", file=sys.stderr)
        if models:
            opts = BenchOptions(out=args.out, targets=targets, rounds=args.rounds,
                                profile_runs=args.profile_runs, force=args.force,
                                compile_only=args.compile_only, zoo_dir=args.zoo_dir,
                                compile_timeout_s=args.compile_timeout)
            store = run_sweep(models, opts, lambda msg: print(msg, file=sys.stderr))
        report = write_report(store, args.out, args.title, plots=not args.no_plots)
    except (ValueError, ZooError, OSError) as exc:
        print(f"smartmem-bench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("smartmem-bench: interrupted; finished records are saved", file=sys.stderr)
        return 130
    failed = [r for r in store if r.get("status") != "ok"]
    print(f"{len(store)} records ({len(failed)} failed) -> {report}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
