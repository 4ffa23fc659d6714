"""Whether the database takes a write now, and at which schema version (`/readyz`).

On PostgreSQL (`postgres_schema_after_a_write`) the probe goes through the shop's own pool, as
the shop's writes do: a transaction that writes the schema version over with itself and commits.
A server that is down, read-only (a standby, `default_transaction_read_only`), out of
connections or holding the row behind a migration's lock for longer than the probe waits fails it.

On SQLite (`schema_after_a_write`) the shop's own writer connection proves little: in WAL mode its
commits go to the `-wal` file, so it goes on committing after the database file itself was made
read-only (or immutable), until a checkpoint fails or the shop restarts and cannot open it for
writing. So the probe opens a connection of its own, as a restarted shop would, and commits a real
write: the schema version written over with itself, which changes nothing and needs no table of its
own. `BEGIN IMMEDIATE` alone is no proof: SQLite grants it on a read-only file. Nor is the write
alone: a connection closed while others of the process hold locks on the file leaves its descriptor
to SQLite, which hands it to the next connection opened the same way, so a probe can write through
a descriptor opened before the file was made read-only. The kernel's answer to "may this process
write the file now" (`access(2)`, which also sees an immutable file or a read-only mount, even for
root) comes first. (Opening and closing the file here would drop the shop's own locks on it.)
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import asyncpg

from storage.database import Database
from storage.migrations import available_migrations
from storage.postgres import PostgresDatabase
from storage.sqlite import SqliteDatabase


class NotWritable(Exception):
    """The database refused the probe's write; the message says why, without the path."""


async def database_schema_after_a_write(db: Database, *, busy_timeout: float) -> int:
    """Commit a write to the shop's database, SQLite or PostgreSQL, waiting at most
    `busy_timeout` seconds for other writers; returns the schema version it found. Raises
    NotWritable when it cannot."""
    if isinstance(db, PostgresDatabase):
        return await postgres_schema_after_a_write(db, busy_timeout=busy_timeout)
    if isinstance(db, SqliteDatabase):
        return await schema_after_a_write(db.path, busy_timeout=busy_timeout)
    raise NotWritable(f"no write probe for a {db.dialect} database")


async def postgres_schema_after_a_write(db: PostgresDatabase, *, busy_timeout: float) -> int:
    """The write through the shop's pool: the schema version written over with itself."""
    wait_ms = max(1, int(busy_timeout * 1000))
    try:
        async with db.pool.acquire(timeout=busy_timeout) as conn, conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = {wait_ms}")
            await conn.execute(f"SET LOCAL statement_timeout = {wait_ms}")
            version = await conn.fetchval(
                "UPDATE schema_version SET version = version RETURNING version"
            )
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as refused:
        raise NotWritable(" ".join(str(refused).split()) or type(refused).__name__) from None
    except TimeoutError:
        raise NotWritable(f"no connection of the pool free within {busy_timeout:g} s") from None
    except RuntimeError as closed:  # the pool is not open
        raise NotWritable(str(closed)) from None
    if version is None:
        raise NotWritable("the database has no schema version")
    return int(version)


async def schema_after_a_write(path: Path, *, busy_timeout: float) -> int:
    """Commit a write on a fresh connection to the database at `path`, waiting at most
    `busy_timeout` seconds for the shop's writer; returns the schema version (`user_version`)
    the write found. Raises NotWritable when it cannot."""
    return await asyncio.to_thread(_write_schema_version, path, busy_timeout)


def _write_schema_version(path: Path, busy_timeout: float) -> int:
    if not path.exists():
        raise NotWritable("the database file is missing")
    if not os.access(path, os.W_OK):
        raise NotWritable("the database file cannot be written (read-only or immutable)")
    # mode=rw: never create a database where there is none, nor open it read-only.
    uri = f"{path.resolve().as_uri()}?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout)
    except sqlite3.Error as refused:
        raise NotWritable(str(refused)) from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.execute(f"PRAGMA user_version={version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return version
    except sqlite3.Error as refused:
        raise NotWritable(str(refused)) from None
    finally:
        conn.close()


def newest_schema() -> int:
    """The schema version the newest migration shipped with this code brings."""
    return len(available_migrations())
