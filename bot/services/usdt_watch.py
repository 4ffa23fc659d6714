"""The job that finds USDT deposits: confirmed TRC20 transfers of USDT to DEPOSIT_ADDRESS, read
from a TronGrid-style API every DEPOSIT_CHECK_EVERY_SECONDS, each credited once
(`bot.services.deposits.usdt`). A transfer left to the operators is recorded with their card, in
the transaction that takes it.

Each check reads every transfer since the oldest moment a request could still be paid, or since a
little before the newest transfer it has seen if that is older (the shop was down): a transfer is
listed only once confirmed, with the time it was sent. Reading one twice is harmless, since a
payment's reference is credited once. Unconfirmed transfers are not asked for, so one counts once
confirmed.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.deposits import Deposits
from bot.services.jobs import Runs, run_every
from providers.trongrid import TRUNCATED, USDT_CONTRACT, Trc20Transfer, TronGridClient

log = logging.getLogger(__name__)

LOOKBACK = timedelta(minutes=10)
MARK = "usdt-newest-transfer-ms"
MAX_ROUNDS = 5  # listings read in one check when each comes back truncated
USDT_DECIMALS = 6  # as the shop's micro-units


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
        # The start of the last check that read the transfers to their end: every transfer
        # confirmed before it has been seen. Until the first such check, the process's start.
        self._read_through = clock()

    def lag(self) -> timedelta:
        """How far behind the chain the watch is: the time since the moment up to which its
        last complete read saw every transfer."""
        return max(timedelta(0), self._clock() - self._read_through)

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        run_every(scheduler, self.check, self._every, "watch-usdt-deposits", runs=Runs.ON_LEADER)

    async def check(self) -> None:
        reading_from = self._clock()
        await self._deposits.requests.expire_overdue()
        store = self._deposits.store
        newest = await store.mark(MARK)
        lookback = int(LOOKBACK.total_seconds() * 1000)
        # As far back as a request could still be paid (a transfer is listed once confirmed, with
        # the time it was sent), and further when the shop was down since the newest one seen.
        oldest = self._clock() - self._deposits.request_ttl
        since = int(oldest.timestamp() * 1000) - lookback
        if newest is not None:
            since = min(since, newest - lookback)
        for _ in range(MAX_ROUNDS):  # a truncated listing goes on from where it stopped
            reply = await self.client.incoming(self.address, USDT_CONTRACT, since)
            if reply.value is None:
                log.warning("reading USDT transfers failed: %s %s", reply.reason, reply.message)
                break
            newest = await self._take_all(reply.value, newest)
            if newest is not None:  # never past now: a future timestamp would hide the rest
                now_ms = int(self._clock().timestamp() * 1000)
                await store.set_mark(MARK, min(newest, now_ms))
            if reply.reason != TRUNCATED or not reply.value:
                self._read_through = reading_from  # read to the end
                break
            since = reply.value[-1].block_timestamp_ms

    async def _take_all(self, transfers: list[Trc20Transfer], newest: int | None) -> int | None:
        """Each transfer on its own: one that cannot be taken (a zero-value transfer sent to
        poison the address book, a database error) is logged and skipped, never holding back the
        others. Returns the newest block time seen."""
        occurrences: Counter[str] = Counter()
        for transfer in transfers:
            occurrences[transfer.txid] += 1
            newest = max(newest or 0, transfer.block_timestamp_ms)
            if transfer.decimals != USDT_DECIMALS or transfer.amount <= 0:
                log.info(
                    "USDT transfer %s skipped: %s units, %s decimals",
                    transfer.txid,
                    transfer.amount,
                    transfer.decimals,
                )
                continue
            # A contract can make several transfers in one transaction: each is its own payment.
            n = occurrences[transfer.txid]
            txid = transfer.txid if n == 1 else f"{transfer.txid}:{n}"
            try:
                await self._deposits.usdt.take(
                    txid, transfer.amount, transfer.sender, transfer.block_timestamp_ms
                )
            except Exception:
                log.exception("USDT transfer %s could not be taken", txid)
        return newest
