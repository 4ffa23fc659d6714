"""The job that removes quotes nobody confirmed, a while after their price expired.

Every price a customer is shown is an order in `quoted` (about 650 bytes with its event), and it
stays as `cancelled` once replaced, left or found expired: without this job the orders table grows
with every look at a price. A quote is kept for `QUOTES_KEPT` after it expired, so that a customer
who comes back to it (Confirm on an expired quote prices it again; Back to order after a top-up)
still finds it; after that its button is out of date. Orders past the quote, their money and
their history are never touched.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.jobs import Runs, run_every
from storage.database import as_stored
from storage.orders import OrderStore

log = logging.getLogger(__name__)

# Longer than the longest top-up request a quote's "Top up" button opens (DEPOSIT_REQUEST_MINUTES
# is at most a day), so a deposit's "Back to order" still finds the quote.
QUOTES_KEPT = timedelta(days=2)
EVERY = timedelta(hours=1)
BATCH = 500  # quotes removed per write transaction: other writers wait for no more than that


class OldQuotes:
    def __init__(self, orders: OrderStore, *, kept: timedelta = QUOTES_KEPT) -> None:
        self._orders = orders
        self._kept = kept

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        # At start-up too: a shop restarted often still sweeps.
        run_every(scheduler, self.remove, EVERY, "remove-old-quotes", runs=Runs.ON_LEADER)

    async def remove(self, *, now: datetime | None = None) -> int:
        """Remove every quote nobody confirmed that expired more than `kept` ago; how many."""
        expired_before = as_stored((now or datetime.now(UTC)) - self._kept)
        removed = 0
        while batch := await self._orders.remove_unconfirmed_quotes(expired_before, limit=BATCH):
            removed += batch
        if removed:
            log.info(
                "removed %d quotes nobody confirmed, expired before %s", removed, expired_before
            )
        return removed
