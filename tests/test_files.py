"""`seed export` and `seed load`: files straight from the generators, loaded back exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import psycopg
import pytest

from seed_assets import GENERATOR_VERSION, database, ddl, files, runs
from seed_assets.encoded import partition_digest
from seed_assets.file_formats import read_files
from seed_assets.manifest_file import EXPORTABLE, MANIFEST
from tests.conftest import SMALL, fresh_database, table_digest

SEED = str(Path(sys.executable).with_name("seed"))
DAYS = 3
SMALL_ARGS = ["--users", "1000", "--shard-size", "250", "--run-seed", "test", "--days", str(DAYS)]
CATALOG = "interest_subjects,quiz_questions"
BAD_SHARD = {"partition": "s0009", "rows": 1, "digest": "0" * 32, "files": ["users/s0009.parquet"]}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith("SEED_") or k == "SEED_CACHE"
    }
    full_env.pop("DATABASE_URL", None)
    full_env.update(env)
    return subprocess.run(
        [SEED, *args], env=full_env, capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture
def env(seed_home: Path, db_url: str) -> dict[str, str]:
    return {
        "SEED_HOME": str(seed_home / "seed"),
        "DAGSTER_HOME": str(seed_home / "dagster"),
        "DATABASE_URL": db_url,
        "COLUMNS": "160",
    }


def contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())


def seeded_manifest(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT table_name, partition_key, row_count, digest, run_seed, params_fingerprint, "
        "code_version FROM seed_manifest WHERE table_name = ANY(%s) "
        "ORDER BY table_name, partition_key",
        [EXPORTABLE],
    ).fetchall()


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_twice_gives_identical_files(tmp_path: Path, fmt: str) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    totals = files.export(SMALL, first, fmt, days=DAYS)
    files.export(SMALL, second, fmt, days=DAYS)
    assert contents(first) == contents(second)
    manifest = manifest_of(first)
    assert manifest["format"] == fmt and manifest["generator_version"] == GENERATOR_VERSION
    assert manifest["params"]["fingerprint"] == SMALL.fingerprint()
    assert list(manifest["tables"]) == EXPORTABLE
    assert [e["partition"] for e in manifest["tables"]["users"]] == [f"s000{i}" for i in range(4)]
    assert [e["partition"] for e in manifest["tables"]["likes"]] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
    ]
    assert sum(e["rows"] for e in manifest["tables"]["users"]) == 1_000
    assert {t.table: t.rows for t in totals}["likes"] > 1_000
    # Exporting again over the same export rewrites it to the same bytes.
    files.export(SMALL, first, fmt, days=DAYS)
    assert contents(first) == contents(second)


def test_shard_rows_split_files_whose_union_is_the_whole(tmp_path: Path) -> None:
    whole, split = tmp_path / "whole", tmp_path / "split"
    files.export(SMALL, whole, days=DAYS)
    files.export(SMALL, split, days=DAYS, shard_rows=700)
    whole_m, split_m = manifest_of(whole), manifest_of(split)
    pieces = 0
    for table in EXPORTABLE:
        for w, s in zip(whole_m["tables"][table], split_m["tables"][table], strict=True):
            assert {**w, "files": None} == {**s, "files": None}  # same partition, rows, digest
            assert len(s["files"]) == max(1, -(-s["rows"] // 700))
            parts = [pl.read_parquet(split / name) for name in s["files"]]
            assert all(p.height <= 700 for p in parts)
            rebuilt = read_files(table, [split / name for name in s["files"]], "parquet")
            assert rebuilt.equals(read_files(table, [whole / w["files"][0]], "parquet"))
            pieces += len(s["files"]) - 1
    assert pieces > 10  # likes, feed_seen and quiz_results were split
    assert split_m["tables"]["likes"][0]["files"][0] == "likes/2024-01-01-0000.parquet"


def test_export_over_a_previous_export_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files.export(SMALL, out)
    assert (out / "profiles").is_dir()
    files.export(SMALL, out, tables="users")
    assert sorted(contents(out)) == ["manifest.json"] + [f"users/s000{i}.parquet" for i in range(4)]


def test_load_equals_seed_up(
    env: dict[str, str], conn: psycopg.Connection, server_url: str, tmp_path: Path
) -> None:
    up = run(["up", *SMALL_ARGS, "--skip-jobs"], env)
    assert up.returncode == 0, up.stderr
    out = tmp_path / "export"
    exported = run(["export", "--out", str(out), *SMALL_ARGS], env)
    assert exported.returncode == 0, exported.stderr
    assert "likes" in exported.stdout and "exported" in exported.stdout
    with fresh_database(server_url) as other_url:
        loaded = run(["load", "--from", str(out)], {**env, "DATABASE_URL": other_url})
        assert loaded.returncode == 0, loaded.stderr
        assert "keys, indexes, foreign keys, ANALYZE" in loaded.stdout
        with database.connection(other_url, autocommit=True) as other:
            for table in EXPORTABLE:
                assert table_digest(other, table) == table_digest(conn, table), table
            assert seeded_manifest(other) == seeded_manifest(conn)
            constraints = "SELECT contype, count(*) FROM pg_constraint GROUP BY 1 ORDER BY 1"
            assert other.execute(constraints).fetchall() == conn.execute(constraints).fetchall()
            recorded = other.execute("SELECT command, status FROM seed_runs").fetchall()
            assert recorded == [("seed load", "success")]
            # `seed extend` and `seed jobs` continue from the loaded export's parameters.
            assert runs.last_params(other) == runs.last_params(conn)


def test_csv_and_parquet_load_the_same_rows(server_url: str, tmp_path: Path) -> None:
    digests = []
    for fmt in ("parquet", "csv"):
        files.export(SMALL, tmp_path / fmt, fmt, days=DAYS)
        with fresh_database(server_url) as url:
            files.load(url, tmp_path / fmt)
            files.load(url, tmp_path / "parquet")  # again, onto a seeded database: same rows
            with database.connection(url, autocommit=True) as conn:
                digests.append([table_digest(conn, t) for t in EXPORTABLE] + seeded_manifest(conn))
                assert conn.execute("SELECT count(*) FROM seed_runs").fetchone() == (2,)
    assert digests[0] == digests[1]


def test_csv_files_load_with_plain_copy(conn: psycopg.Connection, tmp_path: Path) -> None:
    files.export(SMALL, tmp_path, "csv", tables=f"{CATALOG},users,profiles,quiz_results")
    ddl.ensure_schema(conn, bare=True)
    manifest = files.read_manifest(tmp_path)
    for table, entries in manifest.tables.items():
        for entry in entries:
            with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER)") as copy:  # type: ignore[arg-type]
                copy.write((tmp_path / entry.files[0]).read_bytes())
            part = manifest.partition(table, entry.partition)
            assert partition_digest(conn, table, part) == (entry.rows, entry.digest), table


@pytest.fixture
def small_export(tmp_path: Path) -> Path:
    out = tmp_path / "small"
    files.export(SMALL, out, tables=CATALOG)
    return out


def test_changed_files_fail_the_load_loudly(
    small_export: Path, env: dict[str, str], conn: psycopg.Connection
) -> None:
    path = small_export / "interest_subjects" / "all.parquet"
    frame = pl.read_parquet(path)
    frame.with_columns(pl.col("name").str.to_uppercase()).write_parquet(path)
    result = run(["load", "--from", str(small_export)], env)
    assert result.returncode == 4
    assert len(error_lines(result)) == 1 and "digest" in error_lines(result)[0]
    assert conn.execute("SELECT status FROM seed_runs").fetchall() == [("failure",)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "format must be one of parquet, csv"),
        (["--shard-rows", "-5"], "shard rows must be at least 1"),
        (["--shard-rows", "lots"], "whole number"),
        (["--tables", "users,nope"], "unknown tables ['nope']"),
        (["--tables", "likes"], "need --days"),
        (["--tables", "match_scores"], "derived tables are not exported"),
        (["--users", "-1"], "users must be between 1"),
        (["--days", "-1"], "days must be between 0"),
    ],
)
def test_bad_export_options_write_nothing(
    args: list[str], message: str, seed_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(["export", "--out", str(out), *args], {"SEED_HOME": str(seed_home / "seed")})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not out.exists()


def test_export_refuses_a_directory_it_did_not_write(
    small_export: Path, env: dict[str, str], tmp_path: Path
) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    cases = [(foreign, "parquet", "holds no seed export"), (small_export, "csv", "parquet export")]
    for out, fmt, message in cases:
        before = contents(out)
        result = run(["export", "--out", str(out), "--format", fmt], env)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
        assert contents(out) == before


def _spoil(folder: Path, name: str, text: str | None) -> Path:
    """Delete a file of the export (``text`` None) or overwrite it."""
    if text is None:
        (folder / name).unlink()
    else:
        (folder / name).write_text(text)
    return folder


def _edit_manifest(folder: Path, **changes: object) -> Path:
    manifest = manifest_of(folder)
    manifest.update(changes)
    return _spoil(folder, MANIFEST, json.dumps(manifest))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda d: d / "missing", "no such directory"),
        (lambda d: _spoil(d, MANIFEST, None), "not a seed export"),
        (lambda d: _spoil(d, MANIFEST, "{"), "not a valid export manifest"),
        (lambda d: _edit_manifest(d, format="xml"), "format 'xml'"),
        (lambda d: _edit_manifest(d, generator_version="0"), "generator version '0'"),
        (lambda d: _edit_manifest(d, tables={"nope": []}), "tables ['nope'] cannot be loaded"),
        (lambda d: _edit_manifest(d, tables={"users": [BAD_SHARD]}), "shard s0009 is outside"),
        (lambda d: _spoil(d, "quiz_questions/all.parquet", None), "is incomplete"),
    ],
)
def test_bad_exports_are_refused_before_anything_is_written(
    spoil, message: str, small_export: Path, env: dict[str, str], conn: psycopg.Connection
) -> None:
    result = run(["load", "--from", str(spoil(small_export))], env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert ddl.existing_tables(conn) == set()


def test_load_needs_the_same_dev_password(
    small_export: Path, env: dict[str, str], conn: psycopg.Connection
) -> None:
    result = run(["load", "--from", str(small_export)], {**env, "SEED_DEV_PASSWORD": "other"})
    assert result.returncode == 2 and "SEED_DEV_PASSWORD" in result.stderr
    assert ddl.existing_tables(conn) == set()


def test_a_bulk_load_needs_the_tables_referred_to(
    env: dict[str, str], conn: psycopg.Connection, tmp_path: Path
) -> None:
    files.export(SMALL, tmp_path, tables="profiles")
    result = run(["load", "--from", str(tmp_path)], env)
    assert result.returncode == 2
    assert error_lines(result) == [
        "error: the export lacks users, which its tables refer to; load it into a seeded "
        "database, or export those tables too"
    ]
    assert ddl.existing_tables(conn) <= {"seed_marker"}


def test_help_documents_the_options() -> None:
    export = run(["export", "--help"], {})
    for option in ("--out", "--format", "--shard-rows", "--tables", "--users", "--days"):
        assert option in export.stdout
    assert "--from" in run(["load", "--help"], {}).stdout
