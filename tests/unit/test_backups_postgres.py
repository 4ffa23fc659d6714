"""Scheduled backups of a shop on PostgreSQL: pg_dump's custom format, of one moment, checked,
private, rotated as on SQLite, and the password never said."""

from __future__ import annotations

import logging
import stat
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services.backups import ScheduledBackups
from bot.services.config import Settings, load_settings
from storage.backups import backups_in, taken_at
from storage.ledger import Ledger
from storage.postgres import PostgresDatabase
from storage.users import CustomerStore
from tests.databases import postgres_schema
from tests.unit.test_backups import OperatorsGroup

USDT = 1_000_000
NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cret-pw"  # the test server trusts loopback: any password is taken


@pytest_asyncio.fixture
async def shop_url() -> AsyncIterator[str]:
    async with postgres_schema() as url:
        yield url


def _config(url: str, tmp_path: Path, **settings: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "database_url": url.replace("postgres@", f"postgres:{SECRET}@", 1),
        "backup_every_hours": "1",
        "backup_dir": str(tmp_path / "backups"),
        "admin_chat_id": "-100123",
    }
    values.update(settings)
    return load_settings(**values)


def wallet_rows_in(dump: Path) -> list[str]:
    """The customers' wallet rows as the dump holds them (pg_restore reads it back as SQL)."""
    sql = subprocess.run(
        ["pg_restore", "--data-only", "--table=ledger_accounts", "--file=-", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(
        "\t".join(line.split("\t")[1:5]) for line in sql.splitlines() if ":wallet\t" in line
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def _deposit(db: PostgresDatabase, user: int, amount: int, key: str) -> None:
    await CustomerStore(db).register(user, username=None, first_name="C", language="en")
    await Ledger(db).credit(user, amount, key=key)


async def test_a_backup_is_a_checked_private_pg_dump_and_old_ones_go(
    shop_url: str, tmp_path: Path
) -> None:
    group = OperatorsGroup()
    backups = ScheduledBackups(
        _config(shop_url, tmp_path, backup_keep="2", backup_to_admin_chat="true"), group
    )
    async with PostgresDatabase(shop_url) as db:
        await _deposit(db, 1, 7 * USDT, "deposit-1")
        first = await backups.run(NOON)
        await _deposit(db, 1, 5 * USDT, "deposit-2")
        await _deposit(db, 2, 3 * USDT, "deposit-3")
        second = await backups.run(NOON + timedelta(hours=1))
        third = await backups.run(NOON + timedelta(hours=2))
    assert first is not None and second is not None and third is not None

    folder = tmp_path / "backups"
    assert [path.name for path in backups_in(folder)] == [
        "shop-20261202T130000Z.dump",
        "shop-20261202T140000Z.dump",
    ]  # BACKUP_KEEP=2: the oldest went after the third good one
    assert [taken_at(path) for path in backups_in(folder)] == [
        NOON + timedelta(hours=1),
        NOON + timedelta(hours=2),
    ]
    assert (_mode(folder), _mode(second.path)) == (0o700, 0o600)
    assert sorted(folder.iterdir()) == backups_in(folder)  # no partial file left behind
    assert (second.audit.transactions, second.audit.accounts) == (3, 3)
    # Each dump holds its own moment: customer 1 had 12 USDT and customer 2 had 3 then.
    assert wallet_rows_in(second.path) == [
        f"customer:1:wallet\t1\t0\t{12 * USDT}",
        f"customer:2:wallet\t2\t0\t{3 * USDT}",
    ]
    sent = [(path.name, caption) for path, _, caption in group.files]
    assert [name for name, _ in sent] == [
        "shop-20261202T120000Z.dump",
        "shop-20261202T130000Z.dump",
        "shop-20261202T140000Z.dump",
    ]
    assert "ledger checked (1 transactions)" in sent[0][1]
    assert group.alerts == []


async def test_a_broken_ledger_is_no_backup_and_the_good_ones_stay(
    shop_url: str, tmp_path: Path
) -> None:
    group = OperatorsGroup()
    backups = ScheduledBackups(_config(shop_url, tmp_path), group)
    async with PostgresDatabase(shop_url) as db:
        await _deposit(db, 1, 7 * USDT, "deposit-1")
        good = await backups.run(NOON)
        async with db.write() as tx:
            await tx.execute(
                "UPDATE ledger_accounts SET balance = 9 WHERE code = 'customer:1:wallet'"
            )
        assert await backups.run(NOON + timedelta(hours=1)) is None

    assert good is not None
    assert backups_in(tmp_path / "backups") == [good.path]
    assert list((tmp_path / "backups").iterdir()) == [good.path]
    [alert] = group.alerts
    assert alert.startswith(
        "The database backup failed: the copy fails the ledger check: account customer:1:wallet"
    )
    assert alert.endswith("The next try is in 60 minutes.")


async def test_a_server_out_of_reach_is_one_line_without_the_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    group = OperatorsGroup()
    config = _config("postgresql://postgres@127.0.0.1:9/shop", tmp_path)  # nothing on port 9
    caplog.set_level(logging.INFO)
    assert await ScheduledBackups(config, group).run(NOON) is None

    [alert] = group.alerts
    assert alert.startswith(
        "The database backup failed: cannot connect to postgresql://postgres@127.0.0.1:9/shop: "
    )
    assert SECRET not in alert + caplog.text
    assert backups_in(tmp_path / "backups") == []
