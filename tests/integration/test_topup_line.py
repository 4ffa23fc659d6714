"""The order engine with the mobile top-up line, against the KUMQUAT simulator over real HTTP:
settling without callbacks, orders upstream never received, lost answers, callbacks that are not
ours, and the catalogue. Every test ends by checking the ledger's invariants."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest_asyncio

from bot.services.details import Details
from bot.services.lines.topup import AIRTIME, TopupLine, TopupTarget
from bot.services.orders import ConfirmStatus, OrderService, Quote
from bot.services.pricing import Price, Pricing
from providers.kumquat import KumquatCallback, KumquatClient
from sandbox.kumquat import DEMO_PARTNER, DEMO_SIGN_KEY, KumquatSimulator
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import Order, OrderStatus, OrderStore
from tests.contract.conftest import FAST, NO_WAIT, serving
from tests.heard import Heard
from tests.integration.world import running

USD = 1_000_000
ALICE = 601
ORDERS_PATH = "/api/code/2.0/orders"


@dataclass
class Engine:
    db: Database
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    line: TopupLine
    upstream: KumquatSimulator
    heard: Heard

    async def confirmed(self, number: str = "254771114118") -> Order:
        found = await self.line.lookup(number)
        assert isinstance(found, TopupTarget)
        offers = await self.line.offers(found, AIRTIME)
        assert offers
        order = await self.service.open_quote(ALICE, "topup", self.line.quote(found, offers[0]))
        assert (await self.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
        return order

    async def finished_upstream(self, order_id: str) -> None:
        for _ in range(300):
            if self.upstream.orders[order_id].status in ("SUCCESS", "FAIL"):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the simulator never finished the order")

    async def status(self, order_id: str) -> OrderStatus:
        order = await self.orders.get(order_id)
        assert order is not None
        return order.status

    async def wallet(self) -> tuple[int, int]:
        balance = await self.ledger.balance(ALICE)
        return balance.available, balance.held


@pytest_asyncio.fixture
async def engine(tmp_path: Path, backend: str) -> AsyncIterator[Engine]:
    upstream = KumquatSimulator()
    upstream.process_seconds = 0.01
    async with serving(upstream) as base:
        client = KumquatClient(base, DEMO_PARTNER, DEMO_SIGN_KEY, timeouts=FAST, retry=NO_WAIT)

        def make(pricing: Pricing) -> TopupLine:
            return TopupLine(client, pricing, callback_url=None)  # no callbacks

        async with running(tmp_path, backend, make, balances={ALICE: 10 * USD}) as (world, line):
            yield Engine(
                world.db, world.ledger, world.orders, world.service, line, upstream, world.heard
            )


async def test_without_callbacks_reconciliation_settles_by_request_no(engine: Engine) -> None:
    order = await engine.confirmed()
    sent = await engine.service.submit(order.id)
    assert sent.status == OrderStatus.SUBMITTED  # accepted: the carrier has not answered yet
    assert sent.upstream_ref == engine.upstream.orders[order.id].serial_no
    assert await engine.wallet() == (10 * USD - order.charge, order.charge)

    await engine.finished_upstream(order.id)
    done = await engine.service.reconcile(order.id)
    assert done.status == OrderStatus.SUCCEEDED
    assert await engine.wallet() == (10 * USD - order.charge, 0)


async def test_a_failure_found_by_reconciliation_is_refunded(engine: Engine) -> None:
    order = await engine.confirmed("254700000001")
    await engine.service.submit(order.id)
    await engine.finished_upstream(order.id)
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.FAILED
    assert await engine.wallet() == (10 * USD, 0)


async def test_an_order_upstream_never_received_is_placed_once(engine: Engine) -> None:
    order = await engine.confirmed()
    # The bot stopped after marking the order submitted, before sending it.
    await engine.orders.move(
        order.id, OrderStatus.CONFIRMED, OrderStatus.SUBMITTED, reason="sent to upstream"
    )
    placed = await engine.service.reconcile(order.id)
    assert placed.status == OrderStatus.SUBMITTED and order.id in engine.upstream.orders
    await engine.finished_upstream(order.id)
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.SUCCEEDED
    assert len(engine.upstream.orders) == 1
    assert await engine.wallet() == (10 * USD - order.charge, 0)


async def test_a_timeout_is_unknown_and_never_a_failure(engine: Engine) -> None:
    order = await engine.confirmed()
    engine.upstream.plan.add("hang", path=ORDERS_PATH, times=3, seconds=2)
    sent = await engine.service.submit(order.id)
    assert sent.status == OrderStatus.UNKNOWN
    assert await engine.wallet() == (10 * USD - order.charge, order.charge)
    # Nothing reached upstream: the follow-up places it, once.
    await engine.service.reconcile(order.id)
    await engine.finished_upstream(order.id)
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.SUCCEEDED
    assert len(engine.upstream.orders) == 1


async def test_a_lost_answer_is_read_back_not_bought_twice(engine: Engine) -> None:
    order = await engine.confirmed()
    engine.upstream.process_seconds = 5  # still processing when it is read back
    engine.upstream.plan.add("drop", path=ORDERS_PATH)
    sent = await engine.service.submit(order.id)
    assert sent.status == OrderStatus.SUBMITTED
    assert sent.upstream_ref == engine.upstream.orders[order.id].serial_no
    assert len(engine.upstream.orders) == 1


def _callback(order_id: str, serial: str, status: str = "success") -> KumquatCallback:
    return KumquatCallback(request_no=order_id, serial_no=serial, status=status)


async def test_callbacks_for_orders_that_are_not_ours_change_nothing(engine: Engine) -> None:
    order = await engine.confirmed()
    sent = await engine.service.submit(order.id)
    price = Price(USD, "USD", Decimal(1), Decimal(0), USD)
    other_line = await engine.service.open_quote(ALICE, "cloud", Quote(price, Details()))

    answer = await engine.line.settle_callback(_callback(other_line.id, "x" * 32))
    assert answer.status == 404
    answer = await engine.line.settle_callback(_callback("404404404404404404", "x" * 32))
    assert answer.status == 404
    answer = await engine.line.settle_callback(_callback(order.id, "not-its-serial"))
    assert answer.status == 409

    assert await engine.status(other_line.id) == OrderStatus.QUOTED
    assert await engine.status(order.id) == OrderStatus.SUBMITTED
    assert sent.upstream_ref is not None
    answer = await engine.line.settle_callback(_callback(order.id, sent.upstream_ref))
    assert answer.status == 200 and answer.text == "SUCCESS"
    assert await engine.status(order.id) == OrderStatus.SUCCEEDED


async def test_the_catalogue_serves_while_upstream_is_down(engine: Engine) -> None:
    found = await engine.line.lookup("254771114118")
    assert isinstance(found, TopupTarget)
    first = await engine.line.offers(found, AIRTIME)
    assert first is not None and [o.product.face_value for o in first] == [100, 500]
    engine.upstream.plan.add("5xx", path="/api/code/2.0/*", times=100)
    await engine.line.refresh_catalogue()  # upstream fails: the last copy stays
    again = await engine.line.offers(found, AIRTIME)
    assert again is not None and [o.product.id for o in again] == [o.product.id for o in first]
    engine.upstream.plan.clear()
