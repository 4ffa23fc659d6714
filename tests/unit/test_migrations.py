"""Numbered migrations, applied once each, tracked by PRAGMA user_version."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from storage.admin_log import AdminLog
from storage.database import IntegrityError
from storage.migrations import (
    SchemaTooNew,
    apply_migrations,
    available_migrations,
    split_statements,
)
from storage.sqlite import SqliteDatabase


async def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    async with SqliteDatabase(path):
        pass
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        assert await apply_migrations(conn) == []
        async with conn.execute("PRAGMA user_version") as cursor:
            assert await cursor.fetchone() == (len(available_migrations()),)


async def test_a_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.sqlite3", isolation_level=None) as conn:
        applied = await apply_migrations(conn)
    assert applied == [m.name for m in available_migrations()]
    assert applied[0] == "0001_initial.sql"


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.sqlite3", isolation_level=None) as conn:
        await conn.execute("PRAGMA user_version=99")
        with pytest.raises(SchemaTooNew, match="newer than this code"):
            await apply_migrations(conn)


def test_statements_split_like_sqlite_reads_them() -> None:
    script = (
        "CREATE TABLE a (x INTEGER);\n"
        "-- a comment; with a semicolon\n"
        "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n    SELECT RAISE(ABORT, 'no');\nEND;\n"
    )
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].endswith("END;")


async def test_the_admin_log_is_append_only(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "log.sqlite3") as db:
        log = AdminLog(db)
        await log.record(7, "ban", "user", "42", before="False", after="True")
        [action] = await log.about("user", "42")
        assert (action.admin_id, action.action, action.after) == (7, "ban", "True")
        for statement in ("UPDATE admin_actions SET after = 'False'", "DELETE FROM admin_actions"):
            with pytest.raises(IntegrityError, match="append-only"):
                async with db.write() as tx:
                    await tx.execute(statement)
        assert len(await log.about("user", "42")) == 1
