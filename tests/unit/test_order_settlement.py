"""How the order engine moves money for each kind of upstream answer, with a product line that
answers what the test says (the engine is real, and so are the ledger and SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services.details import Details
from bot.services.orders import (
    ConfirmStatus,
    OrderService,
    Quote,
    Remember,
    Submission,
    sent_again,
)
from bot.services.pricing import Price
from bot.telegram.outbox import Outbox
from providers.outcomes import Outcome
from storage.audit import audit_ledger
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import Order, OrderStatus, OrderStore
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore
from tests.heard import OPERATORS_CHAT, Heard

USDT = 1_000_000
ALICE = 7


class ScriptedLine:
    """Answers each submit and query with the next scripted submission."""

    product = "scripted"
    details_model = Details

    def __init__(self) -> None:
        self.answers: list[Submission] = []

    async def requote(self, order: Order) -> Quote | None:
        return None

    async def submit(self, order: Order, remember: Remember) -> Submission:
        return self.answers.pop(0)

    async def query(self, order: Order, remember: Remember) -> Submission:
        return self.answers.pop(0)


class World:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.ledger = Ledger(db)
        self.line = ScriptedLine()
        self.heard = Heard(Outbox(db, OPERATORS_CHAT))
        self.sales = OrderService(
            db, self.ledger, OrderStore(db), {"scripted": self.line}, self.heard.outbox
        )

    async def bought(self, charge: int, first: Submission) -> Order:
        price = Price(charge, "USDT", Decimal(1), Decimal(0), charge)
        order = await self.sales.open_quote(ALICE, "scripted", Quote(price, Details()))
        assert (await self.sales.confirm(order.id, ALICE)).status == ConfirmStatus.HELD
        self.line.answers.append(first)
        return await self.sales.submit(order.id)

    async def wallet(self) -> tuple[int, int]:
        balance = await self.ledger.balance(ALICE)
        return balance.available, balance.held


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        await CustomerStore(db).register(ALICE, username=None, first_name="A", language="en")
        await Ledger(db).credit(ALICE, 100 * USDT, key="deposit")
        yield World(db)
        report = await audit_ledger(db)
        assert report.ok, report.problems


async def test_a_failure_after_partial_use_refunds_that_share(world: World) -> None:
    used_a_third = Submission(Outcome.REJECTED, reason="ABORT", refund_share=Fraction(2, 3))
    order = await world.bought(30 * USDT, used_a_third)
    assert order.status == OrderStatus.FAILED
    assert order.details["refunded"] == 20 * USDT
    assert await world.wallet() == (90 * USDT, 0)


async def test_a_failure_that_used_nothing_releases_the_whole_hold(world: World) -> None:
    order = await world.bought(30 * USDT, Submission(Outcome.REJECTED, reason="ABORT"))
    assert (order.status, order.details["refunded"]) == (OrderStatus.FAILED, 30 * USDT)
    assert await world.wallet() == (100 * USDT, 0)


async def test_a_reversed_success_is_refunded_once_and_the_customer_told(world: World) -> None:
    order = await world.bought(30 * USDT, Submission(Outcome.SUCCEEDED))
    assert await world.wallet() == (70 * USDT, 0)
    taken_back = Submission(Outcome.REJECTED, reason="FAIL", reversal=True, alert="reversed")
    assert (await world.sales.report(order.id, taken_back)).status == OrderStatus.REVERSED
    assert (await world.sales.report(order.id, taken_back)).status == OrderStatus.REVERSED
    assert await world.wallet() == (100 * USDT, 0)
    assert await world.heard.orders_told() == [OrderStatus.SUCCEEDED, OrderStatus.REVERSED]
    assert len(await world.heard.alerts()) == 1  # the replay alerted nobody again


async def test_a_replayed_callback_settles_once(world: World) -> None:
    order = await world.bought(10 * USDT, Submission(Outcome.PENDING))
    assert order.status == OrderStatus.SUBMITTED
    done = Submission(Outcome.SUCCEEDED, reason="SUCCESS")
    for _ in range(3):
        assert (await world.sales.report(order.id, done)).status == OrderStatus.SUCCEEDED
    assert await world.wallet() == (90 * USDT, 0)
    assert await world.heard.orders_told() == [OrderStatus.SUCCEEDED]


async def test_an_order_paid_to_upstream_directly_holds_nothing(world: World) -> None:
    order = await world.bought(0, Submission(Outcome.PENDING))
    assert await world.wallet() == (100 * USDT, 0)
    world.line.answers.append(Submission(Outcome.REJECTED, reason="Expired"))
    expired = await world.sales.reconcile(order.id)
    assert (expired.status, expired.details["refunded"]) == (OrderStatus.FAILED, 0)
    assert await world.wallet() == (100 * USDT, 0)


async def test_an_order_paid_upstream_directly_never_goes_to_review(world: World) -> None:
    order = await world.bought(0, Submission(Outcome.PENDING))
    impatient = OrderService(
        world.db,
        world.ledger,
        OrderStore(world.db),
        {"scripted": world.line},
        world.heard.outbox,
        review_after=timedelta(0),
    )
    world.line.answers.append(Submission(Outcome.PENDING))
    assert (await impatient.reconcile(order.id)).status == OrderStatus.SUBMITTED
    assert await world.heard.alerts() == []


async def test_a_success_after_the_refund_alerts_the_operators_once(world: World) -> None:
    order = await world.bought(10 * USDT, Submission(Outcome.REJECTED, reason="FAIL"))
    assert await world.wallet() == (100 * USDT, 0)
    late = Submission(Outcome.SUCCEEDED, reason="SUCCESS", details={"upstream_status": "ok"})
    for _ in range(2):
        assert (await world.sales.report(order.id, late)).status == OrderStatus.FAILED
    [alert] = await world.heard.alerts()
    assert order.id in alert and "recover the charge" in alert
    record = await world.sales.report(order.id, late)
    assert record.details["delivered_after_refund"] is True
    assert "upstream_status" not in record.details  # a finished record stays as it was
    assert await world.wallet() == (100 * USDT, 0)


async def test_a_refusal_when_sending_again_goes_to_review_still_held(world: World) -> None:
    order = await world.bought(10 * USDT, Submission(Outcome.UNKNOWN, reason="timeout"))
    world.line.answers.append(sent_again(Submission(Outcome.REJECTED, reason="out_of_stock")))
    reviewed = await world.sales.reconcile(order.id)
    assert reviewed.status == OrderStatus.NEEDS_REVIEW
    assert await world.wallet() == (90 * USDT, 10 * USDT)
    [alert] = await world.heard.alerts()
    assert "sending it again was refused (out_of_stock" in alert
    assert await world.heard.orders_told() == [OrderStatus.NEEDS_REVIEW]
    assert sent_again(Submission(Outcome.SUCCEEDED)).outcome == Outcome.SUCCEEDED


async def test_a_quote_whose_new_id_is_taken_gets_another(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ids share their first 12 digits within a second: two quotes of one busy second can draw
    # the same one, and the second must not fail for it.
    drawn = iter(["261124101010000001", "261124101010000001", "261124101010000002"])
    monkeypatch.setattr("bot.services.orders.new_order_id", lambda: next(drawn))
    price = Price(10 * USDT, "USDT", Decimal(1), Decimal(0), 10 * USDT)
    first = await world.sales.open_quote(ALICE, "scripted", Quote(price, Details()))
    second = await world.sales.open_quote(ALICE, "scripted", Quote(price, Details()))
    assert (first.id, second.id) == ("261124101010000001", "261124101010000002")
    assert (await world.sales.confirm(second.id, ALICE)).status == ConfirmStatus.HELD
