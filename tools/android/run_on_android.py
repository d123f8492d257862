#!/usr/bin/env python3
"""Run a smartmem-compile module on an Android phone over adb.

Pushes the IREE runtime tools (arm64 `iree-run-module`, and
`iree-benchmark-module` with --benchmark), the module, its parameter archive
and the inputs to a directory on the device, runs the entry function there
on the GPU through Vulkan, and pulls the outputs back as .npy files.

    python tools/android/run_on_android.py --module swin.vmfb --input x.npy \\
        --tools-dir ~/iree-android/bin [--benchmark] [--dry-run]

The parameter archive defaults to the module's .irpa sibling (what
smartmem-compile writes). `--dry-run` prints every adb command and runs none.
Only the standard library is used, so the script runs outside the venv too.
See tools/android/README.md for where the arm64 tools come from.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PROG = "run_on_android"
RUN_TOOL = "iree-run-module"
BENCHMARK_TOOL = "iree-benchmark-module"


@dataclass(frozen=True)
class Plan:
    """Every command of one run, in order: (argv, what it does)."""

    steps: tuple[tuple[tuple[str, ...], str], ...]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--module", type=Path, required=True, help="compiled module (.vmfb)")
    parser.add_argument("--parameters", type=Path, help="parameter archive (default: MODULE with .irpa)")
    parser.add_argument("--input", type=Path, action="append", default=[], help=".npy input (repeat per argument)")
    parser.add_argument("--function", default="main_graph", help="entry function (default main_graph)")
    parser.add_argument("--device", default="vulkan", help="IREE device on the phone: vulkan (GPU) or local-task (CPU)")
    parser.add_argument("--tools-dir", type=Path, help="host folder with the arm64 Android iree-run-module / iree-benchmark-module")
    parser.add_argument("--remote-dir", default="/data/local/tmp/smartmem", help="working folder on the device")
    parser.add_argument("--serial", help="adb device serial (adb -s)")
    parser.add_argument("--adb", default="adb", help="adb executable")
    parser.add_argument("--output-dir", type=Path, default=Path("android_outputs"), help="where outputs are pulled to")
    parser.add_argument("--benchmark", action="store_true", help="also run iree-benchmark-module")
    parser.add_argument("--repetitions", type=int, default=10, help="benchmark repetitions")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    return parser.parse_args(argv)


def build_plan(args: argparse.Namespace) -> Plan:
    adb = (args.adb, *(("-s", args.serial) if args.serial else ()))
    remote = PurePosixPath(args.remote_dir)
    parameters = args.parameters or args.module.with_suffix(".irpa")
    steps: list[tuple[tuple[str, ...], str]] = []

    def add(argv: tuple[str, ...], why: str) -> None:
        steps.append((argv, why))

    def shell(command: str, why: str) -> None:
        add((*adb, "shell", command), why)

    def remote_path(local: Path) -> str:
        return str(remote / local.name)

    shell(f"mkdir -p {shlex.quote(str(remote))}", "make the working folder on the device")
    tools = [RUN_TOOL] + ([BENCHMARK_TOOL] if args.benchmark else [])
    if args.tools_dir is not None:
        for tool in tools:
            add((*adb, "push", str(args.tools_dir / tool), remote_path(Path(tool))), f"push {tool} (arm64)")
        shell(
            "chmod +x " + " ".join(shlex.quote(remote_path(Path(t))) for t in tools),
            "make the tools executable",
        )
    for local in (args.module, parameters, *args.input):
        add((*adb, "push", str(local), remote_path(local)), f"push {local.name}")

    common = [
        f"--device={args.device}",
        f"--module={remote_path(args.module)}",
        f"--parameters=model={remote_path(parameters)}",
        f"--function={args.function}",
        *(f"--input=@{remote_path(x)}" for x in args.input),
    ]
    outputs = [f"{args.module.stem}.output0.npy"]
    run = [f"./{RUN_TOOL}", *common, *(f"--output=@{o}" for o in outputs)]
    shell(f"cd {shlex.quote(str(remote))} && " + shlex.join(run), f"run {args.function} on {args.device}")
    for name in outputs:
        add((*adb, "pull", str(remote / name), str(args.output_dir / name)), f"pull {name}")
    if args.benchmark:
        bench = [f"./{BENCHMARK_TOOL}", *common, f"--benchmark_repetitions={args.repetitions}"]
        shell(f"cd {shlex.quote(str(remote))} && " + shlex.join(bench), "benchmark on the device")
    return Plan(tuple(steps))


def check_local_files(args: argparse.Namespace) -> list[str]:
    parameters = args.parameters or args.module.with_suffix(".irpa")
    problems = [f"no such file '{p}'" for p in (args.module, parameters, *args.input) if not p.is_file()]
    if args.tools_dir is not None:
        tools = [RUN_TOOL] + ([BENCHMARK_TOOL] if args.benchmark else [])
        problems += [f"no such file '{args.tools_dir / t}'" for t in tools if not (args.tools_dir / t).is_file()]
    if not args.input:
        problems.append("give at least one --input x.npy")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    plan = build_plan(args)
    if args.dry_run:
        for argv_, why in plan.steps:
            print(f"# {why}\n{shlex.join(argv_)}")
        return 0
    problems = check_local_files(args)
    if shutil.which(args.adb) is None:
        problems.append(f"'{args.adb}' not found (install Android platform-tools)")
    if problems:
        print(f"{PROG}: error: {'; '.join(problems)}", file=sys.stderr)
        return 2
    args.output_dir.mkdir(parents=True, exist_ok=True)
    for argv_, why in plan.steps:
        print(f"{PROG}: {why}", file=sys.stderr)
        result = subprocess.run(argv_)
        if result.returncode != 0:
            print(f"{PROG}: error: '{shlex.join(argv_)}' failed with status {result.returncode}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
