"""SQLite access with one writer.

Every write goes through `Database.write()`: one connection, behind an asyncio lock, inside
`BEGIN IMMEDIATE`, so a check (a balance, a hold's state) and the write that depends on it can never
interleave with another writer. Reads use a second connection; WAL lets them run beside a writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import apply_migrations
from storage.process_lock import ProcessLock

BUSY_TIMEOUT_MS = 5_000
_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys=ON",
)

Row = sqlite3.Row


def utc_now() -> str:
    """Timestamps are stored as ISO-8601 UTC text, which sorts the same way as time."""
    return as_stored(datetime.now(UTC))


def as_stored(moment: datetime) -> str:
    """A UTC moment as timestamps are stored, to compare with them."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class _Reads(ABC):
    """Queries that return rows: on the reader connection, or inside a write transaction."""

    @abstractmethod
    def _connection(self) -> aiosqlite.Connection: ...

    # Each query runs and is read to its end in one step on the connection's thread:
    # - one trip, not three (run, fetch, close): every trip costs a thread switch, and a write
    #   transaction holds the writer for all of its trips;
    # - run and read in two steps, a statement stays open in between, and reads of other tasks
    #   sharing the connection join its read transaction: under a steady stream of overlapping
    #   reads that snapshot never ends, and a read misses what was committed long before (a
    #   settled order read back as still submitted).

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query meant to find one (by a key, an aggregate, `LIMIT 1`)."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._connection().execute_fetchall(sql, params))

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class Database(_Reads):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open both connections and bring the schema up to date."""
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        try:
            await apply_migrations(self._writer)
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

    async def close(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    def shop_lock(self) -> ProcessLock:
        """The lock that keeps a second shop process off this database, taken by `python -m bot
        run` before it opens it and held for its life (`check`, `migrate` and `backup` never take
        it). A shop process works as if it were the only one: it follows up every unsettled order
        upstream and polls Telegram, so a second one would ask about the first's orders as they
        are sent. With SQLite, the lock is the OS's, on `<file>.lock` beside the database; a
        database built for several processes would share that work out instead."""
        return ProcessLock(self.path.with_name(f"{self.path.name}.lock"))

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

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

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        async with self._write_lock:
            conn = self.writer
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")

    def _connection(self) -> aiosqlite.Connection:
        return self.reader

    async def backup(self, target: Path) -> None:
        """SQLite's online backup: a consistent copy while the shop keeps running."""
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._write_lock:
            dest = await aiosqlite.connect(target)
            try:
                await self.writer.backup(dest)
            finally:
                await dest.close()


class Transaction(_Reads):
    """The statements of one `Database.write()` block."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    def _connection(self) -> aiosqlite.Connection:
        return self._conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the last inserted row id (0 when none). One trip to the
        connection's thread (`lastrowid` is the connection's `last_insert_rowid()` too)."""
        row = await self._conn.execute_insert(sql, params)
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def execute_changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns how many rows it changed."""
        async with self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, rows)
