"""Taking updates in from Telegram: a bounded number at a time, and every one taken in handled
before the shop closes.

aiogram's polling confirms a batch of updates to Telegram when it asks for the next batch, before
their handlers ran; from then on the bot's memory holds the only copy. Left alone it asks again
as fast as it can make tasks, so a flood of 20,000 updates moved into memory in seconds; and on
SIGTERM it cancels the polling and runs the shutdown (translations unloaded, database closed) while
those handlers still run: each failed with a traceback, and a Telegram Stars payment among them
was lost.

So the polling takes in at most UPDATES_IN_FLIGHT updates beyond those being handled (aiogram's
`tasks_concurrency_limit`): a flood waits at Telegram. One chat may hold at most `PER_CHAT` of
those places (counted across every replica with REDIS_URL, see `bot.telegram.chat_places`): its
updates are handled one at a time, so while its handler waits (a slow upstream) the rest only
queue on its lock, and one customer tapping away would otherwise hold every place and stall the
whole shop. Updates past that are skipped (a button press answered, so
its spinner stops and shows ⏳), except payments, which are always handled, and the operators'
group, whose operators share one chat.

Each update counts from the moment it is fed to the dispatcher, before it waits for its chat's
lock, until its handler ends; the shutdown first lets them finish (for a bounded time), then
confirms to Telegram exactly the updates that were handled, so the next start neither loses one
nor handles one twice, and only then closes.

In webhook mode (`bot.wiring.webhook`) Telegram posts each update and the answer to that request
confirms it: the same count and per-chat rule apply, handlers run in tasks the webhook hands over
(`handles_in`), and the shutdown, given no `bot`, confirms nothing by polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update

from bot.services.metrics import UPDATES
from bot.telegram.chat_places import ChatPlaces, PlacesInProcess
from bot.telegram.update_metrics import update_type

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT = 5  # seconds for the one getUpdates call that confirms what was handled
PER_CHAT = 5  # updates of one chat in hand at once, payments aside


def expect_updates_dropped_unstarted() -> None:
    """aiogram's polling makes the coroutine that will handle an update before it waits for a
    free place; stopped while waiting, it drops that coroutine unawaited, and Python would warn of
    it at shutdown. Nothing is lost: that update was not confirmed, Telegram sends it again."""
    warnings.filterwarnings(
        "ignore",
        message=r"coroutine 'Dispatcher\._process_update' was never awaited",
        category=RuntimeWarning,
    )


class UpdatesInHand:
    """The updates taken in and not handled yet, by id. An update may be entered again while in
    hand (a webhook request enters it before its handler does): it leaves with the last exit."""

    def __init__(self) -> None:
        self._ids: Counter[int] = Counter()
        self._newest: int | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._ids)

    @contextlib.contextmanager
    def handling(self, update_id: int) -> Iterator[None]:
        self._ids[update_id] += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._ids[update_id] -= 1
            if not self._ids[update_id]:
                del self._ids[update_id]
            self._newest = max(update_id, self._newest or 0)
            if not self._ids:
                self._idle.set()

    async def finished(self, within: float) -> bool:
        """Wait up to `within` seconds for every update in hand to be handled; False if some
        still were not."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within)
        return not self._ids

    @property
    def confirm_offset(self) -> int | None:
        """The `offset` that confirms to Telegram every update handled and none still in hand
        (updates come in order of their ids); None before any was taken in."""
        if self._ids:
            return min(self._ids)
        return None if self._newest is None else self._newest + 1


class ShopDispatcher(Dispatcher):
    """aiogram's dispatcher, counting each update it is fed until handled, and finishing them
    first when it shuts down."""

    def __init__(
        self,
        *,
        finish_within: float,
        operators_chat: int | None = None,
        chat_places: ChatPlaces | None = None,
        **kwargs: Any,
    ) -> None:
        """`chat_places` counts each chat's updates in hand: this process's own by default,
        every replica's with Redis (see `bot.telegram.chat_places`)."""
        super().__init__(**kwargs)
        self.in_hand = UpdatesInHand()
        self.finish_within = finish_within
        self._operators_chat = operators_chat
        self._places = chat_places or PlacesInProcess()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        with self.in_hand.handling(update.update_id):
            chat = UserContextMiddleware.resolve_event_context(update).chat
            if chat is None or chat.id == self._operators_chat:
                return await super().feed_update(bot, update, **kwargs)
            limit = None if _is_payment(update) else PER_CHAT
            if not await self._places.take(bot.id, chat.id, limit=limit):
                await _skip(bot, update, chat.id)
                return None
            try:
                return await super().feed_update(bot, update, **kwargs)
            finally:
                await self._places.give_back(bot.id, chat.id)

    def handles_in(self, task: asyncio.Task[Any]) -> None:
        """`task` handles an update that came another way than polling (a webhook request): it
        is cut short with polling's own at shutdown if its time runs out."""
        self._handle_update_tasks.add(task)
        task.add_done_callback(self._handle_update_tasks.discard)

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        """Runs once polling has stopped: the updates in hand finish before anything closes."""
        bot = kwargs.get("bot")
        await self._finish_updates_in_hand(bot if isinstance(bot, Bot) else None)
        await super().emit_shutdown(*args, **kwargs)

    async def _finish_updates_in_hand(self, bot: Bot | None) -> None:
        if self.in_hand:
            log.info(
                "stopping: %d updates in hand get up to %g s to finish",
                len(self.in_hand),
                self.finish_within,
            )
        finished = await self.in_hand.finished(self.finish_within)
        offset = self.in_hand.confirm_offset  # before those cut short leave the count
        if not finished:
            log.warning(
                "stopping with %d updates still being handled after %g s; those Telegram was "
                "not told of yet come again after the restart, the others are cut short (a "
                "payment among them is booked from the bot's Stars transactions)",
                len(self.in_hand),
                self.finish_within,
            )
            await self._cut_short()
        if bot is None or offset is None:
            return
        try:  # returns an update or none, left for the next start: only the offset matters
            await bot.get_updates(
                offset=offset, limit=1, timeout=0, request_timeout=CONFIRM_TIMEOUT
            )
        except Exception as unconfirmed:  # they come again after the restart, harmlessly
            log.warning("could not confirm the handled updates to Telegram: %r", unconfirmed)

    async def _cut_short(self) -> None:
        """Cancel the handlers still running (or waiting for their chat's turn), so none of them
        goes on against a shop that is closing: translations unloaded, the database closed."""
        # aiogram's own tasks, one per update polled
        running = [task for task in self._handle_update_tasks if not task.done()]
        for task in running:
            task.cancel()
        if running:
            log.warning("cancelled %d handlers still running", len(running))
            await asyncio.wait(running, timeout=CONFIRM_TIMEOUT)


def _is_payment(update: Update) -> bool:
    return update.pre_checkout_query is not None or (
        update.message is not None and update.message.successful_payment is not None
    )


async def _skip(bot: Bot, update: Update, chat_id: int) -> None:
    """An update of a chat that already has PER_CHAT in hand: a button press gets an hourglass
    (in every language: the chat is still busy), anything else is let go."""
    log.warning("chat %s sends faster than it is answered: an update was skipped", chat_id)
    UPDATES.labels(update_type(update), "skipped").inc()
    if update.callback_query is None:
        return
    try:
        await bot.answer_callback_query(
            update.callback_query.id, text="⏳", request_timeout=CONFIRM_TIMEOUT
        )
    except Exception as refused:  # the press is let go all the same
        log.warning("could not answer a skipped button press: %r", refused)
