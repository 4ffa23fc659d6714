"""The shop's database, SQLite or PostgreSQL, behind one small interface.

Every query in `storage/` is plain SQL written once, in the part both databases speak alike (`?`
placeholders, `ON CONFLICT`, `RETURNING`, ISO-8601 text timestamps). What differs lives in a
`Dialect`: how placeholders are numbered, how a row is locked, how two moments are subtracted.

- `SqliteDatabase` (`storage/sqlite.py`), the embedded default: one writer, behind an asyncio
  lock, inside `BEGIN IMMEDIATE`, so a check and the write that depends on it never interleave.
- `PostgresDatabase` (`storage/postgres.py`), for several shop processes on one database: write
  transactions run side by side and what SQLite's single writer gave is asked of the rows:
  `lock_rows()` (`FOR UPDATE`) before a check that guards money, compare-and-set updates
  (`... WHERE status = 'pending'`) and unique keys for everything that must happen once.

Open one with `database_for(url)` (`storage/engines.py`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, Self

from storage.process_lock import ShopLock


class Row(Protocol):
    """A row as both drivers return it: by column name or by position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...

    def keys(self) -> Iterable[str]: ...


def as_dict(row: Row) -> dict[str, Any]:
    return dict(zip(row.keys(), row, strict=True))


def utc_now() -> str:
    """Timestamps are stored as ISO-8601 UTC text, which sorts the same way as time."""
    return as_stored(datetime.now(UTC))


def as_stored(moment: datetime) -> str:
    """A UTC moment as timestamps are stored, to compare with them."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class IntegrityError(Exception):
    """The database refused a write that breaks one of its rules (a unique key, a check, the
    ledger's append-only triggers); the transaction is rolled back."""


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"

    def seconds_between(self, later: str, earlier: str) -> str:
        """SQL for the seconds from one stored timestamp (or `?`) to another."""
        if self is Dialect.SQLITE:
            return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
        moments = [f"CAST(CAST({moment} AS text) AS timestamptz)" for moment in (later, earlier)]
        return f"EXTRACT(EPOCH FROM ({moments[0]} - {moments[1]}))"

    def json_field(self, column: str, key: str) -> str:
        """SQL for the value at `key` of the JSON object stored as text in `column`."""
        if self is Dialect.SQLITE:
            return f"json_extract({column}, '$.{key}')"
        return f"(CAST({column} AS jsonb) ->> '{key}')"

    @property
    def clock(self) -> str:
        """SQL for the database's own clock, in seconds since the epoch: leases and claims are
        timed by it, so the clocks of the processes sharing the database never have to agree."""
        if self is Dialect.SQLITE:
            return "((julianday('now') - 2440587.5) * 86400.0)"
        return "EXTRACT(EPOCH FROM clock_timestamp())::double precision"

    @property
    def skip_locked(self) -> str:
        """The suffix of a `SELECT` that claims queue items: rows another transaction holds are
        passed over, not waited for. SQLite's single writer holds everything already: none."""
        if self is Dialect.SQLITE:
            return ""
        return " FOR UPDATE SKIP LOCKED"

    def position(self, needle: str, haystack: str) -> str:
        """SQL for where `needle` first occurs in `haystack`, from 1 (0: nowhere)."""
        if self is Dialect.SQLITE:
            return f"instr({haystack}, {needle})"
        return f"strpos({haystack}, {needle})"


class Reads(ABC):
    """Queries that return rows: outside a transaction, or inside one."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query meant to find one (by a key, an aggregate, `LIMIT 1`)."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class Transaction(Reads):
    """The statements of one `Database.write()` block."""

    # Appended to a SELECT whose rows this transaction reads to decide what it writes: on
    # PostgreSQL they are locked until it ends (`FOR UPDATE`), as SQLite's single writer keeps
    # everything from changing under it anyway.
    for_update: str = ""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an `INSERT` into a table with an `id` column; returns the new row's id."""

    @abstractmethod
    async def execute_changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns how many rows it changed."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    async def serialize(self, topic: str) -> None:
        """Wait until no other transaction is in a section of `topic`, and keep others out of it
        until this one ends: for a choice among rows that do not exist yet (a free amount for a
        new deposit request). PostgreSQL's transaction-level advisory lock; on SQLite the single
        writer already is that."""

    @abstractmethod
    async def lock_rows(self, table: str, ids: Iterable[Any]) -> dict[Any, Row]:
        """The rows of `table` with these ids, locked against every other writer until this
        transaction ends (in id order, so two writers never wait on each other). On SQLite the
        single writer already holds everything; on PostgreSQL this is `FOR UPDATE`."""


class Database(Reads):
    """One shop's database. `async with db:` opens it (bringing the schema up to date)."""

    dialect: Dialect

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def snapshot(self) -> AbstractAsyncContextManager[Reads]:
        """Reads that all see the database at one moment (an audit's many checks)."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def backup(self, target: Path) -> None:
        """A consistent copy in `target` while the shop keeps running."""

    @abstractmethod
    def shop_lock(self) -> ShopLock:
        """What keeps a second shop process off this database while one runs there."""

    @property
    @abstractmethod
    def where(self) -> str:
        """The database as an operator names it, without any password."""

    @property
    def is_server(self) -> bool:
        return self.dialect is not Dialect.SQLITE

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
