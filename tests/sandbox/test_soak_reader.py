"""The soak's auditor reads PostgreSQL as it reads SQLite: the same SQL with `?` placeholders,
rows by column name and by position, whole sums as integers, and nothing written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from sandbox.replicas.servers import fresh_schema
from sandbox.soak.reader import read_only
from tests.servers import need_postgres

TABLE = (
    "CREATE TABLE payments (id INTEGER PRIMARY KEY, reference TEXT NOT NULL, credited BIGINT);"
    "INSERT INTO payments VALUES (1, 'usdt:a?', 5000000), (2, 'stars:b', 7000000),"
    " (3, 'usdt:c', NULL);"
)


def read_back(where: str | Path) -> tuple[object, ...]:
    with read_only(where) as db:
        [(reference, credited)] = db.execute(
            "SELECT reference, credited FROM payments WHERE reference LIKE 'usdt:a?' AND id = ?",
            (1,),
        )
        total = db.execute("SELECT COALESCE(SUM(credited), 0) FROM payments").fetchone()[0]
        row = db.execute("SELECT id, reference FROM payments WHERE id = ?", (2,)).fetchone()
        none = db.execute("SELECT id FROM payments WHERE id = ?", (9,)).fetchone()
        return reference, credited, total, type(total), row["reference"], row[0], none


def test_sqlite_is_read_by_name_and_position(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(TABLE)
    assert read_back(path) == ("usdt:a?", 5000000, 12000000, int, "stars:b", 2, None)


async def test_postgresql_is_read_the_same_way_and_never_written() -> None:
    async with fresh_schema(need_postgres(), "test_reader") as url:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(TABLE)
        finally:
            await conn.close()
        assert read_back(url) == ("usdt:a?", 5000000, 12000000, int, "stars:b", 2, None)
        with read_only(url) as db, pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            db.execute("DELETE FROM payments")
