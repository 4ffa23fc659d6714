"""The database layer: what a read sees, however many readers share its connection."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from storage.sqlite import SqliteDatabase
from tests.databases import both_backends, fresh_database


async def test_a_read_after_a_commit_sees_it_while_other_reads_keep_the_reader_busy(
    tmp_path: Path,
) -> None:
    # Reads share one connection. A statement left open between two of its steps keeps that
    # connection's read transaction (its snapshot) alive for every read that joins meanwhile, so
    # under a steady stream of overlapping reads a read could miss what was committed long before.
    async with SqliteDatabase(tmp_path / "reads.sqlite3") as db:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
            await tx.execute("INSERT INTO counter VALUES (1, 0)")
        stop = asyncio.Event()

        async def busy_reader() -> None:
            while not stop.is_set():
                await db.fetch_one("SELECT value FROM counter WHERE id = 1")
                await db.fetch_all("SELECT value FROM counter")

        readers = [asyncio.create_task(busy_reader()) for _ in range(50)]
        try:
            await asyncio.sleep(0.05)
            for value in range(1, 31):
                async with db.write() as tx:
                    await tx.execute("UPDATE counter SET value = ? WHERE id = 1", (value,))
                assert await db.fetch_value("SELECT value FROM counter WHERE id = 1") == value
        finally:
            stop.set()
            for reader in readers:
                with contextlib.suppress(asyncio.CancelledError):
                    await reader


@both_backends
async def test_a_sum_of_amounts_reads_as_a_whole_number_on_both_databases(
    backend: str, tmp_path: Path
) -> None:
    """Amounts are whole smallest units: their sum is an int, as SQLite gives it, not the
    Decimal PostgreSQL's NUMERIC would be (shown "12.0" once divided, refused by JSON)."""
    async with fresh_database(backend, tmp_path) as db:
        total = await db.fetch_value(
            "SELECT SUM(amount) FROM (SELECT 9000000000000 AS amount UNION ALL SELECT 3) AS amounts"
        )
        assert total == 9_000_000_000_003 and type(total) is int
        half = await db.fetch_value("SELECT SUM(amount) / 2.0 FROM (SELECT 3 AS amount) AS a")
        assert float(half) == 1.5  # a true fraction still reads as one
