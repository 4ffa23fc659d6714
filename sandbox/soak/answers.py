"""No update was left unanswered when Telegram was reachable: every button a customer pressed
was answered (answerCallbackQuery, so its spinner stopped) and every message a customer sent got
a reply in its chat within ANSWER_WINDOW of the bot taking it, judged from the emulator's record.
What excuses an update is in `answer_excuses`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sandbox.soak.answer_excuses import (
    ANSWER_WINDOW,
    CustomerUpdate,
    excused_by_reason,
    kills,
    telegram_failing,
)
from sandbox.soak.invariants import Violation
from sandbox.soak.log import ActionLog
from sandbox.telegram import BotAccount, FiredFault
from sandbox.telegram.state import Chat, message_key, press_key


def violation(update: CustomerUpdate) -> Violation:
    return Violation(
        "update answered",
        f"{update.customer}: {update.what} got no answer,"
        " though the bot was up and Telegram answered every call about the chat",
        (update.customer,),
        (update.at, update.taken + ANSWER_WINDOW),
    )


def replied(at: float, taken: float, changes: list[float], window: float = ANSWER_WINDOW) -> bool:
    """Whether the bot changed the chat after a message sent `at`, within `window` of taking it:
    a change later than that answers something else (a later press, a broadcast, an alert)."""
    return any(at <= change <= taken + window for change in changes)


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

    def updates(
        self, bot: BotAccount, replayed: Mapping[str, float] | None = None
    ) -> list[CustomerUpdate]:
        """Each press and message, with the times the bot was handed it. `replayed`: when the
        soak itself posted an update again (by `update_key`); those posts and any later one are
        left out, since the update had been answered by then and a replay asks for no answer."""
        replays: Mapping[str, float] = replayed or {}

        def handed_out_before_replay(key: str) -> tuple[float, ...]:
            times = bot.handed_out.get(key, ())
            since = replays.get(key)
            return tuple(at for at in times if since is None or at < since)

        found = [
            CustomerUpdate(
                self._chats[record.chat_id].customer,
                record.chat_id,
                "a button press",
                record.created,
                record.answered,
                press=True,
                handed_out=handed_out_before_replay(press_key(record.id)),
                refused_too_old=record.refused_too_old,
            )
            for record in bot.callback_queries.values()
            if record.chat_id in self._chats
        ]
        for chat_id, watched in self._chats.items():
            for message_id, at in watched.messages.items():
                key = message_key(chat_id, message_id)
                if key not in bot.offered:  # Telegram lost its update (a Stars payment's fault)
                    continue
                text = watched.chat.messages[message_id].text
                handed_out = handed_out_before_replay(key)
                taken = max(handed_out, default=at)
                answered = replied(at, taken, watched.changes)
                found.append(
                    CustomerUpdate(
                        watched.customer,
                        chat_id,
                        f"message {text!r}",
                        at,
                        answered,
                        handed_out=handed_out,
                    )
                )
        return sorted(found, key=lambda update: update.at)

    def violations(
        self,
        bot: BotAccount,
        fired: Iterable[FiredFault],
        log: ActionLog,
        replayed: Mapping[str, float] | None = None,
    ) -> list[Violation]:
        updates = self.updates(bot, replayed)
        missing = [update for update in updates if not update.answered]
        left, reasons = excused_by_reason(missing, kills(log.actions), telegram_failing(fired))
        why = "".join(f"; {reason}: {count}" for reason, count in sorted(reasons.items()))
        log.add(
            "auditor",
            f"judge the answers to {len(updates)} presses and messages",
            f"{len(missing)} unanswered, {len(missing) - len(left)} of them excused{why}",
        )
        return [violation(update) for update in left]
