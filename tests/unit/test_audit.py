"""`audit_ledger` finds each broken invariant, named so an operator can act on it."""

from __future__ import annotations

import pytest

from storage.audit import audit_ledger
from storage.database import Dialect
from storage.orders import OrderStatus
from tests.unit.conftest import Books

USDT = 1_000_000


async def _healthy(books: Books) -> None:
    alice = await books.customer(1)
    await books.ledger.credit(alice, 10 * USDT, key="dep")
    sold = await books.order("SOLD", alice, 3 * USDT)
    hold = await books.ledger.hold(alice, 3 * USDT, order_id=sold)
    await books.ledger.post(hold.id)
    await books.orders.move(sold, OrderStatus.QUOTED, OrderStatus.SUCCEEDED, reason="delivered")
    await books.order("OPEN", alice, 2 * USDT)
    await books.ledger.hold(alice, 2 * USDT, order_id="OPEN")


# What guards the ledger inside the database, to be taken away before tampering with it.
_GUARDS = {
    Dialect.SQLITE: [
        *(
            f"DROP TRIGGER ledger_{table}_append_only_{action}"
            for table in ("entries", "transactions")
            for action in ("update", "delete")
        ),
        "DROP TRIGGER ledger_accounts_customer_floor",
    ],
    Dialect.POSTGRESQL: [
        "ALTER TABLE ledger_entries DISABLE TRIGGER USER",
        "ALTER TABLE ledger_transactions DISABLE TRIGGER USER",
        "ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_customer_floor",
    ],
}


_PROMO = (
    "INSERT INTO promo_codes (code, kind, amount, created_by, created_at)"
    " VALUES ('TEN', 'fixed', 1000000, 'admin:1', 'x')"
)


def _use(order: str, status: str) -> str:
    """A use of TEN of 1.00 by customer 1, on an order (quoted id) or a gift (NULL)."""
    return (
        "INSERT INTO promo_uses (code, user_id, order_id, amount, status, created_at, updated_at)"
        f" VALUES ('TEN', 1, {order}, 1000000, '{status}', 'x', 'x')"
    )


async def _tamper(books: Books, *statements: str) -> None:
    async with books.db.write() as tx:
        for guard in _GUARDS[books.db.dialect]:
            await tx.execute(guard)
        for statement in statements:
            await tx.execute(statement)


async def test_a_healthy_ledger_passes(books: Books) -> None:
    await _healthy(books)
    report = await audit_ledger(books.db)
    assert report.ok, report.problems
    assert (report.transactions, report.open_holds) == (4, 1)


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (
            ["UPDATE ledger_entries SET amount = amount + 1 WHERE id = 1"],
            "summing to 1, not zero",
        ),
        (
            ["UPDATE ledger_accounts SET balance = balance + 5 WHERE code = 'customer:1:wallet'"],
            "account customer:1:wallet caches balance",
        ),
        (
            [
                "UPDATE ledger_entries SET amount = -20000000 WHERE id = 1",
                "UPDATE ledger_entries SET amount = 20000000 WHERE id = 2",
                "UPDATE ledger_accounts SET balance = -15000000 WHERE code = 'customer:1:wallet'",
            ],
            "account customer:1:wallet is negative",
        ),
        (
            ["UPDATE ledger_holds SET amount = 1 WHERE order_id = 'OPEN'"],
            "account customer:1:held holds 2000000 but the customer's pending holds total 1",
        ),
        (
            ["UPDATE orders SET status = 'failed' WHERE id = 'OPEN'"],
            "is still open but its order OPEN is failed",
        ),
        (
            [
                "DELETE FROM order_events WHERE order_id = 'OPEN'",
                "DELETE FROM orders WHERE id = 'OPEN'",
            ],
            "is still open but its order OPEN is missing",
        ),
        (
            ["UPDATE ledger_holds SET status = 'voided' WHERE order_id = 'SOLD'"],
            "is voided but its settling transaction does not match",
        ),
        (
            [_PROMO, _use("'SOLD'", "used")],
            "promo use 1 of TEN on order SOLD is used (1000000) but marketing paid 0 and got"
            " back 0",
        ),
        ([_PROMO, _use("NULL", "used")], "promo gift 1 of TEN is 1000000 but the wallet got 0"),
        (
            [
                "INSERT INTO referral_rewards (order_id, referrer_id, referred_id, amount, status,"
                " due_at, created_at) VALUES ('SOLD', 1, 1, 500000, 'released', 'x', 'x')"
            ],
            "referral reward 1 for order SOLD is released (500000) but the wallet got 0",
        ),
    ],
)
async def test_each_broken_invariant_is_named(
    books: Books, statements: list[str], expected: str
) -> None:
    await _healthy(books)
    await _tamper(books, *statements)
    report = await audit_ledger(books.db)
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems
