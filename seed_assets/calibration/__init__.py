"""Calibration profiles: the distribution parameters of the simulation, as TOML data files."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from seed_assets.config import ConfigError

INTENTS = ("long_term", "short_term", "casual", "friendship", "figuring_out")
TRAITS = ("sociability", "selectivity", "engagement")


def available() -> list[str]:
    return sorted(
        p.name.removesuffix(".toml")
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".toml")
    )


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed profile ``name`` (e.g. ``spec``); an unknown name is a one-line ConfigError."""
    if name not in available():
        raise ConfigError(f"unknown calibration profile {name!r}; choose from {available()}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def archetype_names(profile: dict[str, Any]) -> list[str]:
    return list(profile["archetypes"])
