"""The order engine with one product line on a fresh database: what every integration test of a
line starts from, and the ledger audit every one of them ends with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.services.lines.base import Line
from bot.services.lines.registry import default_markups
from bot.services.orders import OrderService
from bot.services.pricing import Pricing
from bot.services.promos import PromoService
from bot.telegram.outbox import Outbox
from storage.admin_log import AdminLog
from storage.audit import audit_ledger
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.settings import SettingsStore
from storage.users import CustomerStore
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
        promos = PromoService(db, ledger, orders, AdminLog(db))
        service = OrderService(db, ledger, orders, {line.product: line}, outbox, followers=[promos])
        line.bind(service.report, service.find)
        world = World(db, ledger, orders, service, Heard(outbox), promos)
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
