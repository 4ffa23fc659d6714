"""`python -m bot restore PATH` as an operator runs it: what it refuses (and then changes nothing),
what it keeps, and the restored database's money."""

from __future__ import annotations

import re
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.backups import take_backup
from storage.database import Database
from storage.ledger import Ledger
from storage.migrations import available_migrations, split_statements
from storage.process_lock import ProcessLock
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore
from tests.unit.test_backups import wallets_in
from tests.unit.test_cli import run_bot

USDT = 1_000_000
NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
LATEST = len(available_migrations())


async def _deposit(db: Database, user: int, amount: int, key: str) -> None:
    await CustomerStore(db).register(user, username=None, first_name="C", language="en")
    await Ledger(db).credit(user, amount, key=key)


async def _backup_of_seven_usdt(tmp_path: Path) -> Path:
    """A shop database whose customer 1 had 7 USDT when it was backed up."""
    source = tmp_path / "was" / "shop.sqlite3"
    async with SqliteDatabase(source) as db:
        await _deposit(db, 1, 7 * USDT, "first")
        backup = await take_backup(source, tmp_path / "backups", NOON)
    return backup.path


def _restore(tmp_path: Path, database: Path, backup: Path) -> tuple[int, list[str], list[str]]:
    result = run_bot("restore", str(backup), cwd=tmp_path, DATABASE_PATH=str(database))
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result.returncode, result.stdout.splitlines(), result.stderr.splitlines()


def _wal_size(database: Path) -> int:
    wal = Path(f"{database}-wal")
    return wal.stat().st_size if wal.exists() else 0


def _files(folder: Path) -> dict[str, bytes]:
    """The database's folder, but for the shop's lock file (restore takes it, as `run` does)."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix != ".lock"
    }


async def test_a_backup_replaces_the_database_and_the_old_one_is_kept(tmp_path: Path) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    database = tmp_path / "data" / "shop.sqlite3"
    # The database has moved on since: more money, part of it only in its -wal so far (a
    # connection still holds it open, as a process that was killed would have left it).
    async with SqliteDatabase(database) as db:
        await _deposit(db, 1, 7 * USDT, "first")
        await _deposit(db, 2, 5 * USDT, "second")
    live = sqlite3.connect(database, isolation_level=None)
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES ('rate:USD', '1', '2026-12-02')"
    )
    assert _wal_size(database) > 0
    database.chmod(0o640)  # as the operator set it up for the shop's user

    code, out, err = _restore(tmp_path, database, backup)

    assert code == 0, err
    kept = database.with_name("shop.sqlite3.before-restore-" + out[2][-16:])
    assert re.fullmatch(r"\d{8}T\d{6}Z", out[2][-16:]), out
    assert out == [
        f"checked {backup}: 1 transactions, 2 accounts, 0 open holds; ledger OK",
        f"its schema is current (version {LATEST})",
        f"kept the previous database as {kept}",
        f"restored {backup} to {database}",
    ]
    live.close()
    assert wallets_in(database) == {1: 7 * USDT}
    assert stat.S_IMODE(database.stat().st_mode) == 0o640  # the shop's, as before
    # Nothing of the old state beside the restored database; all of it in the kept one.
    assert _wal_size(database) == 0
    assert wallets_in(kept) == {1: 7 * USDT, 2: 5 * USDT}
    conn = sqlite3.connect(kept)
    assert conn.execute("SELECT value FROM settings WHERE key = 'rate:USD'").fetchone() == ("1",)
    conn.close()
    check = run_bot("check", cwd=tmp_path, DATABASE_PATH=str(database))
    assert check.returncode == 0 and "ledger OK" in check.stdout
    # The backup itself is untouched and can be restored again.
    assert _restore(tmp_path, database, backup)[0] == 0


async def test_a_backup_of_an_older_schema_is_brought_up_to_date(tmp_path: Path) -> None:
    backup = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(backup, isolation_level=None)
    for migration in available_migrations()[:-1]:
        for statement in split_statements(migration.sql):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version={LATEST - 1}")
    conn.close()
    database = tmp_path / "data" / "shop.sqlite3"  # none yet: nothing to keep

    code, out, err = _restore(tmp_path, database, backup)

    assert code == 0, err
    assert out == [
        f"checked {backup}: 0 transactions, 0 accounts, 0 open holds; ledger OK",
        f"brought its schema from version {LATEST - 1} to {LATEST}",
        f"restored {backup} to {database}",
    ]
    assert stat.S_IMODE(database.stat().st_mode) == 0o600  # a new database: customer data
    conn = sqlite3.connect(database)
    assert conn.execute("PRAGMA user_version").fetchone() == (LATEST,)
    conn.close()
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone() == (LATEST - 1,)  # left as it was
    conn.close()


async def test_restore_is_refused_while_a_shop_runs(tmp_path: Path) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    database = tmp_path / "data" / "shop.sqlite3"
    async with SqliteDatabase(database) as db:
        await _deposit(db, 2, 5 * USDT, "live")
    before = _files(database.parent)
    with ProcessLock(database.with_name("shop.sqlite3.lock")):  # as `python -m bot run` does
        code, out, err = _restore(tmp_path, database, backup)
    assert code == 2 and out == []
    [line] = err
    assert line.startswith(f"not restored: a shop runs on {database} (pid ")
    assert f"on {socket.gethostname()} since " in line and line.endswith("; stop it first")
    assert _files(database.parent) == before


def _missing(path: Path) -> None:
    path.unlink()


def _a_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _a_csv(path: Path) -> None:
    path.write_text("id,balance\n1,7\n")


def _sqlite_without_a_ledger(path: Path) -> None:
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


def _newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=999")
    conn.close()


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (_missing, r"there is no file .*"),
        (_a_folder, r".* is not a file"),
        (_a_csv, r".* is not a shop database \(not an SQLite file\)"),
        (_sqlite_without_a_ledger, r"the backup is not a shop database \(it has no ledger\)"),
        (_newer_schema, r"the backup is of schema version 999, newer than this shop's .*"),
        (_cut_in_half, r"the backup (is damaged|cannot be read as a database): .*"),
    ],
)
async def test_a_file_that_is_no_good_backup_is_refused_and_nothing_changes(
    tmp_path: Path, spoil: Callable[[Path], None], reason: str
) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    spoil(backup)
    database = tmp_path / "data" / "shop.sqlite3"
    async with SqliteDatabase(database) as db:
        await _deposit(db, 2, 5 * USDT, "live")
    before = _files(database.parent)

    code, out, err = _restore(tmp_path, database, backup)

    assert code == 2 and out == [], err
    assert len(err) == 1 and re.fullmatch(f"not restored: {reason}", err[0]), err
    assert _files(database.parent) == before


async def test_a_backup_whose_ledger_is_broken_is_refused_with_its_problems(
    tmp_path: Path,
) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    conn = sqlite3.connect(backup)
    conn.execute("UPDATE ledger_accounts SET balance = 1 WHERE code = 'customer:1:wallet'")
    conn.commit()
    conn.close()
    database = tmp_path / "data" / "shop.sqlite3"
    async with SqliteDatabase(database) as db:
        await _deposit(db, 2, 5 * USDT, "live")
    before = _files(database.parent)

    code, out, err = _restore(tmp_path, database, backup)

    assert code == 1 and out == []
    assert err == [
        "not restored: the backup's ledger is BROKEN: 1 problem(s)",
        "  - account customer:1:wallet caches balance 1 but its entries sum to 7000000",
    ]
    assert _files(database.parent) == before


async def test_the_database_itself_is_no_backup(tmp_path: Path) -> None:
    database = tmp_path / "shop.sqlite3"
    async with SqliteDatabase(database) as db:
        await _deposit(db, 2, 5 * USDT, "live")
    code, _, err = _restore(tmp_path, database, database)
    assert code == 2 and err == [f"not restored: {database} is the database itself"]


HOLD_EXCLUSIVELY = """
import sqlite3, sys
holder = sqlite3.connect(sys.argv[1], isolation_level=None)
holder.execute("PRAGMA locking_mode=EXCLUSIVE")
holder.execute("SELECT count(*) FROM users").fetchone()
print("holding", flush=True)
sys.stdin.readline()
"""


def _held_exclusively(database: Path) -> subprocess.Popen[str]:
    """Another process that has the database to itself until its standard input is closed.
    Another process: closing any descriptor of the file would drop this one's locks on it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_EXCLUSIVELY, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    return holder


async def test_restore_is_refused_while_another_process_keeps_the_old_database_locked(
    tmp_path: Path,
) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    database = tmp_path / "data" / "shop.sqlite3"
    async with SqliteDatabase(database) as db:
        await _deposit(db, 2, 5 * USDT, "live")
    # The old database's checkpoint finds it locked, not merely busy.
    holder = _held_exclusively(database)
    try:
        before = _files(database.parent)
        code, out, err = _restore(tmp_path, database, backup)
        assert _files(database.parent) == before  # nothing moved while it still holds it
    finally:
        holder.communicate("done\n", timeout=10)
    assert code == 2 and out == []
    assert err == [
        f"not restored: {database} is in use by another process (database is locked); "
        "stop whatever reads it and try again"
    ]
    assert wallets_in(database) == {2: 5 * USDT}


async def test_a_damaged_old_database_is_kept_as_it_is(tmp_path: Path) -> None:
    backup = await _backup_of_seven_usdt(tmp_path)
    database = tmp_path / "data" / "shop.sqlite3"
    database.parent.mkdir()
    database.write_bytes(b"\x00" * 8192)  # no SQLite file any more: nothing to checkpoint
    code, out, err = _restore(tmp_path, database, backup)
    assert code == 0, err
    kept = database.with_name("shop.sqlite3.before-restore-" + out[2][-16:])
    assert kept.read_bytes() == b"\x00" * 8192
    assert wallets_in(database) == {1: 7 * USDT}
