"""The order engine with the cloud product line, against the cloud simulator over real HTTP.

Every test ends by checking the ledger's invariants: whatever the upstream did, the money adds up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from unittest.mock import ANY

import pytest
import pytest_asyncio

from bot.services.details import NoDetails
from bot.services.lines.cloud import CloudDetails, CloudLine, CloudTarget
from bot.services.lines.registry import default_markups
from bot.services.orders import ConfirmStatus, OrderService, RequoteStatus
from bot.services.pricing import Pricing
from bot.services.reconciliation import Reconciler
from providers.cloud import CloudChannel, CloudRechargeClient
from sandbox.cloud import DEMO_APP_ID, DEMO_APP_SECRET, CloudSimulator
from storage.database import Database
from storage.ledger import SALES, Ledger
from storage.orders import Order, OrderStatus, OrderStore
from storage.settings import SettingsStore
from tests.contract.conftest import FAST, NO_WAIT, serving
from tests.heard import Heard
from tests.integration.world import running

USD = 1_000_000
ALICE, BOB = 501, 502


@dataclass
class Engine:
    db: Database
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    line: CloudLine
    upstream: CloudSimulator
    upstream_base: str
    heard: Heard

    async def quoted(
        self,
        user_id: int,
        uid: str = "200000000000",
        money: int = 10 * USD,
        channel: CloudChannel = CloudChannel.TENCENT,
    ) -> Order:
        target = await self.line.find(channel, uid)
        assert isinstance(target, CloudTarget)
        quote = await self.line.quote(target, money)
        return await self.service.open_quote(user_id, "cloud", quote.for_order)

    async def bought(self, user_id: int, **kwargs: object) -> Order:
        order = await self.quoted(user_id, **kwargs)  # type: ignore[arg-type]
        assert (await self.service.confirm(order.id, user_id)).status == ConfirmStatus.HELD
        return await self.service.submit(order.id)


@pytest_asyncio.fixture
async def engine(tmp_path: Path, backend: str) -> AsyncIterator[Engine]:
    upstream = CloudSimulator()
    async with serving(upstream) as base:
        client = CloudRechargeClient(
            base, DEMO_APP_ID, DEMO_APP_SECRET, timeouts=FAST, retry=NO_WAIT
        )

        def make(pricing: Pricing) -> CloudLine:
            return CloudLine(client, pricing, repay_after=timedelta(0))

        balances = {ALICE: 100 * USD, BOB: 100 * USD}
        async with running(tmp_path, backend, make, balances=balances) as (world, line):
            yield Engine(
                world.db,
                world.ledger,
                world.orders,
                world.service,
                line,
                upstream,
                base,
                world.heard,
            )


async def _balance(engine: Engine, user: int) -> tuple[int, int]:
    balance = await engine.ledger.balance(user)
    return balance.available, balance.held


async def test_a_recharge_is_charged_once_with_the_markup(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    assert order.charge == 10_500_000  # 10 USD at rate 1.00, plus 5 %
    assert await _balance(engine, ALICE) == (100 * USD, 0)

    confirmed = await engine.service.confirm(order.id, ALICE)
    assert confirmed.status == ConfirmStatus.HELD
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)

    done = await engine.service.submit(order.id)
    assert done.status == OrderStatus.SUCCEEDED
    assert done.upstream_ref is not None and done.details["upstream_status"] == "paid"
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert await engine.ledger.account_balance(SALES) == 10_500_000
    assert engine.upstream.agent_balance == Decimal("9990.00")
    steps = [(e.from_status, e.to_status) for e in await engine.orders.events(order.id)]
    assert steps == [
        (None, OrderStatus.QUOTED),
        (OrderStatus.QUOTED, OrderStatus.CONFIRMED),
        (OrderStatus.CONFIRMED, OrderStatus.SUBMITTED),
        (OrderStatus.SUBMITTED, OrderStatus.SUCCEEDED),
    ]


async def test_an_alibaba_recharge_by_email_at_its_rate(engine: Engine) -> None:
    order = await engine.bought(
        ALICE, uid="buyer@example.com", money=49 * USD, channel=CloudChannel.ALIBABA
    )
    assert order.status == OrderStatus.SUCCEEDED
    assert order.upstream_cost == 50 * USD  # 49 / 0.98
    assert order.charge == 52_500_000


async def _expire(engine: Engine, order: Order) -> Order:
    async with engine.db.write() as tx:
        await tx.execute(
            "UPDATE orders SET quote_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (order.id,)
        )
    expired = await engine.orders.get(order.id)
    assert expired is not None
    return expired


async def test_a_quote_at_todays_price_stands(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    requoted = await engine.service.requote(order)
    assert (requoted.status, requoted.order) == (RequoteStatus.VALID, order)


async def test_a_changed_price_is_quoted_again_in_place_of_the_old(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    engine.upstream.accounts[("qcloud", "200000000000")].rate = Decimal("0.80")
    requoted = await engine.service.requote(order)
    assert requoted.status == RequoteStatus.PRICE_CHANGED
    assert requoted.order.charge == 13_130_000  # 10 USD at rate 0.80, plus 5 %, to the cent
    assert CloudDetails.of(requoted.order).rate == Decimal("0.80")
    assert (await engine.orders.get(order.id)) == replace(
        order, status=OrderStatus.CANCELLED, updated_at=ANY
    )
    assert (await engine.service.confirm(order.id, ALICE)).status == ConfirmStatus.ALREADY
    assert await _balance(engine, ALICE) == (100 * USD, 0)


async def test_an_expired_quote_is_given_up_and_quoted_again(engine: Engine) -> None:
    order = await _expire(engine, await engine.quoted(ALICE))
    requoted = await engine.service.requote(order)
    assert requoted.status == RequoteStatus.EXPIRED
    assert requoted.order.id != order.id and requoted.order.charge == order.charge
    events = await engine.orders.events(order.id)
    assert (events[-1].to_status, events[-1].reason) == (OrderStatus.CANCELLED, "quote expired")


async def test_an_expired_quote_nobody_can_price_now_is_only_given_up(engine: Engine) -> None:
    order = await _expire(engine, await engine.quoted(ALICE))
    engine.upstream.plan.add("5xx", path="/api/uid", status=503, times=100)
    requoted = await engine.service.requote(order)
    assert (requoted.status, requoted.order.id) == (RequoteStatus.UNAVAILABLE, order.id)
    assert await engine.orders.with_status([OrderStatus.QUOTED], user_id=ALICE) == []
    # A quote still valid stands while no price can be had: it is bought as quoted.
    engine.upstream.plan.clear()
    valid = await engine.quoted(ALICE)
    engine.upstream.plan.add("5xx", path="/api/uid", status=503, times=100)
    assert (await engine.service.requote(valid)).status == RequoteStatus.VALID


async def test_any_orders_details_read_by_the_model_its_line_names(engine: Engine) -> None:
    """What a reader of any order uses (an operator's card, an export): no list of lines."""
    order = await engine.quoted(ALICE)
    details = engine.service.details_of(order)
    assert isinstance(details, CloudDetails) and details.uid == "200000000000"
    gone = replace(order, product="no-longer-sold")  # its line is not configured here
    assert engine.service.details_of(gone) == NoDetails()


async def test_someone_elses_order_is_found_as_none(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    assert await engine.service.find_owned(order.id, BOB) is None
    assert await engine.service.find_owned("nope", BOB) is None
    owned = await engine.service.find_owned(order.id, ALICE)
    assert owned is not None and owned.id == order.id
    await engine.service.cancel_quote(order.id, BOB)  # changes nothing
    assert (await engine.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD


async def test_confirming_twice_or_someone_elses_order_changes_nothing(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    assert (await engine.service.confirm(order.id, BOB)).status == ConfirmStatus.NOT_YOURS
    assert (await engine.service.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
    assert (await engine.service.confirm(order.id, ALICE)).status == ConfirmStatus.ALREADY
    assert (await engine.service.confirm("nope", ALICE)).status == ConfirmStatus.NOT_FOUND
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)
    assert await _balance(engine, BOB) == (100 * USD, 0)
    await engine.service.submit(order.id)
    again = await engine.service.submit(order.id)
    assert again.status == OrderStatus.SUCCEEDED
    assert len(engine.upstream.orders) == 1


async def test_a_short_balance_places_no_hold(engine: Engine) -> None:
    order = await engine.quoted(ALICE, money=99 * USD)
    short = await engine.service.confirm(order.id, ALICE)
    assert (short.status, short.available) == (ConfirmStatus.INSUFFICIENT, 100 * USD)
    assert await _balance(engine, ALICE) == (100 * USD, 0)
    assert (await engine.orders.get(order.id)).status == OrderStatus.QUOTED  # type: ignore[union-attr]


async def test_an_expired_quote_is_not_charged(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    async with engine.db.write() as tx:
        await tx.execute(
            "UPDATE orders SET quote_expires_at = '2000-01-01T00:00:00Z' WHERE id = ?", (order.id,)
        )
    assert (await engine.service.confirm(order.id, ALICE)).status == ConfirmStatus.EXPIRED
    assert (await engine.orders.get(order.id)).status == OrderStatus.CANCELLED  # type: ignore[union-attr]
    assert await _balance(engine, ALICE) == (100 * USD, 0)


async def test_a_pay_answer_dropped_after_upstream_committed_is_read_back(engine: Engine) -> None:
    engine.upstream.plan.add("drop", path="/api/orders/*/pay")
    order = await engine.bought(ALICE)
    assert order.status == OrderStatus.SUCCEEDED
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert engine.upstream.agent_balance == Decimal("9990.00")


async def test_a_pay_that_timed_out_uncommitted_is_paid_again_once(engine: Engine) -> None:
    engine.upstream.plan.add("hang", path="/api/orders/*/pay", seconds=3)
    engine.upstream.plan.add("hang", path="/api/orders/ba*", seconds=3, times=3)
    order = await engine.bought(ALICE)
    assert order.status == OrderStatus.UNKNOWN
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)  # the hold waits

    settled = await engine.service.reconcile(order.id)  # upstream: still unpaid
    assert settled.status == OrderStatus.SUCCEEDED
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert engine.upstream.agent_balance == Decimal("9990.00")  # paid once


async def test_paying_again_refused_for_a_short_agent_balance_refunds(engine: Engine) -> None:
    engine.upstream.plan.add("hang", path="/api/orders/*/pay", seconds=3)
    engine.upstream.plan.add("hang", path="/api/orders/ba*", seconds=3, times=3)
    order = await engine.bought(ALICE)
    engine.upstream.agent_balance = Decimal("1")

    settled = await engine.service.reconcile(order.id)
    assert settled.status == OrderStatus.FAILED
    assert await _balance(engine, ALICE) == (100 * USD, 0)
    assert any("agent_balance_insufficient" in alert for alert in await engine.heard.alerts())


async def test_a_lost_pay_is_not_paid_again_too_soon(engine: Engine) -> None:
    patient = CloudLine(
        engine.line._client,
        Pricing(SettingsStore(engine.db), default_markups()),
        repay_after=timedelta(hours=1),
    )
    service = OrderService(
        engine.db, engine.ledger, engine.orders, {"cloud": patient}, engine.heard.outbox
    )
    engine.upstream.plan.add("hang", path="/api/orders/*/pay", seconds=3)
    engine.upstream.plan.add("hang", path="/api/orders/ba*", seconds=3, times=3)
    order = await engine.quoted(ALICE)
    await service.confirm(order.id, ALICE)
    assert (await service.submit(order.id)).status == OrderStatus.UNKNOWN

    assert (await service.reconcile(order.id)).status == OrderStatus.UNKNOWN  # the pay may be late
    assert engine.upstream.agent_balance == Decimal("10000.00")
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)


@pytest.mark.parametrize(
    ("fault", "status", "body"),
    [
        ("answer", 401, {"code": 401, "message": "Agent authentication failed"}),
        ("answer", 403, {"code": 403, "message": "IP is not in the whitelist"}),
        ("answer", 404, {"code": 404, "message": "Order does not exist"}),
        ("5xx", 502, None),
    ],
)
async def test_a_status_query_without_the_order_never_settles_it(
    engine: Engine, fault: str, status: int, body: object
) -> None:
    engine.upstream.plan.add("drop", path="/api/orders/*/pay")  # paid upstream, answer lost
    engine.upstream.plan.add(fault, path="/api/orders/ba*", status=status, body=body, times=99)
    order = await engine.bought(ALICE)
    assert order.status == OrderStatus.UNKNOWN
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.UNKNOWN
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)  # still held, not refunded
    engine.upstream.plan.clear()  # upstream answers again
    assert (await engine.service.reconcile(order.id)).status == OrderStatus.SUCCEEDED
    assert await _balance(engine, ALICE) == (89_500_000, 0)


async def test_a_price_rise_between_quote_and_create_pays_nothing(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    engine.upstream.accounts[("qcloud", "200000000000")].rate = Decimal("0.80")
    await engine.service.confirm(order.id, ALICE)
    done = await engine.service.submit(order.id)
    assert (done.status, done.details["failure"]) == (OrderStatus.FAILED, "price-changed")
    assert await _balance(engine, ALICE) == (100 * USD, 0)
    assert engine.upstream.agent_balance == Decimal("10000.00")


@pytest.mark.parametrize(
    ("uid", "setup", "owes"),
    [("200000000500", None, True), ("200000000409", None, False), ("200000000000", "poor", False)],
)
async def test_upstream_failures_refund_the_customer_and_alert_the_operators(
    engine: Engine, uid: str, setup: str | None, owes: bool
) -> None:
    if setup == "poor":
        engine.upstream.agent_balance = Decimal("1")
    order = await engine.bought(ALICE, uid=uid)
    assert order.status == OrderStatus.FAILED
    assert await _balance(engine, ALICE) == (100 * USD, 0)
    [alert] = await engine.heard.alerts()
    assert order.id in alert
    assert ("upstream owes the shop a refund" in alert) is owes
    assert bool(order.details.get("upstream_owes_refund")) is owes


async def test_start_up_resumes_every_unfinished_order(engine: Engine) -> None:
    never_sent = await engine.quoted(ALICE)
    await engine.service.confirm(never_sent.id, ALICE)

    paid_but_unrecorded = await engine.quoted(BOB)
    await engine.service.confirm(paid_but_unrecorded.id, BOB)
    await engine.orders.move(
        paid_but_unrecorded.id, OrderStatus.CONFIRMED, OrderStatus.SUBMITTED, reason="sent"
    )
    client = CloudRechargeClient(engine.upstream_base, DEMO_APP_ID, DEMO_APP_SECRET)
    try:
        sn = (await client.create_order(CloudChannel.TENCENT, "200000000000", 10 * USD)).unwrap().sn
        await engine.orders.note(paid_but_unrecorded.id, upstream_ref=sn)
        await client.pay_order(sn)
    finally:
        await client.close()

    after_restart = Reconciler(engine.service, started_at=datetime.now(UTC) + timedelta(seconds=1))
    results = {order.id: order.status for order in await after_restart.run_once()}
    assert results == {
        never_sent.id: OrderStatus.SUCCEEDED,
        paid_but_unrecorded.id: OrderStatus.SUCCEEDED,
    }
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert await _balance(engine, BOB) == (89_500_000, 0)
    assert await engine.service.unsettled() == []


async def test_an_order_unknown_for_too_long_goes_to_review(engine: Engine) -> None:
    engine.upstream.plan.add("5xx", path="/api/orders/*", times=50)
    order = await engine.bought(ALICE)
    assert order.status == OrderStatus.UNKNOWN
    impatient = OrderService(
        engine.db,
        engine.ledger,
        engine.orders,
        {"cloud": engine.line},
        engine.heard.outbox,
        review_after=timedelta(0),
    )
    reviewed = await impatient.reconcile(order.id)
    assert reviewed.status == OrderStatus.NEEDS_REVIEW
    assert await _balance(engine, ALICE) == (89_500_000, 10_500_000)  # still held, not guessed
    assert any("needs review" in alert for alert in await engine.heard.alerts())
    # the customer hears it is being checked
    assert await engine.heard.orders_told() == [OrderStatus.NEEDS_REVIEW]

    # Upstream answers before an operator acts: the order in review settles by itself.
    engine.upstream.plan.clear()
    assert (await impatient.reconcile(order.id)).status == OrderStatus.SUCCEEDED
    told = await engine.heard.orders_told()
    assert told == [OrderStatus.NEEDS_REVIEW, OrderStatus.SUCCEEDED]
    assert await _balance(engine, ALICE) == (89_500_000, 0)


async def test_the_reconciliation_job_backs_off_and_settles(engine: Engine) -> None:
    engine.upstream.plan.add("hang", path="/api/orders/*/pay", seconds=3)
    engine.upstream.plan.add("5xx", path="/api/orders/ba*", times=6)
    order = await engine.bought(ALICE)
    assert order.status == OrderStatus.UNKNOWN
    job = Reconciler(engine.service, first_delay=timedelta(seconds=10))
    start = datetime.now(UTC)

    first = await job.run_once(now=start)
    assert [o.status for o in first] == [OrderStatus.UNKNOWN]  # upstream still unreadable
    assert await job.run_once(now=start + timedelta(seconds=5)) == []  # backing off
    settled = await job.run_once(now=start + timedelta(seconds=11))
    assert [o.status for o in settled] == [OrderStatus.SUCCEEDED]  # unpaid upstream: paid again
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert await job.run_once(now=start + timedelta(hours=1)) == []


async def test_the_job_leaves_an_order_alone_while_it_is_being_sent(engine: Engine) -> None:
    order = await engine.quoted(ALICE)
    await engine.service.confirm(order.id, ALICE)
    engine.upstream.plan.add("slow", path="/api/orders", seconds=0.5)  # created, answered late
    sending = asyncio.create_task(engine.service.submit(order.id))
    await _until_created_upstream(engine)
    job = Reconciler(engine.service)

    # Upstream created the order but nobody here knows its number yet: asking now would find
    # nothing and refund an order that is about to be paid.
    assert [o.status for o in await job.run_once()] == [OrderStatus.SUBMITTED]
    assert (await sending).status == OrderStatus.SUCCEEDED
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert engine.upstream.agent_balance == Decimal("9990.00")


async def _until_created_upstream(engine: Engine) -> None:
    async with asyncio.timeout(5):
        while not engine.upstream.orders:  # noqa: ASYNC110 - the simulator has no event for it
            await asyncio.sleep(0.01)


async def test_a_confirmed_order_is_sent_by_the_job_only_when_left_behind(engine: Engine) -> None:
    job = Reconciler(engine.service, orphan_after=timedelta(minutes=1))
    order = await engine.quoted(ALICE)
    await engine.service.confirm(order.id, ALICE)
    now = datetime.now(UTC)

    assert await job.run_once(now=now) == []  # its conversation is sending it right now
    assert engine.upstream.orders == {}
    [sent] = await job.run_once(now=now + timedelta(minutes=2))  # that conversation died
    assert sent.status == OrderStatus.SUCCEEDED

    earlier = await engine.quoted(BOB)
    await engine.service.confirm(earlier.id, BOB)
    after_restart = Reconciler(engine.service, started_at=now + timedelta(minutes=3))
    assert [o.status for o in await after_restart.run_once(now=now + timedelta(minutes=3))] == [
        OrderStatus.SUCCEEDED
    ]
    assert await _balance(engine, BOB) == (89_500_000, 0)


async def test_two_confirmations_at_the_same_moment_buy_once(engine: Engine) -> None:
    """Two presses handled at once (two chats, two devices): one hold, one upstream order."""
    order = await engine.quoted(ALICE)

    async def press() -> str:
        confirmed = await engine.service.confirm(order.id, ALICE)
        if confirmed.status == ConfirmStatus.HELD:
            return (await engine.service.submit(order.id)).status.value
        return confirmed.status.value

    assert sorted(await asyncio.gather(press(), press())) == ["already", "succeeded"]
    assert await _balance(engine, ALICE) == (89_500_000, 0)
    assert len(engine.upstream.orders) == 1
