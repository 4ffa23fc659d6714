from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.users import CustomerStore


class Books:
    """A fresh ledger with its database and the stores it leans on."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.ledger = Ledger(db)
        self.orders = OrderStore(db)
        self.customers = CustomerStore(db)

    async def customer(self, user_id: int) -> int:
        await self.customers.register(user_id, username=None, first_name="C", language="en")
        return user_id

    async def order(self, order_id: str, user_id: int, charge: int) -> str:
        await self.orders.create(order_id, user_id=user_id, product="cloud", charge=charge)
        return order_id

    async def count(self, table: str) -> int:
        return int(await self.db.fetch_value(f"SELECT COUNT(*) FROM {table}"))


@pytest_asyncio.fixture
async def books(tmp_path: Path) -> AsyncIterator[Books]:
    async with Database(tmp_path / "ledger.sqlite3") as db:
        yield Books(db)
