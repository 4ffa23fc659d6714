"""Customers' questions for the operators: so many per customer in a window, then a wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.support import QUESTIONS_PER_WINDOW, WINDOW, SupportDesk
from bot.telegram.outbox import Outbox
from storage.outbox import OutboxStore
from tests.heard import OPERATORS_CHAT
from tests.unit.conftest import Books

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ALICE, BOB = 11, 12


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_a_customer_passes_on_so_many_questions_then_waits(books: Books) -> None:
    clock = Clock()
    desk = SupportDesk(books.db, Outbox(books.db, OPERATORS_CHAT, clock=clock), clock=clock)
    for minute in range(QUESTIONS_PER_WINDOW):
        clock.now = NOW + timedelta(minutes=minute)
        assert await desk.pass_on(ALICE, f"question {minute}") is None
    assert await desk.pass_on(ALICE, "one more") == WINDOW - timedelta(minutes=4)
    assert await desk.pass_on(BOB, "another customer's") is None
    clock.now = NOW + WINDOW  # the first question is out of the window now
    assert await desk.pass_on(ALICE, "later") is None
    assert await desk.pass_on(ALICE, "too soon again") == timedelta(minutes=1)
    texts = [entry.body["text"] for entry in await OutboxStore(books.db).waiting()]
    assert texts == [*(f"question {n}" for n in range(5)), "another customer's", "later"]
