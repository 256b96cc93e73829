"""Errors the CLI turns into one line and an exit code, importable without Dagster."""

from __future__ import annotations


class RunFailed(RuntimeError):
    """A Dagster run failed; the message is the first line of the step's error."""
