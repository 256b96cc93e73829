"""The layering the code promises: the write path and the generators import no Dagster, read no
environment of their own, and the write listeners and the memo are plain objects passed in."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from seed_assets.memo import MEMO_ENV, NO_MEMO, Memo
from seed_assets.progress import Listeners, OnFinish, Progress

PACKAGE = Path(__file__).resolve().parents[1] / "seed_assets"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_write_path_and_the_generators_load_without_dagster() -> None:
    code = (
        "import sys, seed_assets.write, seed_assets.prefetch, seed_assets.generators.activity; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_generators_read_no_environment_and_no_files() -> None:
    for path in (PACKAGE / "generators").rglob("*.py"):
        imports = _imports(path)
        assert not imports & {"os", "tempfile", "seed_assets.database"}, path
        assert "os.environ" not in path.read_text() and "getenv" not in path.read_text(), path


def test_defs_modules_do_not_import_each_other_in_a_cycle() -> None:
    assert "seed_assets.defs.activity" not in _imports(PACKAGE / "defs" / "assets.py")
    assert not any(
        "writing" in name or name == "seed_assets.defs.assets"
        for name in _imports(Path(__file__).resolve().parents[1] / "jobs" / "assets.py")
    )


class _Log(Progress):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def start(self, task: str, total: int) -> None:
        self.log.append(f"{self.name} start {task} {total}")

    def advance(self, task: str, rows: int) -> None:
        self.log.append(f"{self.name} advance {task} {rows}")

    def finish(self, task: str) -> None:
        self.log.append(f"{self.name} finish {task}")


def test_listeners_are_told_everything_in_order_and_on_finish_only_the_end() -> None:
    log: list[str] = []
    written: list[str] = []
    both = Listeners(_Log("a", log), _Log("b", log), OnFinish(written.append))
    both.start("users", 2)
    both.advance("users", 10)
    both.finish("users")
    assert log == [
        "a start users 2",
        "b start users 2",
        "a advance users 10",
        "b advance users 10",
        "a finish users",
        "b finish users",
    ]
    assert written == ["users"]


@pytest.mark.parametrize(
    ("value", "on"), [("", True), ("on", True), ("off", False), (" OFF ", False), ("0", False)]
)
def test_the_memo_switch(value: str, on: bool, tmp_path: Path) -> None:
    memo = Memo.from_env(tmp_path, {MEMO_ENV: value})
    assert memo.directory == (tmp_path if on else None)
    assert NO_MEMO.directory is None
