"""seed_assets.config.SeedParams: validation with one-line errors, env parsing, fingerprint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seed_assets.config import DEFAULTS, ENV, ConfigError, SeedParams


def _one_line_error(**kwargs: Any) -> str:
    with pytest.raises(ConfigError) as info:
        SeedParams(**kwargs)
    message = str(info.value)
    assert message
    assert "\n" not in message
    assert "\r" not in message
    return message


def test_defaults_are_valid() -> None:
    p = SeedParams()
    assert p.run_seed == "demo"
    assert p.users == 10_000
    assert p.shard_size == 10_000
    assert p.start_date == dt.date(2024, 1, 1)
    assert p.end_date is None
    assert p.calibration == "spec"
    assert p.shard_count == 1
    assert "password123" not in repr(p)


def test_config_error_is_a_value_error() -> None:
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize("users", [0, -5, 10**9, 50_000_001])
def test_invalid_user_counts(users: int) -> None:
    message = _one_line_error(users=users)
    assert "users" in message


@pytest.mark.parametrize("users", [1, 50_000_000])
def test_user_count_bounds_are_inclusive(users: int) -> None:
    assert SeedParams(users=users, shard_size=1_000_000).users == users


@pytest.mark.parametrize("shard_size", [0, -1, 1_000_001])
def test_invalid_shard_sizes(shard_size: int) -> None:
    message = _one_line_error(shard_size=shard_size)
    assert "shard size" in message


def test_too_many_shards() -> None:
    message = _one_line_error(users=10_001, shard_size=1)
    assert "shards" in message
    assert SeedParams(users=10_000, shard_size=1).shard_count == 10_000


@pytest.mark.parametrize(
    "run_seed",
    ["", " ", "has space", " lead", "trail ", "tab\there", "-leading-dash", "x" * 65, "naïve"],
)
def test_invalid_run_seeds(run_seed: str) -> None:
    message = _one_line_error(run_seed=run_seed)
    assert "run seed" in message


@pytest.mark.parametrize("run_seed", ["demo\n", "line\nbreak", "demo\r\n"])
def test_run_seed_with_newline_is_rejected(run_seed: str) -> None:
    # The seed must be 1-64 of letters, digits, . _ : - (a newline is none of those).
    _one_line_error(run_seed=run_seed)


@pytest.mark.parametrize("run_seed", ["a", "demo", "A.b_c:d-9", "x" * 64, "2024"])
def test_valid_run_seeds(run_seed: str) -> None:
    assert SeedParams(run_seed=run_seed).run_seed == run_seed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_date", "2024-13-01"),
        ("start_date", "yesterday"),
        ("start_date", "2024-02-30"),
        ("end_date", "2024/03/01"),
        ("end_date", "tomorrow"),
    ],
)
def test_bad_dates_from_strings(field: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        SeedParams.from_strings({field: value})
    message = str(info.value)
    assert "\n" not in message
    assert field.replace("_", " ") in message
    assert repr(value) in message


@pytest.mark.parametrize("value", ["ten", "1.5", "1e3", "  ", "12k"])
def test_bad_integers_from_strings(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        SeedParams.from_strings({"users": value})
    assert "\n" not in str(info.value)
    assert "users" in str(info.value)


def test_empty_and_none_values_from_strings_keep_defaults() -> None:
    assert SeedParams.from_strings({"users": "", "run_seed": None}) == SeedParams()


def test_integers_from_strings_accept_separators() -> None:
    p = SeedParams.from_strings({"users": "1_000", "shard_size": "250"})
    assert (p.users, p.shard_size, p.shard_count) == (1_000, 250, 4)
    assert SeedParams.from_strings({"users": "12,500"}).users == 12_500
    assert SeedParams.from_strings({"users": 42}).users == 42


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (dt.date(2024, 1, 1), dt.date(2023, 12, 31)),
        (dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
    ],
)
def test_end_date_must_follow_start_date(start: dt.date, end: dt.date) -> None:
    message = _one_line_error(start_date=start, end_date=end)
    assert "end date" in message


def test_dates_from_strings_round_trip() -> None:
    p = SeedParams.from_strings({"start_date": "2023-06-01", "end_date": "2023-08-31"})
    assert p.start_date == dt.date(2023, 6, 1)
    assert p.end_date == dt.date(2023, 8, 31)
    assert p.public_dict()["start_date"] == "2023-06-01"
    assert p.public_dict()["end_date"] == "2023-08-31"


@pytest.mark.parametrize("start", [dt.date(1999, 12, 31), dt.date(2100, 1, 1)])
def test_start_date_range(start: dt.date) -> None:
    message = _one_line_error(start_date=start)
    assert "start date" in message


def test_unknown_calibration_profile() -> None:
    message = _one_line_error(calibration="nope")
    assert "nope" in message
    assert "spec" in message  # it lists the available profiles


def test_empty_dev_password() -> None:
    _one_line_error(dev_password="")


def test_from_env_reads_seed_variables() -> None:
    env = {
        "SEED_RUN_SEED": "from-env",
        "SEED_USERS": "2500",
        "SEED_SHARD_SIZE": "1000",
        "SEED_START_DATE": "2023-03-15",
        "SEED_END_DATE": "2023-05-01",
        "SEED_CALIBRATION": "spec",
        "SEED_DEV_PASSWORD": "hunter2",
        "SEED_NAMED_ACCOUNTS": "QA.One@example.com, qa2@example.com",
        "UNRELATED": "ignored",
        "USERS": "7",
    }
    p = SeedParams.from_env(env)
    assert p == SeedParams(
        run_seed="from-env",
        users=2500,
        shard_size=1000,
        start_date=dt.date(2023, 3, 15),
        end_date=dt.date(2023, 5, 1),
        calibration="spec",
        dev_password="hunter2",
        named_accounts=("qa.one@example.com", "qa2@example.com"),
    )
    assert p.shard_count == 3
    assert set(ENV.values()) <= set(env)


def test_from_env_unset_or_empty_variables_keep_defaults() -> None:
    assert SeedParams.from_env({}) == SeedParams()
    assert SeedParams.from_env({"SEED_USERS": "", "SEED_RUN_SEED": ""}) == SeedParams()
    assert SeedParams.from_env({"SEED_USERS": "77"}) == SeedParams(users=77)


def test_from_env_errors_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        SeedParams.from_env({"SEED_USERS": "lots"})
    with pytest.raises(ConfigError):
        SeedParams.from_env({"SEED_START_DATE": "yesterday"})
    with pytest.raises(ConfigError):
        SeedParams.from_env({"SEED_RUN_SEED": "two words"})


def test_fingerprint_stable_for_equal_params() -> None:
    a = SeedParams(run_seed="x", users=500, shard_size=100)
    b = SeedParams.from_strings({"run_seed": "x", "users": "500", "shard_size": "100"})
    assert a == b
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() == a.fingerprint()
    assert len(a.fingerprint()) == 24
    int(a.fingerprint(), 16)  # hexadecimal


@pytest.mark.parametrize(
    "change",
    [
        {"run_seed": "other"},
        {"users": 10_001},
        {"shard_size": 5_000},
        {"start_date": dt.date(2024, 1, 2)},
        {"dev_password": "password124"},
    ],
)
def test_fingerprint_changes_with_every_parameter(change: dict[str, Any]) -> None:
    base = SeedParams()
    assert base.replace(**change).fingerprint() != base.fingerprint()


def test_end_date_only_bounds_partitions() -> None:
    # Extending the calendar must not mark the history stale: the rows do not depend on it.
    base = SeedParams()
    assert base.replace(end_date=dt.date(2024, 3, 1)).fingerprint() == base.fingerprint()


def test_fingerprint_changes_with_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the `spec` profile ships, so bypass validation to give a frozen copy another name
    # (a profile with the same contents): the fingerprint must cover the profile's name; its
    # contents: tests/test_versions.py.
    from seed_assets import calibration

    spec = calibration.load("spec")
    monkeypatch.setattr(calibration, "load", lambda name: spec)
    base = SeedParams()
    other = SeedParams()
    object.__setattr__(other, "calibration", "spec-v2")
    assert other.public_dict()["calibration"] == "spec-v2"
    assert other.fingerprint() != base.fingerprint()


def test_public_dict_has_no_password() -> None:
    p = SeedParams(dev_password="s3cret-Pa55")
    public = p.public_dict()
    assert "dev_password" not in public
    assert "s3cret-Pa55" not in json.dumps(public)
    assert "s3cret-Pa55" not in repr(p)
    assert public == {
        "run_seed": "demo",
        "users": 10_000,
        "shard_size": 10_000,
        "start_date": "2024-01-01",
        "end_date": None,
        "calibration": "spec",
        "named_accounts": None,
    }
    # public_dict round-trips through from_strings (with the password passed separately).
    again = SeedParams.from_strings({**public, "dev_password": "s3cret-Pa55"})
    assert again == p


@pytest.mark.parametrize(
    ("users", "shard_size", "shards"),
    [(1000, 250, 4), (1001, 250, 5), (1, 250, 1), (250, 250, 1), (251, 250, 2), (999, 1, 999)],
)
def test_shard_count(users: int, shard_size: int, shards: int) -> None:
    assert SeedParams(users=users, shard_size=shard_size).shard_count == shards


@settings(max_examples=50, deadline=None)
@given(users=st.integers(1, 5_000_000), shard_size=st.integers(1_000, 1_000_000))
def test_shard_count_covers_users_exactly(users: int, shard_size: int) -> None:
    n = SeedParams(users=users, shard_size=shard_size).shard_count
    assert (n - 1) * shard_size < users <= n * shard_size


def test_params_are_frozen_and_hashable() -> None:
    p = SeedParams()
    with pytest.raises(AttributeError):
        p.users = 5  # type: ignore[misc]
    assert hash(p) == hash(SeedParams())
    assert p.replace(users=5).users == 5
    with pytest.raises(ConfigError):
        p.replace(users=0)


def test_named_accounts_are_validated_and_shape_the_fingerprint() -> None:
    plain = SeedParams(users=1_000)
    named = plain.replace(named_accounts=("qa@example.com",))
    assert named.fingerprint() != plain.fingerprint()
    assert SeedParams(users=1_000, named_accounts=()).fingerprint() == plain.fingerprint()
    round_trip = SeedParams.from_strings(named.public_dict() | {"dev_password": None})
    assert round_trip.named_accounts == ("qa@example.com",)
    for bad in (("not-an-email",), ("a@example.com", "a@example.com"), ("A b@x.io",)):
        with pytest.raises(ConfigError):
            plain.replace(named_accounts=bad)
    with pytest.raises(ConfigError, match="named accounts"):
        SeedParams(users=10, named_accounts=("a@example.com", "b@example.com"))


README = Path(__file__).resolve().parents[1] / "README.md"


def _readme_defaults() -> dict[str, str]:
    """The options table of the README: environment variable -> its default cell."""
    rows = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1].startswith("`SEED_"):
            rows[cells[1].strip("`")] = cells[2].strip("`")
    return rows


def test_defaults_are_the_same_in_the_resource_the_help_and_the_readme() -> None:
    """SeedParams's fields are the one place the defaults are written (config.DEFAULTS): the
    Dagster resource, `seed up --help` and the README's options table show the same values."""
    from click.testing import CliRunner

    from seed_assets.cli import main
    from seed_assets.defs.resources import SeedConfig

    assert SeedConfig().params() == SeedParams()
    shown = {name: str(DEFAULTS[name]) for name in ENV if DEFAULTS[name] not in (None, ())}
    assert set(shown) == {"run_seed", "users", "shard_size", "start_date", "calibration"} | {
        "dev_password"
    }
    readme = _readme_defaults()
    for name, value in shown.items():
        assert readme[ENV[name]] == value, (ENV[name], readme[ENV[name]], value)
    help_text = " ".join(
        CliRunner().invoke(main, ["up", "--help"], terminal_width=200).output.split()
    )
    for name, value in shown.items():
        if name != "dev_password":
            assert f"{value}]" in help_text, (name, value)
    assert f"SEED_DEV_PASSWORD (default {DEFAULTS['dev_password']})" in help_text


def test_the_lock_timeout_default_is_the_same_in_the_help_and_the_readme() -> None:
    from click.testing import CliRunner

    from seed_assets.cli import main
    from seed_assets.command_lock import DEFAULT_TIMEOUT_S

    default = int(DEFAULT_TIMEOUT_S)
    assert _readme_defaults()["SEED_LOCK_TIMEOUT"] == str(default)
    waiting = []
    for name in main.commands:
        text = " ".join(
            CliRunner().invoke(main, [name, "--help"], terminal_width=200).output.split()
        )
        if "SEED_LOCK_TIMEOUT" in text:
            waiting.append(name)
            assert f"SEED_LOCK_TIMEOUT, default {default} s" in text, name
    assert {"up", "extend", "jobs", "load", "repair", "reset"} <= set(waiting), waiting
