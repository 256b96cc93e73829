"""What a workload plugs into ``python -m bench``: its options and a run returning a Section."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from bench.report import Section


@dataclasses.dataclass(frozen=True)
class Workload:
    """A benchmark: ``run(args, console, log_dir)`` performs ``args.repeat`` repetitions.

    ``console`` is for progress (stderr); ``log_dir`` (under the git-ignored ``bench/out/``)
    keeps the output of the subprocesses it ran. It returns one Section, or several (one per
    sub-workload, e.g. per population size), each printed and recorded on its own.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Console, Path], Section | Sequence[Section]]


def _whole_number(text: str, minimum: int) -> int:
    """argparse type: a whole number >= ``minimum`` (underscores and commas allowed)."""
    try:
        value = int(text.replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    return _whole_number(text, 0)
