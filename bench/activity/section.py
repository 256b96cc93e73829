"""One size's figures per repetition, its table columns, its checks and its targets."""

from __future__ import annotations

import math

from bench import stats, tiers
from bench.activity.reps import Rep
from bench.activity.sizes import ACTIVITY, SKIPS_JOBS, Size, day_key, day_number
from bench.report import Column, Target

MB_PER_GB = 1024  # the harness's "MB" are MiB (rss.py), so 3 GB is 3 GiB = 3,072 MB


def checks(size: Size, rep: Rep, series: bool) -> list[str]:
    """Problems found in one repetition's databases (empty when all is as expected)."""
    d = size.days
    out: list[str] = []
    for name, manifest, last in (
        ("A", rep.manifest_a, d + 2),
        ("B", rep.manifest_b, 2 * d if series else 2),
    ):
        days = sorted({day_number(key) for _, key in manifest})
        if days != list(range(1, last + 1)):
            out.append(f"database {name}: manifest days {days[:3]}…{days[-3:]}, not 1..{last}")
    want = {
        t: sum(rep.manifest_a.get((t, day_key(day)), (0, ""))[0] for day in (d + 1, d + 2))
        for t in ACTIVITY
    }
    if rep.added != want:
        out.append(f"appends added {rep.added} rows but the manifest says {want}")
    if SKIPS_JOBS:
        for command, rows in (("up", rep.derived), ("extend", rep.derived_after)):
            if filled := {t: n for t, n in rows.items() if n}:
                out.append(
                    f"`seed {command}` was given --skip-jobs but the derived tables hold rows "
                    "after it: " + ", ".join(f"{t} {n:,}" for t, n in filled.items())
                )
    shared = rep.manifest_a.keys() & rep.manifest_b.keys()
    differ = sorted(k for k in shared if rep.manifest_a[k] != rep.manifest_b[k])
    if differ:
        shown = ", ".join(f"{t} day {day_number(key)}" for t, key in differ[:6])
        out.append(
            f"{len(differ)} of {len(shared)} (table, day) partitions differ (rows or digest) "
            f"between `seed up --days {d}` and `seed up --days 1` + extends: {shown}"
            + (" …" if len(differ) > 6 else "")
        )
    return out


def figures(size: Size, rep: Rep) -> dict[str, float]:
    """One repetition's row of the table (NaN where the series did not run)."""
    d = size.days
    nan = math.nan
    rows = sum(rep.counts.values())
    d2 = rep.appends[2].seconds
    last = rep.appends.get(2 * d)
    split = tiers.split(rep.up.summary, rep.up.seconds)
    return {
        "up_s": rep.up.seconds,
        "rows": rows,
        "rps": stats.rate(rows, rep.up.seconds),
        "gen_s": split.generate_s,
        "load_s": split.load_s,
        "idx_s": split.index_s,
        "orch_s": split.orchestration_s,
        "rss_mb": rep.up.peak_rss_mb,
        "a1_s": rep.appends[d + 1].seconds,
        "a2_s": rep.appends[d + 2].seconds,
        "d2_s": d2,
        "ratio": stats.ratio(rep.appends[d + 1].seconds, d2),
        "to_d_s": rep.bulk[d].seconds if d in rep.bulk else nan,
        "to_2d_s": rep.bulk[2 * d - 1].seconds if 2 * d - 1 in rep.bulk else nan,
        "last_s": last.seconds if last else nan,
        "ratio_last": stats.ratio(last.seconds, d2) if last else nan,
        "audit_s": rep.audit.seconds if rep.audit else nan,
        "repair_s": rep.repair.seconds if rep.repair else nan,
        "raw_s": rep.raw.load_s if rep.raw else nan,
        "raw_full_s": rep.raw.total_s if rep.raw else nan,
        "vs_raw": stats.ratio(rep.up.seconds, rep.raw.total_s) if rep.raw else nan,
        "vs_copy": stats.ratio(rep.up.seconds, rep.raw.load_s) if rep.raw else nan,
    }


def columns(size: Size) -> list[Column]:
    d = size.days
    return [
        Column("up_s", "up s"),
        Column("rows", "rows", ",.0f"),
        Column("rps", "rows/s", ",.0f"),
        Column("gen_s", "up: generate s"),
        Column("load_s", "up: load s"),
        Column("idx_s", "up: idx/FK s"),
        Column("orch_s", "up: orchestration s"),
        Column("rss_mb", "peak RSS MB", ",.0f"),
        Column("a1_s", f"day {d + 1} s"),
        Column("a2_s", f"day {d + 2} s"),
        Column("d2_s", "day 2 s"),
        Column("ratio", f"day {d + 1}/day 2", ".2f"),
        Column("to_d_s", f"+{d - 2} d s"),
        Column("to_2d_s", f"+{d - 1} d s"),
        Column("last_s", f"day {2 * d} s"),
        Column("ratio_last", f"day {2 * d}/day 2", ".2f"),
        Column("audit_s", "audit s"),
        Column("repair_s", "repair 1 day s"),
        Column("raw_s", "raw COPY s"),
        Column("raw_full_s", "raw + idx/FK s"),
        Column("vs_raw", "up / raw+idx", ".2f"),
        Column("vs_copy", "up / raw COPY", ".2f"),
    ]


def targets(size: Size, med: dict[str, float]) -> list[Target]:
    d = size.days
    out: list[Target] = []
    if size.up_target_s is not None:
        out.append(
            Target(
                f"{size.name} end to end under {size.up_target_s:g} s",
                f"median {med['up_s']:.2f} s",
                med["up_s"] < size.up_target_s,
            )
        )
    if size.rss_target_gb is not None:
        limit = size.rss_target_gb * MB_PER_GB
        out.append(
            Target(
                f"{size.name} peak memory under {size.rss_target_gb:g} GB ({limit:,.0f} MB)",
                f"median peak RSS {med['rss_mb']:,.0f} MB",
                med["rss_mb"] < limit,
            )
        )
    if size.append_ratio_target is not None:
        out.append(
            Target(
                f"appending a day on day {d} within {size.append_ratio_target:g}x of appending "
                f"on day 1 ({size.name})",
                f"median ratio day {d + 1}/day 2 = {med['ratio']:.2f} "
                f"({med['a1_s']:.2f} s vs {med['d2_s']:.2f} s)",
                med["ratio"] <= size.append_ratio_target,
            )
        )
    if size.append_target_s is not None:
        for day, key in ((d + 1, "a1_s"), (2 * d, "last_s")):  # day 2D: when the series ran
            if not math.isnan(med[key]):
                out.append(
                    Target(
                        f"appending day {day} to {size.name} under {size.append_target_s:g} s "
                        "(a whole `seed extend --days 1`)",
                        f"median day {day} {med[key]:.2f} s",
                        med[key] < size.append_target_s,
                    )
                )
    if size.audit_target_s is not None:
        out.append(
            Target(
                f"auditing {size.name} under {size.audit_target_s:g} s (a whole `seed audit`)",
                f"median {med['audit_s']:.2f} s",
                med["audit_s"] < size.audit_target_s,
            )
        )
    if size.raw_ratio_target is not None:
        out.append(
            Target(
                f"{size.name} end to end within {size.raw_ratio_target:g}x of the raw load of the "
                "same rows (COPY, then the same indexes and foreign keys)",
                f"median up / raw = {med['vs_raw']:.2f} ({med['up_s']:.2f} s vs "
                f"{med['raw_full_s']:.2f} s; vs the bare COPY alone {med['vs_copy']:.2f})",
                med["vs_raw"] <= size.raw_ratio_target,
            )
        )
    return out
