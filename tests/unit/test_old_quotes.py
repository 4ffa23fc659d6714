"""The job that removes quotes nobody confirmed: only those, only once they expired long enough
ago, with their events; never an order the ledger names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.old_quotes import OldQuotes
from storage.audit import audit_ledger
from storage.database import as_stored
from storage.orders import OrderStatus
from tests.unit.conftest import Books

USDT = 1_000_000
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
KEPT = timedelta(days=2)


async def _quote(books: Books, order_id: str, expired_ago: timedelta) -> str:
    await books.orders.create(
        order_id,
        user_id=7,
        product="cloud",
        charge=USDT,
        quote_expires_at=as_stored(NOW - expired_ago),
    )
    return order_id


async def _move(books: Books, order_id: str, to: OrderStatus) -> None:
    await books.orders.move(order_id, OrderStatus.QUOTED, to, reason="test")


async def test_only_quotes_nobody_confirmed_that_expired_long_ago_go(books: Books) -> None:
    await books.customer(7)
    await books.ledger.credit(7, 10 * USDT, key="deposit")
    old = await _quote(books, "OLD", KEPT + timedelta(minutes=1))
    left = await _quote(books, "LEFT", KEPT * 10)
    await _move(books, left, OrderStatus.CANCELLED)
    recent = await _quote(books, "RECENT", KEPT - timedelta(minutes=1))
    bought = await _quote(books, "BOUGHT", KEPT * 10)
    await books.ledger.hold(7, USDT, order_id=bought)
    await _move(books, bought, OrderStatus.CONFIRMED)
    # Cancelled with money once set aside for it (no path does that; if one ever did, it stays).
    named = await _quote(books, "NAMED", KEPT * 10)
    hold = await books.ledger.hold(7, USDT, order_id=named)
    await books.ledger.void(hold.id)
    await _move(books, named, OrderStatus.CANCELLED)
    orders, events = await books.count("orders"), await books.count("order_events")

    assert await OldQuotes(books.orders, kept=KEPT).remove(now=NOW) == 2

    for gone in (old, left):
        assert await books.orders.get(gone) is None
        assert await books.orders.events(gone) == []
    for kept in (recent, bought, named):
        assert await books.orders.get(kept) is not None
    assert await books.count("orders") == orders - 2
    assert await books.count("order_events") == events - 3  # OLD created; LEFT created, cancelled
    assert (await audit_ledger(books.db)).ok
    assert await OldQuotes(books.orders, kept=KEPT).remove(now=NOW) == 0


async def test_quotes_go_in_batches_until_none_is_left(books: Books) -> None:
    await books.customer(7)
    for number in range(5):
        await _quote(books, f"Q{number}", KEPT * 2)
    expired_before = as_stored(NOW - KEPT)
    removed = [
        await books.orders.remove_unconfirmed_quotes(expired_before, limit=2) for _ in range(4)
    ]
    assert removed == [2, 2, 1, 0]
    assert await books.count("orders") == 0
