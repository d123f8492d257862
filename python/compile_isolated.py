"""Run one compile in a forked child so that a crash in IREE is a diagnostic.

IREE's compiler library aborts the process on some inputs (e.g. a crash in
the ONNX-to-torch conversion of an op it half supports). In-process, that
would kill the tool with a stack dump. The compile runs in a forked child
instead; the child streams its phases, its temporary output paths and its
result or diagnostics to the parent over a pipe. A child killed by a signal
becomes one error line naming the phase it was in, and its temporary
outputs are removed.

The fork happens before any MLIR context exists in the parent, so no
compiler threads are forked.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from smartmem.diagnostics import Diagnostic, SmartMemError

Progress = Callable[[str], None]


def _child(model: Path, output: Path, options, channel, progress: Progress) -> int:
    from smartmem.compile import compile_model, report_dict

    def send(**message: object) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    def on_phase(name: str) -> None:
        send(phase=name)
        progress(name)

    try:
        result = compile_model(model, output, options, on_phase, on_temp=lambda p: send(temp=str(p)))
        send(report=report_dict(result, model, options))
        return 0
    except SmartMemError as error:
        send(errors=[asdict(d) for d in error.diagnostics])
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a bug: reported as one line by the parent
        if os.environ.get("SMARTMEM_DEBUG"):
            import traceback

            traceback.print_exc()
        send(internal=f"{type(error).__name__}: {error}")
        return 3


def compile_isolated(model: Path, output: Path, options, progress: Progress) -> dict[str, object]:
    """`compile_model` in a forked child; returns its report dict.

    Raises SmartMemError for bad input or a crashed compiler, RuntimeError
    for an internal error of SmartMem.
    """
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        status = 3
        try:
            with os.fdopen(write_fd, "w") as channel:
                status = _child(model, output, options, channel, progress)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    os.close(write_fd)
    phase = "start"
    temps: list[Path] = []
    report: dict[str, object] | None = None
    errors: list[Diagnostic] = []
    internal = ""
    with os.fdopen(read_fd) as channel:
        for line in channel:
            message = json.loads(line)
            if "phase" in message:
                phase = message["phase"]
            elif "temp" in message:
                temps.append(Path(message["temp"]))
            elif "report" in message:
                report = message["report"]
            elif "errors" in message:
                errors = [Diagnostic(**d) for d in message["errors"]]
            elif "internal" in message:
                internal = message["internal"]
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        for temp in temps:
            temp.unlink(missing_ok=True)
        name = signal.Signals(os.WTERMSIG(status)).name
        raise SmartMemError.plain(
            f"IREE's compiler crashed ({name}) in phase '{phase}' on '{model}'; "
            "the model likely uses an op or shape IREE cannot handle (run with --dump-ir DIR "
            "to see the last IR before the crash)"
        )
    if errors:
        raise SmartMemError(errors)
    if internal or report is None:
        raise RuntimeError(internal or f"compile process exited with status {os.WEXITSTATUS(status)}")
    return report
