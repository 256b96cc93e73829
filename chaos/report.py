"""The chaos results as a summary table (stdout) and as figures in docs/operations.md."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- chaos:begin -->", "<!-- chaos:end -->"
TOTALS = [
    ("missing", "missing partitions"),
    ("half_written", "half-written partitions"),
    ("half_written_days", "half-written days"),
    ("doubled", "doubled partitions"),
    ("differs", "partitions with other rows"),
    ("secrets", "secrets in output"),
    ("writes_after_refusal", "writes after a refusal"),
    ("connections", "connections to a refused host"),
    ("orphans", "embedded servers left running"),
]


def totals(results: list[dict[str, Any]]) -> dict[str, int]:
    out = {key: 0 for key, _ in TOTALS}
    for r in results:
        for key in out:
            out[key] += int(r["counts"].get(key, 0))
    return out


def table(results: list[dict[str, Any]]) -> str:
    """A Markdown table: one row per scenario, then the totals of what must be 0."""
    lines = [
        "| scenario | trials | passed | failed | seconds |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        failed = r["trials"] - r["passed"]
        extra = [f for f in r["failures"] if not str(f.get("trial", "")).count("#")]
        failed_text = str(failed) if not r.get("skipped") else r["skipped"]
        if r["trials"] == 0 and not r.get("skipped"):
            failed_text = str(len(extra)) if extra else "0"
        lines.append(
            f"| {r['title']} | {r['trials']} | {r['passed']} | {failed_text} | {r['seconds']:.0f} |"
        )
    sums = totals(results)
    lines.append("")
    lines.append(", ".join(f"{label}: **{sums[key]}**" for key, label in TOTALS) + ".")
    return "\n".join(lines)


def render_docs(data: dict[str, Any], docs: Path) -> None:
    """Replace the text between the chaos markers of ``docs`` with the figures of ``data``."""
    results = data["results"]
    kills = {r["name"]: r for r in results if r["name"].startswith("kill_")}
    left = sum(r["counts"].get("kill_left_half_written", 0) for r in kills.values())
    intro = (
        f"Last full run: `make chaos` (`--seed {data['seed']}`), {data['when']}"
        + (f", commit {data['revision']}" if data.get("revision") else "")
        + ", "
        f"{data['seconds'] / 60:.0f} minutes on {data['machine']}; "
        f"{sum(r['trials'] for r in results)} trials, "
        f"{sum(r['passed'] for r in results)} passed."
    )
    if kills:
        intro += (
            f" {left} of the {sum(r['trials'] for r in kills.values())} kills landed while "
            "partitions were being written (a half-written state that `seed audit` must "
            "report and the rerun must complete)."
        )
    *rows, sums = table(results).split("\n")
    body = [BEGIN, textwrap.fill(intro, 100), "", *rows, textwrap.fill(sums, 100)]
    failing = [r for r in results if r["failures"]]
    if failing:
        body += ["", "Failing in that run (details in `chaos/results.json`):", ""]
        for r in failing:
            problems = sorted({p.split(":")[0][:90] for f in r["failures"] for p in f["problems"]})
            body.append(f"- {r['title']}: {len(r['failures'])} — " + "; ".join(problems[:4]))
    body.append(END)
    text = docs.read_text()
    block = "\n".join(body)
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    docs.write_text(text)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
