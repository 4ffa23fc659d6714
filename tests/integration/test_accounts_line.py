"""The order engine with the accounts line, against the account shop simulator over real HTTP.

Every test ends by checking the ledger's invariants; the delivered accounts must never reach a log
line or an operators' alert.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services.lines.accounts import AccountKind, AccountsLine, Lookup, Offer, accounts_file
from bot.services.orders import ConfirmStatus, Failure, OrderService
from bot.services.pricing import Pricing
from providers.accounts_shop import AccountShopClient
from sandbox.accounts_shop import DEMO_API_KEY, AccountShopSimulator
from storage.ledger import Ledger
from storage.orders import Order, OrderStatus, OrderStore
from tests.contract.conftest import FAST, NO_WAIT, serving
from tests.heard import Heard
from tests.integration.world import running

USDT = 1_000_000
ALICE = 601
ORDER_PATH = "/user/api/order.php"


@dataclass
class Engine:
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    line: AccountsLine
    upstream: AccountShopSimulator
    heard: Heard

    async def confirmed(self, service_id: int, quantity: int) -> Order:
        offer = await self.line.offer(service_id)
        assert isinstance(offer, Offer)
        quote = await self.line.quote(offer, quantity)
        order = await self.service.open_quote(ALICE, "accounts", quote.for_order)
        assert (await self.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
        return order

    async def bought(self, service_id: int, quantity: int) -> Order:
        return await self.service.submit((await self.confirmed(service_id, quantity)).id)

    async def wallet(self) -> tuple[int, int]:
        balance = await self.ledger.balance(ALICE)
        return balance.available, balance.held


@pytest_asyncio.fixture
async def engine(tmp_path: Path, backend: str) -> AsyncIterator[Engine]:
    upstream = AccountShopSimulator()
    async with serving(upstream) as base:
        client = AccountShopClient(base, DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT)

        def make(pricing: Pricing) -> AccountsLine:
            return AccountsLine(client, pricing, currency="VND")

        async with running(tmp_path, backend, make, balances={ALICE: 10 * USDT}) as (world, line):
            yield Engine(world.ledger, world.orders, world.service, line, upstream, world.heard)


async def test_a_purchase_keeps_the_accounts_for_the_customer_only(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO"):  # the shop's log level
        order = await engine.bought(4, 3)
    assert order.status == OrderStatus.SUCCEEDED
    assert order.charge == 110_000  # 2,400 VND × 0.000039 × 1.10, rounded up to the cent
    assert order.upstream_cost == 2_400 * USDT and order.upstream_currency == "VND"
    purchase = engine.upstream.purchases[order.id]  # our order id is the request_id
    assert order.upstream_ref == purchase.order_id
    assert order.details["accounts"] == purchase.accounts
    assert accounts_file(order) == (
        f"accounts-{order.id}.txt",
        "".join(f"{line}\n" for line in purchase.accounts).encode(),
    )
    assert await engine.wallet() == (10 * USDT - 110_000, 0)
    for account in purchase.accounts:
        assert account not in caplog.text and account.split("|")[1] not in caplog.text
    assert await engine.heard.alerts() == []


async def test_an_unknown_purchase_is_resolved_by_replaying_the_request_id(
    engine: Engine,
) -> None:
    engine.upstream.plan.add("slow", path=ORDER_PATH, seconds=1.5, times=5)  # sold, answer late
    order = await engine.bought(4, 2)
    assert order.status == OrderStatus.UNKNOWN
    assert await engine.wallet() == (10 * USDT - 70_000, 70_000)  # 1,600 VND
    engine.upstream.plan.clear()
    done = await engine.service.reconcile(order.id)
    assert done.status == OrderStatus.SUCCEEDED
    assert len(engine.upstream.purchases) == 1  # the replay returned the first order
    assert done.details["accounts"] == engine.upstream.purchases[order.id].accounts
    assert engine.upstream.services[4].available == 498
    assert await engine.wallet() == (10 * USDT - 70_000, 0)


@pytest.mark.parametrize("code", [9002, 1300, 1101, 1203])
async def test_a_refused_replay_goes_to_review_held_and_still_settles(
    engine: Engine, code: int
) -> None:
    # The first attempt's answer was lost (9000); buying again is refused. The document does
    # not say the shop looks at the request id before stock or limits, so the refusal proves
    # nothing about the first attempt: the money stays held and the operators are asked.
    engine.upstream.plan.add("answer", path=ORDER_PATH, body={"success": False, "code": 9000})
    order = await engine.bought(4, 1)
    assert order.status == OrderStatus.UNKNOWN
    engine.upstream.plan.add("answer", path=ORDER_PATH, body={"success": False, "code": code})
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.NEEDS_REVIEW
    assert await engine.wallet() == (10 * USDT - 40_000, 40_000)  # still held
    assert any(
        order.id in alert and "sending it again was refused" in alert
        for alert in await engine.heard.alerts()
    )
    # Upstream answers before an operator acts: the order in review settles by itself.
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.SUCCEEDED
    assert await engine.wallet() == (10 * USDT - 40_000, 0)


async def test_the_shops_own_short_balance_refunds_and_alerts(engine: Engine) -> None:
    engine.upstream.balance = 100
    order = await engine.bought(1, 5)
    assert order.status == OrderStatus.FAILED
    assert order.details["failure"] == Failure.SUPPLIER_UNAVAILABLE
    assert "accounts_failure" not in order.details
    assert await engine.wallet() == (10 * USDT, 0)
    [alert] = await engine.heard.alerts()
    assert order.id in alert and "upstream_balance_insufficient" in alert


async def test_fewer_accounts_than_ordered_alerts_without_showing_them(engine: Engine) -> None:
    secret = "1001|s3cr3t-pass|c_user=1001;xs=abc"
    body = {
        "success": True,
        "message": "OK",
        "data": {"order_id": "ORDER_X", "amount": 2, "accounts": [secret]},
    }
    engine.upstream.plan.add("answer", path=ORDER_PATH, body=body)
    order = await engine.bought(4, 2)
    assert order.status == OrderStatus.SUCCEEDED
    assert order.details["accounts"] == [secret]
    [alert] = await engine.heard.alerts()
    assert "delivered 1 accounts for an order of 2" in alert
    assert "s3cr3t" not in alert


async def test_the_catalogue_lists_each_kind_and_survives_an_outage(engine: Engine) -> None:
    facebook = await engine.line.services(AccountKind.FACEBOOK)
    emails = await engine.line.services(AccountKind.EMAIL)
    assert facebook is not None and [s.name for s in facebook] == ["Clone US", "Via VN 2FA"]
    assert emails is not None and [(s.name, s.total_available) for s in emails] == [
        ("Gmail aged", 0),  # sold out, still listed
        ("Outlook fresh", 500),
    ]
    engine.upstream.services[4].available = 7
    engine.upstream.plan.add("5xx", path="/user/api/service.php", times=10)
    await engine.line.refresh_catalogue()  # the shop is down: the last copy stays
    emails = await engine.line.services(AccountKind.EMAIL)
    assert emails is not None and emails[1].total_available == 500
    engine.upstream.plan.clear()
    await engine.line.refresh_catalogue()
    emails = await engine.line.services(AccountKind.EMAIL)
    assert emails is not None and emails[1].total_available == 7


async def test_an_offer_is_fresh_and_bounded_by_limits_and_stock(engine: Engine) -> None:
    offer = await engine.line.offer(2)
    assert isinstance(offer, Offer)
    assert (offer.minimum, offer.maximum, offer.stock) == (2, 20, 40)
    engine.upstream.services[2].available = 5
    offer = await engine.line.offer(2)
    assert isinstance(offer, Offer) and (offer.maximum, offer.buyable) == (5, True)
    engine.upstream.services[2].available = 1
    offer = await engine.line.offer(2)
    assert isinstance(offer, Offer) and not offer.buyable  # fewer than the minimum
    assert await engine.line.offer(5) == Lookup.NOT_FOUND  # locked
    assert await engine.line.offer(999) == Lookup.NOT_FOUND
    engine.upstream.plan.add("5xx", path="/user/api/service.php", times=10)
    assert await engine.line.offer(1) == Lookup.UNAVAILABLE
