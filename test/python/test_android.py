"""tools/android/run_on_android.py --dry-run: every adb command, in order."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "android" / "run_on_android.py"


def dry_run(*args: str) -> list[list[str]]:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", *args], capture_output=True, text=True, check=True, timeout=60
    )
    return [shlex.split(line) for line in result.stdout.splitlines() if not line.startswith("#")]


def test_dry_run_pushes_runs_and_pulls():
    commands = dry_run(
        "--module", "out/swin.vmfb", "--input", "x.npy", "--tools-dir", "/opt/iree-android/bin",
        "--serial", "R5CT", "--remote-dir", "/data/local/tmp/sm",
    )
    assert all(c[:3] == ["adb", "-s", "R5CT"] for c in commands)
    verbs = [c[3] for c in commands]
    assert verbs == ["shell", "push", "shell", "push", "push", "push", "shell", "pull"]
    pushes = [c[4:] for c in commands if c[3] == "push"]
    assert pushes == [
        ["/opt/iree-android/bin/iree-run-module", "/data/local/tmp/sm/iree-run-module"],
        ["out/swin.vmfb", "/data/local/tmp/sm/swin.vmfb"],
        ["out/swin.irpa", "/data/local/tmp/sm/swin.irpa"],  # the .irpa beside the module by default
        ["x.npy", "/data/local/tmp/sm/x.npy"],
    ]
    run = commands[6][4]
    assert run.startswith("cd /data/local/tmp/sm && ./iree-run-module ")
    run_args = shlex.split(run.split("&&", 1)[1])
    assert run_args[1:] == [
        "--device=vulkan",
        "--module=/data/local/tmp/sm/swin.vmfb",
        "--parameters=model=/data/local/tmp/sm/swin.irpa",
        "--function=main_graph",
        "--input=@/data/local/tmp/sm/x.npy",
        "--output=@swin.output0.npy",
    ]
    assert commands[7][4:] == ["/data/local/tmp/sm/swin.output0.npy", "android_outputs/swin.output0.npy"]


def test_dry_run_benchmark_without_pushing_tools():
    commands = dry_run(
        "--module", "m.vmfb", "--parameters", "weights.irpa", "--input", "a.npy", "--input", "b.npy",
        "--benchmark", "--repetitions", "5", "--device", "local-task", "--function", "forward",
    )
    assert all(c[0] == "adb" and c[1] != "-s" for c in commands)
    assert not any("iree-run-module" in " ".join(c) and c[1] == "push" for c in commands)
    bench = shlex.split(commands[-1][2].split("&&", 1)[1])
    assert bench[0] == "./iree-benchmark-module"
    assert "--parameters=model=/data/local/tmp/smartmem/weights.irpa" in bench
    assert "--function=forward" in bench and "--device=local-task" in bench
    assert bench[-3:] == ["--input=@/data/local/tmp/smartmem/a.npy", "--input=@/data/local/tmp/smartmem/b.npy",
                          "--benchmark_repetitions=5"]


def test_real_run_reports_missing_files_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--module", str(tmp_path / "none.vmfb"), "--input", "x.npy",
         "--adb", str(tmp_path / "no-adb")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "none.vmfb" in lines[0] and "no-adb" in lines[0]
