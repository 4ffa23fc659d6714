"""The bot process is killed (SIGKILL) at each step of a purchase and started again.

Afterwards every order is settled (or waiting for an operator), the customer was charged exactly
for what upstream delivered, the customer was told, and `python -m bot check` passes.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from decimal import Decimal

import pytest

from sandbox.telegram import ChatDriver
from storage.orders import TERMINAL_STATUSES, OrderStatus
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, wallet_of
from tests.e2e.harness import Shop, until


@dataclass(frozen=True)
class CrashPoint:
    delivered: bool  # did upstream recharge the account in the end
    result: str  # what the customer reads once it is settled


# Where the bot dies, and what must come of the purchase.
CRASH_POINTS = {
    # The hold is placed; the bot dies while showing "processing", before anything is sent.
    "after the hold": CrashPoint(delivered=True, result="Done!"),
    # Upstream created its order; the bot dies before it learns the order's number.
    "after the upstream create": CrashPoint(delivered=False, result="could not be completed"),
    # Pay was sent and upstream recharged; the bot dies before the answer arrives.
    "after pay was sent, upstream paid": CrashPoint(delivered=True, result="Done!"),
    # Pay was sent and never reached upstream's books; the bot dies waiting. Upstream still shows
    # the order unpaid afterwards, so it is paid again (upstream would refuse a second payment).
    "after pay was sent, upstream did not act": CrashPoint(delivered=True, result="Done!"),
}


async def _kill_at(shop: Shop, point: str, customer: ChatDriver) -> None:
    """Press Confirm and SIGKILL the bot exactly at `point`."""
    upstream = shop.cloud
    orders_before = len(upstream.orders)
    held = None
    if point == "after the hold":
        held = shop.emulator.hold("editMessageText", text_contains="Processing order")
    elif point == "after the upstream create":
        upstream.plan.add("slow", path="/api/orders", seconds=5)
    elif point == "after pay was sent, upstream paid":
        upstream.plan.add("slow", path="/api/orders/*/pay", seconds=5)
    else:
        upstream.plan.add("hang", path="/api/orders/*/pay", seconds=5)

    await customer.press(CONFIRM)
    if held is not None:
        await asyncio.wait_for(held.reached.wait(), 10)
    elif point == "after the upstream create":
        await until(lambda: len(upstream.orders) > orders_before, "upstream created the order")
    elif point == "after pay was sent, upstream paid":
        await until(
            lambda: any(o.status == "paid" for o in list(upstream.orders.values())[orders_before:]),
            "upstream recharged",
        )
    else:
        await until(lambda: not upstream.plan.faults, "the pay call reached upstream")

    assert shop.bot is not None
    assert await shop.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    if held is not None:
        held.release()  # the dead bot's "processing" edit lands, as it would on Telegram


# On PostgreSQL, two of them: one settled by asking upstream, one refunded.
ON_POSTGRESQL = ("after the upstream create", "after pay was sent, upstream paid")


@pytest.mark.parametrize(
    ("any_own_shop", "point"),
    [("sqlite", point) for point in CRASH_POINTS]
    + [("postgresql", point) for point in ON_POSTGRESQL],
    indirect=["any_own_shop"],
)
async def test_a_purchase_killed_midway_is_settled_after_a_restart(
    any_own_shop: Shop, point: str
) -> None:
    customer, _ = await cloud_confirmation(any_own_shop, 100 * USDT)
    agent_before = any_own_shop.cloud.agent_balance
    expected = CRASH_POINTS[point]

    await _kill_at(any_own_shop, point, customer)
    await any_own_shop.start_bot()

    told = await customer.wait_until(lambda m: expected.result in m.text, timeout=20)
    rows = await any_own_shop.db.fetch_all(
        "SELECT id, status FROM orders WHERE user_id = ?", (customer.user_id,)
    )
    assert len(rows) == 1
    order_id, status = rows[0]["id"], OrderStatus(rows[0]["status"])
    assert order_id in told.text
    assert status in TERMINAL_STATUSES
    if expected.delivered:
        assert status == OrderStatus.SUCCEEDED
        assert await wallet_of(any_own_shop, customer) == (89_500_000, 0)  # charged once
        assert any_own_shop.cloud.agent_balance == agent_before - Decimal("10.00")  # recharged once
    else:
        assert status == OrderStatus.FAILED
        assert await wallet_of(any_own_shop, customer) == (100 * USDT, 0)  # nothing taken
        assert any_own_shop.cloud.agent_balance == agent_before
    assert "ledger OK" in await any_own_shop.check_ledger()
