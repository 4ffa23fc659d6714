"""The order engine with the TRON energy line, against the energy simulator over real HTTP.

Every test ends by checking the ledger's invariants: whatever the upstream did, the money adds up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest_asyncio

from bot.services.lines.energy import EnergyLine
from bot.services.orders import ConfirmStatus, Discount, OrderService
from bot.services.promos import parse_terms
from providers.energy import EnergyClient
from providers.http import Timeouts
from sandbox.energy import DEMO_API_KEY, DEMO_API_SECRET, DOCUMENT_ADDRESS, EnergySimulator
from storage.database import Database
from storage.ledger import MARKETING, Ledger
from storage.orders import Order, OrderStatus, OrderStore
from storage.users import CustomerStore
from tests.contract.conftest import NO_WAIT, serving
from tests.heard import Heard
from tests.integration.world import World, running

USDT = 1_000_000
ALICE, BOB = 601, 602
CHARGE = 650_000  # 65,000 energy for 1H: 2.34 TRX at 0.25, plus 10 %


@dataclass
class Engine:
    db: Database
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    line: EnergyLine
    upstream: EnergySimulator
    heard: Heard
    world: World

    async def bought(self, energy: int = 65_000, period: str = "1H") -> Order:
        quote = await self.line.quote(DOCUMENT_ADDRESS, energy, period)
        assert quote is not None
        order = await self.service.open_quote(ALICE, "energy", quote.for_order)
        assert (await self.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
        return await self.service.submit(order.id)

    async def until_settled(self, order: Order) -> Order:
        for _ in range(100):
            order = await self.service.reconcile(order.id)
            if order.is_terminal:
                return order
            await asyncio.sleep(0.05)
        raise AssertionError(f"order {order.id} never settled: {order.status}")

    async def wallet(self) -> tuple[int, int]:
        balance = await self.ledger.balance(ALICE)
        return balance.available, balance.held


@pytest_asyncio.fixture
async def engine(tmp_path: Path, backend: str) -> AsyncIterator[Engine]:
    upstream = EnergySimulator()
    upstream.delegate_seconds, upstream.finish_seconds = 0.05, 0.1
    async with serving(upstream) as base:
        client = EnergyClient(
            base,
            DEMO_API_KEY,
            DEMO_API_SECRET,
            timeouts=Timeouts(connect=1.0, total=0.5),
            retry=NO_WAIT,
        )
        make = partial(EnergyLine, client)
        async with running(tmp_path, backend, make, balances={ALICE: 100 * USDT}) as (world, line):
            yield Engine(
                world.db,
                world.ledger,
                world.orders,
                world.service,
                line,
                upstream,
                world.heard,
                world,
            )


async def test_an_order_is_followed_until_delegated(engine: Engine) -> None:
    order = await engine.bought()
    assert order.status == OrderStatus.SUBMITTED
    assert order.upstream_ref in engine.upstream.orders
    assert order.upstream_cost == 65_000 * 36 and order.charge == CHARGE
    done = await engine.until_settled(order)
    assert done.status == OrderStatus.SUCCEEDED
    assert done.details["upstream_status"] == "FINISHED"
    assert await engine.wallet() == (100 * USDT - CHARGE, 0)


async def test_a_lost_answer_met_by_600004_is_never_placed_again_and_goes_to_review(
    engine: Engine,
) -> None:
    engine.upstream.plan.add("drop", path="/v1/order")  # placed, answer lost; retry: 600004
    order = await engine.bought()  # the retry met 600004: straight to the operators
    assert order.status == OrderStatus.NEEDS_REVIEW
    assert order.upstream_ref is None and order.details["out_trade_no_used"] is True
    assert [o.out_trade_no for o in engine.upstream.orders.values()] == [order.id]
    assert any("orderNo is unknown" in a for a in await engine.heard.alerts())

    again = await engine.service.reconcile(order.id)  # asks nobody: the number is unknown
    assert again.status == OrderStatus.NEEDS_REVIEW
    assert len(engine.upstream.orders) == 1
    assert await engine.wallet() == (100 * USDT - CHARGE, CHARGE)  # held for the operators


async def test_a_timeout_before_upstream_acted_is_placed_by_the_follow_up(engine: Engine) -> None:
    engine.upstream.plan.add("hang", path="/v1/order", times=3, seconds=1)
    order = await engine.bought()
    assert order.status == OrderStatus.UNKNOWN and engine.upstream.orders == {}
    done = await engine.until_settled(order)
    assert done.status == OrderStatus.SUCCEEDED
    assert [o.out_trade_no for o in engine.upstream.orders.values()] == [order.id]
    assert await engine.wallet() == (100 * USDT - CHARGE, 0)


async def test_an_unanswered_status_query_settles_nothing(engine: Engine) -> None:
    order = await engine.bought()
    engine.upstream.plan.add("5xx", path="/v1/order/info", times=3)
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.UNKNOWN
    engine.upstream.plan.add(
        "answer", path="/v1/order/info", body={"code": 600007, "msg": "订单不存在"}
    )
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.UNKNOWN
    assert await engine.wallet() == (100 * USDT - CHARGE, CHARGE)
    assert (await engine.until_settled(order)).status == OrderStatus.SUCCEEDED


def _info(order: Order, status: str, refund: int) -> dict[str, object]:
    return {
        "code": 200,
        "msg": "成功",
        "data": {
            "orderNo": order.upstream_ref,
            "outTradeNo": order.id,
            "receiveAddress": DOCUMENT_ADDRESS,
            "energyAmount": 65_000,
            "period": "1H",
            "amount": 2_340_000,
            "createTime": "2026-01-01 00:00:00",
            "status": status,
            "refundAmount": refund,
        },
    }


async def test_an_abort_with_everything_refunded_releases_the_hold(engine: Engine) -> None:
    order = await engine.bought()
    engine.upstream.plan.add("answer", path="/v1/order/info", body=_info(order, "ABORT", 2_340_000))
    failed = await engine.service.reconcile(order.id)
    assert failed.status == OrderStatus.FAILED
    assert failed.details["refunded"] == CHARGE
    assert failed.details["energy_failure"] == "aborted"
    assert await engine.wallet() == (100 * USDT, 0)
    assert await engine.heard.alerts() == []


async def test_an_abort_with_part_refunded_gives_back_that_share_and_alerts(
    engine: Engine,
) -> None:
    order = await engine.bought()
    engine.upstream.plan.add("answer", path="/v1/order/info", body=_info(order, "ABORT", 585_000))
    failed = await engine.service.reconcile(order.id)
    assert failed.status == OrderStatus.FAILED
    # 585,000 of 2,340,000 sun came back: a quarter of 0.65 USDT, in whole cents
    assert failed.details["refunded"] == 160_000
    assert await engine.wallet() == (100 * USDT - CHARGE + 160_000, 0)
    [alert] = await engine.heard.alerts()
    assert order.id in alert and "refunded only 585000 of 2340000 sun" in alert


async def test_an_order_upstream_gave_up_on_earns_no_reward_and_spends_no_discount(
    engine: Engine,
) -> None:
    """Upstream used part of it and refunded part: the order failed. Its referrer earns nothing,
    its promo code's use is given back and marketing pays nothing, even once an operator refunds
    the rest."""
    world = engine.world
    await CustomerStore(engine.db).register(BOB, username=None, first_name="B", language="en")
    code = await world.referrals.code_for(BOB)
    assert await world.referrals.join(ALICE, f"r_{code}")
    await world.referrals.set_terms(7, "energy", "50", "amount")
    await world.referrals.set_settling(7, "0")
    promo = parse_terms("TENCENTS 0.10 uses=1", lines=["energy"], by="admin:7")
    assert await world.promos.create(promo, 7)
    quote = await engine.line.quote(DOCUMENT_ADDRESS, 65_000, "1H")
    assert quote is not None
    order = await engine.service.open_quote(ALICE, "energy", quote.for_order)
    discount = await world.promos.discount_for("TENCENTS", order)
    assert isinstance(discount, Discount)
    discounted = await engine.service.discounted(order, discount)
    assert discounted is not None and discounted.charge == CHARGE - 100_000
    assert (await engine.service.confirm(discounted.id, ALICE)).status == ConfirmStatus.HELD
    submitted = await engine.service.submit(discounted.id)

    engine.upstream.plan.add(
        "answer", path="/v1/order/info", body=_info(submitted, "ABORT", 1_170_000)
    )
    failed = await engine.service.reconcile(discounted.id)
    assert failed.status == OrderStatus.FAILED and failed.details["refunded"] == 270_000
    assert (await world.referrals.standing(BOB)).pending == 0
    assert [tally.uses for tally in await world.promos.tallies()] == [0]
    assert await engine.ledger.account_balance(MARKETING) == 0

    refunded, _ = await engine.service.refund_by_operator(discounted.id, 7, "upstream kept it")
    assert refunded == CHARGE - 100_000 - 270_000
    assert await world.referrals.release_due() == 0
    assert await engine.wallet() == (100 * USDT, 0)
    assert await engine.ledger.account_balance(MARKETING) == 0


async def test_a_break_off_with_nothing_refunded_keeps_the_charge(engine: Engine) -> None:
    order = await engine.bought()
    engine.upstream.plan.add("answer", path="/v1/order/info", body=_info(order, "BREAK_OFF", 0))
    failed = await engine.service.reconcile(order.id)
    assert failed.status == OrderStatus.FAILED and failed.details["refunded"] == 0
    assert await engine.wallet() == (100 * USDT - CHARGE, 0)


async def test_an_unsupported_period_reloads_the_prices(engine: Engine) -> None:
    await engine.line.offer()
    engine.upstream.prices.pop("30D")
    assert "30D" in (await engine.line.prices(65_000))  # cached
    failed = await engine.bought(period="30D")
    assert failed.status == OrderStatus.FAILED
    assert failed.details["energy_failure"] == "period"
    assert "30D" not in (await engine.line.prices(65_000))
    assert await engine.wallet() == (100 * USDT, 0)
