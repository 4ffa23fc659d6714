"""Numbered SQL migrations (`NNNN_name.sql`), one set per database.

SQLite's are in this folder, tracked by `PRAGMA user_version`. PostgreSQL's are in `postgresql/`,
tracked by the `schema_version` table (see `storage/postgres.py`); its first file is a baseline that
takes an empty database straight to that version (no shop ran on PostgreSQL before it), and every
migration after it is written for both, under the same number. Each file runs in its own
transaction together with the bump of the version, so a crash mid-way leaves the database at the
previous version, never half-migrated.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import aiosqlite

from storage.database import Dialect

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations(dialect: Dialect = Dialect.SQLITE) -> list[Migration]:
    found = _read_folder(resources.files(__package__))
    if dialect is Dialect.SQLITE:
        return found
    own = _read_folder(resources.files(__package__).joinpath("postgresql"), first=None)
    if not own or own[-1].version != found[-1].version:
        raise RuntimeError(
            f"PostgreSQL's migrations must end where SQLite's do ({found[-1].version}); "
            f"write the new one for both"
        )
    return own


def _read_folder(folder: Traversable, first: int | None = 1) -> list[Migration]:
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    start = versions[0] if first is None and versions else (first or 1)
    if versions != list(range(start, start + len(found))):
        raise RuntimeError(f"migrations must be numbered without gaps, found {versions}")
    return found


def split_statements(script: str) -> list[str]:
    """Split a script into statements the way SQLite reads them (so trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError(f"unterminated SQL statement: {buffer.strip()[:80]}")
    return statements


async def current_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


class SchemaTooNew(Exception):
    """The database was migrated by a newer release than this code: nothing may touch it."""

    def __init__(self, version: int, known: int) -> None:
        super().__init__(
            f"the database is at schema version {version}, newer than this code ({known}); run "
            "the release that migrated it, or restore the backup taken before the upgrade"
        )


async def apply_migrations(conn: aiosqlite.Connection) -> list[str]:
    """Apply every migration newer than the database; returns the names applied."""
    applied: list[str] = []
    version = await current_version(conn)
    migrations = available_migrations()
    if version > len(migrations):
        raise SchemaTooNew(version, len(migrations))
    for migration in migrations:
        if migration.version <= version:
            continue
        statements = split_statements(migration.sql)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={migration.version}")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied.append(migration.name)
    return applied
