"""Putting a backup in the database's place (`python -m bot restore PATH`).

Nothing is touched until the backup has passed every check, on a copy of it beside the database:
it is an SQLite file, a shop's database of a schema this code knows; then the check a backup makes
of its own copy (`storage.backups.audited_copy`): undamaged, its schema brought up to date
(migrations), and its ledger passing the audit `python -m bot check` runs. Only
then is the old database kept under a new name (with its -wal and -shm, after a checkpoint, so
nothing of the old state can reach the restored one) and the checked copy renamed into its place,
in one step: at every moment the database's path holds either the old database or the restored
one. The shop's lock is held throughout, so no shop starts in the middle.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.audit import AuditReport
from storage.backups import (
    FILE_MODE,
    SIDE_FILES,
    CopyDamaged,
    audited_copy,
    fsync_path,
    remove_with_side_files,
    utc_stamp,
)
from storage.migrations import available_migrations
from storage.sqlite import SqliteDatabase

SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every shop database has had since its first schema.
SHOP_TABLES = frozenset(
    {"users", "ledger_accounts", "ledger_transactions", "ledger_entries", "ledger_holds", "orders"}
)


# What SQLite answers about an old database it cannot read as one: it is kept as it is.
DAMAGED = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
# What it answers while another connection holds the old database.
IN_USE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class RestoreRefused(Exception):
    """The backup is not restored; the message says why in one line, `problems` lists a broken
    ledger's problems."""

    def __init__(self, reason: str, problems: list[str] | None = None) -> None:
        super().__init__(reason)
        self.problems = problems or []


@dataclass(frozen=True)
class Restored:
    backup: Path
    database: Path
    kept: Path | None  # the previous database, renamed; None: there was none
    schema_was: int  # the backup's schema version
    schema_now: int
    audit: AuditReport  # of the restored database


def postgres_restore_by_hand(where: str) -> str:
    """Why `restore` does not put a pg_dump in place of a PostgreSQL shop, and how to, in one line.

    Over a live PostgreSQL database a restore is not one rename as on SQLite: the shop's
    replicas and other clients are connected, and a failed `pg_restore` halfway leaves a mix.
    The operator restores into a new, empty database, checks it, and points the shop at it."""
    return (
        f"the shop is on PostgreSQL ({where}): restore a pg_dump by hand into a new, empty "
        "database (`createdb NEW && pg_restore --no-owner --exit-on-error --single-transaction "
        "--dbname=NEW FILE`), run `python -m bot check` with DATABASE_URL pointing at NEW, then "
        "move the shop to it"
    )


async def restore_database(database: Path, backup: Path, moment: datetime) -> Restored:
    """Put `backup` in the place of `database` (keeping the old one as of `moment`). Raises
    `LockHeld` while a shop runs on `database`, `RestoreRefused` for a backup that does not pass."""
    lock = SqliteDatabase(database).shop_lock()
    lock.acquire()  # LockHeld: a shop runs on it; held, no shop starts until the end
    try:
        _readable_sqlite_file(backup, database)
        candidate = database.with_name(f".{database.name}.restoring")
        remove_with_side_files(candidate)
        try:
            await asyncio.to_thread(_copy_file, backup, candidate)
            schema_was = await asyncio.to_thread(_shop_schema, candidate)
            audit = await _migrated_and_audited(candidate)
            kept = await asyncio.to_thread(_swap, candidate, database, moment)
        except OSError as trouble:
            raise RestoreRefused(f"{trouble.strerror or trouble}: {trouble.filename}") from None
        finally:
            remove_with_side_files(candidate)
    finally:
        lock.release()
    return Restored(backup, database, kept, schema_was, len(available_migrations()), audit)


def _readable_sqlite_file(backup: Path, database: Path) -> None:
    if not backup.exists():
        raise RestoreRefused(f"there is no file {backup}")
    if not backup.is_file():
        raise RestoreRefused(f"{backup} is not a file")
    if database.exists() and backup.resolve() == database.resolve():
        raise RestoreRefused(f"{backup} is the database itself")
    try:
        with backup.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as trouble:
        raise RestoreRefused(f"cannot read {backup}: {trouble.strerror or trouble}") from None
    if header != SQLITE_HEADER:
        raise RestoreRefused(f"{backup} is not a shop database (not an SQLite file)")


def _copy_file(backup: Path, candidate: Path) -> None:
    """The backup, with a -wal SQLite left beside it if any (it is part of its state)."""
    for suffix in ("", "-wal"):
        source = Path(f"{backup}{suffix}")
        if suffix and not source.exists():
            continue
        fd = os.open(f"{candidate}{suffix}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with source.open("rb") as reading, os.fdopen(fd, "wb") as writing:
            shutil.copyfileobj(reading, writing)
            writing.flush()
            os.fsync(writing.fileno())


def _shop_schema(candidate: Path) -> int:
    """The copy's schema version, once it is known to hold a shop's database this code can
    bring up to date."""
    latest = len(available_migrations())
    try:
        conn = sqlite3.connect(f"{candidate.resolve().as_uri()}?mode=rw", uri=True)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError as trouble:
        raise RestoreRefused(f"the backup cannot be read as a database: {trouble}") from None
    if not tables >= SHOP_TABLES or version < 1:
        raise RestoreRefused("the backup is not a shop database (it has no ledger)")
    if version > latest:
        raise RestoreRefused(
            f"the backup is of schema version {version}, newer than this shop's ({latest}): "
            "restore it with the version of the shop that made it"
        )
    return version


async def _migrated_and_audited(candidate: Path) -> AuditReport:
    """The check a backup makes of its copy (`storage.backups.audited_copy`), the migrations the
    backup lacks applied on the way."""
    try:
        audit = await audited_copy(candidate)
    except CopyDamaged as damaged:
        raise RestoreRefused(f"the backup is damaged: {damaged}") from None
    if not audit.ok:
        raise RestoreRefused(
            f"the backup's ledger is BROKEN: {len(audit.problems)} problem(s)", audit.problems
        )
    return audit


def _swap(candidate: Path, database: Path, moment: datetime) -> Path | None:
    for suffix in SIDE_FILES:  # closed cleanly, the checked copy is one file
        Path(f"{candidate}{suffix}").unlink(missing_ok=True)
    kept = None
    if database.exists():
        _same_owner_and_mode(candidate, database)
        kept = _unused(database.with_name(f"{database.name}.before-restore-{utc_stamp(moment)}"))
        _checkpoint(database)
        os.link(database, kept)  # the old database stays at its path until the last step
        for suffix in SIDE_FILES:  # whatever remains of its state goes with it
            side = Path(f"{database}{suffix}")
            if side.exists():
                os.rename(side, f"{kept}{suffix}")
    os.rename(candidate, database)
    fsync_path(database.parent)
    return kept


def _same_owner_and_mode(candidate: Path, database: Path) -> None:
    """The restored database is the shop's as the old one was: its owner (where this process may
    give it) and its mode. Without an old one it stays 0600, of the user running restore."""
    old = database.stat()
    os.chmod(candidate, stat.S_IMODE(old.st_mode))
    with contextlib.suppress(PermissionError):
        os.chown(candidate, old.st_uid, old.st_gid)


def _checkpoint(database: Path) -> None:
    """Write the old database's WAL into it. A process still using it (a `check`, a `backup`, a
    shop whose lock is gone) keeps it from finishing or from starting: then it is not the time to
    swap files under it. Only an old database SQLite cannot read at all (not a database, damaged)
    is kept as it is, -wal and all, without a checkpoint."""
    try:
        conn = sqlite3.connect(database, timeout=5)
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as trouble:
        if _primary_code(trouble) in DAMAGED:
            return
        if _primary_code(trouble) in IN_USE:
            raise RestoreRefused(_in_use(database, f" ({trouble})")) from None
        raise RestoreRefused(f"the old database {database} cannot be read: {trouble}") from None
    if busy:
        raise RestoreRefused(_in_use(database, ""))


def _in_use(database: Path, why: str) -> str:
    return f"{database} is in use by another process{why}; stop whatever reads it and try again"


def _primary_code(trouble: sqlite3.DatabaseError) -> int:
    """SQLite's primary result code of an error (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT, ...)."""
    return getattr(trouble, "sqlite_errorcode", -1) & 0xFF


def _unused(path: Path) -> Path:
    found, n = path, 1
    while found.exists():
        n += 1
        found = path.with_name(f"{path.name}-{n}")
    return found
