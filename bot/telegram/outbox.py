"""What customers and operators must hear, sent until Telegram takes it, once.

The news is written in the same database transaction as what it tells of (an order settled, a
deposit credited, a Stars refund done, an alert for the operators), so a crash can delay a message
but never lose it. Right after the commit it is sent (`send_now`): the normal case waits for
nothing. What Telegram did not take then stays in the outbox, and a job sends it again, the most
important and oldest first, at start-up and every OUTBOX_RETRY_SECONDS, until Telegram takes it.
It is marked sent then and never sent again.

Several shop processes may share the outbox (PostgreSQL): a sender claims each message before it
sends it (for CLAIM_SECONDS, by the database's clock; the job claims its batch at once, passing
over what another holds), so two processes never send one message. A process that dies
mid-send leaves its claim behind: another process on the same machine (or the shop restarted
there) sees that process is gone and takes its messages at once; a process on another machine
waits for the claim to run out. On SQLite one process sends, and claims nothing: after a crash,
what it was sending goes out at once.

- A 429 (Telegram's limit: about 20 messages a minute in a group) holds back that chat for the
  `retry_after` Telegram names; its messages then go in order of importance, so an operators'
  alert overtakes the customers' questions waiting for the same group.
- A 5xx, a timeout or an unreadable answer: tried again after a growing pause. Telegram may have
  acted before its answer was lost: an edit then shows once anyway (the same text again changes
  nothing), a new message may show twice; for a result, twice is better than never.
- A customer who blocked the bot, or a message Telegram refuses outright, is given up and logged.
  The operators' group refusing the bot (it was removed) is tried again, slowly: an alert is never
  dropped.

What a customer reads is stored as a reference (this order, now succeeded; that payment, credited)
and worded when it goes out, in the customer's language then, by the renderer the handlers register
for its topic. An operators' message is stored as its text (operators read English); the renderer of
its topic may add buttons.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.jobs import Runs, run_every
from bot.services.news import PRIORITIES, Topic
from bot.telegram.link import BotLink
from storage.database import Database, Transaction, as_stored
from storage.leases import new_holder
from storage.outbox import Entry, OutboxStore

log = logging.getLogger(__name__)

BATCH = 50  # messages read at a time by the job
TROUBLE_IN_A_ROW = 3  # messages of different chats in trouble at once: Telegram is, not them
LONGEST_PAUSE = timedelta(minutes=5)  # after repeated trouble reaching Telegram
OPERATORS_GONE_PAUSE = timedelta(minutes=10)  # the operators' group refuses the bot
# How long a handler waits for the news it just recorded to go out before it lets the rest go on
# by itself: a message Telegram is slow to take (the operators' alert about an order, say) must
# not hold up the customer's chat, whose next update waits for this handler to finish.
SEND_NOW_PATIENCE = 5.0
# How long a sender holds a message it is sending: longer than any send with its retries takes.
CLAIM_SECONDS = 120.0


@dataclass(frozen=True)
class Letter:
    """One Telegram message: HTML text with buttons, or a file (with the text as its caption)."""

    text: str = ""
    markup: InlineKeyboardMarkup | None = None
    document: tuple[str, bytes] | None = None  # file name, content


Render = Callable[[Entry], Awaitable[list[Letter]]]
"""How a message of one topic reads when it goes out: its parts, in order (none: nothing is left
to tell, e.g. the customer is gone)."""

Renderers = dict[Topic, Render]
"""By topic, how its messages read: the outbox is given this registry when it is built, the
conversations (which know the wording) register in it before the bot starts. A topic without one
is sent as the text it was stored with."""


class Delivery(Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # sent or being sent already, or no bot yet
    HELD_BACK = "held back"  # the chat waits (Telegram's retry_after)
    TROUBLE = "trouble"  # Telegram could not be reached or did not answer: later
    GIVEN_UP = "given up"


def _now() -> datetime:
    return datetime.now(UTC)


def _recorded(entry_id: int | None) -> list[int]:
    return [] if entry_id is None else [entry_id]


class Outbox:
    """The shop's `bot.services.news.News`, sent through Telegram. Built without a link (or
    before its bot is attached), it records and never sends: the news waits for a bot."""

    def __init__(
        self,
        db: Database,
        operators_chat: int | None,
        link: BotLink | None = None,
        renderers: Renderers | None = None,
        *,
        clock: Callable[[], datetime] = _now,
        holder: str | None = None,
    ) -> None:
        self.store = OutboxStore(db)
        self.holder = holder or new_holder()  # this sender, in its claims
        self._claims = db.is_server  # several processes may send: claim before sending
        self._db = db
        self.operators_chat = operators_chat
        self._clock = clock
        self.renderers: Renderers = {} if renderers is None else renderers
        self._link = BotLink() if link is None else link
        self._sending: set[int] = set()  # entries this process is sending right now
        self._held_back: dict[int, datetime] = {}  # chat -> until when Telegram asked to wait
        self._going_on: set[asyncio.Task[None]] = set()  # sends a handler stopped waiting for

    async def close(self) -> None:
        for sending in list(self._going_on):  # unsent news stays recorded: the job sends it
            sending.cancel()
        await asyncio.gather(*self._going_on, return_exceptions=True)

    # -- recording, in the transaction of what it tells of --

    async def to_customer(
        self,
        tx: Transaction,
        user_id: int,
        topic: Topic,
        about: str,
        *,
        key: str,
        body: dict[str, Any] | None = None,
        screen: int | None = None,
    ) -> list[int]:
        """News for a customer, worded when it goes out. Returns the entries recorded now (none
        if this `key` was recorded before): `send_now` them once `tx` commits."""
        entry = await self.store.add(
            tx,
            chat_id=user_id,
            priority=PRIORITIES[topic],
            topic=topic,
            now=as_stored(self._clock()),
            about=about,
            body=body,
            key=key,
            screen=screen,
        )
        return _recorded(entry)

    async def to_operators(
        self,
        tx: Transaction,
        topic: Topic,
        text: str,
        *,
        about: str = "",
        markup: InlineKeyboardMarkup | None = None,
        key: str | None = None,
    ) -> list[int]:
        """HTML `text` for the operators' group (none is configured: nothing is recorded).
        Returns the entries recorded now: `send_now` them once `tx` commits."""
        if self.operators_chat is None:
            return []
        body: dict[str, Any] = {"text": text}
        if markup is not None:
            body["markup"] = markup.model_dump(mode="json", exclude_none=True)
        entry = await self.store.add(
            tx,
            chat_id=self.operators_chat,
            priority=PRIORITIES[topic],
            topic=topic,
            now=as_stored(self._clock()),
            about=about,
            body=body,
            key=key,
        )
        return _recorded(entry)

    async def tell_operators(
        self,
        topic: Topic,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        key: str | None = None,
    ) -> None:
        """HTML `text` for the operators, recorded on its own and sent at once; with a `key`,
        only the first time that key is told. Should even the recording fail (the database is
        in trouble: just what an alert may be about), it is sent once as it is, without the
        outbox."""
        try:
            async with self._db.write() as tx:
                recorded = await self.to_operators(tx, topic, text, markup=markup, key=key)
        except Exception:
            log.exception("outbox: a message for the operators could not be recorded")
            await self._send_unrecorded(text, markup)
            return
        await self.send_now(recorded)

    async def _send_unrecorded(self, text: str, markup: InlineKeyboardMarkup | None) -> None:
        if not self._link.attached or self.operators_chat is None:
            return
        try:
            await self._link.direct.send_message(self.operators_chat, text, reply_markup=markup)
        except Exception as lost:  # logged above with the reason it was not recorded
            log.error("outbox: the operators could not be told at all: %r", lost)

    # -- sending --

    async def send_now(self, entries: Collection[int]) -> None:
        """Send what was just recorded, the most important first, waiting at most
        SEND_NOW_PATIENCE for it; what is still on its way then goes on without the caller. Never
        raises: what Telegram does not take now (or what cannot be sent at all now) is left for
        the job."""
        sending = asyncio.create_task(self._send_in_order(entries))
        self._going_on.add(sending)
        sending.add_done_callback(self._going_on.discard)
        done, _ = await asyncio.wait({sending}, timeout=SEND_NOW_PATIENCE)
        if not done:
            log.info("outbox: messages %s still on their way; the caller goes on", sorted(entries))

    async def _send_in_order(self, entries: Collection[int]) -> None:
        try:
            ordered = await self.store.in_order(entries)
        except Exception:  # the news is recorded: the job sends it
            log.exception("outbox: messages %s are sent later", sorted(entries))
            return
        for entry_id in ordered:
            try:
                await self._deliver(entry_id)
            except Exception:
                log.exception("outbox: sending message %s failed; it is sent later", entry_id)

    async def send_due(self) -> int:
        """The job: send what is due, the most important and oldest first, chat by chat in that
        order; returns how many went out. A message in trouble holds back only its own chat (one
        that never goes out must not stall everyone's news behind it); TROUBLE_IN_A_ROW of them
        in a row say Telegram itself is in trouble, and the run stops."""
        now = self._clock()
        self._held_back = {chat: until for chat, until in self._held_back.items() if until > now}
        waiting = set(self._held_back)
        sent = troubles = 0
        if self._claims:
            await self.store.free_claims_of_the_gone(self.holder)
            claimed = await self.store.claim_due(
                as_stored(now), self.holder, CLAIM_SECONDS, limit=BATCH, skip_chats=waiting
            )
        else:
            claimed = await self.store.due(as_stored(now), limit=BATCH, skip_chats=waiting)
        untouched = {entry.id for entry in claimed} if self._claims else set()
        try:
            for entry in claimed:
                if entry.chat_id in waiting:  # an earlier message of the chat waits: this one too
                    continue
                untouched.discard(entry.id)
                outcome = await self._deliver(entry.id)
                troubles = troubles + 1 if outcome == Delivery.TROUBLE else 0
                if outcome == Delivery.SENT:
                    sent += 1
                elif troubles >= TROUBLE_IN_A_ROW:
                    break
                elif outcome != Delivery.GIVEN_UP:
                    waiting.add(entry.chat_id)
        finally:  # what this run did not try is any sender's again, unless this process is
            # sending it another way right now (the send right after its commit): it holds the
            # same claim, and letting go of it would let another process send it too
            await self.store.release(untouched - self._sending, self.holder)
        return sent

    def schedule(self, scheduler: AsyncIOScheduler, every: timedelta) -> None:
        # At start-up too: what a stop or a crash left.
        run_every(scheduler, self._send_due, every, "send-outbox", runs=Runs.EVERYWHERE)

    async def _send_due(self) -> None:
        try:
            await self.send_due()
        except Exception:  # e.g. the database: the messages are intact, the next run sends them
            log.exception("outbox: sending what is due failed")

    async def _deliver(self, entry_id: int) -> Delivery:
        if entry_id in self._sending:
            return Delivery.SKIPPED
        if not self._link.attached:
            return Delivery.SKIPPED
        self._sending.add(entry_id)
        try:
            # Sent, given up, or another process is sending it: nothing to do here.
            entry = await self._claim(entry_id)
            if entry is None:
                return Delivery.SKIPPED
            held_until = self._held_back.get(entry.chat_id)
            if held_until is not None and held_until > self._clock():
                if self._claims:
                    await self.store.release([entry_id], self.holder)
                return Delivery.HELD_BACK
            # Its session lets 429s through: they are handled here.
            return await self._try(self._link.direct, entry)
        finally:
            self._sending.discard(entry_id)

    async def _claim(self, entry_id: int) -> Entry | None:
        """The message, claimed for this sender; None if there is nothing to send here."""
        if self._claims:
            return await self.store.claim(entry_id, self.holder, CLAIM_SECONDS)
        entry = await self.store.get(entry_id)
        return None if entry is None or entry.finished else entry

    async def _try(self, bot: Bot, entry: Entry) -> Delivery:
        try:
            letters = await self._render(entry)
            for part in range(entry.parts_sent, len(letters)):
                await self._send(bot, entry, letters[part], edit=part == 0)
                if part + 1 < len(letters):
                    await self.store.part_sent(entry.id, part + 1)
        except TelegramRetryAfter as flood:  # refused, nothing sent: this chat waits
            until = self._clock() + timedelta(seconds=flood.retry_after)
            self._held_back[entry.chat_id] = until
            await self.store.later(entry.id, as_stored(until), flood.message)
            return Delivery.HELD_BACK
        except (TelegramForbiddenError, TelegramBadRequest) as refused:
            if entry.chat_id == self.operators_chat and not _gone(refused.message):
                return await self._as_plain_text(bot, entry, refused.message)
            return await self._refused(entry, refused.message)
        except Exception as trouble:  # a 5xx, no answer, an unreadable one, a renderer's failure
            pause = min(LONGEST_PAUSE, timedelta(seconds=2**entry.attempts))
            log.warning(
                "outbox: message %s (%s) not sent, again in %s: %r",
                entry.id,
                entry.topic,
                pause,
                trouble,
            )
            await self.store.later(entry.id, as_stored(self._clock() + pause), repr(trouble))
            return Delivery.TROUBLE
        await self.store.sent(entry.id, as_stored(self._clock()))
        return Delivery.SENT

    async def _as_plain_text(self, bot: Bot, entry: Entry, why: str) -> Delivery:
        """An operators' message Telegram refused as it is (its HTML, its buttons, a right the
        bot lacks in the group): never dropped. Sent once more as plain text without buttons;
        if even that is refused, tried again later, as when the group refuses the bot."""
        log.error(
            "outbox: the operators' group refused message %s (%s): %s; sent as plain text",
            entry.id,
            entry.topic,
            why,
        )
        try:
            letters = await self._render(entry)
            for letter in letters[entry.parts_sent :]:
                await bot.send_message(entry.chat_id, letter.text or "…", parse_mode=None)
        except Exception as refused:
            return await self._refused(entry, f"{why}; as plain text: {refused!r}")
        await self.store.sent(entry.id, as_stored(self._clock()))
        return Delivery.SENT

    async def _refused(self, entry: Entry, why: str) -> Delivery:
        """Telegram read the message and refused it for good (the operators' group: for now)."""
        if entry.chat_id == self.operators_chat:  # the bot left the group: not for good
            log.error(
                "outbox: the operators' group refuses the bot (%s); message %s waits", why, entry.id
            )
            until = self._clock() + OPERATORS_GONE_PAUSE
            self._held_back[entry.chat_id] = until
            await self.store.later(entry.id, as_stored(until), why)
            return Delivery.HELD_BACK
        log.warning(
            "outbox: chat %s refused message %s (%s): %s", entry.chat_id, entry.id, entry.topic, why
        )
        await self.store.give_up(entry.id, as_stored(self._clock()), why)
        return Delivery.GIVEN_UP

    async def _render(self, entry: Entry) -> list[Letter]:
        render = self.renderers.get(Topic(entry.topic))
        if render is not None:
            return await render(entry)
        if "text" not in entry.body:
            raise LookupError(f"nothing renders {entry.topic} yet")
        markup = entry.body.get("markup")
        buttons = None if markup is None else InlineKeyboardMarkup.model_validate(markup)
        return [Letter(entry.body["text"], buttons)]

    @staticmethod
    async def _send(bot: Bot, entry: Entry, letter: Letter, *, edit: bool) -> None:
        """Edit the entry's screen into `letter` (the first part, when it has one), or send it.
        A screen that cannot be edited (too old, gone) gets the letter as a new message."""
        if letter.document is not None:
            name, content = letter.document
            await bot.send_document(
                entry.chat_id,
                BufferedInputFile(content, filename=name),
                caption=letter.text or None,
                reply_markup=letter.markup,
            )
            return
        if edit and entry.screen is not None:
            try:
                await bot.edit_message_text(
                    text=letter.text,
                    chat_id=entry.chat_id,
                    message_id=entry.screen,
                    reply_markup=letter.markup,
                )
                return
            except TelegramBadRequest as refused:
                if "message is not modified" in refused.message:  # shown already
                    return
        await bot.send_message(entry.chat_id, letter.text, reply_markup=letter.markup)


def _gone(why: str) -> bool:
    """Telegram's words for a chat the bot cannot write to at all."""
    return "chat not found" in why.lower() or "forbidden" in why.lower()
