"""The shared exit discipline of SmartMem's command-line tools.

User errors (`SmartMemError`) print their diagnostics and exit with the tool's
error status; a bug prints one `internal error` line (a traceback only with
SMARTMEM_DEBUG=1) and exits 3; Ctrl-C exits 130.
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Callable, NoReturn, Sequence

from smartmem.diagnostics import SmartMemError, print_diagnostics

INTERNAL_ERROR_STATUS = 3


def run_cli(
    prog: str,
    run: Callable[[Sequence[str]], int],
    argv: Sequence[str] | None,
    error_status: int,
) -> NoReturn:
    try:
        status = run(sys.argv[1:] if argv is None else argv)
    except SmartMemError as error:
        print_diagnostics(error.diagnostics)
        status = error_status
    except KeyboardInterrupt:
        status = 130
    except Exception as error:
        if os.environ.get("SMARTMEM_DEBUG"):
            raise
        print(
            f"{prog}: internal error: {type(error).__name__}: {error} "
            "(set SMARTMEM_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        status = INTERNAL_ERROR_STATUS
    sys.exit(status)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write-then-rename, so a failed run leaves no partial output behind."""
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as temp:
        temp.write(text)
    os.replace(temp.name, path)
