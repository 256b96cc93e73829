"""A too-small filesystem: an embedded server on a tmpfs that fills up, then room for a rerun."""

from __future__ import annotations

import subprocess
from pathlib import Path

from chaos.harness import START, Lab, Snapshot, embedded_snapshot, postmaster_pid, stop_orphan
from chaos.scenarios.trial import EXIT_RUN, Result, Trial

DISK_SEED = ["--users", "3000", "--shard-size", "500", "--run-seed", "chaos-disk"]
DISK_UP = ["up", *DISK_SEED, *START, "--days", "5"]


def full_disk(lab: Lab, trials: int, size_mb: int | None = None) -> Result:
    """An embedded server on a too-small tmpfs: exit 4 with one line; with more room, the rerun
    gives the reference of the same seed; no server left running."""
    result = Result("full_disk", "a too-small filesystem (tmpfs)")
    ref = _reference(lab, result)
    if ref is None:
        return result
    template = _template_mb(lab)
    size = size_mb or max(40, template + 12)
    result.notes.append(f"tmpfs of {size} MB (the cluster template: {template} MB)")
    for i in range(trials):
        trial = Trial(result, lab, f"tmpfs #{i + 1}")
        home = lab.home()
        mount = home / "seed"
        mount.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}m,mode=0777", "tmpfs", str(mount)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            result.skipped = f"skipped: mount -t tmpfs not allowed ({done.stderr.strip()[:120]})"
            lab.cleanup_home(home)
            return result
        try:
            _fill_then_rerun(lab, trial, home, mount, ref)
        finally:
            stop_orphan(home)
            subprocess.run(["umount", str(mount)], check=False, capture_output=True)
            if mount.is_mount():
                subprocess.run(["umount", "-l", str(mount)], check=False)
        trial.done()
        lab.cleanup_home(home)
    return result


def _reference(lab: Lab, result: Result) -> Snapshot | None:
    """The same seed on the suite's server (None, with a note, when that fails)."""
    ref_db = lab.create_db()
    home = lab.home()
    ref_out = lab.run(DISK_UP, lab.env(ref_db, home))
    lab.cleanup_home(home)
    ref = lab.snapshot(ref_db) if ref_out.code == 0 else None
    if ref is None:
        result.notes.append(f"reference failed: {ref_out.brief()}")
    lab.drop_db(ref_db)
    return ref


def _fill_then_rerun(lab: Lab, trial: Trial, home: Path, mount: Path, ref: Snapshot) -> None:
    """`seed up` on the full tmpfs (exit 4, no server left), then again with room for it."""
    env = lab.env(None, home)
    out = trial.seen(lab.run(DISK_UP, env))
    trial.details["first_exit"] = out.code
    trial.check(out.code == EXIT_RUN, f"expected exit 4: {out.brief()}")
    trial.check(out.one_line(), f"not one line on stderr: {out.brief()}")
    if postmaster_pid(home) is not None:
        trial.result.counts["orphans"] += 1
        trial.problems.append("the embedded server left running after the failure")
        stop_orphan(home)
    subprocess.run(["mount", "-o", "remount,size=2g", str(mount)], check=True)
    again = trial.seen(lab.run(DISK_UP, env))
    trial.check(again.code == 0, f"the rerun with room: {again.brief()}")
    audit = trial.seen(lab.run(["audit"], env))
    trial.check(audit.code == 0, f"audit: {audit.brief()}")
    if postmaster_pid(home) is not None:
        trial.result.counts["orphans"] += 1
        trial.problems.append("the embedded server left running after the rerun")
    try:
        trial.diff(ref, embedded_snapshot(home, env))
    except RuntimeError as exc:
        trial.problems.append(str(exc))


def _template_mb(lab: Lab) -> int:
    total = sum(p.stat().st_size for p in lab.cache.rglob("*") if p.is_file())
    return max(1, total // 2**20)
