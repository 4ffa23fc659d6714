"""Sending one message to every customer: within Telegram's limits, cancellable, and resumed after a
restart without sending to anyone twice.

Deliveries go one at a time, evenly paced under `MESSAGES_PER_SECOND` across all broadcasts. Each
is recorded before and after it goes out (see `storage.broadcasts`). A 429 is waited out (by the
session's `WaitOutFloodControl`, and here if it gives up), a customer who blocked the bot is skipped
and remembered, and an answer that never came is counted as unsure rather than sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)

from storage.broadcasts import Broadcast, BroadcastStatus, BroadcastStore, Delivery, Tally

log = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 24  # Telegram's guidance is about 30 a second; stay under 25
PROGRESS_EVERY = 2.0  # seconds between updates of the operators' progress message
STOP_WAIT = 10.0  # seconds a shutdown waits for the send under way
BATCH = 100  # pending deliveries read at a time


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    tally: Tally
    resumed: bool  # picked up again after a restart
    paused: bool = False  # the shop is stopping; it goes on after the next start


ShowProgress = Callable[[Progress], Awaitable[None]]


class Pace:
    """Evenly spaced turns, at most `per_second` of them in any second."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def turn(self) -> None:
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self._interval


class Broadcaster:
    def __init__(
        self,
        store: BroadcastStore,
        *,
        per_second: float = MESSAGES_PER_SECOND,
        progress_every: float = PROGRESS_EVERY,
    ) -> None:
        self._store = store
        self._pace = Pace(per_second)
        self._progress_every = progress_every
        self._bot: Bot | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._cancelled: set[int] = set()
        self._stopping = asyncio.Event()
        self.show_progress: ShowProgress | None = None

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    async def begin(
        self, admin_id: int, source: tuple[int, int], progress: tuple[int, int]
    ) -> Broadcast | None:
        """Start sending message `source` (chat id, message id) to every customer, showing the
        progress in message `progress`; None if that message was broadcast already."""
        broadcast = await self._store.create(admin_id, source, progress)
        if broadcast is not None:
            self._launch(broadcast, resumed=False)
        return broadcast

    async def resume(self) -> list[Broadcast]:
        """At start-up: every broadcast a stop interrupted goes on where it was."""
        running = await self._store.running()
        for broadcast in running:
            unsure = await self._store.give_up_interrupted(broadcast.id)
            if unsure:
                log.warning(
                    "broadcast %s: %s deliveries unsure after a crash", broadcast.id, unsure
                )
            self._launch(broadcast, resumed=True)
        return running

    async def cancel(self, broadcast_id: int, admin_id: int) -> bool:
        """Stop a running broadcast after the send under way; False if it had already ended."""
        if not await self._store.end(broadcast_id, BroadcastStatus.CANCELLED, by=admin_id):
            return False
        self._cancelled.add(broadcast_id)
        if broadcast_id not in self._tasks:  # nothing left to report it: do it here
            await self._show(broadcast_id, resumed=False)
        return True

    async def stop(self) -> None:
        """At shutdown: each broadcast records the send under way and pauses until the next
        start."""
        self._stopping.set()
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=STOP_WAIT)
        for task in late:  # a send still unanswered stays `sending`: unsure at the next start
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*late, return_exceptions=True)

    def _launch(self, broadcast: Broadcast, *, resumed: bool) -> None:
        task = asyncio.create_task(self._run(broadcast, resumed), name=f"broadcast-{broadcast.id}")
        self._tasks[broadcast.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(broadcast.id, None))

    def _halted(self, broadcast_id: int) -> bool:
        return self._stopping.is_set() or broadcast_id in self._cancelled

    async def _run(self, broadcast: Broadcast, resumed: bool) -> None:
        try:
            await self._show(broadcast.id, resumed=resumed)
            shown = time.monotonic()
            stopped_because: str | None = None
            while stopped_because is None and not self._halted(broadcast.id):
                batch = await self._store.pending(broadcast.id, limit=BATCH)
                if not batch:
                    await self._store.end(broadcast.id, BroadcastStatus.FINISHED)
                    break
                for user_id in batch:
                    if self._halted(broadcast.id):
                        break
                    stopped_because = await self._deliver(broadcast, user_id)
                    if stopped_because is not None:
                        await self._store.end(
                            broadcast.id, BroadcastStatus.STOPPED, note=stopped_because
                        )
                        break
                    if time.monotonic() - shown >= self._progress_every:
                        await self._show(broadcast.id, resumed=resumed)
                        shown = time.monotonic()
            await self._show(broadcast.id, resumed=resumed, paused=self._stopping.is_set())
        except Exception:  # the broadcast stays running and resumes at the next start
            log.exception("broadcast %s failed", broadcast.id)

    async def _deliver(self, broadcast: Broadcast, user_id: int) -> str | None:
        """Send to one customer. Returns why the whole broadcast must stop, if it must."""
        if self._bot is None:
            raise RuntimeError("the broadcaster has no bot attached")
        if not await self._store.start_sending(broadcast.id, user_id):
            return None
        while True:
            await self._pace.turn()
            try:
                await self._bot.copy_message(
                    chat_id=user_id,
                    from_chat_id=broadcast.source_chat_id,
                    message_id=broadcast.source_message_id,
                )
            except TelegramRetryAfter as flood:  # still refused after the session's waits
                if await self._wait_unless_stopping(flood.retry_after):
                    continue
                await self._store.finish_sending(broadcast.id, user_id, Delivery.PENDING)
                return None
            except TelegramForbiddenError as refused:  # blocked the bot, or deleted the account
                outcome, detail = Delivery.BLOCKED, refused.message
            except TelegramBadRequest as refused:
                if "copy" in refused.message.lower():  # the message itself is gone
                    await self._store.finish_sending(broadcast.id, user_id, Delivery.PENDING)
                    return f"the message can no longer be copied ({refused.message})"
                outcome, detail = Delivery.FAILED, refused.message
            except TelegramNetworkError as lost:  # it may have arrived: never send it again
                outcome, detail = Delivery.UNSURE, lost.message
            except TelegramAPIError as refused:
                outcome, detail = Delivery.FAILED, refused.message
            else:
                outcome, detail = Delivery.SENT, ""
            await self._store.finish_sending(broadcast.id, user_id, outcome, detail)
            return None

    async def _wait_unless_stopping(self, seconds: float) -> bool:
        """Sleep `seconds`; False if the shop began stopping meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return not self._stopping.is_set()

    async def _show(self, broadcast_id: int, *, resumed: bool, paused: bool = False) -> None:
        if self.show_progress is None:
            return
        broadcast = await self._store.get(broadcast_id)
        if broadcast is None:
            return
        tally = await self._store.tally(broadcast_id)
        try:
            await self.show_progress(Progress(broadcast, tally, resumed, paused))
        except TelegramAPIError as exc:  # the progress is only a view: sending goes on
            log.warning("broadcast %s: progress not shown: %s", broadcast_id, exc)
