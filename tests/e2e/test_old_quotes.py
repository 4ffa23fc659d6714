"""Quotes nobody confirmed are removed some time after they expired (every price shown is a row);
orders, their money and their history stay, and a quote that expired lately still prices again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage.database import as_stored
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, orders_of, wallet_of
from tests.e2e.harness import Shop

LONG_AGO = "2000-01-01T00:00:00.000000Z"
REMOVAL_WAIT = 20.0  # the job runs at start-up


async def _expire(shop: Shop, user_id: int, at: str) -> None:
    async with shop.db.write() as tx:
        await tx.execute("UPDATE orders SET quote_expires_at = ? WHERE user_id = ?", (at, user_id))


async def _count(shop: Shop, sql: str, *params: object) -> int:
    return int(await shop.db.fetch_value(sql, params))


async def test_old_quotes_nobody_confirmed_are_removed_and_nothing_else(own_shop: Shop) -> None:
    # Ann looked at two prices long ago and confirmed neither: one she left by Back (cancelled),
    # the other is still open on her screen.
    ann, first = await cloud_confirmation(own_shop, 100 * USDT)
    await ann.press("⬅️ Back", message_id=first.message_id)
    await ann.wait_for_bot()
    await ann.press("50 USD")
    shown = await ann.wait_for_bot()
    assert [status for _, status in await orders_of(own_shop, ann.user_id)] == [
        "cancelled",
        "quoted",
    ]
    await _expire(own_shop, ann.user_id, LONG_AGO)
    # Dan bought long ago: his order is no quote any more, whatever its quote's age.
    dan, _ = await cloud_confirmation(own_shop, 100 * USDT)
    await dan.press(CONFIRM)
    await dan.wait_until(lambda m: "Done!" in m.text)
    await _expire(own_shop, dan.user_id, LONG_AGO)
    # Cleo's price expired a minute ago: she may still press Confirm.
    cleo, _ = await cloud_confirmation(own_shop, 100 * USDT)
    await _expire(own_shop, cleo.user_id, as_stored(datetime.now(UTC) - timedelta(minutes=1)))

    orders = await _count(own_shop, "SELECT COUNT(*) FROM orders")
    events = await _count(own_shop, "SELECT COUNT(*) FROM order_events")
    anns_events = await _count(
        own_shop,
        "SELECT COUNT(*) FROM order_events e JOIN orders o ON o.id = e.order_id"
        " WHERE o.user_id = ?",
        ann.user_id,
    )
    assert anns_events >= 3  # each quote created, one cancelled

    await own_shop.restart_bot()
    deadline = asyncio.get_running_loop().time() + REMOVAL_WAIT
    while await orders_of(own_shop, ann.user_id):
        assert asyncio.get_running_loop().time() < deadline, "Ann's old quotes are still there"
        await asyncio.sleep(0.2)

    assert await _count(own_shop, "SELECT COUNT(*) FROM orders") == orders - 2
    assert await _count(own_shop, "SELECT COUNT(*) FROM order_events") == events - anns_events
    assert [status for _, status in await orders_of(own_shop, dan.user_id)] == ["succeeded"]
    [(cleos, status)] = await orders_of(own_shop, cleo.user_id)
    assert status == "quoted"

    # Cleo's expired quote prices again, as it always did, and she buys at the new price.
    await cleo.press(CONFIRM)
    again = await cleo.wait_until(lambda m: "That price expired" in m.text)
    assert "You pay 10.50 USDT" in again.text
    await cleo.press(CONFIRM, message_id=again.message_id)
    await cleo.wait_until(lambda m: "Done!" in m.text)
    assert dict(await orders_of(own_shop, cleo.user_id))[cleos] == "cancelled"
    assert await wallet_of(own_shop, cleo) == (89_500_000, 0)

    # Ann's screen still shows her old price: its button is out of date, and nothing happens.
    await ann.press(CONFIRM, message_id=shown.message_id)
    await ann.settle()
    assert "That button is out of date" in ann.callback_answers[-1]["text"]
    assert await wallet_of(own_shop, ann) == (100 * USDT, 0)
    assert await orders_of(own_shop, ann.user_id) == []

    boss = own_shop.admin()
    await boss.send("/stats")
    stats = await boss.wait_for_bot()
    assert "cloud: 2 placed, 2 delivered · revenue 21.00 USDT" in stats.text, stats.text
    await own_shop.check_ledger()
