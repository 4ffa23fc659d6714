"""PostgreSQL, for shops that run several processes on one database.

Write transactions run side by side at READ COMMITTED. What SQLite's single writer gave for free is
asked of the rows here: a check that guards money reads its rows with `lock_rows()` (`FOR UPDATE`,
in id order), state changes are compare-and-set (`UPDATE ... WHERE status = 'pending'`, which waits
for a concurrent writer of that row and then sees its result), and whatever must happen once has a
unique key the database enforces (`ON CONFLICT`).

Queries are written with `?` placeholders, as for SQLite; they are renumbered to `$1, $2, ...` once
per statement and kept.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from storage.database import Database, Dialect, IntegrityError, Reads, Row, Transaction
from storage.migrations import SchemaTooNew, available_migrations
from storage.process_lock import SharedDatabase

CONNECT_TIMEOUT_SECONDS = 10.0
POOL_SIZE = 10
# pg_advisory_lock key of schema migrations: two processes starting at once migrate one by one.
_MIGRATION_LOCK = 0x73746F7265  # "store"

_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")


@lru_cache(maxsize=2048)
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


def _changed(status: str) -> int:
    """The row count in a command status (`UPDATE 3`, `INSERT 0 1`)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _ConnectionReads(Reads):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(numbered(sql), *params))


class PostgresTransaction(Transaction, _ConnectionReads):
    for_update = " FOR UPDATE"

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        await self._conn.execute(numbered(sql), *params)

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(await self._conn.fetchval(numbered(f"{sql} RETURNING id"), *params))

    async def execute_changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _changed(await self._conn.execute(numbered(sql), *params))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(numbered(sql), list(rows))

    async def serialize(self, topic: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", topic)

    async def lock_rows(self, table: str, ids: Iterable[Any]) -> dict[Any, Row]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self._conn.fetch(
            f"SELECT * FROM {table} WHERE id = ANY($1) ORDER BY id FOR UPDATE", wanted
        )
        return {row["id"]: row for row in rows}


class PostgresDatabase(Database):
    dialect = Dialect.POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None

    @property
    def where(self) -> str:
        return describe_url(self.url)

    @property
    def schema(self) -> str | None:
        """The schema named by the URL's `search_path`, if any (each test has its own)."""
        found = parse_qs(urlsplit(self.url).query).get("search_path")
        return found[0] if found else None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            _asyncpg_dsn(self.url),
            min_size=1,
            max_size=self._pool_size,
            timeout=CONNECT_TIMEOUT_SECONDS,
            reset=_as_left,
            init=_whole_sums,
        )
        try:
            async with self._pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    def shop_lock(self) -> SharedDatabase:
        return SharedDatabase()

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self.pool.fetch(numbered(sql), *params))

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Transaction]:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                tx = PostgresTransaction(conn)
                yield tx
        except asyncpg.IntegrityConstraintViolationError as refused:
            raise IntegrityError(str(refused)) from refused

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reads]:
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield _ConnectionReads(conn)

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await current_version(conn)

    async def backup(self, target: Path) -> None:
        """`pg_dump` in its own format (`pg_restore` reads it): a consistent snapshot."""
        target.parent.mkdir(parents=True, exist_ok=True)
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
        if self.schema:
            command.append(f"--schema={self.schema}")
        process = await asyncio.create_subprocess_exec(
            *command,
            env={**os.environ, **libpq_environment(self.url)},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {errors.decode(errors='replace').strip()}")


def _numeric(text: str) -> int | Decimal:
    """A NUMERIC as the shop means it: no column is one, so a NUMERIC is a sum of whole amounts
    (`SUM` over BIGINT gives NUMERIC), an int as SQLite gives it; a true fraction stays exact."""
    if "." in text or not text.lstrip("-").isdigit():
        return Decimal(text)
    return int(text)


async def _whole_sums(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", schema="pg_catalog", encoder=str, decoder=_numeric, format="text"
    )


async def _as_left(conn: asyncpg.Connection) -> None:
    """A connection goes back to the pool as it is: the shop leaves no session state on one (no
    session locks held past a `finally`, no LISTEN, no cursors, no SET), and asyncpg's reset
    would cost a trip to the server on every read and every transaction."""


def _asyncpg_dsn(url: str) -> str:
    """asyncpg reads `postgresql://`; `postgresql+asyncpg://`, as other tools write it, is
    accepted."""
    return re.sub(r"^postgres(?:ql)?(?:\+asyncpg)?://", "postgresql://", url)


def describe_url(url: str) -> str:
    """`postgresql://user@host:port/db`, never the password."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a password with an unescaped / # ?: nothing of it may be shown
        return "postgresql://(a URL that cannot be read: percent-encode / # ? in the password)"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"postgresql://{user}{parts.hostname or ''}{port}{parts.path}"


def libpq_environment(url: str) -> dict[str, str]:
    """The URL as libpq's environment (PGHOST, PGPASSWORD, ...), for pg_dump and psql: a password
    in an environment variable is not on the process list, as it would be in an argument."""
    parts = urlsplit(url)
    env = {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGDATABASE": unquote(parts.path.lstrip("/")) or "postgres",
    }
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


async def current_version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT version FROM schema_version") or 0)


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Bring the schema up to date; two processes starting at once take turns."""
    migrations = available_migrations(Dialect.POSTGRESQL)
    latest = migrations[-1].version
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        version = await current_version(conn)
        if version > latest:
            raise SchemaTooNew(version, latest)
        applied: list[str] = []
        for migration in migrations:
            if migration.version <= version:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)  # a whole script: no parameters
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                    "DELETE FROM schema_version;"
                )
                await conn.execute("INSERT INTO schema_version VALUES ($1)", migration.version)
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
