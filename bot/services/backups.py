"""Scheduled backups of the database (BACKUP_EVERY_HOURS, BACKUP_DIR, BACKUP_KEEP,
BACKUP_TO_ADMIN_CHAT).

Every BACKUP_EVERY_HOURS the shop copies its database into BACKUP_DIR (see `storage.backups`: a
consistent copy while the shop writes, checked before it counts): SQLite's online backup, or on
PostgreSQL pg_dump's custom format. Only after a good one are the
backups beyond the newest BACKUP_KEEP deleted, so a run of failures never eats into the good ones.
A failure is logged and the operators are alerted in one line; the next run tries again. The run
counts as the job's failure in the metrics (`storefront_job_failures_total`), and the job's last
success time stays that of the last good backup. With
BACKUP_TO_ADMIN_CHAT the file goes to the operators' group too, unless it is over what Telegram
lets a bot send: then the operators are told where it is instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.config import Settings
from bot.services.jobs import Runs, run_every
from bot.services.metrics import FailedRun
from storage.backups import (
    BackupFailed,
    BackupFile,
    backups_in,
    folder_mode,
    take_backup,
    take_postgres_backup,
)
from storage.sqlite import SqliteDatabase

log = logging.getLogger(__name__)

# Telegram's limit for a file a bot sends (50 MB), in bytes.
TELEGRAM_UPLOAD_LIMIT = 50 * 1000 * 1000
JOB_ID = "backup-database"


class BackupDelivery(Protocol):
    """How the operators' group hears of backups (`bot.telegram.backup_delivery`)."""

    async def send_file(self, path: Path, caption: str) -> None:
        """The file as a document with a one-line plain `caption`; raises if it does not go."""
        ...

    async def alert(self, text: str) -> None:
        """Plain text the operators must act on; never raises (it is recorded and retried)."""
        ...

    async def tell(self, text: str) -> None:
        """Plain text for the operators to know; never raises (it is recorded and retried)."""
        ...


def beyond_the_newest(backups: list[Path], keep: int) -> list[Path]:
    """Of `backups` (oldest first, as `backups_in` lists them), those past the newest `keep`."""
    return backups[: max(0, len(backups) - keep)]


def size_text(size: int) -> str:
    """A file size as an operator reads it: `820 B`, `35.2 KB`, `1.4 MB` (decimal units)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def caption(backup: BackupFile) -> str:
    """One line: what the file is, when it was taken, how big, and that it was checked."""
    return (
        f"🗄 Shop database backup {backup.path.name}, taken {backup.taken_at:%Y-%m-%d %H:%M:%S} "
        f"UTC, {size_text(backup.size)}, ledger checked ({backup.audit.transactions} "
        "transactions): customer data, keep it private"
    )


def every_text(every: timedelta) -> str:
    seconds = every.total_seconds()
    if seconds < 120:
        return f"{seconds:g} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:g} minutes"
    return f"{seconds / 3600:g} hours"


class ScheduledBackups:
    def __init__(
        self,
        config: Settings,
        delivery: BackupDelivery,
        *,
        upload_limit: int = TELEGRAM_UPLOAD_LIMIT,
    ) -> None:
        database = config.database()
        self._sqlite_file = database.path if isinstance(database, SqliteDatabase) else None
        # The PostgreSQL URL, password and all, for pg_dump's environment: never logged.
        self._server_url = None if config.database_url is None else config.database_url
        self._folder = config.backups_folder
        self._keep = config.backup_keep
        self._every = config.backup_every  # None: taken only when `run` is called
        self._to_operators = config.backup_to_admin_chat
        self._delivery = delivery
        self._upload_limit = upload_limit
        self._warned_of_open_folder = False

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        """The first backup one interval after start-up (a restart loop must not fill the folder),
        then every interval (none without BACKUP_EVERY_HOURS)."""
        if self._every is not None:
            run_every(
                scheduler,
                self._scheduled_run,
                self._every,
                JOB_ID,
                runs=Runs.ON_LEADER,
                at_start=False,
            )

    async def _scheduled_run(self) -> BackupFile | FailedRun:
        """`run`, with a failed backup told to the job's metrics as a failed run."""
        backup = await self.run()
        return FailedRun("the backup failed") if backup is None else backup

    async def run(self, now: datetime | None = None) -> BackupFile | None:
        """One backup, told to the operators as configured; None when it failed. Never raises:
        the next run tries again."""
        moment = now or datetime.now(UTC)
        try:
            backup = await self._take(moment)
        except BackupFailed as failed:
            log.error("backup failed: %s", failed)
            await self._delivery.alert(f"The database backup failed: {failed}.{self._next_try()}")
            return None
        except Exception as failed:  # unforeseen: the traceback for the log, one line for them
            log.exception("backup failed")
            await self._delivery.alert(
                f"The database backup failed ({type(failed).__name__}); see the shop's log."
                f"{self._next_try()}"
            )
            return None
        log.info(
            "backup %s written: %s, ledger OK (%d transactions, %d accounts, %d open holds)",
            backup.path,
            size_text(backup.size),
            backup.audit.transactions,
            backup.audit.accounts,
            backup.audit.open_holds,
        )
        if backup.folder_open_to_others:
            self._warn_of_open_folder()
        self._remove_old()
        if self._to_operators:
            await self._send(backup)
        return backup

    async def _take(self, moment: datetime) -> BackupFile:
        if self._sqlite_file is not None:
            return await take_backup(self._sqlite_file, self._folder, moment)
        if self._server_url is None:
            raise BackupFailed("no database to back up")
        return await take_postgres_backup(self._server_url.get_secret_value(), self._folder, moment)

    def _warn_of_open_folder(self) -> None:
        """Once a process: the folder is the operator's to set, the warning theirs to act on."""
        if self._warned_of_open_folder:
            return
        self._warned_of_open_folder = True
        log.warning(
            "BACKUP_DIR %s is open to every user of this machine (mode %04o): the backups in it "
            "are 0600, but `chmod o-rwx` it to keep even their names private",
            self._folder,
            folder_mode(self._folder),
        )

    def _next_try(self) -> str:
        return "" if self._every is None else f" The next try is in {every_text(self._every)}."

    def _remove_old(self) -> None:
        for old in beyond_the_newest(backups_in(self._folder), self._keep):
            try:
                old.unlink()
            except OSError as trouble:
                log.warning("old backup %s not removed: %s", old, trouble)
            else:
                log.info("old backup %s removed (BACKUP_KEEP=%d)", old.name, self._keep)

    async def _send(self, backup: BackupFile) -> None:
        if backup.size > self._upload_limit:
            await self._delivery.tell(
                f"Backup {backup.path.name} ({size_text(backup.size)}) is over the "
                f"{size_text(self._upload_limit)} Telegram lets a bot send, so it is not sent "
                f"here: it is on the server in {self._folder}."
            )
            return
        try:
            await self._delivery.send_file(backup.path, caption(backup))
        except Exception as lost:
            log.warning("backup %s not sent to the operators: %r", backup.path.name, lost)
            await self._delivery.alert(
                f"Backup {backup.path.name} was taken but could not be sent here "
                f"({type(lost).__name__}); it is on the server in {self._folder}."
            )
