"""The demo shop as the playground sees it: its records, read from the database the demo's bot
writes, handed over as the playground's plain data (the sandbox imports nothing of the shop)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bot.wiring.demo_offers import OFFER_SAMPLES
from sandbox.playground.shop_view import WaitingDeposit
from sandbox.upstreams import Sample
from storage.database import utc_now
from storage.deposits import DepositStore, Method
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore


class StoredShopView:
    """A `ShopView` on the shop's database file: a connection of its own beside the bot's, open
    from `open()` to `close()`."""

    def __init__(self, database: Path) -> None:
        self._db = SqliteDatabase(database)
        self._deposits = DepositStore(self._db)
        self._customers = CustomerStore(self._db)

    async def open(self) -> None:
        await self._db.open()

    async def close(self) -> None:
        await self._db.close()

    def try_these(self) -> Sequence[Sample]:
        return OFFER_SAMPLES

    async def waiting_deposits(self, limit: int) -> list[WaitingDeposit]:
        waiting = []
        for request in await self._deposits.open_requests(Method.USDT, utc_now(), limit=limit):
            customer = await self._customers.get(request.user_id)
            waiting.append(
                WaitingDeposit(
                    id=request.id,
                    customer=customer.first_name if customer else str(request.user_id),
                    pay_amount=request.pay_amount,
                    expires_at=request.expires_at,
                )
            )
        return waiting
