"""The job that follows up every order upstream has not settled yet.

Each run asks upstream about the orders that are due: a submitted or unknown one is asked about
(the product line's `query`), and one still unsettled after the service's review age goes to
needs_review with an alert. Orders in review are still asked about: upstream may give a definite
answer before an operator acts. A confirmed order is normally being sent by the customer's own
conversation at that very moment, so it is sent from here only when it was left behind: confirmed
before this process started (a crash or restart), or still unsent after `orphan_after`. Each order
backs off on its own (first check soon, then doubling up to `max_delay`), so a slow upstream is not
hammered.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.jobs import Runs, run_every
from bot.services.log_context import working_on_order
from bot.services.orders import OrderService
from storage.orders import Order, OrderStatus

log = logging.getLogger(__name__)


class Reconciler:
    def __init__(
        self,
        service: OrderService,
        *,
        every: timedelta = timedelta(seconds=15),
        first_delay: timedelta = timedelta(seconds=10),
        max_delay: timedelta = timedelta(minutes=10),
        orphan_after: timedelta = timedelta(minutes=1),
        started_at: datetime | None = None,
    ) -> None:
        self._service = service
        self._orphan_after = orphan_after
        self._started_at = started_at or datetime.now(UTC)
        self._every = every
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._next_check: dict[str, datetime] = {}
        self._attempts: dict[str, int] = {}

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        # At start-up too: resume every unfinished order.
        run_every(scheduler, self.run_once, self._every, "reconcile-orders", runs=Runs.EVERYWHERE)

    async def run_once(self, *, now: datetime | None = None) -> list[Order]:
        """Follow up every order that is due; returns them as they stand afterwards."""
        moment = now or datetime.now(UTC)
        followed: list[Order] = []
        for order in await self._service.unsettled():
            if self._next_check.get(order.id, moment) > moment:
                continue
            if order.status == OrderStatus.CONFIRMED and not self._left_behind(order, moment):
                continue
            with working_on_order(order.id):
                try:
                    current = await self._service.reconcile(order.id)
                except Exception:  # one order's trouble must not stop the others
                    log.exception("reconciling order %s failed", order.id)
                    current = order
            followed.append(current)
            if current.is_terminal:
                self._forget(order.id)
            else:
                self._back_off(order.id, moment)
        return followed

    def _left_behind(self, order: Order, moment: datetime) -> bool:
        confirmed_at = datetime.fromisoformat(order.updated_at.replace("Z", "+00:00"))
        return confirmed_at < self._started_at or moment - confirmed_at >= self._orphan_after

    def _back_off(self, order_id: str, moment: datetime) -> None:
        attempts = self._attempts.get(order_id, 0)
        delay = min(self._first_delay * 2**attempts, self._max_delay)
        self._attempts[order_id] = attempts + 1
        self._next_check[order_id] = moment + delay

    def _forget(self, order_id: str) -> None:
        self._attempts.pop(order_id, None)
        self._next_check.pop(order_id, None)
