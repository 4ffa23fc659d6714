"""The replicas run's "told exactly once": two messages telling one order's result are news sent
twice, unless the second shows it again because the customer pressed one of its buttons after."""

from __future__ import annotations

import time
from typing import Any

from sandbox.replicas.told import ALREADY_DECIDED, TOLD_ONCE, Tellings
from sandbox.telegram.state import CallbackRecord, Chat, ChatMessage, UserInfo

BOT = UserInfo(1, "Shop", "shop_bot", is_bot=True)
DONE = "✅ Done! Order 2612020001: 65,000 energy delegated."


class NoOrders:
    """A database reader with no ended orders (the 'never told' half is not under test)."""

    def execute(self, sql: str, params: Any = ()) -> list[Any]:
        return []


def _told_in_two(chat: Chat, tellings: Tellings) -> float:
    """The result told in message 5, then shown in message 7; returns when 5 told it."""
    for message_id in (5, 7):
        chat.messages[message_id] = ChatMessage(message_id, chat.id, BOT, 0, DONE)
        chat.events.append(message_id)
        for watcher in chat.watchers:
            watcher(chat)
        if message_id == 5:
            told_at = time.monotonic()
    return told_at


def test_a_result_in_two_messages_is_told_twice() -> None:
    chat, tellings = Chat(42, "private"), Tellings()
    tellings.watch(chat)
    _told_in_two(chat, tellings)
    found = tellings.violations(NoOrders())  # type: ignore[arg-type]
    assert [v.invariant for v in found] == [TOLD_ONCE]
    assert "2612020001: success told in 2 messages" in found[0].detail


def test_a_result_shown_again_in_answer_to_a_press_is_no_second_telling() -> None:
    chat, tellings = Chat(42, "private"), Tellings()
    tellings.watch(chat)
    chat.messages[7] = ChatMessage(7, chat.id, BOT, 0, "Your order: confirm?")
    told_at = _told_in_two(chat, tellings)
    pressed_after = CallbackRecord("q1", chat.id, told_at + 0.001, message_id=7)
    assert tellings.violations(NoOrders(), [pressed_after]) == []  # type: ignore[arg-type]
    pressed_before = CallbackRecord("q2", chat.id, told_at - 60, message_id=7)
    assert len(tellings.violations(NoOrders(), [pressed_before])) == 1  # type: ignore[arg-type]


def test_a_result_shown_where_it_stands_in_answer_to_a_queued_tap_is_no_second_telling() -> None:
    """A second tap of Confirm, queued behind the first, is answered "already decided; here is
    where it stands" on its message, and the news comes as a message of its own."""
    chat, tellings = Chat(42, "private"), Tellings()
    tellings.watch(chat)
    told_at = _told_in_two(chat, tellings)
    tapped_before = CallbackRecord("q3", chat.id, told_at - 5, message_id=5)
    tapped_before.answer = {"text": f"ℹ️ {ALREADY_DECIDED}; nothing new was charged."}
    assert tellings.violations(NoOrders(), [tapped_before]) == []  # type: ignore[arg-type]


def _copies(chat: Chat, message_ids: tuple[int, ...]) -> None:
    for message_id in message_ids:
        chat.messages[message_id] = ChatMessage(message_id, chat.id, BOT, 0, DONE)
        chat.events.append(message_id)
        for watcher in chat.watchers:
            watcher(chat)


def test_a_copy_sent_again_after_its_sender_was_killed_sending_it_is_noted_not_counted() -> None:
    """Telegram took the result from the replica that was then killed, before it could record
    it as sent; a survivor sends it again. Two copies then, and said so in the run's notes."""
    chat, tellings = Chat(42, "private"), Tellings()
    tellings.watch(chat)
    _copies(chat, (5,))
    killed_at = time.monotonic()
    time.sleep(0.01)
    _copies(chat, (6,))
    assert tellings.violations(NoOrders(), killed_at=killed_at) == []  # type: ignore[arg-type]
    assert len(tellings.sent_again) == 1
    assert "success told in 2 messages" in tellings.sent_again[0]
    assert "s from the SIGKILL" in tellings.sent_again[0]


def test_copies_far_from_the_kill_or_more_than_two_are_told_twice() -> None:
    long_before, tellings = Chat(42, "private"), Tellings()
    tellings.watch(long_before)
    _copies(long_before, (5, 6))  # both well after the kill: nobody was killed sending them
    found = tellings.violations(NoOrders(), killed_at=time.monotonic() - 60)  # type: ignore[arg-type]
    assert [v.invariant for v in found] == [TOLD_ONCE] and tellings.sent_again == []
    assert "+60." in found[0].detail  # when each copy came, from the kill

    three, tellings = Chat(43, "private"), Tellings()
    tellings.watch(three)
    _copies(three, (5,))
    killed_at = time.monotonic()
    _copies(three, (6, 7))  # the kill explains one copy more, not two
    found = tellings.violations(NoOrders(), killed_at=killed_at)  # type: ignore[arg-type]
    assert [v.invariant for v in found] == [TOLD_ONCE]
