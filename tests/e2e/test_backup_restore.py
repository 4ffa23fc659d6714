"""Scheduled backups in the real bot, and `python -m bot restore`: backups taken every second while
customers buy; one taken at a quiet moment restored after more sales, its balances those noted at
that moment; restore refused while the bot runs; the file in the operators' group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest_asyncio

from sandbox.telegram import ChatDriver, ChatMessage
from storage.backups import backups_in, taken_at
from tests.e2e.flows import CONFIRM, TENCENT_UID, USDT, cloud_account, new_customer
from tests.e2e.harness import Shop, until
from tests.unit.test_backups import wallets_in

EVERY_SECOND = "0.0003"  # hours: a backup every 1.08 s
RECHARGE = 10_500_000  # 10 USD to the plain Tencent account, at rate 1.00 and the markup


@pytest_asyncio.fixture
async def backing_up(tmp_path: Path) -> AsyncIterator[Shop]:
    running = Shop(
        tmp_path,
        {
            "BACKUP_EVERY_HOURS": EVERY_SECOND,
            "BACKUP_DIR": str(tmp_path / "backups"),
            "BACKUP_KEEP": "1000",
        },
    )
    await running.start()
    yield running
    await running.stop()


def _reported(shop: Shop) -> int:
    """Backups the bot's log reports written (each checked before it is)."""
    assert shop.bot is not None
    return sum(" written: " in line and "backup " in line for line in shop.bot.log_lines)


async def _buy_a_recharge(customer: ChatDriver) -> None:
    await customer.send("/start")
    await customer.wait_for_bot()
    await cloud_account(customer, "Tencent Cloud", TENCENT_UID)
    await customer.press("10 USD")
    await customer.wait_for_bot()
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "Done!" in m.text)


async def _buy_until(customer: ChatDriver, enough: asyncio.Event, at_most: int) -> int:
    bought = 0
    while not enough.is_set() and bought < at_most:
        await _buy_a_recharge(customer)
        bought += 1
    return bought


async def _wallets(shop: Shop, customers: list[ChatDriver]) -> dict[int, tuple[int, int]]:
    """(available, held) of each customer, from the shop's live database."""
    found = {}
    for customer in customers:
        balance = await shop.ledger.balance(customer.user_id)
        found[customer.user_id] = (balance.available, balance.held)
    return found


def _wallets_in(path: Path, customers: list[ChatDriver]) -> dict[int, int]:
    ours = {customer.user_id for customer in customers}
    return {user: balance for user, balance in wallets_in(path).items() if user in ours}


async def _shows(customer: ChatDriver, text: str) -> None:
    """The main menu, once the customer sends /start, shows `text`."""
    await customer.send("/start")
    await customer.wait_until(lambda message: text in message.text)


def _taken_after(name: str, moment: datetime) -> bool:
    taken = taken_at(Path(name))
    return taken is not None and taken > moment


def _kept_databases(folder: Path) -> list[Path]:
    """The databases `restore` kept, oldest first."""
    return sorted(folder.glob("shop.sqlite3.before-restore-*[0-9Z]"))


async def test_a_restored_backup_holds_the_balances_noted_at_its_time(
    backing_up: Shop, tmp_path: Path
) -> None:
    shop = backing_up
    folder = tmp_path / "backups"
    customers = [await new_customer(shop, 1000 * USDT, f"Buyer {n}") for n in range(4)]

    # Load: four customers buy recharges while the bot backs up every second, until at least
    # three backups were written under it.
    before = _reported(shop)
    enough = asyncio.Event()
    buying = asyncio.gather(*(_buy_until(c, enough, at_most=60) for c in customers))
    await until(lambda: _reported(shop) >= before + 3 or buying.done(), "backups under load", 60)
    enough.set()
    assert sum(await buying) >= 4
    assert _reported(shop) >= before + 3, shop.bot.log if shop.bot else ""
    under_load = backups_in(folder)[-1]

    # A quiet moment: every purchase is settled; note each balance as the shop holds it, then
    # take the first backup begun after that.
    noted = await _wallets(shop, customers)
    assert all(held == 0 and available < 1000 * USDT for available, held in noted.values())
    noted_at = datetime.now(UTC).replace(microsecond=0)
    await until(
        lambda: any(_taken_after(p.name, noted_at) for p in backups_in(folder)),
        "a backup after the quiet moment",
        10,
    )
    chosen = next(p for p in backups_in(folder) if _taken_after(p.name, noted_at))

    # The shop goes on: more sales and a deposit change every balance noted.
    await asyncio.gather(*(_buy_a_recharge(c) for c in customers[:3]))
    await shop.deposit(customers[3], 7 * USDT, key="after-the-backup")
    later = await _wallets(shop, customers)
    assert all(later[user] != noted[user] for user in noted)

    # While the bot runs, restore is refused and changes nothing.
    assert shop.bot is not None
    code, output = await shop.run_command("restore", str(chosen))
    assert code == 2, output
    assert f"not restored: a shop runs on {shop.db_path} (pid {shop.bot.pid} " in output
    assert await _wallets(shop, customers) == later

    # Stopped: a backup taken under load restores, and `bot check` passes on it.
    await shop.bot.stop()
    await shop.db.close()
    code, output = await shop.run_command("restore", str(under_load))
    assert code == 0 and f"restored {under_load} to {shop.db_path}" in output, output
    await shop.check_ledger()

    # Then the chosen one: the balances are those noted, and the database it replaced is kept.
    code, output = await shop.run_command("restore", str(chosen))
    assert code == 0, output
    lines = output.strip().splitlines()
    assert lines[0].startswith(f"checked {chosen}: ") and lines[0].endswith("; ledger OK")
    assert lines[-1] == f"restored {chosen} to {shop.db_path}"
    assert "ledger OK: every invariant holds" in await shop.check_ledger()
    await shop.db.open()
    assert await _wallets(shop, customers) == noted
    first_kept = _kept_databases(tmp_path)[0]
    assert _wallets_in(first_kept, customers) == {user: a for user, (a, _) in later.items()}

    # The restarted shop shows each customer the balance of the backup's time.
    await shop.start_bot()
    for customer in customers:
        available = Decimal(noted[customer.user_id][0]) / USDT
        await _shows(customer, f"Balance: {available:.2f} USDT")
    await _buy_a_recharge(customers[0])  # and sells as before
    await shop.check_ledger()


async def test_each_backup_reaches_the_operators_group(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    shop = Shop(
        tmp_path,
        {
            "BACKUP_EVERY_HOURS": EVERY_SECOND,
            "BACKUP_DIR": str(folder),
            "BACKUP_TO_ADMIN_CHAT": "true",
        },
    )
    await shop.start()
    try:
        cleo = await new_customer(shop, 5 * USDT, "Cleo")
        deposited_at = datetime.now(UTC).replace(microsecond=0)
        group = shop.admin_group.chat

        def documents() -> list[ChatMessage]:
            return [m for m in group.messages.values() if m.document is not None]

        def after_the_deposit() -> list[ChatMessage]:
            return [
                m
                for m in documents()
                if m.document and _taken_after(m.document.file_name, deposited_at)
            ]

        await until(lambda: bool(after_the_deposit()), "a backup in the operators' group", 15)
        for message in documents():
            assert message.document is not None
            name = message.document.file_name
            assert taken_at(Path(name)) is not None, name
            assert message.text.startswith(f"🗄 Shop database backup {name}, taken ")
            assert "ledger checked" in message.text and "keep it private" in message.text
            assert "\n" not in message.text
            assert message.document.data == (folder / name).read_bytes()
        # What the operators got is the shop's database as it was: Cleo's 5 USDT are in it.
        latest = after_the_deposit()[-1]
        assert latest.document is not None
        sent = tmp_path / "sent.sqlite3"
        sent.write_bytes(latest.document.data)
        assert _wallets_in(sent, [cleo]) == {cleo.user_id: 5 * USDT}
        assert not any("⚠️" in m.text for m in group.messages.values())
    finally:
        await shop.stop()


async def test_a_failing_backup_is_one_line_for_the_operators(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backups should go")
    shop = Shop(tmp_path, {"BACKUP_EVERY_HOURS": EVERY_SECOND, "BACKUP_DIR": str(blocker)})
    await shop.start()
    try:
        group = shop.admin_group.chat

        def alerts() -> list[str]:
            return [m.text for m in group.messages.values() if "backup failed" in m.text]

        await until(lambda: len(alerts()) >= 2, "two failed backups alerted", 15)  # tried again
        for alert in alerts()[:2]:
            assert alert.startswith("⚠️ The database backup failed: ")
            assert str(blocker) in alert and alert.endswith("The next try is in 1.08 seconds.")
            assert "Traceback" not in alert and "\n" not in alert
        assert shop.bot is not None and shop.bot.running
        await shop.check_ledger()
    finally:
        await shop.stop()
