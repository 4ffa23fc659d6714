"""Two shop processes ("replicas") on one PostgreSQL database, each with its own services, seeing
the same news at the same moment: the database decides, and it happens once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.services import orders as orders_module
from bot.services.details import NoDetails
from bot.services.orders import OrderService, Quote, Remember, Submission
from bot.telegram.outbox import Outbox
from providers.outcomes import Outcome
from storage.audit import audit_ledger
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import Order, OrderStatus, OrderStore
from storage.users import CustomerStore
from tests.databases import fresh_database
from tests.heard import OPERATORS_CHAT, Heard

CUSTOMER = 8_001
CHARGE = 5_000_000


@dataclass
class Replica:
    service: OrderService
    orders: OrderStore
    ledger: Ledger


@asynccontextmanager
async def two_replicas(folder: Path) -> AsyncIterator[tuple[Database, Replica, Replica, Heard]]:
    """Two order services on one PostgreSQL database (their lines are not needed: the news comes
    from upstream by itself); a customer with 20.00 in the wallet. The ledger must pass its audit
    afterwards."""
    async with fresh_database("postgresql", folder) as db:
        replicas = []
        for _ in range(2):
            ledger, orders = Ledger(db), OrderStore(db)
            service = OrderService(db, ledger, orders, {}, Outbox(db, OPERATORS_CHAT))
            replicas.append(Replica(service, orders, ledger))
        await CustomerStore(db).register(CUSTOMER, username=None, first_name="C", language="en")
        await replicas[0].ledger.credit(CUSTOMER, 20_000_000, key="deposit-test")
        yield db, replicas[0], replicas[1], Heard(Outbox(db, OPERATORS_CHAT))
        report = await audit_ledger(db)
        assert report.ok, report.problems


async def submitted_order(replica: Replica) -> str:
    """An order confirmed (its hold placed) and sent upstream, as a purchase leaves it."""
    order = await replica.orders.create(
        "900000000000000001", user_id=CUSTOMER, product="topup", charge=CHARGE
    )
    confirmed = await replica.service.confirm(order.id, CUSTOMER)
    assert confirmed.order is not None and confirmed.order.status == OrderStatus.CONFIRMED
    await replica.orders.move(
        order.id, OrderStatus.CONFIRMED, OrderStatus.SUBMITTED, reason="sent to upstream"
    )
    return order.id


@pytest.mark.parametrize(
    ("outcome", "status", "wallet", "held"),
    [
        (Outcome.SUCCEEDED, OrderStatus.SUCCEEDED, 15_000_000, 0),
        (Outcome.REJECTED, OrderStatus.FAILED, 20_000_000, 0),
    ],
)
async def test_one_callback_delivered_to_two_replicas_at_once_settles_once(
    tmp_path: Path, outcome: Outcome, status: OrderStatus, wallet: int, held: int
) -> None:
    async with two_replicas(tmp_path) as (_, one, two, heard):
        order_id = await submitted_order(one)
        news = Submission(outcome, reason="callback")
        for _ in range(5):  # the same callback, redelivered to both, again and again
            settled = await asyncio.gather(
                one.service.report(order_id, news), two.service.report(order_id, news)
            )
            assert [order.status for order in settled] == [status, status]
        balance = await one.ledger.balance(CUSTOMER)
        assert (balance.available, balance.held) == (wallet, held)
        events = await one.orders.events(order_id)
        assert [event.to_status for event in events].count(status) == 1
        assert await heard.orders_told() == [status]


async def test_two_replicas_hearing_opposite_news_at_once_settle_by_the_first(
    tmp_path: Path,
) -> None:
    async with two_replicas(tmp_path) as (_, one, two, heard):
        order_id = await submitted_order(one)
        settled = await asyncio.gather(
            one.service.report(order_id, Submission(Outcome.SUCCEEDED, reason="delivered")),
            two.service.report(order_id, Submission(Outcome.REJECTED, reason="refused")),
        )
        final = settled[0].status
        assert final in (OrderStatus.SUCCEEDED, OrderStatus.FAILED)
        assert [order.status for order in settled] == [final, final]
        balance = await one.ledger.balance(CUSTOMER)
        spent = CHARGE if final == OrderStatus.SUCCEEDED else 0
        assert (balance.available, balance.held) == (20_000_000 - spent, 0)
        assert await heard.orders_told() == [final]


class HeldLine:
    """An upstream whose answers the test holds: `submit` waits until `answer` is set, and
    every call is counted."""

    product = "topup"
    details_model = NoDetails

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.answer = asyncio.Event()
        self.submitted = 0
        self.queried = 0

    async def requote(self, order: Order) -> Quote | None:
        return None

    async def submit(self, order: Order, remember: Remember) -> Submission:
        self.submitted += 1
        self.reached.set()
        await self.answer.wait()
        return Submission(Outcome.SUCCEEDED, reason="delivered")

    async def query(self, order: Order, remember: Remember) -> Submission:
        self.queried += 1
        return Submission(Outcome.REJECTED, reason="no such order")  # not there yet


async def test_an_order_one_replica_is_sending_is_left_alone_by_the_others_follow_up(
    tmp_path: Path,
) -> None:
    """Asked about while it is being sent, upstream knows no such order yet: a follow-up on
    another process would fail an order about to be delivered. It is left alone."""
    line = HeldLine()
    async with fresh_database("postgresql", tmp_path) as db:
        services = [
            OrderService(db, Ledger(db), OrderStore(db), {line.product: line}, Outbox(db, None))
            for _ in range(2)
        ]
        one, two = services
        await CustomerStore(db).register(CUSTOMER, username=None, first_name="C", language="en")
        await Ledger(db).credit(CUSTOMER, 20_000_000, key="deposit-test")
        order = await OrderStore(db).create(
            "900000000000000002", user_id=CUSTOMER, product="topup", charge=CHARGE
        )
        await one.confirm(order.id, CUSTOMER)

        sending = asyncio.create_task(one.submit(order.id, watched=True))
        await asyncio.wait_for(line.reached.wait(), 5)
        followed = await two.reconcile(order.id)  # the other replica's job, now
        assert followed.status == OrderStatus.SUBMITTED
        assert await two.submit(order.id) == followed  # nor sent again from there
        assert (line.submitted, line.queried) == (1, 0)

        line.answer.set()
        assert (await sending).status == OrderStatus.SUCCEEDED
        # Once the first is done with it, the other may follow it up (nothing is left to do).
        assert (await two.reconcile(order.id)).status == OrderStatus.SUCCEEDED
        balance = await Ledger(db).balance(CUSTOMER)
        assert (balance.available, balance.held) == (20_000_000 - CHARGE, 0)
        assert (await audit_ledger(db)).ok


async def test_one_process_claiming_an_order_twice_at_once_lets_it_go_once_done(
    tmp_path: Path,
) -> None:
    """The follow-up job and an operator's retry claim one order at the same moment in one
    process: one claim, one renewal, and once both are done the order is free for another
    process (no renewal left behind holding it for good)."""
    async with fresh_database("postgresql", tmp_path) as db:
        one = OrderService(db, Ledger(db), OrderStore(db), {}, Outbox(db, None))
        two = OrderService(db, Ledger(db), OrderStore(db), {}, Outbox(db, None))
        order_id = "900000000000000003"
        assert list(await asyncio.gather(one._claim(order_id), one._claim(order_id))) == [
            True,
            True,
        ]
        assert not await two._claim(order_id)
        await one._unclaim(order_id)
        assert not await two._claim(order_id)  # the other caller still has it
        await one._unclaim(order_id)
        assert await db.fetch_value("SELECT COUNT(*) FROM leases") == 0
        assert await two._claim(order_id)
        await two._unclaim(order_id)
        assert [task for task in asyncio.all_tasks() if "keep_claimed" in repr(task)] == []


async def test_a_process_that_lost_an_orders_claim_stops_renewing_it_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A process stalled past its claim (a long pause, a lost connection): another took the
    order over. It stops renewing and says so; it does not take the order back. (What it was
    doing stays safe: every status move is compare-and-set, and an order is sent upstream only
    from `confirmed`, once.)"""
    monkeypatch.setattr(orders_module, "ORDER_CLAIM_SECONDS", 0.6)
    async with fresh_database("postgresql", tmp_path) as db:
        one = OrderService(db, Ledger(db), OrderStore(db), {}, Outbox(db, None))
        order_id = "900000000000000004"
        assert await one._claim(order_id)
        async with db.write() as tx:  # its claim ran out and another process took it
            await tx.execute(
                "UPDATE leases SET holder = 'elsewhere:1:0f0f', expires_at = expires_at + 3600"
                " WHERE name = ?",
                (f"order:{order_id}",),
            )
        await asyncio.sleep(0.8)
        held = await db.fetch_value(
            "SELECT holder FROM leases WHERE name = ?", (f"order:{order_id}",)
        )
        assert held == "elsewhere:1:0f0f"
        assert [task for task in asyncio.all_tasks() if "keep_claimed" in repr(task)] == []
        assert f"order {order_id}: another process took its claim" in caplog.text
        await one._unclaim(order_id)
        held = await db.fetch_value(
            "SELECT holder FROM leases WHERE name = ?", (f"order:{order_id}",)
        )
        assert held == "elsewhere:1:0f0f"  # not this process's to give up
