"""What excuses an unanswered press or message, judged from the emulator's record and the
killer's steps. Each excuse is narrow:

- The killed bot had it in hand: getUpdates last handed it out before a SIGKILL, and the kill
  came within ANSWER_WINDOW of that (a bot that sat on it longer failed on its own). The next
  process never got it again (the killed one had confirmed it), so no one could answer it.
- A press waiting across a restart that Telegram would no longer let anyone answer: the new
  process came up more than CALLBACK_QUERY_TTL after the press, or its answer was refused as
  too old. A message waiting across a restart has no such excuse: the new process must answer it.
- Telegram lost or held a call about that customer's chat (a 502 page, a call held past the
  bot's timeout) while the update waited: the handler that would have answered failed or waits.

Nothing else: a 429 is waited out by the shop, a failed getUpdates is asked again and loses no
update, and an upstream's fault is the shop's to answer in words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.soak.log import Action
from sandbox.telegram import FiredFault
from sandbox.telegram.state import CALLBACK_QUERY_TTL

# The shop answers an update within this long of taking it from getUpdates: a press is answered
# first thing (Telegram refuses the answer after CALLBACK_QUERY_TTL), and a message gets its
# reply before any slow work (an upstream's call shows "processing" first). A reply later than
# this is not the answer to that message but to something after it.
ANSWER_WINDOW = CALLBACK_QUERY_TTL
KILLED, STARTED = "SIGKILL the bot", "start the bot"  # the killer's steps in the action log
LOSING_FAULTS = ("5xx", "timeout")  # faults that can leave a handler without its answer

KILLED_HOLDING = "the killed bot had it in hand"
TOO_OLD_BY_RESTART = "a press too old when the bot came back"
REFUSED_TOO_OLD = "a press answered after a restart, refused as too old"
TELEGRAM_FAILING = "Telegram lost or held a call about the chat"


@dataclass(frozen=True)
class CustomerUpdate:
    """A press or a message of a customer, whether it was answered, and what the emulator saw."""

    customer: str
    chat_id: int
    what: str  # "a button press", or "message '/start'"
    at: float  # time.monotonic()
    answered: bool
    press: bool = False
    handed_out: tuple[float, ...] = ()  # each time getUpdates handed it to the bot
    refused_too_old: bool = False  # a press whose answer Telegram refused as too old

    @property
    def taken(self) -> float:
        """When the bot last took it; its answer is due within ANSWER_WINDOW of this."""
        return max(self.handed_out, default=self.at)


@dataclass(frozen=True)
class Kill:
    at: float
    restarted: float  # math.inf: the bot never came back


@dataclass(frozen=True)
class ChatFailing:
    """A Bot API call about one chat that Telegram lost (502) or held, from `start` to `end`."""

    start: float
    end: float
    chat_id: int
    why: str


def kills(actions: Iterable[Action]) -> list[Kill]:
    """From the killer's steps: each SIGKILL and when the bot polled again (never: math.inf)."""
    found: list[Kill] = []
    killed_at: float | None = None
    for action in actions:
        if action.actor != "killer":
            continue
        if action.action == KILLED:
            killed_at = action.at
        elif action.action == STARTED and killed_at is not None:
            found.append(Kill(killed_at, action.at))
            killed_at = None
    if killed_at is not None:
        found.append(Kill(killed_at, math.inf))
    return found


def telegram_failing(fired: Iterable[FiredFault]) -> list[ChatFailing]:
    return [
        ChatFailing(fault.at, fault.ends, fault.chat_id, f"{fault.method} {fault.kind}")
        for fault in fired
        if fault.kind in LOSING_FAULTS and fault.chat_id is not None
    ]


def excuse(
    update: CustomerUpdate,
    down: list[Kill],
    failing: list[ChatFailing],
    window: float = ANSWER_WINDOW,
) -> str | None:
    """Why the unanswered `update` is no fault of the shop's, or None if it is."""
    if update.handed_out and any(update.taken < kill.at <= update.taken + window for kill in down):
        return KILLED_HOLDING
    if update.press:
        for kill in down:  # a restart it waited across, while it could still be answered
            if not (kill.at < update.at + CALLBACK_QUERY_TTL and update.at < kill.restarted):
                continue
            if kill.restarted - update.at > CALLBACK_QUERY_TTL:
                return TOO_OLD_BY_RESTART
            if update.refused_too_old:
                return REFUSED_TOO_OLD
    if any(
        call.chat_id == update.chat_id
        and call.start <= update.at + window
        and update.at <= call.end
        for call in failing
    ):
        return TELEGRAM_FAILING
    return None


def excused_by_reason(
    unanswered: Iterable[CustomerUpdate], down: list[Kill], failing: list[ChatFailing]
) -> tuple[list[CustomerUpdate], Counter[str]]:
    """The updates no excuse covers, and how many were excused for each reason."""
    left: list[CustomerUpdate] = []
    reasons: Counter[str] = Counter()
    for update in unanswered:
        why = excuse(update, down, failing)
        if why is None:
            left.append(update)
        else:
            reasons[why] += 1
    return left, reasons
