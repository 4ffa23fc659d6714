"""Moving a shop from SQLite to PostgreSQL (`python -m bot copy-db --to postgresql://...`): every
row arrives, the ledger checks out, the target works as a shop, and a copy that would lose or mix
data is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from storage.admin_log import AdminLog
from storage.broadcasts import BroadcastStore, Delivery
from storage.conversations import ConversationStore
from storage.copy import CopyRefused, copy_database, source_tables
from storage.database import Database, as_stored, utc_now
from storage.deposits import DepositRequest, DepositStore, Method, PaymentStatus, RequestStatus
from storage.ledger import HoldStatus, Kind
from storage.migrations import available_migrations, split_statements
from storage.orders import OrderStatus
from storage.outbox import OutboxStore
from storage.postgres import PostgresDatabase
from storage.process_lock import ProcessLock
from storage.settings import SettingsStore
from storage.sqlite import SqliteDatabase
from storage.webhook_updates import HandledUpdates
from tests.databases import postgres_schema
from tests.unit.conftest import Books
from tests.unit.test_cli import run_bot

USDT = 1_000_000

# Orders in every state, with the hold each state leaves (None: no hold).
ORDERS: dict[OrderStatus, HoldStatus | None] = {
    OrderStatus.QUOTED: None,
    OrderStatus.CONFIRMED: HoldStatus.PENDING,
    OrderStatus.SUBMITTED: HoldStatus.PENDING,
    OrderStatus.UNKNOWN: HoldStatus.PENDING,
    OrderStatus.NEEDS_REVIEW: HoldStatus.PENDING,
    OrderStatus.SUCCEEDED: HoldStatus.POSTED,
    OrderStatus.REVERSED: HoldStatus.POSTED,
    OrderStatus.FAILED: HoldStatus.VOIDED,
    OrderStatus.CANCELLED: None,
}

# Tables this shop fills; copy-db copies whatever tables the schema has.
FILLED = {
    "users",
    "ledger_accounts",
    "ledger_transactions",
    "ledger_entries",
    "ledger_holds",
    "orders",
    "order_events",
    "settings",
    "conversation_state",
    "admin_actions",
    "broadcasts",
    "broadcast_deliveries",
    "deposit_requests",
    "payments",
    "payment_claims",
    "watch_marks",
    "outbox",
    "webhook_updates",
}


async def fill_a_shop(db: Database) -> None:
    """A shop that has seen everything: orders in every state and the holds they leave, deposits
    and Stars payments in every state, claims, news in the outbox, a broadcast, operators'
    actions."""
    books = Books(db)
    for user in (1, 2, 3, 4):
        await books.customer(user)
        await books.ledger.credit(
            user, 100 * USDT, key=f"adjustment:start:{user}", kind=Kind.ADJUSTMENT
        )
    for n, (status, hold) in enumerate(ORDERS.items()):
        order = await books.order(f"O{n}", 1 + n % 3, (n + 1) * USDT)
        if hold is not None:
            placed = await books.ledger.hold(1 + n % 3, (n + 1) * USDT, order_id=order)
            if hold is HoldStatus.POSTED:
                await books.ledger.post(placed.id)
            elif hold is HoldStatus.VOIDED:
                await books.ledger.void(placed.id)
        if status is OrderStatus.REVERSED:
            await books.ledger.credit(
                1 + n % 3, (n + 1) * USDT, key=f"order:{order}:refund", kind=Kind.REFUND
            )
        if status is not OrderStatus.QUOTED:
            await books.orders.move(order, OrderStatus.QUOTED, status, reason=f"to {status}")
    await _payments(db, books)
    await _the_rest(db)


async def _payments(db: Database, books: Books) -> None:
    deposits = DepositStore(db)
    now = utc_now()
    later = as_stored(datetime.now(UTC) + timedelta(minutes=30))
    async with db.write() as tx:
        for n, state in enumerate(RequestStatus):
            await deposits.insert_request(
                tx,
                DepositRequest(
                    f"R{n}",
                    2,
                    Method.USDT,
                    (n + 1) * USDT,
                    (n + 1) * USDT + 7,
                    state,
                    None,
                    now,
                    later,
                ),
            )
    for n, status in enumerate(PaymentStatus):
        method = Method.STARS if n % 2 else Method.USDT
        reference = f"{method.value}:charge-{n}"
        user = 3 if status is not PaymentStatus.UNMATCHED else None
        async with db.write() as tx:
            payment = await deposits.insert_payment(
                tx,
                reference=reference,
                method=method,
                paid=(n + 1) * 100,
                status=PaymentStatus.UNMATCHED,
                paid_at=now,
                now=now,
                sender=f"sender-{n}",
                user_id=user,
                request_id="R0" if n == 0 else None,
            )
            if status is PaymentStatus.CLAIMED:
                await deposits.insert_claim(tx, payment, 3, (n + 1) * 100, now)
            if status is PaymentStatus.REJECTED:
                await deposits.insert_claim(tx, payment, 4, (n + 1) * 100, now)
                await deposits.settle_claims(tx, payment, now)
            credited = None
            if status in (PaymentStatus.CREDITED, PaymentStatus.REFUNDING, PaymentStatus.REFUNDED):
                credited = (n + 1) * USDT
                await books.ledger.credit(3, credited, key=f"deposit:{reference}", tx=tx)
            if status in (PaymentStatus.REFUNDING, PaymentStatus.REFUNDED):
                assert credited is not None
                await books.ledger.debit(
                    3, credited, key=f"deposit-refund:{payment}:1", kind=Kind.DEPOSIT_REFUND, tx=tx
                )
            await deposits.settle_payment(
                tx, payment, status, now, credited=credited, decided_by=900, note=str(status)
            )
    await deposits.set_mark("usdt:block", 123_456)


async def _the_rest(db: Database) -> None:
    await SettingsStore(db).set("markup:cloud", "1.25", actor="admin:900")
    conversations = ConversationStore(db)
    await conversations.set_state("bot:1:1", "Purchase:confirm")
    await conversations.set_data("bot:1:1", '{"order": "O1"}')
    async with db.write() as tx:
        for n in range(3):
            await OutboxStore.add(
                tx, chat_id=n + 1, priority=n, topic="order.done", now=utc_now(), key=f"news:{n}"
            )
    outbox = OutboxStore(db)
    await outbox.sent(1, utc_now())
    await outbox.give_up(2, utc_now(), "Forbidden: bot was blocked by the user")
    admin_log = AdminLog(db)
    await admin_log.record(900, "credit", "customer", "1", before="0", after="100")
    broadcasts = BroadcastStore(db, admin_log)
    broadcast = await broadcasts.create(900, (-100, 7), (-100, 8))
    assert broadcast is not None
    for user, outcome in ((1, Delivery.SENT), (2, Delivery.BLOCKED), (3, Delivery.FAILED)):
        assert await broadcasts.start_sending(broadcast.id, user)
        await broadcasts.finish_sending(broadcast.id, user, outcome, "detail")
    await HandledUpdates(db).record([10, 11, 12], 1_700_000_000)


async def every_row(db: Database, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    listed = ", ".join(columns)
    rows = await db.fetch_all(f"SELECT {listed} FROM {table} ORDER BY {listed}")
    return [tuple(row) for row in rows]


@pytest_asyncio.fixture
async def filled(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite3"
    async with SqliteDatabase(path) as db:
        await fill_a_shop(db)
    return path


@pytest_asyncio.fixture
async def target() -> AsyncIterator[str]:
    async with postgres_schema() as url:
        yield url


async def assert_the_same_rows(source: Path, target: str) -> None:
    async with SqliteDatabase(source) as src, PostgresDatabase(target) as dst:
        tables = await source_tables(src)
        assert {table.name for table in tables} >= FILLED
        for table in tables:
            here = await every_row(src, table.name, table.columns)
            there = await every_row(dst, table.name, table.columns)
            assert there == here, table.name
            if table.name in FILLED:
                assert here, f"the test shop has no {table.name}"


async def test_every_row_of_every_table_arrives_and_the_ledger_checks_out(
    filled: Path, target: str
) -> None:
    report = await copy_database(filled, target)

    assert report.ok, report.mismatches
    assert report.audit is not None and report.audit.open_holds == 4
    assert report.schema == report.schema_was == len(available_migrations())
    assert report.copied["orders"] == len(ORDERS)
    assert report.copied["payments"] == len(PaymentStatus)
    await assert_the_same_rows(filled, target)


async def test_the_copy_works_as_a_shop_new_ids_past_the_copied_ones(
    filled: Path, target: str
) -> None:
    await copy_database(filled, target)
    async with PostgresDatabase(target) as db:
        books = Books(db)
        last_hold = await db.fetch_value("SELECT MAX(id) FROM ledger_holds")
        last_txn = await db.fetch_value("SELECT MAX(id) FROM ledger_transactions")
        order = await books.order("NEW1", 4, 5 * USDT)
        hold = await books.ledger.hold(4, 5 * USDT, order_id=order)
        await books.orders.move(order, OrderStatus.QUOTED, OrderStatus.CONFIRMED, reason="ok")
        await books.ledger.post(hold.id)
        await books.orders.move(order, OrderStatus.CONFIRMED, OrderStatus.SUCCEEDED, reason="ok")

        assert hold.id == last_hold + 1
        assert (
            await db.fetch_value(
                "SELECT MIN(id) FROM ledger_transactions WHERE order_id = ?", (order,)
            )
            == last_txn + 1
        )
        balance = await books.ledger.balance(4)
        assert balance.available == 95 * USDT
        events = await books.orders.events(order)
        assert [event.to_status for event in events][-1] == OrderStatus.SUCCEEDED


async def test_a_target_with_shop_data_is_refused_and_left_alone(filled: Path, target: str) -> None:
    async with PostgresDatabase(target) as db:
        await Books(db).customer(77)

    with pytest.raises(CopyRefused, match=r"the target is not empty \(table users has rows\)"):
        await copy_database(filled, target)

    async with PostgresDatabase(target) as db:
        assert await db.fetch_value("SELECT COUNT(*) FROM users") == 1
        assert await db.fetch_value("SELECT COUNT(*) FROM orders") == 0


async def test_a_target_copied_into_once_is_refused_the_second_time(
    filled: Path, target: str
) -> None:
    assert (await copy_database(filled, target)).ok
    with pytest.raises(CopyRefused, match="not empty"):
        await copy_database(filled, target)
    await assert_the_same_rows(filled, target)


async def test_tables_of_the_shop_s_names_without_a_schema_version_are_refused(
    filled: Path, target: str
) -> None:
    conn = await asyncpg.connect(target)
    try:
        await conn.execute("CREATE TABLE users (id BIGINT PRIMARY KEY)")
    finally:
        await conn.close()
    with pytest.raises(CopyRefused, match="no schema version"):
        await copy_database(filled, target)


async def test_refused_while_a_shop_runs_on_the_sqlite_file(filled: Path, target: str) -> None:
    running = ProcessLock(filled.with_name(f"{filled.name}.lock"))  # as `bot run` holds it
    refused = pytest.raises(CopyRefused, match=r"a shop runs on .*shop\.sqlite3 \(pid \d+")
    with running, refused:
        await copy_database(filled, target)
    async with PostgresDatabase(target) as db:
        assert await db.fetch_value("SELECT COUNT(*) FROM users") == 0


async def test_an_older_source_is_brought_to_the_newest_schema_first(
    tmp_path: Path, target: str
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for migration in available_migrations()[:3]:
            for statement in split_statements(migration.sql):
                conn.execute(statement)
        conn.execute("PRAGMA user_version=3")
        conn.execute(
            "INSERT INTO users (id, first_name, language, created_at, updated_at)"
            " VALUES (5, 'Old', 'en', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')"
        )
    report = await copy_database(path, target)
    assert report.ok
    assert (report.schema_was, report.schema) == (3, len(available_migrations()))
    assert report.copied["users"] == 1


# -- the command, as an operator runs it ---------------------------------------------------------


async def test_the_command_copies_verifies_and_says_so(
    filled: Path, target: str, tmp_path: Path
) -> None:
    result = run_bot("copy-db", "--to", target, cwd=tmp_path, DATABASE_PATH=str(filled))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert f"from {filled} to postgresql://postgres@127.0.0.1:5432/test in one transaction" in out
    assert f"  orders: {len(ORDERS)}\n" in out
    assert "ledger OK" in out
    assert "verified: the row counts of all" in out
    assert "set DATABASE_URL to it" in out
    await assert_the_same_rows(filled, target)

    # The target is the shop's database now: `check` passes on it.
    checked = run_bot("check", cwd=tmp_path, DATABASE_URL=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ledger OK" in checked.stdout

    again = run_bot("copy-db", "--to", target, cwd=tmp_path, DATABASE_PATH=str(filled))
    assert again.returncode == 2
    assert again.stdout == ""
    assert again.stderr.strip().splitlines() == [
        "not copied: the target is not empty (table admin_actions has rows); copy-db only fills a "
        "database with no shop data in it"
    ]


def test_the_command_refuses_while_the_shop_runs(filled: Path, target: str, tmp_path: Path) -> None:
    with ProcessLock(filled.with_name(f"{filled.name}.lock")):
        result = run_bot("copy-db", "--to", target, cwd=tmp_path, DATABASE_PATH=str(filled))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"not copied: a shop runs on {filled} (pid ")
    assert line.endswith("stop it first, then copy")


def test_the_command_never_prints_the_password(filled: Path, tmp_path: Path) -> None:
    # Nothing listens on port 9: the connection fails, and the line names the target without it.
    url = "postgresql://shop:s3cret-pw@127.0.0.1:9/shop"
    result = run_bot("copy-db", "--to", url, cwd=tmp_path, DATABASE_PATH=str(filled))
    assert result.returncode == 2
    assert "s3cret-pw" not in result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("not copied: cannot connect to postgresql://shop@127.0.0.1:9/shop")


def test_the_command_takes_only_a_postgresql_target_from_an_sqlite_shop(
    filled: Path, tmp_path: Path
) -> None:
    wrong = run_bot(
        "copy-db", "--to", "sqlite:///x.sqlite3", cwd=tmp_path, DATABASE_PATH=str(filled)
    )
    assert (wrong.returncode, wrong.stderr.strip()) == (
        2,
        "not copied: --to takes a postgresql:// URL",
    )
    already = run_bot(
        "copy-db",
        "--to",
        "postgresql://postgres@127.0.0.1:9/other",
        cwd=tmp_path,
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/shop",
    )
    assert already.returncode == 2
    assert already.stderr.startswith("not copied: the shop already runs on PostgreSQL")


async def test_a_copy_whose_ledger_fails_the_check_exits_1_saying_what(
    filled: Path, target: str, tmp_path: Path
) -> None:
    """A cached balance that is not the sum of its entries breaks no rule PostgreSQL enforces
    while the rows go in: the copy is made, and its verification says what is wrong."""
    with sqlite3.connect(filled) as conn:
        conn.execute("UPDATE ledger_accounts SET balance = balance + 1 WHERE code = 'shop:sales'")
    result = run_bot("copy-db", "--to", target, cwd=tmp_path, DATABASE_PATH=str(filled))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ledger BROKEN: 1 problem" in "\n".join(lines)
    assert any(
        line.startswith("  - account shop:sales caches balance")
        and "but its entries sum to" in line
        for line in lines
    )
    assert lines[-1] == "verification FAILED: the ledger check"


async def test_a_source_that_breaks_a_rule_postgresql_enforces_is_refused_whole(
    filled: Path, target: str
) -> None:
    with sqlite3.connect(filled) as conn:
        conn.execute("DROP TRIGGER ledger_entries_append_only_update")
        conn.execute("UPDATE ledger_entries SET amount = amount + 1 WHERE id = 1")
    with pytest.raises(
        CopyRefused,
        match=r"^the target refused the copy: ledger transaction 1 does not sum to zero",
    ):
        await copy_database(filled, target)
    async with PostgresDatabase(target) as db:  # nothing of it stayed
        for table in ("users", "ledger_entries", "orders", "payments"):
            assert await db.fetch_value(f"SELECT COUNT(*) FROM {table}") == 0
