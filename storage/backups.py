"""Backup files of the shop's database: copied while the shop writes, named by the UTC time they
were taken, written whole or not at all, and checked before they count.

On PostgreSQL (`take_postgres_backup`) a backup is `pg_dump`'s custom format (`pg_restore` reads
it), `shop-<time>.dump`: a read-only transaction exports its snapshot, pg_dump dumps exactly that
snapshot while the ledger audit runs in it, so the check is of the moment dumped; the archive is
then read back (`pg_restore --list`) before it is given its name. The password reaches pg_dump in
its environment, never in its arguments.

On SQLite a backup is SQLite's online backup of one snapshot (one step, one read transaction: WAL
lets the shop keep writing meanwhile) into a hidden `.partial` file. That copy is checked (SQLite's
`quick_check` and the ledger audit `python -m bot check` runs) and only then given its name, by a
hard link that never replaces a file, so a crash, a full disk or a failed check never leaves
anything that looks like a backup. A backup holds customer data: the file is created 0600, and a
folder this code creates is made 0700. A folder that exists already keeps the access its operator
gave it (a group that ships the backups elsewhere, say); whether every user of the machine may
enter it is reported with each backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from storage.audit import AuditReport, audit_ledger, audit_reads
from storage.database import Dialect, Reads, Row
from storage.postgres import (
    CONNECT_TIMEOUT_SECONDS,
    PostgresDatabase,
    _asyncpg_dsn,
    describe_url,
    libpq_environment,
    numbered,
)
from storage.sqlite import SqliteDatabase

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")  # what SQLite may keep beside a database file

SQLITE_SUFFIX = ".sqlite3"
DUMP_SUFFIX = ".dump"  # pg_dump's custom format
_NAME = re.compile(r"^shop-(\d{8}T\d{6}Z)\.(?:sqlite3|dump)$")
_STAMP = "%Y%m%dT%H%M%SZ"


class BackupFailed(Exception):
    """A backup that could not be taken whole and checked; the message says why, in one line."""


@dataclass(frozen=True)
class BackupFile:
    """A backup taken and checked."""

    path: Path
    taken_at: datetime  # UTC, to the second: what its name says
    size: int  # bytes
    audit: AuditReport  # the ledger check of the copy itself
    folder_open_to_others: bool  # every user of the machine may list or enter its folder


def backup_name(moment: datetime, suffix: str = SQLITE_SUFFIX) -> str:
    """`shop-20261202T153000Z.sqlite3` (`.dump` on PostgreSQL): names sort as the times they
    were taken."""
    return f"shop-{utc_stamp(moment)}{suffix}"


def utc_stamp(moment: datetime) -> str:
    """`20261202T153000Z`: a moment in UTC, to the second, as file names carry it."""
    return f"{moment.astimezone(UTC):{_STAMP}}"


def taken_at(path: Path) -> datetime | None:
    """When a backup was taken, read from its name; None for any other file."""
    found = _NAME.fullmatch(path.name)
    if found is None:
        return None
    return datetime.strptime(found.group(1), _STAMP).replace(tzinfo=UTC)


def backups_in(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (none if the folder does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if taken_at(path) is not None)


async def take_backup(database: Path, folder: Path, moment: datetime) -> BackupFile:
    """Copy `database` (in use or not) into `folder` as the backup of `moment`, checked; raises
    `BackupFailed` when it cannot, leaving no file behind."""
    target = folder / backup_name(moment)
    partial = folder / f".{target.name}.partial"
    try:
        await asyncio.to_thread(_prepare, database, folder, target, partial)
        try:
            await asyncio.to_thread(_copy_snapshot, database, partial)
            audit = await _checked(partial)
            await asyncio.to_thread(_publish, partial, target)
        finally:
            remove_with_side_files(partial)  # published, it is gone already
    except OSError as trouble:
        raise BackupFailed(_one_line(trouble)) from trouble
    except sqlite3.Error as trouble:
        raise BackupFailed(f"SQLite: {_one_line(trouble)}") from trouble
    return BackupFile(
        target,
        moment.astimezone(UTC).replace(microsecond=0),
        _size(target),
        audit,
        folder_mode(folder) & stat.S_IRWXO != 0,
    )


def folder_mode(folder: Path) -> int:
    """A folder's permission bits (`0o750`)."""
    return stat.S_IMODE(folder.stat().st_mode)


def _prepare(database: Path, folder: Path, target: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupFailed(f"no database at {database}")
    _prepare_folder(folder, target, partial)


def _prepare_folder(folder: Path, target: Path, partial: Path) -> None:
    try:
        folder.mkdir(mode=FOLDER_MODE, parents=True)
    except FileExistsError:
        pass  # the operator's folder: its access stays as they set it
    else:
        os.chmod(folder, FOLDER_MODE)  # whatever the umask took away or left
    if target.exists():
        raise BackupFailed(f"{target.name} exists already")
    for leftover in folder.glob(".shop-*.partial*"):  # of a run a crash cut short
        leftover.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def _copy_snapshot(database: Path, partial: Path) -> None:
    # `mode=rw`: a database that vanished is an error, never a new empty file.
    source = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=5)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # every page in one step: one consistent snapshot
        finally:
            copy.close()
    finally:
        source.close()
    fsync_path(partial)


async def _checked(partial: Path) -> AuditReport:
    try:
        audit = await audited_copy(partial)
    except CopyDamaged as damaged:
        raise BackupFailed(f"the copy is damaged: {damaged}") from None
    return _passed(audit)


def _passed(audit: AuditReport) -> AuditReport:
    if not audit.ok:
        more = f" (and {len(audit.problems) - 1} more)" if len(audit.problems) > 1 else ""
        raise BackupFailed(f"the copy fails the ledger check: {audit.problems[0]}{more}")
    return audit


async def audited_copy(path: Path) -> AuditReport:
    """The check of a copy of the shop's database, as a backup checks its copy and a restore the
    backup: SQLite's structure first (`quick_check`; raises `CopyDamaged`), then, opened as the
    shop opens it (the migrations it lacks applied), the ledger audit `python -m bot check` runs.
    Returns the audit's report; whether its problems refuse the copy, and how that is said, is
    the caller's."""
    await asyncio.to_thread(_undamaged, path)
    async with SqliteDatabase(path) as copy:
        return await audit_ledger(copy)


class CopyDamaged(Exception):
    """SQLite finds a copy damaged or cannot read it; the message says what it found, in one
    line."""


def _undamaged(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as unreadable:
        raise CopyDamaged(_one_line(unreadable)) from None
    if verdict != "ok":
        raise CopyDamaged(" ".join(str(verdict).split()))


def _publish(partial: Path, target: Path) -> None:
    for suffix in SIDE_FILES:  # a clean close removes them; nothing may follow the copy
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    fsync_path(partial)
    try:
        os.link(partial, target)  # never replaces a file that has the name
    except FileExistsError:
        raise BackupFailed(f"{target.name} exists already") from None
    partial.unlink()
    fsync_path(target.parent)


def remove_with_side_files(path: Path) -> None:
    """Remove a database file and whatever SQLite kept beside it."""
    for suffix in ("", *SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def fsync_path(path: Path) -> None:
    """Make a file's (or a folder's entries') writes durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _size(path: Path) -> int:
    return path.stat().st_size


def _one_line(trouble: BaseException) -> str:
    return " ".join(str(trouble).split()) or type(trouble).__name__


async def take_postgres_backup(url: str, folder: Path, moment: datetime) -> BackupFile:
    """pg_dump the PostgreSQL shop at `url` into `folder` as the backup of `moment`, checked;
    raises `BackupFailed` (never naming the password) when it cannot, leaving no file behind."""
    target = folder / backup_name(moment, DUMP_SUFFIX)
    partial = folder / f".{target.name}.partial"
    try:
        await asyncio.to_thread(_prepare_folder, folder, target, partial)
        try:
            audit = await _dumped_and_audited(url, partial)
            await _readable_archive(partial)
            await asyncio.to_thread(_publish, partial, target)
        finally:
            await asyncio.to_thread(partial.unlink, missing_ok=True)  # published, it is gone
    except OSError as trouble:
        raise BackupFailed(_one_line(trouble)) from trouble
    return BackupFile(
        target,
        moment.astimezone(UTC).replace(microsecond=0),
        _size(target),
        audit,
        folder_mode(folder) & stat.S_IRWXO != 0,
    )


class _SnapshotReads(Reads):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(numbered(sql), *params))


async def _dumped_and_audited(url: str, partial: Path) -> AuditReport:
    """pg_dump of one exported snapshot, and the ledger audit of that same snapshot."""
    where = describe_url(url)
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(url), timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as trouble:
        raise BackupFailed(f"cannot connect to {where}: {_one_line(trouble)}") from None
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            await _pg_dump(url, str(snapshot), partial)
            audit = await audit_reads(_SnapshotReads(conn), Dialect.POSTGRESQL)
    except asyncpg.PostgresError as trouble:
        raise BackupFailed(f"PostgreSQL: {_one_line(trouble)}") from None
    finally:
        await conn.close()
    return _passed(audit)


async def _pg_dump(url: str, snapshot: str, partial: Path) -> None:
    command = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--snapshot={snapshot}",
        f"--file={partial}",
    ]
    schema = PostgresDatabase(url).schema
    if schema:
        command.append(f"--schema={schema}")
    await _run("pg_dump", command, libpq_environment(url))


async def _readable_archive(partial: Path) -> None:
    """pg_restore reads the archive's table of contents: a whole custom-format dump."""
    try:
        await _run("pg_restore --list", ["pg_restore", "--list", str(partial)], {})
    except BackupFailed as failed:
        raise BackupFailed(f"the dump cannot be read back: {failed}") from None


async def _run(name: str, command: list[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        said = _one_line(Exception(errors.decode(errors="replace")))
        raise BackupFailed(f"{name} failed: {said}")
