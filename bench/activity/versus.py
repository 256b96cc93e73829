"""seed-assets against the peer (a typical Faker + executemany seed script), same repetitions.

Rows per second by table group, each side measured on its own fresh server in the same
repetition: identity (users, profiles, profile_media, user_interests: the four tables both fill),
likes, and end to end. Ours come from ``seed up``'s own asset steps as recorded in Dagster
(``bench.tiers``); the peer's from the script's own per-table clock (``bench.peer``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench import seedcli, stats
from bench.activity.reps import Rep
from bench.activity.sizes import ACTIVITY, IDENTITY, TABLES, Size
from bench.peerrun import PEER_TABLES, PeerRun
from bench.report import Column, Section, Target
from bench.tiers import Step

TARGET_RATIO = 50.0
GROUP = ("users", "profiles", "profile_media", "user_interests")
IDENTITY_GROUP = "identity (4 tables)"
ACTIVITY_STEP = "activity step (6 tables)"
END_TO_END = "end to end"
# Rows of the rows-per-second plot, in order.
LABELS = [*IDENTITY, IDENTITY_GROUP, "likes", ACTIVITY_STEP, END_TO_END]


def _rate(steps: Sequence[Step]) -> float:
    return stats.rate(sum(s.rows for s in steps), sum(s.seconds for s in steps))


def ours(rep: Rep) -> dict[str, float]:
    """Rows/s of seed-assets by plot label (an activity table's seconds are its whole step's)."""
    out = {t: _rate([s]) for t, s in rep.steps.items() if t in TABLES}
    out[IDENTITY_GROUP] = _rate([rep.steps[t] for t in GROUP])
    activity_rows = sum(rep.steps[t].rows for t in ACTIVITY)
    out[ACTIVITY_STEP] = stats.rate(activity_rows, rep.steps["likes"].seconds)
    out[END_TO_END] = stats.rate(sum(rep.counts.values()), rep.up.seconds)
    return out


def peer(run: PeerRun) -> dict[str, float]:
    """Rows/s of the peer script by plot label."""
    out = {t: _rate([s]) for t, s in run.tables.items()}
    out[IDENTITY_GROUP] = _rate([run.tables[t] for t in GROUP])
    out[END_TO_END] = stats.rate(run.rows, run.seconds)
    return out


def figures(rep: Rep) -> dict[str, float]:
    assert rep.peer is not None
    a, b = ours(rep), peer(rep.peer)
    out: dict[str, float] = {"up_s": rep.up.seconds, "peer_s": rep.peer.seconds}
    for key, label in (("id", IDENTITY_GROUP), ("likes", "likes"), ("e2e", END_TO_END)):
        out[f"ours_{key}"], out[f"peer_{key}"] = a[label], b[label]
        out[f"x_{key}"] = stats.ratio(a[label], b[label])
    # The ceiling: the raw COPY of the same tables' rows (the limit), over the peer's rate.
    for key, names in (("id", GROUP), ("likes", ("likes",))):
        limit = rep.raw.rate(names) if rep.raw and rep.raw.tables else math.nan
        out[f"limit_{key}"] = stats.ratio(limit, out[f"peer_{key}"])
    return out


def columns() -> list[Column]:
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


def section(size: Size, reps: Sequence[Rep], log_dir: Path) -> Section:
    """The comparison's table, targets and notes over the repetitions where the peer ran."""
    rows = [figures(r) for r in reps]
    med = stats.medians(rows, [c.key for c in columns()])
    targets = [
        Target(
            f"seed-assets {name} rows/s at least {TARGET_RATIO:g}× the peer's ({size.name})",
            f"median ratio {med[f'x_{key}']:,.1f}× ({med[f'ours_{key}']:,.0f} vs "
            f"{med[f'peer_{key}']:,.0f} rows/s)",
            med[f"x_{key}"] >= TARGET_RATIO,
        )
        for key, name in (("id", "identity"), ("likes", "likes"))
    ]
    return Section(
        title=f"peer {size.label} × {len(reps)}: seed-assets vs a typical seed script",
        columns=columns(),
        reps=rows,
        medians=med,
        targets=targets,
        notes=notes(size, reps, log_dir),
        server=reps[0].server,
    )


def _median_rows(tables: Sequence[Mapping[str, Step]], names: Sequence[str]) -> str:
    return ", ".join(f"{t} {stats.median(m[t].rows for m in tables):,.0f}" for t in names)


def notes(size: Size, reps: Sequence[Rep], log_dir: Path) -> list[str]:
    runs = [r.peer for r in reps if r.peer is not None]
    per_table = {t: stats.median(peer(run)[t] for run in runs) for t in PEER_TABLES}
    ours_table = {t: stats.median(ours(r)[t] for r in reps) for t in PEER_TABLES}
    likes = [r.steps["likes"] for r in reps]
    step_rows = stats.median(sum(r.steps[t].rows for t in ACTIVITY) for r in reps)
    return [
        "the peer is `bench/peer.py`: per-row Faker and `random` (seeded), one bcrypt hash for "
        "everyone, SQLAlchemy Core `conn.execute(table.insert(), rows)` (executemany) in batches "
        "of 1,000 with a commit per batch, into a fresh server of the same kind as `seed up`'s "
        "(embedded PostgreSQL, the same development settings), migrated beforehand and untimed: "
        "the whole schema with indexes and foreign keys, the interest catalog, the likes day "
        f"partitions. It aims at the likes of our run ({size.users:,} users × {size.days} days); "
        f"rows it wrote (median): {_median_rows([r.tables for r in runs], PEER_TABLES)}; ours: "
        f"{_median_rows([r.steps for r in reps], PEER_TABLES)}.",
        "identity rows/s is the four tables both fill (users, profiles, profile_media, "
        "user_interests): their rows over their seconds. Ours: each table's asset step in "
        "`seed up` (generation and bulk COPY into bare tables, as recorded in Dagster's event "
        "log); the indexes and foreign keys are built afterwards, once, and are in the "
        "end-to-end figure only, while the peer maintains them row by row. Peer: each table's "
        "function in the script (generation and inserts). Per table, ours vs peer (median "
        "rows/s): "
        + ", ".join(f"{t} {ours_table[t]:,.0f} vs {per_table[t]:,.0f}" for t in GROUP)
        + ".",
        f"likes rows/s, ours: likes over the whole activity step of `seed up` "
        f"({stats.median(s.seconds for s in likes):.2f} s), which also simulates and loads "
        f"posts, matches, conversations, messages and feed_seen ({step_rows:,.0f} rows in all); "
        f"the likes' own load transactions took {stats.median(s.write_seconds for s in likes):.2f}"
        f" s ({stats.median(stats.rate(s.rows, s.write_seconds) for s in likes):,.0f} rows/s, "
        f"not judged). Peer: its likes function ({per_table['likes']:,.0f} rows/s).",
        "end to end: ours is every identity and activity row over the whole `seed up` "
        "subprocess (interpreter, Dagster import, initdb and start of its server, all tiers, "
        "indexes/foreign keys/ANALYZE, shutdown); the peer's is its five tables over its own "
        "process (interpreter, imports, all of the script) on a server already running and "
        "migrated.",
        "ratios are ours / peer within one repetition (both run back to back), then the median.",
        "raw COPY × is the ceiling any loader has on this machine: the rows per second of the "
        "raw-limit load of the same repetition (binary COPY of ready-made bytes into bare "
        "tables, no generation; the same tables, all of database A's rows) over the peer's. "
        f"Where it is below {TARGET_RATIO:g}×, no seeding of those tables can reach the target "
        "here.",
        f"peer logs and timings (git-ignored): {seedcli.shown(log_dir)}/",
    ]
