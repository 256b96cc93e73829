"""The `seed` command. Each module adds its subcommands to the one click group."""

from __future__ import annotations

import atexit
import contextlib
import os
import sys

# Importing the modules registers their subcommands.
from seed_assets.cli import files, inspect, ops, schema, seeding  # noqa: F401
from seed_assets.cli.common import main

__all__ = ["main", "run"]


def run() -> None:
    """The console script: ``main``, then a quick exit.

    After a large seed, tearing down the interpreter (freeing every module and object one by
    one) took over a second. The exit handlers still run — the embedded server is stopped, logs
    are flushed — and then the process ends with the command's exit code, skipping that teardown.
    """
    status = [1]  # an exception that escapes main is exit code 1, as Python would make it

    def leave() -> None:  # registered first, so it runs after every other exit handler
        for stream in (sys.stdout, sys.stderr):
            # A closed pipe: nothing more can be written anyway.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status[0])

    atexit.register(leave)
    try:
        main()
        status[0] = 0
    except SystemExit as exc:
        status[0] = _exit_code(exc.code)
        raise


def _exit_code(code: object) -> int:
    """What ``sys.exit(code)`` makes the process's exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1  # a message: Python prints it to stderr and exits with 1
