"""Which shop process is the leader: the one that runs the singleton jobs.

Several shop processes (replicas) may share one PostgreSQL database. Work that is a queue (the
outbox, orders to follow up, broadcast deliveries) is shared, each item claimed by one of them;
work that must run once (the USDT watch, the upstream watch and its alerts, the Stars history
check, backups) runs only on the leader: the process holding the `leader` lease
(`storage/leases.py`).

Every process asks for the lease every `renew_every` (a third of LEADER_LEASE_SECONDS): the
leader renews it, the others take it once it has expired. A leader that cannot renew it (the
database is out of reach, the process stalled) stops counting itself the leader when the lease
it last renewed runs out, by its own monotonic clock counted from *before* it asked, so never
after the database would let another take it. A leader that dies is replaced within
LEADER_LEASE_SECONDS plus one `renew_every`; one that stops cleanly releases the lease, and the
next process to ask takes it at once.

On SQLite only one shop process runs (the process lock), and it is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from bot.services.metrics import LEADER
from storage.database import Database
from storage.leases import LEADER as LEADER_LEASE
from storage.leases import Leases

log = logging.getLogger(__name__)


class Leadership:
    """Whether this process is the leader now (`is_leader`), kept up by `keep()`."""

    def __init__(
        self,
        leases: Leases | None,
        *,
        lease_seconds: float = 15.0,
        renew_every: float | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`leases` None: the only process there is (SQLite), always the leader."""
        self._leases = leases
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every if renew_every is not None else lease_seconds / 3
        self._monotonic = monotonic
        self._until = 0.0  # by `monotonic`: when the lease this process holds may have run out
        self._task: asyncio.Task[None] | None = None
        LEADER.set(1 if leases is None else 0)

    @classmethod
    def of(cls, db: Database, *, lease_seconds: float) -> Leadership:
        """The leadership of a process on `db`: the lease on a server database, always on
        SQLite."""
        return cls(Leases(db) if db.is_server else None, lease_seconds=lease_seconds)

    @property
    def holder(self) -> str:
        return "the only process" if self._leases is None else self._leases.holder

    @property
    def is_leader(self) -> bool:
        if self._leases is None:
            return True
        return self._monotonic() < self._until

    @property
    def failover_bound(self) -> float:
        """At most how long the singleton jobs go without a leader when the leader dies."""
        return self.lease_seconds + self.renew_every

    async def ask(self) -> bool:
        """Take or renew the lease once; returns whether this process is the leader now."""
        if self._leases is None:
            return True
        was = self.is_leader
        asked_at = self._monotonic()
        try:
            lease = await self._leases.take(LEADER_LEASE, self.lease_seconds)
        except Exception as trouble:  # the database: leader until what it holds runs out
            log.warning("leadership: the lease could not be renewed: %r", trouble)
            lease = None
            if self.is_leader:
                LEADER.set(1)
                return True
        if lease is not None:
            self._until = asked_at + self.lease_seconds
            await self._forget_dead_claims()
        else:
            self._until = 0.0
        now = self.is_leader
        LEADER.set(1 if now else 0)
        if now and not was:
            log.info("leadership: this process (%s) is the leader now", self._leases.holder)
        elif was and not now:
            log.warning(
                "leadership: this process (%s) is no longer the leader", self._leases.holder
            )
        return now

    async def _forget_dead_claims(self) -> None:
        """The leader's chore: claims that ran out (their process died holding them) are
        removed, so the table names only live holders."""
        assert self._leases is not None
        try:
            await self._leases.forget_expired()
        except Exception as trouble:  # the next renewal tries again
            log.warning("leadership: expired claims could not be removed: %r", trouble)

    async def keep(self) -> None:
        """Ask every `renew_every` until cancelled."""
        while True:
            await self.ask()
            await asyncio.sleep(self.renew_every)

    async def start(self) -> None:
        """Ask once now (a process that finds no leader leads from its first job), then keep
        asking in the background."""
        if self._leases is None or self._task is not None:
            return
        await self.ask()
        self._task = asyncio.create_task(self.keep(), name="leadership")

    async def stop(self) -> None:
        """Stop asking, and give the lease up if this process holds it, so that another takes
        over at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._leases is None:
            return
        leading, self._until = self.is_leader, 0.0
        LEADER.set(0)
        if leading:
            try:
                await self._leases.release(LEADER_LEASE)
            except Exception as trouble:  # it runs out by itself
                log.warning("leadership: the lease could not be released: %r", trouble)
