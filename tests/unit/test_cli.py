"""`python -m bot …` as an operator runs it: exit codes and what it prints."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from storage.database import Database
from storage.migrations import available_migrations
from storage.orders import OrderStatus
from storage.postgres import PostgresDatabase
from storage.process_lock import ProcessLock
from storage.sqlite import SqliteDatabase
from tests.databases import postgres_schema
from tests.unit.conftest import Books

ROOT = Path(__file__).resolve().parents[2]
USDT = 1_000_000


def run_bot(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "WEB_"))}
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    result = run_bot("run", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: BOT_TOKEN is not set: put the token from @BotFather in BOT_TOKEN"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bad_variable_stops_any_command_in_one_line(tmp_path: Path) -> None:
    result = run_bot("migrate", cwd=tmp_path, WEB_PORT="eighty")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: WEB_PORT is invalid")


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "data" / "shop.sqlite3"
    first = run_bot("migrate", cwd=tmp_path, DATABASE_PATH=str(db))
    second = run_bot("migrate", cwd=tmp_path, DATABASE_PATH=str(db))
    assert first.returncode == second.returncode == 0
    latest = max(migration.version for migration in available_migrations())
    assert latest >= 2
    assert f"is at schema version {latest}" in second.stdout
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"users", "ledger_entries", "orders", "order_events", "settings"} <= tables


async def _some_ledger(path: Path) -> None:
    async with SqliteDatabase(path) as db:
        await _fill(db)


async def _fill(db: Database) -> None:
    books = Books(db)
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    order = await books.order("O1", alice, 4 * USDT)
    hold = await books.ledger.hold(alice, 4 * USDT, order_id=order)
    await books.ledger.post(hold.id)
    await books.orders.move(order, OrderStatus.QUOTED, OrderStatus.SUCCEEDED, reason="ok")


async def test_check_passes_on_a_healthy_ledger_and_reports_a_broken_one(tmp_path: Path) -> None:
    healthy = tmp_path / "healthy.sqlite3"
    await _some_ledger(healthy)
    result = run_bot("check", cwd=tmp_path, DATABASE_PATH=str(healthy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 3 transactions" in result.stdout
    assert "ledger OK" in result.stdout

    broken = tmp_path / "broken.sqlite3"
    shutil.copy(healthy, broken)
    with sqlite3.connect(broken) as conn:
        conn.execute("DROP TRIGGER ledger_entries_append_only_update")
        conn.execute("UPDATE ledger_entries SET amount = amount + 1 WHERE id = 1")
    result = run_bot("check", cwd=tmp_path, DATABASE_PATH=str(broken))
    assert result.returncode == 1
    assert "ledger BROKEN" in result.stdout
    assert "transaction 1 (dep) has 2 entries summing to 1, not zero" in result.stdout


def test_check_without_a_database(tmp_path: Path) -> None:
    result = run_bot("check", cwd=tmp_path, DATABASE_PATH=str(tmp_path / "none.sqlite3"))
    assert result.returncode == 2
    assert "no database at" in result.stderr


async def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    source = tmp_path / "shop.sqlite3"
    await _some_ledger(source)
    target = tmp_path / "backups" / "copy.sqlite3"
    result = run_bot("backup", str(target), cwd=tmp_path, DATABASE_PATH=str(source))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ledger_transactions").fetchone() == (3,)

    again = run_bot("backup", str(target), cwd=tmp_path, DATABASE_PATH=str(source))
    assert again.returncode == 2
    assert "already exists" in again.stderr


@pytest.mark.parametrize("pragma", ["journal_mode", "synchronous", "busy_timeout", "foreign_keys"])
async def test_connections_use_the_durable_settings(tmp_path: Path, pragma: str) -> None:
    expected = {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000, "foreign_keys": 1}
    async with SqliteDatabase(tmp_path / "x.sqlite3") as db:
        assert await db.fetch_value(f"PRAGMA {pragma}") == expected[pragma]
        async with db.write() as tx:
            assert await tx.fetch_value(f"PRAGMA {pragma}") == expected[pragma]


def test_run_refuses_a_database_another_shop_runs_on_before_touching_it(tmp_path: Path) -> None:
    db = tmp_path / "data" / "shop.sqlite3"
    with ProcessLock(db.with_name("shop.sqlite3.lock")):  # as a running shop holds it
        result = run_bot(
            "run",
            cwd=tmp_path,
            DATABASE_PATH=str(db),
            BOT_TOKEN="1:never-used",
            TELEGRAM_API_BASE="http://127.0.0.1:9",  # nothing there: it must not get that far
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert result.stdout == ""
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"not started: another shop already runs on {db} (pid {os.getpid()}")
        assert not db.exists()  # no migration, nothing written

        # The operator's tools still work beside the running shop.
        assert run_bot("migrate", cwd=tmp_path, DATABASE_PATH=str(db)).returncode == 0
        checked = run_bot("check", cwd=tmp_path, DATABASE_PATH=str(db))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        copy = tmp_path / "copy.sqlite3"
        assert run_bot("backup", str(copy), cwd=tmp_path, DATABASE_PATH=str(db)).returncode == 0


@pytest.mark.parametrize("command", ["migrate", "check", "run"])
def test_a_database_newer_than_the_code_is_refused_in_one_line(
    tmp_path: Path, command: str
) -> None:
    """Older code started on a database a newer release migrated (a rollback of the code without
    its backup): it says so and exits, rather than a traceback and a process that never ends."""
    db = tmp_path / "shop.sqlite3"
    assert run_bot("migrate", cwd=tmp_path, DATABASE_PATH=str(db)).returncode == 0
    newer = len(available_migrations()) + 1
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={newer}")
    result = run_bot(
        command, cwd=tmp_path, DATABASE_PATH=str(db), BOT_TOKEN="4242424242:TEST-never-used"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"refused: the database is at schema version {newer}, newer than this code "
        f"({newer - 1}); run the release that migrated it, or restore the backup taken before "
        "the upgrade"
    )


async def test_migrate_check_backup_and_restore_on_postgresql(tmp_path: Path) -> None:
    """The operator's commands on a shop whose DATABASE_URL is PostgreSQL: a backup is pg_dump's,
    restore says how to put one back by hand, and the password is never printed."""
    async with postgres_schema() as url:
        secret = "s3cret-pw"  # the test server trusts loopback: any password is taken
        with_password = url.replace("postgres@", f"postgres:{secret}@", 1)
        named = "postgresql://postgres@127.0.0.1:5432/test"
        outputs: list[str] = []

        def command(*args: str) -> subprocess.CompletedProcess[str]:
            result = run_bot(*args, cwd=tmp_path, DATABASE_URL=with_password)
            outputs.append(result.stdout + result.stderr)
            return result

        migrated = command("migrate")
        assert migrated.returncode == 0, migrated.stderr
        latest = len(available_migrations())
        assert migrated.stdout.strip() == f"database {named} is at schema version {latest}"

        async with PostgresDatabase(url) as db:
            await _fill(db)
        checked = command("check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "checked 3 transactions, 4 accounts, 0 open holds" in checked.stdout
        assert "ledger OK" in checked.stdout

        dump = tmp_path / "shop.dump"
        backed_up = command("backup", str(dump))
        assert backed_up.returncode == 0, backed_up.stderr
        assert backed_up.stdout.strip() == (
            f"backed up {named} to {dump} (pg_dump, custom format: restore it with pg_restore)"
        )
        schema = url.rsplit("=", 1)[1]
        assert f"TABLE DATA {schema} ledger_transactions" in _archive_contents(dump)

        restored = command("restore", str(dump))
        assert restored.returncode == 2
        [line] = restored.stderr.strip().splitlines()
        assert line.startswith(f"not restored: the shop is on PostgreSQL ({named}): restore a ")
        assert "pg_restore --no-owner" in line

        conn = await asyncpg.connect(url)
        try:
            await conn.execute("DROP TRIGGER ledger_entries_append_only ON ledger_entries")
            await conn.execute("UPDATE ledger_entries SET amount = amount + 1 WHERE id = 1")
        finally:
            await conn.close()
        broken = command("check")
        assert broken.returncode == 1
        assert "transaction 1 (dep) has 2 entries summing to 1, not zero" in broken.stdout

        assert not [output for output in outputs if secret in output]


def _archive_contents(dump: Path) -> str:
    """What pg_restore reads in a pg_dump archive (it refuses anything else)."""
    listed = subprocess.run(
        ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
    )
    return listed.stdout


@pytest.mark.parametrize("args", [("migrate",), ("check",), ("backup", "copy.dump")])
def test_a_postgresql_it_cannot_reach_is_one_line_without_the_password(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    # Nothing listens on port 9.
    url = "postgresql://shop:s3cret-pw@127.0.0.1:9/shop"
    result = run_bot(*args, cwd=tmp_path, DATABASE_URL=url)
    assert result.returncode == 2
    assert "s3cret-pw" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("cannot use the database postgresql://shop@127.0.0.1:9/shop: ")


@pytest.mark.parametrize("command", [["check"], ["migrate"], ["copy-db", "--to", "URL"]])
def test_a_database_url_that_cannot_be_read_shows_nothing_of_its_password(
    tmp_path: Path, command: list[str]
) -> None:
    """A password with an unescaped / makes the URL's port unreadable: one line, no traceback,
    and no piece of the password."""
    url = "postgresql://shop:se/cretpart@127.0.0.1:5432/shop"
    env = {"DATABASE_PATH": str(tmp_path / "shop.sqlite3")}
    if command[0] == "copy-db":
        command = ["copy-db", "--to", url]
    else:
        env["DATABASE_URL"] = url
    done = run_bot(*command, cwd=tmp_path, **env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    shown = done.stdout + done.stderr
    assert "cretpart" not in shown and "se/" not in shown and "'se'" not in shown
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
