"""Each Telegram update handled once in webhook mode, whatever Telegram delivers again.

Telegram delivers an update again when it did not get a 2xx answer in time: the answer was lost,
the handler took longer than Telegram waits, or the bot stopped between handling the update and
answering. The update keeps its `update_id`. So an update is recorded as handled once its handler
ended, before the answer goes out, and a delivery of an id already recorded is answered at once
without being handled; one that arrives while the first is still being handled waits for it, then
gets the same empty answer.

The record must outlive the process (a delivery again after a restart), so it is a table
(`storage.webhook_updates`), written in groups: the updates that finish while one write is under
way share the next write, one commit for many under load. The ids recorded by this process are
also kept in memory (at most MEMORY of them), and the table is only asked about an id at or below
`floor`: the highest id recorded before this process started, or the highest one let go from
memory. Telegram numbers updates upwards, so a new update almost never costs a read. Several
replicas on one database (PostgreSQL) each see only some updates, and an update delivered again may
reach another replica than the one that handled it: there the table is asked about every id not in
memory.

Where replicas share the database, an update delivered again (its answer was late) may reach a
replica while another is still handling it: each replica claims an update before handling it
(`webhook_claims`, for CLAIM_SECONDS), and one that finds it claimed waits until it is recorded,
or until the claim runs out (its holder was killed) and takes it over.

An update cut short at shutdown (cancelled) is not recorded: Telegram did not get its answer and
delivers it again after the restart, as polling does with updates it did not confirm.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable

from storage.webhook_updates import HandledUpdates

log = logging.getLogger(__name__)

MEMORY = 10_000  # update ids of this process kept in memory; older ones are read from the table
# How long a replica's claim on an update it handles lasts past its last renewal (renewed every
# third of it while the update is in hand): how long an update a killed replica had in hand waits.
CLAIM_SECONDS = 30
CLAIM_POLL_SECONDS = 0.2  # how often a replica waiting on another's claim looks again


class HandledOnce:
    def __init__(
        self,
        store: HandledUpdates,
        *,
        memory: int = MEMORY,
        clock: Callable[[], float] = time.time,
        claim_seconds: int = CLAIM_SECONDS,
    ) -> None:
        self._store = store
        self._claim_seconds = claim_seconds
        self._memory = memory
        self._clock = clock
        self._recent: set[int] = set()
        self._floor = 0  # ids at or below it are looked up in the table
        self._in_hand: dict[int, asyncio.Event] = {}
        self._pending: list[int] = []
        self._batch: asyncio.Future[None] | None = None
        self._writing = asyncio.Lock()
        self._writes: set[asyncio.Task[None]] = set()
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    async def open(self) -> None:
        self._floor = await self._store.newest() or 0

    async def close(self) -> None:
        """Wait for the writes under way."""
        while self._writes:
            await asyncio.wait(set(self._writes))

    @contextlib.asynccontextmanager
    async def first_time(self, update_id: int) -> AsyncIterator[bool]:
        """True when update `update_id` is to be handled in the block: it was never handled
        before. It is recorded when the block ends without being cancelled; the block's exit
        waits for the record to be written."""
        while (earlier := self._in_hand.get(update_id)) is not None:
            await earlier.wait()
        done = self._in_hand[update_id] = asyncio.Event()
        keeping: asyncio.Task[None] | None = None
        try:
            first = not await self.handled(update_id)
            if first and self._store.shared and await self._claim(update_id):
                keeping = asyncio.create_task(self._keep_claim(update_id))
            elif first and self._store.shared:
                first = False
            if not first:
                yield False
                return
            yield True
            self._remember(update_id)
            await asyncio.shield(self._write(update_id))
        finally:
            if keeping is not None:
                keeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeping
                await asyncio.shield(self._let_go(update_id))
            del self._in_hand[update_id]
            done.set()

    async def _claim(self, update_id: int) -> bool:
        """Claim the update for this replica: True once claimed, False once another replica
        recorded it as handled."""
        # Another replica's claim ends in a row changing in the database, which no event here
        # tells of: looked at again every CLAIM_POLL_SECONDS.
        for attempt in itertools.count():
            if attempt:
                await asyncio.sleep(CLAIM_POLL_SECONDS)
            if await self._store.claim(update_id, self._holder, self._claim_seconds):
                break
        # Its holder records an update before it lets go of it: one handled while this replica
        # waited is in the table now.
        if await self._store.contains(update_id, int(self._clock())):
            await self._let_go(update_id)
            self._remember(update_id)
            return False
        return True

    async def _keep_claim(self, update_id: int) -> None:
        """Renew the claim while the update is in hand (it may wait long for its chat's turn):
        it runs out only CLAIM_SECONDS after this replica stopped renewing it, killed."""
        while True:
            await asyncio.sleep(self._claim_seconds / 3)
            try:
                await self._store.claim(update_id, self._holder, self._claim_seconds)
            except Exception:  # tried again at the next turn; the claim outlives one miss
                log.warning("webhook: could not renew update %s's claim", update_id, exc_info=True)

    async def _let_go(self, update_id: int) -> None:
        try:
            await self._store.let_go(update_id, self._holder)
        except Exception:  # the claim runs out by itself
            log.warning("webhook: could not let go of update %s's claim", update_id, exc_info=True)

    async def handled(self, update_id: int) -> bool:
        if update_id in self._recent:
            return True
        if update_id > self._floor and not self._store.shared:
            return False
        return await self._store.contains(update_id, int(self._clock()))

    def _remember(self, update_id: int) -> None:
        self._recent.add(update_id)
        if len(self._recent) > self._memory:
            kept = sorted(self._recent)
            let_go = kept[: len(kept) // 2]
            self._floor = max(self._floor, let_go[-1])
            self._recent = set(kept[len(kept) // 2 :])

    def _write(self, update_id: int) -> asyncio.Future[None]:
        """Join the next group write; its future resolves once the group is committed."""
        self._pending.append(update_id)
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(self._write_group(self._batch))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
        return self._batch

    async def _write_group(self, batch: asyncio.Future[None]) -> None:
        async with self._writing:  # the ids arriving meanwhile join this group
            ids, self._pending, self._batch = self._pending, [], None
            try:
                await self._store.record(ids, int(self._clock()))
            except Exception as failed:  # each waiting request fails with it: no 200 goes out
                batch.set_exception(failed)
            else:
                batch.set_result(None)
