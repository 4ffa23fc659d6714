"""SQLite, the embedded default: one file, one writer.

Every write goes through `write()`: one connection, behind an asyncio lock, inside
`BEGIN IMMEDIATE`, so a check (a balance, a hold's state) and the write that depends on it can never
interleave with another writer. Reads use a second connection; WAL lets them run beside a writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.database import Database, Dialect, IntegrityError, Reads, Row, Transaction
from storage.migrations import apply_migrations, current_version
from storage.process_lock import ProcessLock

BUSY_TIMEOUT_MS = 5_000
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)


# Each ledger transaction sums to zero. PostgreSQL checks it with a trigger deferred to the commit;
# here, a temporary trigger of the writer's connection notes the transactions that got entries and
# the writer checks them just before each commit.
_LEDGER_WATCH = (
    "CREATE TEMP TABLE IF NOT EXISTS ledger_written (transaction_id INTEGER PRIMARY KEY)",
    "CREATE TEMP TRIGGER IF NOT EXISTS ledger_entries_written AFTER INSERT ON main.ledger_entries"
    " BEGIN INSERT OR IGNORE INTO ledger_written VALUES (NEW.transaction_id); END",
)


async def _refuse_unbalanced(conn: aiosqlite.Connection) -> None:
    unbalanced = await conn.execute_fetchall(
        "SELECT w.transaction_id, SUM(e.amount) FROM temp.ledger_written w"
        " JOIN ledger_entries e ON e.transaction_id = w.transaction_id"
        " GROUP BY w.transaction_id HAVING SUM(e.amount) != 0"
    )
    await conn.execute("DELETE FROM temp.ledger_written")
    for txn_id, total in unbalanced:
        raise sqlite3.IntegrityError(f"ledger transaction {txn_id} does not sum to zero ({total})")


class _ConnectionReads(Reads):
    # Each query runs and is read to its end in one step on the connection's thread:
    # - one trip, not three (run, fetch, close): every trip costs a thread switch, and a write
    #   transaction holds the writer for all of its trips;
    # - run and read in two steps, a statement stays open in between, and reads of other tasks
    #   sharing the connection join its read transaction: under a steady stream of overlapping
    #   reads that snapshot never ends, and a read misses what was committed long before (a
    #   settled order read back as still submitted).

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))


class SqliteTransaction(Transaction, _ConnectionReads):
    pass

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._conn.execute_fetchall(sql, params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        # One trip to the connection's thread (`lastrowid` is `last_insert_rowid()` too).
        row = await self._conn.execute_insert(sql, params)
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def execute_changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)

    async def serialize(self, topic: str) -> None:
        return None  # the single writer is in every section already

    async def lock_rows(self, table: str, ids: Iterable[Any]) -> dict[Any, Row]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        rows = await self.fetch_all(f"SELECT * FROM {table} WHERE id IN ({marks})", wanted)
        return {row["id"]: row for row in rows}


class SqliteDatabase(Database):
    dialect = Dialect.SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def where(self) -> str:
        return str(self.path)

    async def open(self) -> None:
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        try:
            await apply_migrations(self._writer)
            await self._watch_the_ledger(self._writer)
            self._reader = await self._connect()
        except BaseException:
            await self.close()  # an open connection's thread would keep the process alive
            raise

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in _PRAGMAS:
            await conn.execute(pragma)
        return conn

    async def _watch_the_ledger(self, conn: aiosqlite.Connection) -> None:
        """Note, on the writer's connection, each ledger transaction that gets entries, for
        `_refuse_unbalanced` to check before the commit (SQLite has no deferred triggers)."""
        for statement in _LEDGER_WATCH:
            await conn.execute(statement)

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    def shop_lock(self) -> ProcessLock:
        """The lock that keeps a second shop process off this database, taken by `python -m bot
        run` before it opens it and held for its life (`check`, `migrate` and `backup` never take
        it). SQLite has one writer: a second process would only wait on the first. The lock is
        the OS's, on `<file>.lock` beside the database."""
        return ProcessLock(self.path.with_name(f"{self.path.name}.lock"))

    @property
    def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("the database is not open")
        return self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("the database is not open")
        return self._reader

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self.reader.execute_fetchall(sql, params))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        async with self._write_lock:
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                tx = SqliteTransaction(conn)
                try:
                    yield tx
                    await _refuse_unbalanced(conn)
                except sqlite3.IntegrityError as refused:
                    raise IntegrityError(str(refused)) from refused
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reads]:
        conn = self.reader
        await conn.execute("BEGIN")
        try:
            yield _ConnectionReads(conn)
        finally:
            await conn.execute("COMMIT")

    async def schema_version(self) -> int:
        return await current_version(self.reader)

    async def backup(self, target: Path) -> None:
        """SQLite's online backup: a consistent copy while the shop keeps running."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self.writer.backup(dest)
            finally:
                await dest.close()
