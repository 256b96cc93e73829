"""The benchmark results: RESULTS.md is what the recorded JSON renders to, and JSON round-trips."""

from __future__ import annotations

import math
from pathlib import Path

from bench import report


def test_results_md_is_rendered_from_the_recorded_json(tmp_path: Path) -> None:
    rendered = tmp_path / "RESULTS.md"
    report.render(report.recorded(), rendered)
    assert rendered.read_text() == report.RESULTS.read_text()


def test_a_section_round_trips_through_json_with_its_nans(tmp_path: Path) -> None:
    section = report.Section(
        "identity — 10 users × 2",
        [report.Column("e2e_s", "e2e s"), report.Column("rows", "rows", ",.0f")],
        [{"e2e_s": 1.25, "rows": 10.0}, {"e2e_s": math.nan, "rows": 10.0}],
        [report.Target("under 2 s", "median 1.25 s", True)],
        notes=["WARNING a note"],
        meta={
            "when": "2026-01-01 00:00 UTC",
            "machine": "m",
            "server": "PostgreSQL 18",
            "commit": "abc",
            "command": "python -m bench identity",
            "elapsed": "3 s",
        },
        data=[{"cluster": "copied"}, {"cluster": None}],
    )
    assert section.medians == {"e2e_s": 1.25, "rows": 10.0}  # NaN is not a measurement
    (path,) = report.record([section], "20260101T0000Z", tmp_path)
    assert path.name == "20260101T0000Z-1-identity.json"
    loaded = report.load(path)
    assert loaded.reps[0] == section.reps[0] and math.isnan(loaded.reps[1]["e2e_s"])
    assert report.markdown(loaded) == report.markdown(section)
    assert "| 2 | – | 10 |" in report.markdown(loaded)
