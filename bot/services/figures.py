"""What operators ask of the shop's books: its figures over a period (`/stats`) and its orders and
ledger as CSV (`/export`). Built once with the shop, so no conversation builds a store itself."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from storage.database import Database, as_stored
from storage.exports import ExportStore
from storage.figures import Figures, FigureStore, Standing, StandingStore

Export = Literal["orders", "ledger"]


class OperatorFigures:
    def __init__(self, db: Database) -> None:
        self._figures = FigureStore(db)
        self._exports = ExportStore(db)
        self._standing = StandingStore(db)

    async def since(self, start: datetime) -> Figures:
        """Everything that happened at or after `start` (UTC)."""
        return await self._figures.since(as_stored(start))

    async def standing(self) -> Standing:
        """Where the books stand now: orders by line and status, open holds, what customers
        hold, deposits credited (for /metrics)."""
        return await self._standing.now()

    async def export(self, what: Export, since: datetime) -> tuple[int, bytes]:
        """The placed orders, or every ledger entry, at or after `since` (UTC); (rows, CSV)."""
        moment = as_stored(since)
        if what == "orders":
            return await self._exports.orders(moment)
        return await self._exports.ledger(moment)
