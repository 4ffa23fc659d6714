"""The soak's own books: Stars, operators' commands and broadcasts judged from records outside the
shop, so that a wrong booking in the shop's tables shows as a violation."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from sandbox.soak.books import (
    OutsideRecords,
    broadcast_at_most_once,
    money_conserved,
    stars_credited_once,
)
from sandbox.soak.operators import Adjustment, OperatorRecord
from sandbox.soak.stars import credited_payment
from sandbox.telegram import ChatMessage
from sandbox.telegram.stars import Charge, Invoice, StarsLedger
from sandbox.telegram.state import Chat, UserInfo
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS, TronGridSimulator

SHOP = UserInfo(1, "Shop", "shop_bot", is_bot=True)
RATE = 13_000  # micro-units a Star credits
SCHEMA = """
CREATE TABLE payments (id INTEGER PRIMARY KEY, reference TEXT, status TEXT, paid INTEGER,
                       credited INTEGER);
CREATE TABLE ledger_accounts (code TEXT, balance INTEGER);
CREATE TABLE ledger_transactions (idempotency_key TEXT);
CREATE TABLE orders (status TEXT, charge INTEGER);
"""


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.executescript(SCHEMA)
    yield connection
    connection.close()


def paid(stars: StarsLedger, user_id: int, amount: int) -> Charge:
    invoice = Invoice("Top up", "Stars", "XTR", amount, payload="request")
    query = stars.open_query({"id": user_id, "first_name": "Ana"}, invoice, user_id, 1)
    return stars.record_payment(query, message_id=2)


def records(
    stars: StarsLedger,
    tron: TronGridSimulator,
    group: Chat,
    matching: tuple[str, ...] = (),
    operators: OperatorRecord | None = None,
) -> OutsideRecords:
    return OutsideRecords(tron, matching, stars, RATE, operators or OperatorRecord(), group)


def book(db: sqlite3.Connection, charge: Charge, status: str, credited: int | None = None) -> None:
    amount = charge.payment.total_amount
    db.execute(
        "INSERT INTO payments (reference, status, paid, credited) VALUES (?, ?, ?, ?)",
        (
            f"stars:{charge.charge_id}",
            status,
            amount,
            amount * RATE if credited is None else credited,
        ),
    )


def wallets(db: sqlite3.Connection, balance: int) -> None:
    db.execute("INSERT INTO ledger_accounts VALUES ('customer:7:wallet', ?)", (balance,))


def test_a_stars_credit_is_read_as_the_customer_reads_it() -> None:
    told = ChatMessage(
        1, 1, SHOP, 0, text="✅ 13.00 USDT added to your balance for 1,000 ⭐ (payment #42)."
    )
    assert credited_payment(told) == (1000, 42)
    usdt = ChatMessage(1, 1, SHOP, 0, text="✅ 20.00 USDT added to your balance (payment #43).")
    assert credited_payment(usdt) is None


def test_each_stars_payment_in_telegrams_record_is_credited_once_or_refunded(
    db: sqlite3.Connection,
) -> None:
    stars, group = StarsLedger(), Chat(-100, "supergroup")
    fine, missing, refunded, short = (paid(stars, 7, n) for n in (100, 250, 500, 1000))
    stars.refund(7, refunded.charge_id)
    book(db, fine, "credited")
    book(db, refunded, "credited")  # Telegram gave the Stars back; the shop kept the credit
    book(db, short, "credited", credited=1000 * RATE - 1)
    db.execute(
        "INSERT INTO payments (reference, status, paid, credited) VALUES"
        " ('stars:stxforged', 'credited', 100, 1300000)"
    )
    found = list(stars_credited_once(db, records(stars, TronGridSimulator(), group)))
    assert [violation.invariant for violation in found] == [
        "stars payment not credited",
        "stars payment not as Telegram has it",
        "stars payment credited wrong",
        "stars payment Telegram never took",
    ]
    assert missing.charge_id[:12] in found[0].detail
    assert "is credited; Telegram's record says refunded" in found[1].detail


def test_money_is_counted_from_outside_so_a_booking_twice_shows(db: sqlite3.Connection) -> None:
    stars, tron, group = StarsLedger(), TronGridSimulator(), Chat(-100, "supergroup")
    paid(stars, 7, 100)  # 1.30 USDT
    txid = tron.transfer(DEMO_DEPOSIT_ADDRESS, 20_000_003)
    credit = Adjustment("credit", 7, 3_070_000, "soak credit 7", key="admin:-100:5:credit")
    group.messages[9] = ChatMessage(
        9, group.id, SHOP, 0, text="✅ Credited 3.07 USDT to Ana (7): soak credit 7. Available now"
    )
    debit = Adjustment("debit", 7, 50_080_000, "soak debit 8", key="admin:-100:6:debit")
    debit.shown = "refused"
    outside = records(
        stars, tron, group, matching=(txid,), operators=OperatorRecord([credit, debit])
    )
    db.execute("INSERT INTO orders VALUES ('succeeded', 650000), ('reversed', 10000000)")
    right = 1_300_000 + 20_000_003 + 3_070_000 - 650_000
    wallets(db, right)
    assert list(money_conserved(db, outside)) == []

    db.execute("UPDATE ledger_accounts SET balance = ?", (right + 1_300_000,))  # Stars twice
    [violation] = money_conserved(db, outside)
    assert violation.invariant == "money not conserved"
    assert f"customers hold {right + 1_300_000}" in violation.detail
    assert f"= {right} (micro-units)" in violation.detail


def test_a_command_the_group_never_answered_is_read_from_the_shops_ledger(
    db: sqlite3.Connection,
) -> None:
    stars, tron, group = StarsLedger(), TronGridSimulator(), Chat(-100, "supergroup")
    credit = Adjustment("credit", 7, 1_010_000, "soak credit 1", key="admin:-100:5:credit")
    outside = records(stars, tron, group, operators=OperatorRecord([credit]))
    wallets(db, 1_010_000)
    [violation] = money_conserved(db, outside)
    assert "operators 0 (soak credit 1 never answered)" in violation.detail
    db.execute("INSERT INTO ledger_transactions VALUES ('admin:-100:5:credit')")
    assert list(money_conserved(db, outside)) == []


def test_an_operators_command_is_told_from_its_answer() -> None:
    debit = Adjustment("debit", 7, 20_040_000, "soak debit 4", key="k")
    assert debit.money == "20.04 USDT"
    assert debit.answered("✅ Debited 20.04 USDT from Ana (7): soak debit 4. Available now") == (
        "done"
    )
    refused = "⚠️ Not done: debiting 20.04 USDT would take Ana (7) below zero (available 1.00)"
    assert debit.answered(refused) == "refused"
    assert debit.answered("✅ Debited 20.04 USDT from Ana (7): soak debit 14. Available") == ""
    assert debit.answered("⚠️ Not done: debiting 20.05 USDT would take Ana (7) below zero") == ""


def test_a_broadcast_copied_twice_to_a_customer_is_a_violation() -> None:
    news = "Soak news 3: the shop is open."
    once, twice = Chat(7, "private"), Chat(8, "private")
    for chat, copies in ((once, 1), (twice, 2)):
        for message_id in range(1, copies + 1):
            chat.messages[message_id] = ChatMessage(message_id, chat.id, SHOP, 0, text=news)
    [violation] = broadcast_at_most_once([once, twice], [news])
    assert violation.invariant == "broadcast twice"
    assert "reached chat 8 2 times" in violation.detail
