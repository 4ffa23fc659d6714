"""Each customer told exactly once about each result: read from the customers' chats.

A result is told by one message (the purchase's screen edited to say it, or the news the outbox
sends); edits of that message are the same telling. Two messages telling one order's outcome, or
two copies of one deposit's credit, mean the news went out twice: with several replicas, two of
them sending what the outbox held. A message that shows the result again because the customer
pressed one of its buttons (a stale Confirm, a second tap queued behind the first, "back to
the order") answers that press ("here is where it stands"): it is not news told twice. An order
that ended (succeeded or failed) and was told nothing is the other half of "exactly once"."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Collection, Iterable

from sandbox.soak.invariants import (
    TOLD_FAILURE,
    TOLD_REVERSED,
    TOLD_SUCCESS,
    ChatReader,
    Violation,
)
from sandbox.soak.reader import Reader
from sandbox.telegram.state import CallbackRecord, Chat, ChatMessage

TELLINGS = {"success": TOLD_SUCCESS, "failure": TOLD_FAILURE, "reversed": TOLD_REVERSED}
CREDITED = re.compile(r"added to your balance \(USDT transfer")
TOLD_AT_THE_END = ("succeeded", "failed", "reversed")
# How the shop answers a press of a decided order's button (a second tap of Confirm queued behind
# the first, a stale button) before it shows the order where it stands on that message.
ALREADY_DECIDED = "That order was already decided"
TOLD_ONCE = "told exactly once"
# A replica SIGKILLed after Telegram took a message and before it recorded the message as sent:
# the survivor that takes the message over sends it again. Telegram cannot be asked whether a
# message went out, and the shop tells a result twice rather than risk never
# (bot/telegram/outbox.py). So a second copy is the kill's, not news told twice, when the first
# was seen in the seconds before the kill (or just after: the emulator may read the killed
# replica's last request a moment late) and the second after it.
KILLED_SENDING = (3.0, 1.0)  # seconds before and after the SIGKILL


class Tellings(ChatReader):
    """Which messages told what: (order id, outcome) -> the ids of the messages that told it, and
    a deposit's credit notice (its text, per chat) -> the messages that carried it."""

    def __init__(self) -> None:
        super().__init__()
        self.orders: defaultdict[tuple[str, str], set[tuple[int, int]]] = defaultdict(set)
        self.texts: dict[tuple[int, int], str] = {}  # the first words of each telling message
        self.seen: dict[tuple[int, int], float] = {}  # when each telling message first told it
        self.credits: defaultdict[tuple[int, str], set[int]] = defaultdict(set)
        self.sent_again: list[str] = []  # copies sent again across a SIGKILL, described
        self._killed_at: float | None = None

    def saw(self, chat: Chat, message_id: int, message: ChatMessage) -> None:
        if not message.from_bot:
            return
        told = False
        for outcome, pattern in TELLINGS.items():
            for order_id in pattern.findall(message.text):
                self.orders[(order_id, outcome)].add((chat.id, message_id))
                told = True
        if CREDITED.search(message.text):
            self.credits[(chat.id, message.text)].add(message_id)
            told = True
        if told:
            self.texts[(chat.id, message_id)] = " ".join(message.text.split())[:70]
            self.seen.setdefault((chat.id, message_id), time.monotonic())

    def violations(
        self,
        db: Reader,
        presses: Iterable[CallbackRecord] = (),
        *,
        killed_at: float | None = None,
    ) -> list[Violation]:
        """What was told twice or never. `killed_at`: when a replica was SIGKILLed
        (`time.monotonic()`), if one was; a copy sent again across it is listed in
        `sent_again`."""
        self.sent_again = []
        self._killed_at = killed_at
        return [*self._twice(presses), *self._never(db)]

    def _when(self, message: tuple[int, int]) -> str:
        seen = self.seen.get(message)
        if seen is None or self._killed_at is None:
            return ""
        return f" ({seen - self._killed_at:+.1f} s from the SIGKILL)"

    def _across_the_kill(self, messages: Collection[tuple[int, int]]) -> bool:
        """Whether two copies are one send of the killed replica's taken over by a survivor."""
        if self._killed_at is None or len(messages) != 2:
            return False
        first, second = sorted(self.seen.get(message, 0.0) for message in messages)
        before, after = KILLED_SENDING
        return (
            self._killed_at - before <= first <= self._killed_at + after
            and second >= self._killed_at
        )

    def _described(self, messages: Collection[tuple[int, int]]) -> str:
        return "; ".join(
            f"#{message} {self.texts.get((chat, message), '')!r}{self._when((chat, message))}"
            for chat, message in sorted(messages)
        )

    def _twice(self, presses: Iterable[CallbackRecord]) -> Iterable[Violation]:
        pressed: defaultdict[tuple[int, int], list[float]] = defaultdict(list)
        where_it_stands: set[tuple[int, int]] = set()  # answered "here is where it stands"
        for press in presses:
            pressed[(press.chat_id, press.message_id)].append(press.created)
            if ALREADY_DECIDED in str((press.answer or {}).get("text", "")):
                where_it_stands.add((press.chat_id, press.message_id))
        for (order_id, outcome), told in sorted(self.orders.items()):
            first, *again = sorted(told, key=lambda message: self.seen.get(message, 0.0))
            since = self.seen.get(first, 0.0)
            asked = {m for m in told if m in where_it_stands}
            asked |= {m for m in again if any(at >= since for at in pressed.get(m, ()))}
            messages = told - asked
            if len(messages) < 2:
                continue
            described = f"order {order_id}: {outcome} told in {len(messages)} messages: "
            described += self._described(messages)
            if self._across_the_kill(messages):
                self.sent_again.append(described)
            else:
                yield Violation(TOLD_ONCE, described, (order_id,))
        for (chat_id, text), copies in sorted(self.credits.items()):
            if len(copies) < 2:
                continue
            first_line = text.splitlines()[0][:80]
            carried = {(chat_id, message) for message in copies}
            described = f"chat {chat_id}: {first_line!r} sent {len(copies)} times: "
            described += self._described(carried)
            if self._across_the_kill(carried):
                self.sent_again.append(described)
            else:
                yield Violation(TOLD_ONCE, described)

    def _never(self, db: Reader) -> Iterable[Violation]:
        told = {order_id for order_id, _ in self.orders}
        marks = ",".join("?" * len(TOLD_AT_THE_END))
        rows = db.execute(
            f"SELECT id, status, product FROM orders WHERE status IN ({marks})", TOLD_AT_THE_END
        )
        for row in rows:
            if row["id"] not in told:
                yield Violation(
                    TOLD_ONCE,
                    f"{row['product']} order {row['id']} is {row['status']};"
                    " its customer was never told",
                    (row["id"],),
                )
