"""The auditor's read-only view of a shop's database, SQLite or PostgreSQL.

The soak's checks are plain SQL written with `?` placeholders, as the shop writes its own; they
read the rows by column name (`row["status"]`) or unpack them by position. A `Reader` gives them
that over either database, without importing anything of the shop (the sandbox must not): SQLite
is opened read-only by its file; PostgreSQL by its URL (a `search_path` in it names the schema),
in a read-only session, on a thread of its own so the checks stay synchronous.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Coroutine, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import asyncpg

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
CALL_TIMEOUT = 30.0  # seconds one query may take; the auditor's queries are small
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")
T = TypeVar("T")

# Where a shop's database is: an SQLite file, or a PostgreSQL URL.
Where = Path | str


class Row:
    """One row, read by column name or by position, and unpacked like a tuple. Whole numbers
    PostgreSQL sums as `numeric` come back as `int`, as SQLite gives them."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: Sequence[str], values: Sequence[Any]) -> None:
        self._names = {name: index for index, name in enumerate(names)}
        self._values = tuple(_plain(value) for value in values)

    def __getitem__(self, key: str | int) -> Any:
        return self._values[key if isinstance(key, int) else self._names[key]]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


class Rows(Protocol):
    """What a query returned: fetched one, all, or iterated (sqlite3's cursor is one too)."""

    def fetchone(self) -> Any: ...  # a row or None, typed loosely as sqlite3's cursor is

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Fetched:
    """Rows read at once."""

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return list(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


class Reader(Protocol):
    """What the checks ask of a database: a query's rows. An `sqlite3.Connection` whose
    `row_factory` is `sqlite3.Row` is one as well (the soak's own tests hand them one)."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Rows: ...


class Opened(Reader, Protocol):
    """A reader this module opened, closed when done with."""

    def close(self) -> None: ...

    def __enter__(self) -> Opened: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class _Closing(ABC):
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Opened:
        return self  # type: ignore[return-value]  # each subclass is an Opened reader

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class SqliteReader(_Closing):
    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10.0)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Rows:
        cursor = self._connection.execute(sql, tuple(params))
        names = [column[0] for column in cursor.description or ()]
        return Fetched([Row(names, values) for values in cursor.fetchall()])

    def close(self) -> None:
        self._connection.close()


class PostgresReader(_Closing):
    """A read-only PostgreSQL session on a thread with its own event loop: the checks call it
    synchronously, from inside the soak's own loop or outside any."""

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="soak-postgres-reader", daemon=True
        )
        self._thread.start()
        try:
            self._connection: asyncpg.Connection = self._call(_connect(url))
        except BaseException:
            self._stop_loop()
            raise

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(CALL_TIMEOUT)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Rows:
        records = self._call(self._connection.fetch(numbered(sql), *params))
        return Fetched([Row(list(record.keys()), list(record.values())) for record in records])

    def close(self) -> None:
        try:
            self._call(self._connection.close())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


async def _connect(url: str) -> asyncpg.Connection:
    connection: asyncpg.Connection = await asyncpg.connect(url, timeout=10.0)
    await connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    return connection


def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL numbers them (`$1`, `$2`, ...); quoted text is left be."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def read_only(where: Where) -> Opened:
    """A reader of the shop's database at `where`: an SQLite file or a PostgreSQL URL."""
    if isinstance(where, str) and where.startswith(POSTGRES_SCHEMES):
        return PostgresReader(where)
    return SqliteReader(Path(where))
