"""seed_assets.binary_copy: the binary COPY stream round-trips through a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import struct
from typing import Any

import polars as pl
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.rows import dict_row

from seed_assets import binary_copy
from tests.conftest import row_count

UTC = dt.UTC
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
I32_MIN, I32_MAX = -(2**31), 2**31 - 1
I16_MIN, I16_MAX = -(2**15), 2**15 - 1

COLUMNS = {
    "seq": ("integer", pl.Int32),
    "big": ("bigint", pl.Int64),
    "small": ("smallint", pl.Int16),
    "medium": ("integer", pl.Int32),
    "dbl": ("double precision", pl.Float64),
    "flag": ("boolean", pl.Boolean),
    "day": ("date", pl.Date),
    "ts": ("timestamptz", pl.Datetime("us", "UTC")),
    "naive": ("timestamp", pl.Datetime("us")),
    "txt": ("text", pl.String),
    "tags": ("text[]", pl.List(pl.String)),
    "nums": ("smallint[]", pl.List(pl.Int16)),
    "bigs": ("bigint[]", pl.List(pl.Int64)),
}

ROWS: list[dict[str, Any]] = [
    {
        "big": I64_MIN,
        "small": I16_MIN,
        "medium": I32_MIN,
        "dbl": -1.5,
        "flag": True,
        "day": dt.date(1999, 12, 31),
        "ts": dt.datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        "naive": dt.datetime(1969, 12, 31, 23, 59, 59, 1),
        "txt": "café ☕ 東京",
        "tags": ["café", "☕", "東京", ""],
        "nums": [I16_MIN, -1, 0, 1, I16_MAX],
        "bigs": [I64_MIN, I64_MAX],
    },
    {
        "big": I64_MAX,
        "small": I16_MAX,
        "medium": I32_MAX,
        "dbl": 1e308,
        "flag": False,
        "day": dt.date(1900, 2, 28),
        "ts": dt.datetime(1900, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        "naive": dt.datetime(2000, 1, 1),
        "txt": "",
        "tags": [],
        "nums": [],
        "bigs": [],
    },
    {
        "big": None,
        "small": None,
        "medium": None,
        "dbl": None,
        "flag": None,
        "day": None,
        "ts": None,
        "naive": None,
        "txt": None,
        "tags": None,
        "nums": None,
        "bigs": None,
    },
    {
        "big": -1,
        "small": -7,
        "medium": 0,
        "dbl": -0.0,
        "flag": True,
        "day": dt.date(1, 1, 1),
        "ts": dt.datetime(2000, 1, 1, tzinfo=UTC),
        "naive": dt.datetime(1999, 12, 31, 23, 59, 59, 999_999),
        "txt": 'quote " comma , brace {x} backslash \\ tab\tnewline\nNULL',
        "tags": [None, "NULL", 'a,"b"', "{c}", "\\"],
        "nums": [None, 5, None],
        "bigs": [None],
    },
    {
        "big": 0,
        "small": 0,
        "medium": 42,
        "dbl": float("inf"),
        "flag": False,
        "day": dt.date(1970, 1, 1),
        "ts": dt.datetime(1970, 1, 1, tzinfo=UTC),
        "naive": dt.datetime(2262, 4, 11, 23, 47, 16, 854_775),
        "txt": "x" * 5000,
        "tags": [None],
        "nums": [0],
        "bigs": [0],
    },
    {
        "big": 123_456_789_012,
        "small": 300,
        "medium": -123_456,
        "dbl": float("nan"),
        "flag": None,
        "day": dt.date(2099, 12, 31),
        "ts": dt.datetime(2024, 2, 29, 12, 30, 45, 123_456, tzinfo=UTC),
        "naive": dt.datetime(1900, 1, 1),
        "txt": "emoji 👩‍💻 and combining é",
        "tags": ["only"],
        "nums": [I16_MAX],
        "bigs": [None, 1, None],
    },
    {
        "big": None,
        "small": 1,
        "medium": None,
        "dbl": float("-inf"),
        "flag": True,
        "day": None,
        "ts": dt.datetime(2024, 1, 1, tzinfo=UTC),
        "naive": None,
        "txt": None,
        "tags": ["", ""],
        "nums": None,
        "bigs": None,
    },
    {
        "big": -9_999_999_999,
        "small": -1,
        "medium": 1,
        "dbl": 5e-324,
        "flag": False,
        "day": dt.date(2000, 1, 1),
        "ts": dt.datetime(1950, 6, 15, 8, 0, tzinfo=UTC),
        "naive": dt.datetime(1950, 6, 15, 8, 0),
        "txt": " ",
        "tags": None,
        "nums": [1, 2, 3],
        "bigs": [],
    },
]


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    data = [{"seq": i, **row} for i, row in enumerate(rows)]
    return pl.DataFrame(data, schema={name: dtype for name, (_, dtype) in COLUMNS.items()})


def _create(conn: psycopg.Connection, name: str, columns: dict[str, str]) -> None:
    body = ", ".join(f'"{c}" {sql}' for c, sql in columns.items())
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    conn.execute(f'CREATE TEMP TABLE "{name}" ({body})')  # type: ignore[arg-type]


def _copy_in(conn: psycopg.Connection, name: str, frame: pl.DataFrame, **kw: int) -> bytes:
    query = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary)").format(
        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    )
    sent = []
    with conn.cursor().copy(query) as cp:
        for block in binary_copy.encode(frame, **kw):
            sent.append(block)
            cp.write(block)
    return b"".join(sent)


def _copy_out(conn: psycopg.Connection, name: str, columns: list[str], order: str) -> bytes:
    query = sql.SQL("COPY (SELECT {} FROM {} ORDER BY {}) TO STDOUT (FORMAT binary)").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(name),
        sql.Identifier(order),
    )
    out = bytearray()
    with conn.cursor() as cur, cur.copy(query) as cp:
        for block in cp:
            out += block
    return bytes(out)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a == b and (a.tzinfo is None) == (b.tzinfo is None)
    return type(a) is type(b) and a == b


@pytest.fixture
def table(conn: psycopg.Connection) -> str:
    _create(conn, "t", {c: sql for c, (sql, _) in COLUMNS.items()})
    return "t"


def test_frame_has_the_declared_dtypes_and_nulls_everywhere() -> None:
    frame = _frame(ROWS)
    assert frame.schema == pl.Schema({c: d for c, (_, d) in COLUMNS.items()})
    for name in frame.columns:
        if name != "seq":
            assert frame[name].null_count() > 0, name


def test_values_round_trip(conn: psycopg.Connection, table: str) -> None:
    frame = _frame(ROWS)
    _copy_in(conn, table, frame)
    cols = sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(sql.SQL("SELECT {} FROM {} ORDER BY seq").format(cols, sql.Identifier(table)))
        got = cur.fetchall()
    expected = frame.to_dicts()
    assert len(got) == len(expected)
    for want_row, got_row in zip(expected, got, strict=True):
        assert list(got_row) == list(want_row)
        for name, want in want_row.items():
            have = got_row[name]
            if isinstance(want, list):
                assert isinstance(have, list), name
                assert len(have) == len(want), (name, want, have)
                assert all(_same(w, h) for w, h in zip(want, have, strict=True)), (name, want, have)
            elif want is None:
                assert have is None, (name, have)
            else:
                assert _same(want, have), (name, want, have)
            if isinstance(have, dt.datetime) and name == "ts":
                assert have.utcoffset() == dt.timedelta(0)


def test_copy_out_bytes_equal_the_bytes_sent(conn: psycopg.Connection, table: str) -> None:
    frame = _frame(ROWS)
    sent = _copy_in(conn, table, frame)
    assert sent.startswith(binary_copy.HEADER)
    assert sent.endswith(binary_copy.TRAILER)
    back = _copy_out(conn, table, frame.columns, "seq")
    assert back == sent


def test_chunking_does_not_change_the_stream(conn: psycopg.Connection, table: str) -> None:
    frame = _frame(ROWS * 3).with_columns(pl.int_range(pl.len(), dtype=pl.Int32).alias("seq"))
    whole = b"".join(binary_copy.encode(frame))
    for chunk_rows in (1, 2, 5, 7, 1000):
        blocks = list(binary_copy.encode(frame, chunk_rows=chunk_rows))
        assert len(blocks) == 2 + math.ceil(frame.height / chunk_rows)
        assert b"".join(blocks) == whole
    sent = _copy_in(conn, table, frame, chunk_rows=4)
    assert sent == whole
    assert _copy_out(conn, table, frame.columns, "seq") == whole


def test_multi_chunk_series_encode_like_rechunked_ones() -> None:
    parts = [_frame(ROWS[:3]), _frame(ROWS[3:])]
    stitched = pl.concat(parts, rechunk=False)
    assert max(stitched.n_chunks("all")) > 1
    assert b"".join(binary_copy.encode(stitched)) == b"".join(
        binary_copy.encode(stitched.rechunk())
    )


FIXED = ["seq", "big", "small", "medium", "dbl", "flag", "day", "ts", "naive"]


@pytest.mark.parametrize("with_nulls", [False, True], ids=["one-record-array", "nulls-as-pieces"])
def test_fixed_width_frames_round_trip(
    conn: psycopg.Connection, table: str, with_nulls: bool
) -> None:
    """Fixed-width columns without nulls are encoded as one record array, without the byte map
    of the mixed case; both layouts give the bytes PostgreSQL itself writes."""
    frame = _frame(ROWS).select(FIXED)
    if not with_nulls:
        frame = frame.fill_null(strategy="zero").with_columns(pl.col("flag").fill_null(False))
        frame = frame.with_columns(
            pl.col(c).fill_null(pl.col(c).drop_nulls().first()) for c in ("day", "ts", "naive")
        )
        assert frame.null_count().sum_horizontal().item() == 0
    sent = _copy_in(conn, table, frame)
    assert _copy_out(conn, table, frame.columns, "seq") == sent


def test_empty_frame(conn: psycopg.Connection, table: str) -> None:
    frame = _frame([])
    assert frame.height == 0
    sent = _copy_in(conn, table, frame)
    assert sent == binary_copy.HEADER + binary_copy.TRAILER
    assert row_count(conn, table) == 0
    assert _copy_out(conn, table, frame.columns, "seq") == sent


def test_encode_rows_of_an_empty_frame_is_empty() -> None:
    # encode_rows documents (and tries to implement: `... if n else b""`) an empty tuple stream
    # for a frame without rows.
    assert binary_copy.encode_rows(_frame([])) == b""


def test_stream_layout_by_hand() -> None:
    frame = pl.DataFrame(
        {"a": [1, None], "b": ["hé", None]}, schema={"a": pl.Int16, "b": pl.String}
    )
    body = b"".join(
        [
            struct.pack(">h", 2),
            struct.pack(">ih", 2, 1),
            struct.pack(">i", 3) + "hé".encode(),
            struct.pack(">h", 2),
            struct.pack(">i", -1),
            struct.pack(">i", -1),
        ]
    )
    assert b"".join(binary_copy.encode(frame)) == binary_copy.HEADER + body + binary_copy.TRAILER


# --- property: random frames of ints and strings --------------------------------------------------

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=12,
)
rows_strategy = st.lists(
    st.tuples(
        st.none() | st.integers(I64_MIN, I64_MAX),
        st.none() | st.integers(I16_MIN, I16_MAX),
        st.none() | st.integers(I32_MIN, I32_MAX),
        st.none() | texts,
        st.none() | st.lists(st.none() | texts, max_size=4),
    ),
    max_size=25,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy)
def test_random_frames_round_trip(conn: psycopg.Connection, rows: list[tuple]) -> None:
    _create(
        conn,
        "p",
        {"seq": "integer", "a": "bigint", "b": "smallint", "c": "integer", "s": "text"}
        | {"l": "text[]"},
    )
    frame = pl.DataFrame(
        [(i, *r) for i, r in enumerate(rows)],
        schema={
            "seq": pl.Int32,
            "a": pl.Int64,
            "b": pl.Int16,
            "c": pl.Int32,
            "s": pl.String,
            "l": pl.List(pl.String),
        },
        orient="row",
    )
    sent = _copy_in(conn, "p", frame)
    got = conn.execute('SELECT seq, a, b, c, s, l FROM "p" ORDER BY seq').fetchall()
    assert [tuple(r) for r in got] == [(i, *r) for i, r in enumerate(rows)]
    assert _copy_out(conn, "p", frame.columns, "seq") == sent
