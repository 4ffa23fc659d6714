"""A fresh, empty shop database of either kind, for the suites that run on both.

SQLite is a file in the test's folder. PostgreSQL is the test server's database with a schema of
the test's own (`search_path` in the URL), dropped afterwards, so tests can run side by side.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from storage.database import Database, Dialect
from storage.postgres import PostgresDatabase
from storage.sqlite import SqliteDatabase
from tests.servers import need_postgres

BACKENDS = ("sqlite", "postgresql")
both_backends = pytest.mark.parametrize("backend", BACKENDS)


@asynccontextmanager
async def postgres_schema() -> AsyncIterator[str]:
    """A URL of the test PostgreSQL whose tables go into a new schema, dropped on leaving."""
    base = need_postgres()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f"CREATE SCHEMA {schema}")
    finally:
        await conn.close()
    try:
        yield f"{base}?search_path={schema}"
    finally:
        conn = await asyncpg.connect(base)
        try:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        finally:
            await conn.close()


@asynccontextmanager
async def fresh_database(backend: str, folder: Path, name: str = "shop") -> AsyncIterator[Database]:
    """An open, migrated, empty database of `backend` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        async with SqliteDatabase(folder / f"{name}.sqlite3") as db:
            yield db
        return
    async with postgres_schema() as url, PostgresDatabase(url) as pg:
        yield pg


async def break_writes(db: Database, name: str, table: str, action: str, when: str) -> None:
    """Make the database refuse `action` (INSERT, UPDATE) on `table` for rows where `when` (on
    `NEW`), as a failing disk would: a trigger named `name`, removed by `mend_writes`."""
    async with db.write() as tx:
        if db.dialect is Dialect.SQLITE:
            await tx.execute(
                f"CREATE TRIGGER {name} BEFORE {action} ON {table} WHEN {when}"
                " BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
            )
            return
        await tx.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'disk trouble'; END; $$"
        )
        await tx.execute(
            f"CREATE TRIGGER {name} BEFORE {action} ON {table} FOR EACH ROW"
            f" WHEN ({when}) EXECUTE FUNCTION {name}()"
        )


async def mend_writes(db: Database, name: str, table: str) -> None:
    async with db.write() as tx:
        if db.dialect is Dialect.SQLITE:
            await tx.execute(f"DROP TRIGGER {name}")
        else:
            await tx.execute(f"DROP TRIGGER {name} ON {table}")
            await tx.execute(f"DROP FUNCTION {name}()")


@asynccontextmanager
async def another_process(db: Database) -> AsyncIterator[Database]:
    """The same database opened a second time, as a second shop process would: its own
    connections (its own SQLite writer, its own PostgreSQL pool)."""
    if isinstance(db, SqliteDatabase):
        async with SqliteDatabase(db.path) as twin:
            yield twin
        return
    assert isinstance(db, PostgresDatabase)
    async with PostgresDatabase(db.url) as pg:
        yield pg
