"""The order engine with the AceData line, against the AceData simulator over real HTTP: orders
the customer pays AceData directly, so the ledger never moves whatever happens."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest_asyncio

from bot.services.lines.acedata import AceDataLine, valid_application_id
from bot.services.orders import ConfirmStatus, OrderService
from providers.acedata import AceDataClient
from sandbox.acedata import DEMO_APPLICATION, DEMO_TOKEN, AceDataSimulator
from storage.ledger import Ledger
from storage.orders import Order, OrderStatus, OrderStore
from tests.contract.conftest import FAST, NO_WAIT, serving
from tests.heard import Heard
from tests.integration.world import running

USD = 1_000_000
ALICE = 601


@dataclass
class Engine:
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    line: AceDataLine
    upstream: AceDataSimulator
    heard: Heard

    async def quoted(self, package_id: str = "pkg-chat-100", way: str = "Stripe") -> Order:
        offer = await self.line.offer(package_id)
        assert offer is not None
        quote = self.line.quote(DEMO_APPLICATION, offer, way)
        return await self.service.open_quote(ALICE, "acedata", quote)

    async def confirmed(self, **kwargs: str) -> Order:
        order = await self.quoted(**kwargs)
        assert (await self.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
        return order

    async def wallet(self) -> tuple[int, int]:
        balance = await self.ledger.balance(ALICE)
        return balance.available, balance.held


@pytest_asyncio.fixture
async def engine(tmp_path: Path, backend: str) -> AsyncIterator[Engine]:
    upstream = AceDataSimulator()
    upstream.finish_seconds = 0.05
    async with serving(upstream) as base:
        client = AceDataClient(base, DEMO_TOKEN, timeouts=FAST, retry=NO_WAIT)
        async with running(
            tmp_path, backend, lambda _: AceDataLine(client), balances={ALICE: 100 * USD}
        ) as (world, line):
            yield Engine(world.ledger, world.orders, world.service, line, upstream, world.heard)


def test_application_ids_are_uuids_in_any_case() -> None:
    assert valid_application_id(f"  {DEMO_APPLICATION.upper()} ") == DEMO_APPLICATION
    for bad in (
        "",
        "abc",
        DEMO_APPLICATION[:-1],
        DEMO_APPLICATION.replace("-", ""),
        DEMO_APPLICATION[:-1] + "g",
        "１" + DEMO_APPLICATION[1:],
    ):
        assert valid_application_id(bad) is None, bad


async def test_the_catalogue_sells_fixed_packages_only(engine: Engine) -> None:
    offers = await engine.line.offers()
    assert offers is not None
    assert [(o.package_id, o.credits, o.price) for o in offers] == [
        ("pkg-chat-500", 500, 49_990_000),
        ("pkg-chat-100", 100, 10_990_000),
        ("pkg-mj-200", 200, 19_900_000),
    ]
    assert await engine.line.offer("pkg-chat-custom") is None


async def test_a_paid_order_finishes_without_touching_the_ledger(engine: Engine) -> None:
    order = await engine.confirmed()
    assert order.charge == 0 and order.upstream_cost == 10_990_000
    sent = await engine.service.submit(order.id)
    assert sent.status == OrderStatus.SUBMITTED
    assert sent.upstream_ref in engine.upstream.orders
    assert sent.details["pay_url"].endswith(f"/_sandbox/pay/{sent.upstream_ref}")
    assert sent.details["state"] == "Pending"

    engine.upstream.pay(str(sent.upstream_ref))
    paid = await engine.service.reconcile(order.id)
    assert (paid.status, paid.details["state"]) == (OrderStatus.SUBMITTED, "Paid")
    await asyncio.sleep(0.06)
    done = await engine.service.reconcile(order.id)
    assert (done.status, done.details["state"]) == (OrderStatus.SUCCEEDED, "Finished")
    assert await engine.wallet() == (100 * USD, 0)
    assert len(engine.upstream.orders) == 1


async def test_an_order_asked_about_without_an_answer_stays_open(engine: Engine) -> None:
    order = await engine.confirmed()
    sent = await engine.service.submit(order.id)
    engine.upstream.plan.add("5xx", path="/api/v1/orders/*/", times=3)
    unknown = await engine.service.reconcile(order.id)
    assert unknown.status == OrderStatus.UNKNOWN
    engine.upstream.plan.clear()
    engine.upstream.orders[str(sent.upstream_ref)].state = "Failed"
    failed = await engine.service.reconcile(order.id)
    assert (failed.status, failed.details["failure"], failed.details["refunded"]) == (
        OrderStatus.FAILED,
        "not-delivered",
        0,
    )
    assert await engine.wallet() == (100 * USD, 0)


async def test_a_dearer_upstream_order_shows_no_link(engine: Engine) -> None:
    order = await engine.confirmed()  # quoted at the catalogue's 10.99 USD
    package = engine.upstream.packages["pkg-chat-100"]
    engine.upstream.packages[package.id] = dataclasses.replace(package, price=Decimal("12.99"))
    failed = await engine.service.submit(order.id)
    assert (failed.status, failed.details["failure"]) == (OrderStatus.FAILED, "price-changed")
    assert await engine.wallet() == (100 * USD, 0)


async def test_an_order_whose_create_answer_never_got_stored_ends_unsent(engine: Engine) -> None:
    """The process stopped after marking it submitted, before it stored AceData's answer: no link
    was shown, so the order ends; nothing is created again."""
    order = await engine.confirmed()
    await engine.orders.move(
        order.id, OrderStatus.CONFIRMED, OrderStatus.SUBMITTED, reason="sent to upstream"
    )
    ended = await engine.service.reconcile(order.id)
    assert (ended.status, ended.details["create"]) == (OrderStatus.FAILED, "no_answer")
    assert engine.upstream.orders == {}
    assert await engine.wallet() == (100 * USD, 0)


async def test_a_refused_token_alerts_the_operators(engine: Engine) -> None:
    order = await engine.confirmed()
    engine.upstream.token = "rotated"
    failed = await engine.service.submit(order.id)
    assert (failed.status, failed.details["failure"]) == (
        OrderStatus.FAILED,
        "supplier-unavailable",
    )
    assert any("refused the shop's token" in alert for alert in await engine.heard.alerts())
