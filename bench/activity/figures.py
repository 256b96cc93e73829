"""One repetition's figures, checks and plot data; the columns and targets of a size's section
and of its comparison with the peer."""

from __future__ import annotations

import math
from typing import Any

from bench import seedcli, stats
from bench.activity.measure import Rep
from bench.activity.sizes import ACTIVITY, IDENTITY, TABLES, Size, day_key, day_number
from bench.report import Column, Target

MB_PER_GB = 1024  # the harness's "MB" are MiB (rss.py), so 3 GB is 3 GiB = 3,072 MB
PEER_TARGET = 50.0
GROUP = ("users", "profiles", "profile_media", "user_interests")  # identity tables both fill
IDENTITY_GROUP = "identity (4 tables)"
ACTIVITY_STEP = "activity step (6 tables)"
END_TO_END = "end to end"
LABELS = [*IDENTITY, IDENTITY_GROUP, "likes", ACTIVITY_STEP, END_TO_END]  # the rates plot's rows


def checks(size: Size, rep: Rep, series: bool) -> list[str]:
    """Problems found in one repetition's databases (empty when all is as expected)."""
    d, out = size.days, []
    last_b = 2 * d if series else 2
    for name, manifest, last in (("A", rep.a.manifest, d + 2), ("B", rep.b.manifest, last_b)):
        days = sorted({day_number(key) for _, key in manifest})
        if days != list(range(1, last + 1)):
            out.append(f"database {name}: manifest days {days[:3]}…{days[-3:]}, not 1..{last}")
    want = {
        t: sum(rep.a.manifest.get((t, day_key(day)), (0, ""))[0] for day in (d + 1, d + 2))
        for t in ACTIVITY
    }
    if rep.a.added != want:
        out.append(f"appends added {rep.a.added} rows but the manifest says {want}")
    if rep.a.derived:
        out.append(f"--skip-jobs was given but the derived tables hold {rep.a.derived:,} rows")
    shared = rep.a.manifest.keys() & rep.b.manifest.keys()
    if differ := sorted(k for k in shared if rep.a.manifest[k] != rep.b.manifest[k]):
        out.append(
            f"{len(differ)} of {len(shared)} (table, day) partitions differ between `seed up "
            f"--days {d}` and `seed up --days 1` + extends: "
            + ", ".join(f"{t} day {day_number(key)}" for t, key in differ[:6])
        )
    return out


def _seconds(rep: Rep, day: int) -> float:
    run = rep.append(day)
    return run.seconds if run else math.nan


def figures(size: Size, rep: Rep) -> dict[str, float]:
    """One repetition's row of the table (NaN where the series did not run)."""
    d, up, raw = size.days, rep.a.up, rep.a.raw
    rows = sum(rep.a.counts.values())
    split = seedcli.split(up.summary, up.seconds)
    d2 = _seconds(rep, 2)
    bulk = {day: run.seconds for day, run in rep.b.bulk.items()}
    return {
        "up_s": up.seconds,
        "rows": rows,
        "rps": stats.rate(rows, up.seconds),
        "gen_s": split["generate_s"],
        "load_s": split["load_s"],
        "idx_s": split["index_s"],
        "orch_s": split["orchestration_s"],
        "rss_mb": up.peak_rss_mb,
        "a1_s": _seconds(rep, d + 1),
        "a2_s": _seconds(rep, d + 2),
        "d2_s": d2,
        "ratio": stats.ratio(_seconds(rep, d + 1), d2),
        "to_d_s": bulk.get(d, math.nan),
        "to_2d_s": bulk.get(2 * d - 1, math.nan),
        "last_s": _seconds(rep, 2 * d),
        "ratio_last": stats.ratio(_seconds(rep, 2 * d), d2),
        "audit_s": rep.a.audit.seconds,
        "repair_s": rep.a.repair.seconds,
        "raw_s": raw.timing.load_s,
        "raw_full_s": raw.total_s,
        "vs_raw": stats.ratio(up.seconds, raw.total_s),
        "vs_copy": stats.ratio(up.seconds, raw.timing.load_s),
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
    """The size's targets (those it has) judged on the medians; a figure not measured (the
    series' day 2D) is not judged."""
    d, name, out = size.days, size.name, []

    def judge(limit: float | None, key: str, goal: str, measured: str, most: bool = False) -> None:
        if limit is not None and not math.isnan(med[key]):
            passed = med[key] <= limit if most else med[key] < limit
            out.append(Target(goal.format(limit=limit), measured, passed))

    up, audit = f"median {med['up_s']:.2f} s", f"median {med['audit_s']:.2f} s"
    judge(size.up_target_s, "up_s", f"{name} end to end under {{limit:g}} s", up)
    gb = size.rss_target_gb
    judge(
        None if gb is None else gb * MB_PER_GB,
        "rss_mb",
        f"{name} peak memory under {gb or 0:g} GB ({{limit:,.0f}} MB)",
        f"median peak RSS {med['rss_mb']:,.0f} MB",
    )
    judge(
        size.append_ratio_target,
        "ratio",
        f"appending a day on day {d} within {{limit:g}}x of appending on day 1 ({name})",
        f"median ratio day {d + 1}/day 2 = {med['ratio']:.2f} "
        f"({med['a1_s']:.2f} s vs {med['d2_s']:.2f} s)",
        most=True,
    )
    for day, key in ((d + 1, "a1_s"), (2 * d, "last_s")):
        judge(
            size.append_target_s,
            key,
            f"appending day {day} to {name} under {{limit:g}} s (a whole `seed extend --days 1`)",
            f"median day {day} {med[key]:.2f} s",
        )
    whole = "(a whole `seed audit`)"
    judge(size.audit_target_s, "audit_s", f"auditing {name} under {{limit:g}} s {whole}", audit)
    judge(
        size.raw_ratio_target,
        "vs_raw",
        f"{name} end to end within {{limit:g}}x of the raw load of the same rows (COPY, then the "
        "same indexes and foreign keys)",
        f"median up / raw = {med['vs_raw']:.2f} ({med['up_s']:.2f} s vs "
        f"{med['raw_full_s']:.2f} s; vs the bare COPY alone {med['vs_copy']:.2f})",
        most=True,
    )
    return out


def _rate(tables: dict[str, tuple[int, float]], names: tuple[str, ...]) -> float:
    return stats.rate(sum(tables[t][0] for t in names), sum(tables[t][1] for t in names))


def ours(rep: Rep) -> dict[str, float]:
    """Rows/s of seed-assets by plot label, from ``seed up``'s own summary (an activity table's
    seconds are its whole step's until it was done; the likes' are the step's)."""
    summary = (rep.a.up.summary or {}).get("tables", {})
    tables = {t: (int(v["rows"]), float(v["seconds"])) for t, v in summary.items() if t in TABLES}
    out = {t: _rate(tables, (t,)) for t in tables}
    out[IDENTITY_GROUP] = _rate(tables, GROUP)
    out[ACTIVITY_STEP] = stats.rate(sum(tables[t][0] for t in ACTIVITY), tables["likes"][1])
    out[END_TO_END] = stats.rate(sum(rep.a.counts.values()), rep.a.up.seconds)
    return out


def peer(rep: Rep) -> dict[str, float]:
    """Rows/s of the peer script by plot label."""
    assert rep.peer is not None
    tables = rep.peer.tables
    out = {t: _rate(tables, (t,)) for t in tables}
    out[IDENTITY_GROUP] = _rate(tables, GROUP)
    out[END_TO_END] = stats.rate(sum(n for n, _ in tables.values()), rep.peer.seconds)
    return out


def data(size: Size, rep: Rep) -> dict[str, Any]:
    """What the plots read: each appended day's wall and rows, rows per table, rows/s by label."""
    days = sorted({*rep.a.appends, *rep.b.appends})
    return {
        "appends": {day: _seconds(rep, day) for day in days},
        "day_rows": {day: rep.day_rows(day) for day in days},
        "counts": rep.a.counts,
        "rates": ours(rep),
        "peer_rates": peer(rep) if rep.peer else {},
    }


PEER_KEYS = (("id", "identity", IDENTITY_GROUP, GROUP), ("likes", "likes", "likes", ("likes",)))


def peer_figures(rep: Rep) -> dict[str, float]:
    """One repetition's row of the comparison with the peer."""
    assert rep.peer is not None
    a, b = ours(rep), peer(rep)
    out: dict[str, float] = {"up_s": rep.a.up.seconds, "peer_s": rep.peer.seconds}
    for key, _, label, names in (*PEER_KEYS, ("e2e", "", END_TO_END, ())):
        out[f"ours_{key}"], out[f"peer_{key}"] = a[label], b[label]
        out[f"x_{key}"] = stats.ratio(a[label], b[label])
        if names:  # the ceiling: the raw COPY of the same tables' rows over the peer's rate
            out[f"limit_{key}"] = stats.ratio(rep.a.raw.timing.rate(names), b[label])
    return out


def peer_columns() -> list[Column]:
    out = []
    for key, name in (("id", "identity"), ("likes", "likes"), ("e2e", "end-to-end")):
        out += [
            Column(f"ours_{key}", f"ours {name} rows/s", ",.0f"),
            Column(f"peer_{key}", f"peer {name} rows/s", ",.0f"),
            Column(f"x_{key}", f"{name} ×", ",.1f"),
        ]
        if key != "e2e":
            out.append(Column(f"limit_{key}", f"{name}: raw COPY ×", ",.1f"))
    return [*out, Column("up_s", "ours up s"), Column("peer_s", "peer s")]


def peer_targets(size: Size, med: dict[str, float]) -> list[Target]:
    return [
        Target(
            f"seed-assets {name} rows/s at least {PEER_TARGET:g}× the peer's ({size.name})",
            f"median ratio {med[f'x_{key}']:,.1f}× ({med[f'ours_{key}']:,.0f} vs "
            f"{med[f'peer_{key}']:,.0f} rows/s)",
            med[f"x_{key}"] >= PEER_TARGET,
        )
        for key, name, _, _ in PEER_KEYS
    ]
