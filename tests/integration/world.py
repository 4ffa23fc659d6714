"""The order engine with one product line on a fresh database: what every integration test of a
line starts from, and the ledger audit every one of them ends with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from bot.services.lines.base import Line
from bot.services.lines.cloud import CloudChannel, CloudLine, CloudTarget
from bot.services.lines.registry import default_markups
from bot.services.orders import OrderService
from bot.services.pricing import Pricing
from bot.services.promos import PromoService
from bot.services.referrals import ReferralService
from bot.telegram.outbox import Outbox
from providers.cloud import CloudRechargeClient
from sandbox.cloud import DEMO_APP_ID, DEMO_APP_SECRET, CloudSimulator
from storage.admin_log import AdminLog
from storage.audit import audit_ledger
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import Order, OrderStore
from storage.settings import SettingsStore
from storage.users import CustomerStore
from tests.contract.conftest import FAST, NO_WAIT, serving
from tests.databases import fresh_database
from tests.heard import OPERATORS_CHAT, Heard

L = TypeVar("L", bound=Line)


@dataclass
class World:
    db: Database
    ledger: Ledger
    orders: OrderStore
    service: OrderService
    heard: Heard  # what the customers and operators are to be told
    promos: PromoService
    referrals: ReferralService


@asynccontextmanager
async def running(
    folder: Path,
    backend: str,
    make_line: Callable[[Pricing], L],
    *,
    balances: Mapping[int, int],
) -> AsyncIterator[tuple[World, L]]:
    """The line (made with the shop's pricing) behind an order service, customers with
    `balances`; on leaving, the line is closed and the ledger must pass its audit."""
    async with fresh_database(backend, folder) as db:
        line = make_line(Pricing(SettingsStore(db), default_markups()))
        ledger, orders = Ledger(db), OrderStore(db)
        outbox = Outbox(db, OPERATORS_CHAT)
        promos = PromoService(db, ledger, orders, AdminLog(db), outbox)
        referrals = ReferralService(
            db, ledger, SettingsStore(db), outbox, AdminLog(db), [line.product]
        )
        service = OrderService(
            db, ledger, orders, {line.product: line}, outbox, followers=[promos, referrals]
        )
        line.bind(service.report, service.find)
        world = World(db, ledger, orders, service, Heard(outbox), promos, referrals)
        customers = CustomerStore(db)
        for user, amount in balances.items():
            await customers.register(user, username=None, first_name="C", language="en")
            await ledger.credit(user, amount, key=f"deposit-{user}")
        try:
            yield world, line
        finally:
            await line.close()
            report = await audit_ledger(db)
            assert report.ok, report.problems


CLOUD_USD = 1_000_000


@dataclass
class CloudShop:
    """The order engine with the cloud line against its simulator: for tests of what follows an
    order's money (promo codes, referral rewards)."""

    world: World
    line: CloudLine

    async def quote(self, user: int, uid: str = "200000000000") -> Order:
        """10 USD to a Tencent account: 10.50 at the 5 % markup."""
        target = await self.line.find(CloudChannel.TENCENT, uid)
        assert isinstance(target, CloudTarget)
        quote = await self.line.quote(target, 10 * CLOUD_USD)
        return await self.world.service.open_quote(user, "cloud", quote.for_order)

    async def wallet(self, user: int) -> int:
        return (await self.world.ledger.balance(user)).available


@asynccontextmanager
async def cloud_shop(
    folder: Path, backend: str, *, balances: Mapping[int, int]
) -> AsyncIterator[CloudShop]:
    async with serving(CloudSimulator()) as base:
        client = CloudRechargeClient(
            base, DEMO_APP_ID, DEMO_APP_SECRET, timeouts=FAST, retry=NO_WAIT
        )

        def make(pricing: Pricing) -> CloudLine:
            return CloudLine(client, pricing, repay_after=timedelta(0))

        async with running(folder, backend, make, balances=balances) as (world, line):
            yield CloudShop(world, line)
