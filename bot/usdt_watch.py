"""The job that finds USDT deposits: confirmed TRC20 transfers of USDT to DEPOSIT_ADDRESS, read
from a TronGrid-style API every DEPOSIT_CHECK_EVERY_SECONDS, each credited once (`bot.deposits`).

Each check reads every transfer since the oldest moment a request could still be paid, or since a
little before the newest transfer it has seen if that is older (the shop was down): a transfer is
listed only once confirmed, with the time it was sent. Reading one twice is harmless, since a
payment's reference is credited once. Unconfirmed transfers are not asked for, so one counts once
confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.deposits import Deposits
from providers.trongrid import USDT_CONTRACT, TronGridClient
from storage.deposits import Payment

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=10)
MARK = "usdt-newest-transfer-ms"
USDT_DECIMALS = 6  # as the shop's micro-units

Notify = Callable[[Payment], Awaitable[None]]


class UsdtWatch:
    def __init__(
        self,
        client: TronGridClient,
        address: str,
        deposits: Deposits,
        *,
        every: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.address = address
        self._deposits = deposits
        self._every = every
        self._clock = clock
        self.on_unmatched: Notify | None = None  # ask the operators whose it is

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        scheduler.add_job(
            self.check,
            "interval",
            seconds=self._every.total_seconds(),
            next_run_time=self._clock(),
            id="watch-usdt-deposits",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )

    async def check(self) -> None:
        await self._deposits.expire_overdue()
        store = self._deposits.store
        newest = await store.mark(MARK)
        lookback = int(LOOKBACK.total_seconds() * 1000)
        # As far back as a request could still be paid (a transfer is listed once confirmed, with
        # the time it was sent), and further when the shop was down since the newest one seen.
        oldest = self._clock() - self._deposits.request_ttl
        since = int(oldest.timestamp() * 1000) - lookback
        if newest is not None:
            since = min(since, newest - lookback)
        reply = await self.client.incoming(self.address, USDT_CONTRACT, since)
        if reply.value is None:
            log.warning("reading USDT transfers failed: %s %s", reply.reason, reply.message)
            return
        for transfer in reply.value:
            if transfer.decimals != USDT_DECIMALS:
                log.error("USDT transfer %s has %s decimals", transfer.txid, transfer.decimals)
                continue
            taken = await self._deposits.take_usdt(
                transfer.txid, transfer.amount, transfer.sender, transfer.block_timestamp_ms
            )
            newest = max(newest or 0, transfer.block_timestamp_ms)
            if not taken.seen_before and not taken.credited_now:
                await self._ask_operators(taken.payment)
        if newest is not None:  # never past now: a timestamp from the future would hide the rest
            now_ms = int(self._clock().timestamp() * 1000)
            await store.set_mark(MARK, min(newest, now_ms))

    async def _ask_operators(self, payment: Payment) -> None:
        if self.on_unmatched is None:
            return
        try:
            await self.on_unmatched(payment)
        except Exception:  # the payment is recorded; the card is only news
            log.exception("telling the operators about payment %s failed", payment.id)
