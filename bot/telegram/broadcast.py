"""Sending one message to every customer of an audience, with buttons under each copy, at once or
from a chosen time: within Telegram's limits, cancellable, and resumed after a restart without
sending to anyone twice (a broadcast held back waits, across restarts, until its time).

Deliveries go one at a time, evenly paced under `MESSAGES_PER_SECOND` across all broadcasts. Each
is recorded before and after it goes out (see `storage.broadcasts`).

- A 429 is waited out here (the broadcaster's bot has no flood middleware), so Cancel and shutdown
  cut the wait short; the customer is then still to be sent to.
- A connection that could not be made sent nothing: the same customer is tried again after a
  growing pause, so an outage never runs through the list.
- A customer who blocked the bot is skipped and remembered.
- An answer that never came (a timeout, a dropped connection, a server error) may hide a delivered
  copy: that customer is counted as unsure and never sent to again, and the next send waits a
  growing pause.

Several shop processes on one database (PostgreSQL): a broadcast is claimed as a whole by the
process that sends it (a lease `broadcast:<id>`, renewed before every copy), because Telegram's
pace is the bot's, not a process's: two processes sharing one broadcast would send twice as
fast. Each delivery is still marked `sending` by a compare-and-set before its copy goes out, so
no customer gets one twice whatever happens. The leader picks up every running broadcast nobody
holds (its process stopped or died: `resume`, a job); a process that finds its claim taken stops
sending it at once, and a broadcast cancelled on another process stops within a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from aiohttp import ClientConnectorError

from bot.telegram.link import BotLink
from bot.telegram.notify import Messenger
from storage.broadcasts import (
    Audience,
    Broadcast,
    BroadcastStatus,
    BroadcastStore,
    Delivery,
    Tally,
)
from storage.database import as_stored
from storage.leases import Leases

log = logging.getLogger(__name__)

MESSAGES_PER_SECOND = 24  # Telegram's guidance is about 30 a second; stay under 25
PROGRESS_EVERY = 5.0  # seconds between updates of the operators' progress message
STOP_WAIT = 10.0  # seconds a shutdown waits for the send under way
BATCH = 100  # pending deliveries read at a time
LONGEST_PAUSE = 30.0  # seconds, after trouble reaching Telegram
# How long a process's claim on a broadcast lasts unrenewed: longer than any one copy takes with
# its waits (a 429's retry_after, LONGEST_PAUSE), so a live sender never loses it.
CLAIM_SECONDS = 120.0


def _buttons(broadcast: Broadcast) -> InlineKeyboardMarkup | None:
    return (
        None
        if not broadcast.buttons
        else InlineKeyboardMarkup.model_validate_json(broadcast.buttons)
    )


def _pause_after(troubles: int) -> float:
    """1, 2, 4 … seconds after consecutive troubles, up to LONGEST_PAUSE."""
    return min(LONGEST_PAUSE, 2.0 ** (troubles - 1))


@dataclass(frozen=True)
class Progress:
    broadcast: Broadcast
    tally: Tally
    resumed: bool  # picked up again after a restart
    paused: bool = False  # the shop is stopping; it goes on after the next start


class ProgressView(Protocol):
    """Where the operators follow a broadcast."""

    async def show(self, progress: Progress) -> None:
        """Show how far the broadcast is; raises if it cannot (sending goes on regardless)."""
        ...


DescribeProgress = Callable[[Progress], tuple[str, InlineKeyboardMarkup | None]]
"""A broadcast's progress as the operators read it: HTML text, and its buttons."""


class ProgressMessage:
    """The progress shown in the operators' message each broadcast names, worded by
    `describe`."""

    def __init__(self, messenger: Messenger, describe: DescribeProgress) -> None:
        self._messenger = messenger
        self._describe = describe

    async def show(self, progress: Progress) -> None:
        text, markup = self._describe(progress)
        broadcast = progress.broadcast
        await self._messenger.edit(
            broadcast.progress_chat_id, broadcast.progress_message_id, text, markup
        )


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
        link: BotLink,
        progress: ProgressView,
        *,
        per_second: float = MESSAGES_PER_SECOND,
        progress_every: float = PROGRESS_EVERY,
        claims: Leases | None = None,
    ) -> None:
        """Copies go out through the `link`'s bot whose session lets 429s through to us.
        `claims`: where this process claims the broadcasts it sends (by default the database's
        leases when it is shared by several processes; none on SQLite)."""
        self._store = store
        if claims is None and store.db.is_server:
            claims = Leases(store.db)
        self._claims = claims
        self._link = link
        self._progress = progress
        self._pace = Pace(per_second)
        self._progress_every = progress_every
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._halt: dict[int, asyncio.Event] = {}  # set by Cancel or by shutdown
        self._troubles: dict[int, int] = {}  # consecutive troubles reaching Telegram
        self._showing: dict[int, asyncio.Task[None]] = {}
        self._stopping = False

    async def begin(
        self,
        admin_id: int,
        source: tuple[int, int],
        progress: tuple[int, int],
        *,
        audience: Audience | None = None,
        described: str = "",
        buttons: InlineKeyboardMarkup | None = None,
        send_at: datetime | None = None,
    ) -> Broadcast | None:
        """Start sending message `source` (chat id, message id) to the customers of `audience`
        (every one: None), with `buttons` under each copy, from `send_at` (at once: None),
        showing the progress in message `progress`; None if that message was broadcast
        already."""
        broadcast = await self._store.create(
            admin_id,
            source,
            progress,
            audience=audience,
            described=described,
            buttons="" if buttons is None else buttons.model_dump_json(exclude_none=True),
            send_at=None if send_at is None else as_stored(send_at),
        )
        if broadcast is not None and await self._claim(broadcast.id):
            self._launch(broadcast, resumed=False)
        return broadcast

    async def resume(self) -> list[Broadcast]:
        """At start-up, and on the leader every so often: every running broadcast no process
        sends (a stop or a crash interrupted it) goes on where it was, from here. Returns
        those."""
        resumed = []
        for broadcast in await self._store.running():
            if broadcast.id in self._tasks or self._stopping:
                continue
            if not await self._claim(broadcast.id):  # another process sends it
                continue
            unsure = await self._store.give_up_interrupted(broadcast.id)
            if unsure:
                log.warning(
                    "broadcast %s: %s deliveries unsure after a crash", broadcast.id, unsure
                )
            self._launch(broadcast, resumed=True)
            resumed.append(broadcast)
        return resumed

    async def _claim(self, broadcast_id: int) -> bool:
        """Claim (or keep) the broadcast for this process; False if another process has it."""
        if self._claims is None:
            return True
        return await self._claims.take(f"broadcast:{broadcast_id}", CLAIM_SECONDS) is not None

    async def _unclaim(self, broadcast_id: int) -> None:
        if self._claims is None:
            return
        try:
            await self._claims.release(f"broadcast:{broadcast_id}")
        except Exception as trouble:  # it runs out by itself
            log.warning("broadcast %s: its claim could not be given up: %r", broadcast_id, trouble)

    async def cancel(self, broadcast_id: int, admin_id: int) -> bool:
        """Stop a running broadcast after the send under way; False if it had already ended."""
        if not await self._store.end(broadcast_id, BroadcastStatus.CANCELLED, by=admin_id):
            return False
        self._halt_of(broadcast_id).set()
        if broadcast_id not in self._tasks:  # nothing left to report it: do it here
            await self._show(broadcast_id, resumed=False)
        return True

    async def stop(self) -> None:
        """At shutdown: each broadcast records the send under way and pauses until the next
        start."""
        self._stopping = True
        for halt in self._halt.values():
            halt.set()
        tasks = list(self._tasks.values())
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_WAIT)
            for task in late:  # a send still unanswered stays `sending`: unsure at the next start
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*late, return_exceptions=True)

    def _launch(self, broadcast: Broadcast, *, resumed: bool) -> None:
        task = asyncio.create_task(self._run(broadcast, resumed), name=f"broadcast-{broadcast.id}")
        self._tasks[broadcast.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(broadcast.id, None))

    def _halt_of(self, broadcast_id: int) -> asyncio.Event:
        halt = self._halt.get(broadcast_id)
        if halt is None:
            halt = self._halt[broadcast_id] = asyncio.Event()
            if self._stopping:
                halt.set()
        return halt

    def _halted(self, broadcast_id: int) -> bool:
        return self._halt_of(broadcast_id).is_set()

    async def _pause(self, broadcast_id: int, seconds: float) -> None:
        """Sleep `seconds`, or less if the broadcast is halted meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._halt_of(broadcast_id).wait(), seconds)

    async def _run(self, broadcast: Broadcast, resumed: bool) -> None:
        try:
            await self._send_all(broadcast, resumed)
        finally:
            await self._unclaim(broadcast.id)

    async def _still_ours(self, broadcast_id: int) -> bool:
        """Whether this process still sends the broadcast (its claim renewed); if not, it halts
        here, and another process goes on with it."""
        if await self._claim(broadcast_id):
            return True
        log.warning("broadcast %s: another process sends it now", broadcast_id)
        self._halt_of(broadcast_id).set()
        return False

    async def _held_back(self, broadcast: Broadcast) -> None:
        """Until the broadcast's time (its claim kept meanwhile), or until it is halted."""
        if broadcast.send_at is None:
            return
        due = datetime.fromisoformat(broadcast.send_at.replace("Z", "+00:00"))
        while not self._halted(broadcast.id):
            left = (due - datetime.now(UTC)).total_seconds()
            if left <= 0 or not await self._still_ours(broadcast.id):
                return
            await self._pause(broadcast.id, min(left, CLAIM_SECONDS / 4))

    async def _send_all(self, broadcast: Broadcast, resumed: bool) -> None:
        await self._show(broadcast.id, resumed=resumed)
        await self._held_back(broadcast)
        shown = time.monotonic()
        while not self._halted(broadcast.id):
            try:
                current = await self._store.get(broadcast.id)
                if current is None or current.status != BroadcastStatus.RUNNING:
                    break  # cancelled, here or on another process
                batch = await self._store.pending(broadcast.id, limit=BATCH)
                if not batch:
                    await self._store.end(broadcast.id, BroadcastStatus.FINISHED)
                    break
                for user_id in batch:
                    if self._halted(broadcast.id) or not await self._still_ours(broadcast.id):
                        break
                    stop_because = await self._deliver(broadcast, user_id)
                    if stop_because is not None:
                        await self._store.end(
                            broadcast.id, BroadcastStatus.STOPPED, note=stop_because
                        )
                        self._halt_of(broadcast.id).set()
                        break
                    if time.monotonic() - shown >= self._progress_every:
                        self._show_soon(broadcast.id, resumed=resumed)
                        shown = time.monotonic()
            except Exception:  # e.g. the database: try again shortly, the records are intact
                log.exception("broadcast %s: sending failed, trying again", broadcast.id)
                await self._pause(broadcast.id, LONGEST_PAUSE)
        showing = self._showing.pop(broadcast.id, None)
        if showing is not None:
            await showing
        await self._show(broadcast.id, resumed=resumed, paused=self._stopping)

    async def _deliver(self, broadcast: Broadcast, user_id: int) -> str | None:
        """Send to one customer. Returns why the whole broadcast must stop, if it must."""
        bot = self._link.direct  # raises before anything is recorded, should there be none
        if not await self._store.start_sending(broadcast.id, user_id):
            return None
        while True:
            if self._halted(broadcast.id):  # nothing went out to this customer
                await self._store.finish_sending(broadcast.id, user_id, Delivery.PENDING)
                return None
            await self._pace.turn()
            try:
                await bot.copy_message(
                    chat_id=user_id,
                    from_chat_id=broadcast.source_chat_id,
                    message_id=broadcast.source_message_id,
                    reply_markup=_buttons(broadcast),
                )
            except TelegramRetryAfter as flood:  # refused, nothing sent
                await self._pause(broadcast.id, flood.retry_after)
                continue
            except TelegramNetworkError as lost:
                if isinstance(lost.__cause__, ClientConnectorError):  # it never left
                    await self._pause(broadcast.id, _pause_after(self._trouble(broadcast.id)))
                    continue
                outcome, detail = Delivery.UNSURE, lost.message
            except TelegramForbiddenError as refused:  # blocked the bot, or deleted the account
                outcome, detail = Delivery.BLOCKED, refused.message
            except TelegramBadRequest as refused:
                if "copy" in refused.message.lower():  # the message itself is gone
                    await self._store.finish_sending(broadcast.id, user_id, Delivery.PENDING)
                    return f"the message can no longer be copied ({refused.message})"
                outcome, detail = Delivery.FAILED, refused.message
            except TelegramAPIError as refused:
                outcome, detail = Delivery.FAILED, refused.message
            except Exception as odd:  # e.g. an unreadable answer: it may have gone out
                log.warning("broadcast %s: copy to %s: %r", broadcast.id, user_id, odd)
                outcome, detail = Delivery.UNSURE, type(odd).__name__
            else:
                outcome, detail = Delivery.SENT, ""
            await self._store.finish_sending(broadcast.id, user_id, outcome, detail)
            if outcome == Delivery.UNSURE:
                await self._pause(broadcast.id, _pause_after(self._trouble(broadcast.id)))
            elif outcome == Delivery.SENT:
                self._troubles.pop(broadcast.id, None)
            return None

    def _trouble(self, broadcast_id: int) -> int:
        """Count one more trouble in a row; returns how many."""
        self._troubles[broadcast_id] = self._troubles.get(broadcast_id, 0) + 1
        return self._troubles[broadcast_id]

    def _show_soon(self, broadcast_id: int, *, resumed: bool) -> None:
        """Update the progress beside the sending, unless the last update is still on its way."""
        showing = self._showing.get(broadcast_id)
        if showing is None or showing.done():
            self._showing[broadcast_id] = asyncio.create_task(
                self._show(broadcast_id, resumed=resumed)
            )

    async def _show(self, broadcast_id: int, *, resumed: bool, paused: bool = False) -> None:
        try:
            broadcast = await self._store.get(broadcast_id)
            if broadcast is None:
                return
            tally = await self._store.tally(broadcast_id)
            await self._progress.show(Progress(broadcast, tally, resumed, paused))
        except Exception as exc:  # the progress is only a view: sending goes on
            log.warning("broadcast %s: progress not shown: %r", broadcast_id, exc)
