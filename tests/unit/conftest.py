from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore
from tests.databases import BACKENDS, fresh_database


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


@pytest_asyncio.fixture(params=BACKENDS)
async def books(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Books]:
    """On SQLite and on PostgreSQL: every test that takes it runs on both."""
    async with fresh_database(request.param, tmp_path, "ledger") as db:
        yield Books(db)


class SqliteBooks(Books):
    db: SqliteDatabase


@pytest_asyncio.fixture
async def sqlite_books(tmp_path: Path) -> AsyncIterator[SqliteBooks]:
    """For what only SQLite has: a file to copy, check and restore."""
    async with SqliteDatabase(tmp_path / "ledger.sqlite3") as db:
        yield SqliteBooks(db)
