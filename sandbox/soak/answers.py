"""No update was left unanswered when Telegram was reachable: every button a customer pressed
was answered (answerCallbackQuery, so its spinner stopped) and every message a customer sent got
a reply, judged from the emulator's record.

What excuses an update is narrow. The bot down (killed, not yet polling again) at some moment
while the update waited for its answer: it may have died holding it. A call about that
customer's chat lost behind a 502 page or held past the bot's timeout in that time: the handler
that would have answered failed, or waits on it. Nothing else: a 429 is waited out by the shop,
a failed getUpdates is asked again and loses no update, and an upstream's fault is the shop's to
answer in words.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from sandbox.soak.invariants import Violation
from sandbox.soak.log import Action, ActionLog
from sandbox.telegram import BotAccount, FiredFault
from sandbox.telegram.state import CALLBACK_QUERY_TTL, Chat

# How long an update may wait for its answer: Telegram forgets a callback query after this, and a
# message the bot has not answered by then was dropped, not delayed.
ANSWER_WINDOW = CALLBACK_QUERY_TTL
KILLED, STARTED = "SIGKILL the bot", "start the bot"  # the killer's steps in the action log
LOSING_FAULTS = ("5xx", "timeout")  # faults that can leave a handler without its answer


@dataclass(frozen=True)
class CustomerUpdate:
    """A press or a message of a customer, and whether it was answered at all."""

    customer: str
    chat_id: int
    what: str  # "a button press", or "message '/start'"
    at: float  # time.monotonic()
    answered: bool


@dataclass(frozen=True)
class Outage:
    """A span in which an update could go unanswered through no fault of the shop's logic."""

    start: float
    end: float
    chat_id: int | None  # None: every chat
    why: str

    def excuses(self, update: CustomerUpdate, window: float) -> bool:
        in_chat = self.chat_id is None or self.chat_id == update.chat_id
        return in_chat and self.start <= update.at + window and update.at <= self.end


def bot_down(actions: Iterable[Action]) -> list[Outage]:
    """From the killer's steps: each SIGKILL until the bot polls again (for ever if it did not)."""
    spans: list[Outage] = []
    killed_at: float | None = None
    for action in actions:
        if action.actor != "killer":
            continue
        if action.action == KILLED:
            killed_at = action.at
        elif action.action == STARTED and killed_at is not None:
            spans.append(Outage(killed_at, action.at, None, "the bot was down"))
            killed_at = None
    if killed_at is not None:
        spans.append(Outage(killed_at, math.inf, None, "the bot was down"))
    return spans


def telegram_failing(fired: Iterable[FiredFault]) -> list[Outage]:
    """The Bot API faults that could have cost a chat its answer: a lost or held call about it."""
    return [
        Outage(fault.at, fault.ends, fault.chat_id, f"{fault.method} {fault.kind}")
        for fault in fired
        if fault.kind in LOSING_FAULTS and fault.chat_id is not None
    ]


def unanswered(
    updates: Iterable[CustomerUpdate], outages: list[Outage], window: float = ANSWER_WINDOW
) -> list[Violation]:
    found = []
    for update in updates:
        if update.answered or any(outage.excuses(update, window) for outage in outages):
            continue
        found.append(
            Violation(
                "update answered",
                f"{update.customer}: {update.what} got no answer,"
                " though the bot was up and Telegram answered every call about the chat",
                (update.customer,),
                (update.at, update.at + window),
            )
        )
    return found


@dataclass
class _Watched:
    customer: str
    chat: Chat
    seen: int = 0  # bot changes already noted
    messages: dict[int, float] = field(default_factory=dict)  # the customer's, by id -> when
    changes: list[float] = field(default_factory=list)  # when the bot changed the chat


class Answers:
    """Watches the customers' chats as they change, for the times of their messages and of the
    bot's changes that could answer them; callback queries are in the emulator's own record."""

    def __init__(self) -> None:
        self._chats: dict[int, _Watched] = {}

    def watch(self, customer: str, chat: Chat) -> None:
        self._chats[chat.id] = _Watched(customer, chat, len(chat.events))
        chat.watchers.append(self._changed)

    def _changed(self, chat: Chat) -> None:
        watched = self._chats[chat.id]
        now = time.monotonic()
        if len(chat.events) > watched.seen:
            watched.seen = len(chat.events)
            watched.changes.append(now)
        for message_id, message in chat.messages.items():
            if not message.from_bot and message_id not in watched.messages:
                watched.messages[message_id] = now

    def updates(self, bot: BotAccount) -> list[CustomerUpdate]:
        found = [
            CustomerUpdate(
                self._chats[record.chat_id].customer,
                record.chat_id,
                "a button press",
                record.created,
                record.answered,
            )
            for record in bot.callback_queries.values()
            if record.chat_id in self._chats
        ]
        for chat_id, watched in self._chats.items():
            for message_id, at in watched.messages.items():
                text = watched.chat.messages[message_id].text
                answered = any(change >= at for change in watched.changes)
                found.append(
                    CustomerUpdate(watched.customer, chat_id, f"message {text!r}", at, answered)
                )
        return sorted(found, key=lambda update: update.at)

    def violations(
        self, bot: BotAccount, fired: Iterable[FiredFault], log: ActionLog
    ) -> list[Violation]:
        outages = [*bot_down(log.actions), *telegram_failing(fired)]
        updates = self.updates(bot)
        missing = [update for update in updates if not update.answered]
        found = unanswered(missing, outages)
        log.add(
            "auditor",
            f"judge the answers to {len(updates)} presses and messages",
            f"{len(missing)} unanswered, {len(missing) - len(found)} of them excused",
        )
        return found
