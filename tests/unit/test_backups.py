"""Scheduled backups: names, permissions, the copy and its check, rotation, the settings, and what
the operators' group is told (through a stand-in for Telegram that records what it was given)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry

from bot.services.backups import JOB_ID, ScheduledBackups, beyond_the_newest, size_text
from bot.services.config import ConfigError, Settings, load_settings
from bot.services.metrics import JOB_FAILURES, JOB_LAST_SUCCESS, JobMeasures
from storage.backups import (
    BackupFailed,
    CopyDamaged,
    audited_copy,
    backup_name,
    backups_in,
    take_backup,
    taken_at,
)
from storage.ledger import Ledger
from tests.e2e.harness import until
from tests.unit.conftest import SqliteBooks


@pytest_asyncio.fixture
async def books(sqlite_books: SqliteBooks) -> SqliteBooks:
    """Backups copy SQLite's file: these tests run on SQLite only."""
    return sqlite_books


USDT = 1_000_000
NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)


def wallets_in(path: Path) -> dict[int, int]:
    """Each customer's wallet balance in a database file, read as it is (nothing opened for
    writing, no migration): the backups' and restore's tests compare them."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT user_id, balance FROM ledger_accounts WHERE code LIKE 'customer:%:wallet'"
        ).fetchall()
    finally:
        conn.close()
    return {int(user): int(balance) for user, balance in rows}


async def _shop_with_money(books: SqliteBooks) -> None:
    for user, amount in ((1, 7 * USDT), (2, 3 * USDT)):
        await books.customer(user)
        await books.ledger.credit(user, amount, key=f"deposit-{user}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- names --


def test_a_backup_is_named_by_its_utc_second() -> None:
    in_hanoi = datetime(2026, 12, 2, 22, 30, 0, 999_999, tzinfo=timezone(timedelta(hours=7)))
    assert backup_name(in_hanoi) == "shop-20261202T153000Z.sqlite3"
    assert taken_at(Path("x") / backup_name(in_hanoi)) == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "name",
    [
        ".shop-20261202T153000Z.sqlite3.partial",
        "shop-20261202T153000Z.sqlite3-wal",
        "shop-20261202T1530Z.sqlite3",
        "storefront.sqlite3",
        "notes.txt",
    ],
)
def test_other_files_are_no_backups(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("x")
    assert taken_at(tmp_path / name) is None
    assert backups_in(tmp_path) == []


def test_backups_are_listed_oldest_first(tmp_path: Path) -> None:
    moments = [NOON + timedelta(hours=h) for h in (30, 0, 12, 1)]
    for moment in moments:
        (tmp_path / backup_name(moment)).write_text("x")
    assert [taken_at(path) for path in backups_in(tmp_path)] == sorted(moments)
    assert backups_in(tmp_path / "missing") == []


def test_rotation_keeps_the_newest() -> None:
    five = [Path(backup_name(NOON + timedelta(days=d))) for d in range(5)]
    assert beyond_the_newest(five, 3) == five[:2]
    assert beyond_the_newest(five, 5) == []
    assert beyond_the_newest(five, 14) == []
    assert beyond_the_newest(five, 1) == five[:4]


def test_sizes_read_as_an_operator_expects() -> None:
    assert [size_text(n) for n in (820, 35_200, 1_430_000, 50_000_000, 2_100_000_000)] == [
        "820 B",
        "35.2 KB",
        "1.4 MB",
        "50.0 MB",
        "2.1 GB",
    ]


# -- the copy --


async def test_a_backup_is_a_private_checked_copy(books: SqliteBooks, tmp_path: Path) -> None:
    await _shop_with_money(books)
    folder = tmp_path / "backups"

    backup = await take_backup(books.db.path, folder, NOON)

    assert backup.path == folder / "shop-20261202T120000Z.sqlite3"
    assert backup.taken_at == NOON and backup.size == backup.path.stat().st_size > 0
    assert backup.audit.ok and backup.audit.transactions == 2
    assert _mode(backup.path) == 0o600 and _mode(folder) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [backup.path.name]  # no -wal, no partial
    assert wallets_in(backup.path) == {1: 7 * USDT, 2: 3 * USDT}


async def test_an_existing_folder_keeps_the_access_its_operator_gave_it(
    books: SqliteBooks, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    folder.chmod(0o750)  # the shop's group reads the backups, say to ship them elsewhere
    backup = await take_backup(books.db.path, folder, NOON)
    assert _mode(folder) == 0o750 and _mode(backup.path) == 0o600
    assert backup.folder_open_to_others is False
    folder.chmod(0o755)
    later = await take_backup(books.db.path, folder, NOON + timedelta(hours=1))
    assert _mode(folder) == 0o755 and later.folder_open_to_others is True


async def test_a_backup_is_one_moment_while_the_shop_writes(
    books: SqliteBooks, tmp_path: Path
) -> None:
    """Deposits land one after another while backups are taken: each backup holds whole
    transactions only, and its ledger passes the check."""
    await books.customer(1)
    writing = True

    async def deposits() -> int:
        n = 0
        while writing:
            n += 1
            await books.ledger.credit(1, USDT, key=f"load-{n}")
        return n

    load = asyncio.create_task(deposits())
    taken = []
    for second in range(5):
        await asyncio.sleep(0.05)
        taken.append(await take_backup(books.db.path, tmp_path / "b", NOON.replace(second=second)))
    writing = False
    total = await load
    counts = [backup.audit.transactions for backup in taken]
    assert counts == sorted(counts) and counts[-1] <= total
    for backup in taken:  # each deposit is one transaction of 1 USDT: balance and count agree
        assert wallets_in(backup.path) == {1: backup.audit.transactions * USDT}


async def test_a_leftover_of_a_crash_never_counts_and_is_cleared(
    books: SqliteBooks, tmp_path: Path
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    leftover = folder / ".shop-20261202T110000Z.sqlite3.partial"
    leftover.write_bytes(b"SQLite format 3\x00half a file")
    assert backups_in(folder) == []
    backup = await take_backup(books.db.path, folder, NOON)
    assert sorted(folder.iterdir()) == [backup.path]


async def test_a_broken_ledger_is_no_backup(books: SqliteBooks, tmp_path: Path) -> None:
    await _shop_with_money(books)
    async with books.db.write() as tx:
        await tx.execute("UPDATE ledger_accounts SET balance = 1 WHERE code = 'customer:1:wallet'")
    folder = tmp_path / "backups"
    with pytest.raises(BackupFailed, match="fails the ledger check: account customer:1:wallet"):
        await take_backup(books.db.path, folder, NOON)
    assert list(folder.iterdir()) == []


async def test_a_copy_is_checked_in_one_place_for_backups_and_restores(
    books: SqliteBooks, tmp_path: Path
) -> None:
    """The check a backup and a restore make of their copy: the audit of a good one, the audit's
    problems of a broken ledger for the caller to word, and SQLite's verdict on a damaged file."""
    await _shop_with_money(books)
    good = (await take_backup(books.db.path, tmp_path / "good", NOON)).path
    audit = await audited_copy(good)
    assert audit.ok and audit.transactions == 2

    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(good.read_bytes())
    conn = sqlite3.connect(broken)
    conn.execute("UPDATE ledger_accounts SET balance = 1 WHERE code = 'customer:1:wallet'")
    conn.commit()
    conn.close()
    audit = await audited_copy(broken)
    assert not audit.ok
    assert audit.problems == [
        "account customer:1:wallet caches balance 1 but its entries sum to 7000000"
    ]

    damaged = tmp_path / "damaged.sqlite3"
    pages = bytearray(good.read_bytes())
    page_size = int.from_bytes(pages[16:18], "big")
    pages[page_size + 8 : 2 * page_size] = b"\xff" * (page_size - 8)  # a table's page scribbled on
    damaged.write_bytes(bytes(pages))
    with pytest.raises(CopyDamaged):
        await audited_copy(damaged)
    assert damaged.read_bytes() == bytes(pages)  # checked, never repaired or migrated


async def test_a_taken_name_is_never_overwritten(books: SqliteBooks, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    first = await take_backup(books.db.path, folder, NOON)
    before = first.path.read_bytes()
    await Ledger(books.db).credit(await books.customer(5), USDT, key="later")
    with pytest.raises(BackupFailed, match="exists already"):
        await take_backup(books.db.path, folder, NOON)
    assert first.path.read_bytes() == before
    assert backups_in(folder) == [first.path]


async def test_a_folder_that_cannot_be_made_fails_in_one_line(
    books: SqliteBooks, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(BackupFailed) as failed:
        await take_backup(books.db.path, blocker / "backups", NOON)
    assert "\n" not in str(failed.value) and "a-file" in str(failed.value)


async def test_a_missing_database_is_never_created(tmp_path: Path) -> None:
    with pytest.raises(BackupFailed, match="no database at"):
        await take_backup(tmp_path / "gone.sqlite3", tmp_path / "backups", NOON)
    assert not (tmp_path / "gone.sqlite3").exists()


# -- the schedule --


def _contents(path: Path) -> bytes:
    return path.read_bytes()


class OperatorsGroup:
    """Stands in for Telegram: records what the operators would get."""

    def __init__(self, *, refuse_files: bool = False) -> None:
        self.files: list[tuple[Path, bytes, str]] = []
        self.alerts: list[str] = []
        self.news: list[str] = []
        self._refuse_files = refuse_files

    async def send_file(self, path: Path, caption: str) -> None:
        if self._refuse_files:
            raise ConnectionError("Telegram did not answer")
        self.files.append((path, _contents(path), caption))

    async def alert(self, text: str) -> None:
        self.alerts.append(text)

    async def tell(self, text: str) -> None:
        self.news.append(text)


def _config(books: SqliteBooks, tmp_path: Path, **settings: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "database_path": books.db.path,
        "backup_every_hours": "1",
        "backup_dir": str(tmp_path / "backups"),
        "admin_chat_id": "-100123",
    }
    values.update(settings)
    return load_settings(**values)


async def test_old_backups_go_only_after_a_good_one(books: SqliteBooks, tmp_path: Path) -> None:
    await _shop_with_money(books)
    group = OperatorsGroup()
    backups = ScheduledBackups(_config(books, tmp_path, backup_keep="2"), group)
    for hour in range(3):
        assert await backups.run(NOON + timedelta(hours=hour)) is not None
    folder = tmp_path / "backups"
    assert [taken_at(p) for p in backups_in(folder)] == [NOON + timedelta(hours=h) for h in (1, 2)]
    assert group.alerts == group.news == [] and group.files == []  # not asked to send

    # A failing run (the ledger broke) keeps every good backup, and the operators hear of it.
    async with books.db.write() as tx:
        await tx.execute("UPDATE ledger_accounts SET balance = 9 WHERE code = 'customer:1:wallet'")
    assert await backups.run(NOON + timedelta(hours=3)) is None
    assert [taken_at(p) for p in backups_in(folder)] == [NOON + timedelta(hours=h) for h in (1, 2)]
    [alert] = group.alerts
    assert alert.startswith("The database backup failed: the copy fails the ledger check")
    assert alert.endswith("The next try is in 60 minutes.") and "\n" not in alert


def _job_figures() -> tuple[float, float | None]:
    """The backup job's failures so far and its last success time, as /metrics shows them."""
    registry = CollectorRegistry()
    for metric in (JOB_FAILURES, JOB_LAST_SUCCESS):
        registry.register(metric)
    labels = {"task": JOB_ID}
    failures = registry.get_sample_value("storefront_job_failures_total", labels) or 0.0
    success = registry.get_sample_value("storefront_job_last_success_timestamp_seconds", labels)
    return failures, success


async def test_a_failed_scheduled_backup_counts_as_a_failed_run_in_one_log_line(
    books: SqliteBooks, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _shop_with_money(books)
    group = OperatorsGroup()
    scheduler = AsyncIOScheduler(timezone=UTC)
    JobMeasures(scheduler)
    ScheduledBackups(_config(books, tmp_path), group).schedule(scheduler)
    scheduler.start()
    try:
        # A good run first: the success time moves.
        failures, _ = _job_figures()
        scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
        await until(lambda: _job_figures()[1] is not None, "the good backup is counted")
        good_at = _job_figures()[1]
        for taken in backups_in(tmp_path / "backups"):  # the next run may come in the same second
            taken.unlink()

        async with books.db.write() as tx:  # the ledger breaks: the next copy fails its check
            await tx.execute(
                "UPDATE ledger_accounts SET balance = 9 WHERE code = 'customer:1:wallet'"
            )
        caplog.clear()
        scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))
        await until(lambda: _job_figures()[0] == failures + 1, "the failed backup is counted")
    finally:
        scheduler.shutdown(wait=False)

    assert _job_figures() == (failures + 1, good_at)  # the success time stays the good run's
    [alert] = group.alerts
    assert alert.startswith("The database backup failed: the copy fails the ledger check")
    [line] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert line.getMessage().startswith("backup failed: the copy fails the ledger check")
    assert line.exc_info is None


async def test_a_folder_open_to_every_user_is_warned_of_once(
    books: SqliteBooks, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    folder.chmod(0o755)
    backups = ScheduledBackups(_config(books, tmp_path), OperatorsGroup())
    caplog.set_level(logging.INFO)
    for hour in range(3):
        assert await backups.run(NOON + timedelta(hours=hour)) is not None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"BACKUP_DIR {folder} is open to every user of this machine (mode 0755): the backups "
        "in it are 0600, but `chmod o-rwx` it to keep even their names private"
    ]
    assert _mode(folder) == 0o755  # left as the operator made it


async def test_the_file_goes_to_the_operators_with_a_caption(
    books: SqliteBooks, tmp_path: Path
) -> None:
    await _shop_with_money(books)
    group = OperatorsGroup()
    config = _config(books, tmp_path, backup_to_admin_chat="true", backup_every_hours="0.5")
    backup = await ScheduledBackups(config, group).run(NOON)
    assert backup is not None
    [(path, data, caption)] = group.files
    assert path == backup.path and data == backup.path.read_bytes()
    assert caption == (
        f"🗄 Shop database backup shop-20261202T120000Z.sqlite3, taken 2026-12-02 12:00:00 UTC, "
        f"{size_text(backup.size)}, ledger checked (2 transactions): customer data, keep it private"
    )
    assert group.alerts == group.news == []


async def test_a_file_over_telegrams_limit_is_not_sent_and_they_are_told(
    books: SqliteBooks, tmp_path: Path
) -> None:
    group = OperatorsGroup()
    config = _config(books, tmp_path, backup_to_admin_chat="true")
    backup = await ScheduledBackups(config, group, upload_limit=1000).run(NOON)
    assert backup is not None and backup.path.exists() and group.files == []
    assert group.news == [
        f"Backup shop-20261202T120000Z.sqlite3 ({size_text(backup.size)}) is over the 1.0 KB "
        f"Telegram lets a bot send, so it is not sent here: it is on the server in "
        f"{tmp_path / 'backups'}."
    ]


async def test_a_file_telegram_does_not_take_is_kept_and_alerted(
    books: SqliteBooks, tmp_path: Path
) -> None:
    group = OperatorsGroup(refuse_files=True)
    config = _config(books, tmp_path, backup_to_admin_chat="true")
    backup = await ScheduledBackups(config, group).run(NOON)
    assert backup is not None and backups_in(tmp_path / "backups") == [backup.path]
    assert group.alerts == [
        "Backup shop-20261202T120000Z.sqlite3 was taken but could not be sent here "
        f"(ConnectionError); it is on the server in {tmp_path / 'backups'}."
    ]


# -- the settings --


def test_backups_are_off_unless_asked_for(tmp_path: Path) -> None:
    for hours in (None, "", "0"):
        given = {} if hours is None else {"backup_every_hours": hours}
        config = load_settings(_env_file=None, database_path=str(tmp_path / "s.db"), **given)
        assert config.backup_every is None
    config = load_settings(_env_file=None, database_path=str(tmp_path / "s.db"))
    assert config.backups_folder == tmp_path / "backups"
    assert config.backup_keep == 14 and config.backup_to_admin_chat is False


def test_fractions_of_an_hour_are_allowed(tmp_path: Path) -> None:
    config = load_settings(_env_file=None, backup_every_hours="0.0005", backup_dir=str(tmp_path))
    assert config.backup_every == timedelta(seconds=1.8)
    assert config.backups_folder == tmp_path


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"backup_every_hours": "-1"}, "BACKUP_EVERY_HOURS is invalid: Input should be greater"),
        ({"backup_every_hours": "daily"}, "BACKUP_EVERY_HOURS is invalid: Input should be a valid"),
        ({"backup_every_hours": "nan"}, "BACKUP_EVERY_HOURS is invalid: Input should be a finite"),
        ({"backup_every_hours": "0.0001"}, "BACKUP_EVERY_HOURS is invalid: expected hours, at"),
        ({"backup_keep": "0"}, "BACKUP_KEEP is invalid: Input should be greater than or equal"),
        ({"backup_keep": "many"}, "BACKUP_KEEP is invalid: Input should be a valid integer"),
        ({"backup_to_admin_chat": "maybe"}, "BACKUP_TO_ADMIN_CHAT is invalid: Input should be"),
        ({"backup_to_admin_chat": "true"}, "BACKUP_TO_ADMIN_CHAT is invalid: the backups go to"),
    ],
)
def test_bad_backup_settings_name_the_variable(settings: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None, **settings)
    assert str(error.value).startswith(expected), error.value


async def test_a_shop_named_by_a_sqlite_url_is_the_one_backed_up_beside_its_file(
    books: SqliteBooks, tmp_path: Path
) -> None:
    """DATABASE_URL=sqlite:///... names the shop's file; DATABASE_PATH (its default here) is not
    the shop's and must not be what is copied."""
    await _shop_with_money(books)
    config = load_settings(
        _env_file=None,
        database_url=f"sqlite:///{books.db.path}",
        database_path=str(tmp_path / "elsewhere" / "unused.sqlite3"),
        backup_every_hours="1",
    )
    assert config.backups_folder == books.db.path.parent / "backups"
    backup = await ScheduledBackups(config, OperatorsGroup()).run(NOON)
    assert backup is not None and backup.path.parent == books.db.path.parent / "backups"
    assert wallets_in(backup.path) == {1: 7 * USDT, 2: 3 * USDT}
    assert not (tmp_path / "elsewhere").exists()
