"""The outbox's records: one per happening, due in order of importance then age, and done once
sent or given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.news import Priority, Topic
from storage.database import as_stored
from storage.outbox import OutboxStore
from tests.heard import OPERATORS_CHAT
from tests.unit.conftest import Books

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
ALICE, BOB = 11, 12


async def _add(
    books: Books, chat: int, priority: Priority, topic: Topic, key: str | None = None
) -> int | None:
    async with books.db.write() as tx:
        return await OutboxStore.add(
            tx, chat_id=chat, priority=priority, topic=topic, now=as_stored(NOW), key=key
        )


async def test_messages_are_due_most_important_then_oldest_first(books: Books) -> None:
    store = OutboxStore(books.db)
    question = await _add(books, OPERATORS_CHAT, Priority.CHATTER, Topic.SUPPORT)
    result = await _add(books, ALICE, Priority.RESULT, Topic.ORDER, key="order:1:succeeded")
    alert = await _add(books, OPERATORS_CHAT, Priority.ALERT, Topic.ALERT)
    later_alert = await _add(books, OPERATORS_CHAT, Priority.ALERT, Topic.ALERT)
    now = as_stored(NOW)
    due = [entry.id for entry in await store.due(now, limit=10)]
    assert due == [alert, later_alert, result, question]
    assert [entry.id for entry in await store.due(now, limit=2)] == [alert, later_alert]
    held_back = await store.due(now, limit=10, skip_chats={OPERATORS_CHAT})
    assert [entry.id for entry in held_back] == [result]


async def test_the_same_news_is_recorded_once(books: Books) -> None:
    first = await _add(books, ALICE, Priority.RESULT, Topic.ORDER, key="order:1:succeeded")
    assert first is not None
    assert await _add(books, ALICE, Priority.RESULT, Topic.ORDER, key="order:1:succeeded") is None
    assert await _add(books, ALICE, Priority.RESULT, Topic.ORDER, key="order:1:reversed")
    assert await books.count("outbox") == 2


async def test_a_message_sent_or_given_up_is_never_due_again(books: Books) -> None:
    store = OutboxStore(books.db)
    sent = await _add(books, ALICE, Priority.RESULT, Topic.DEPOSIT)
    refused = await _add(books, BOB, Priority.RESULT, Topic.DEPOSIT)
    later = await _add(books, OPERATORS_CHAT, Priority.ALERT, Topic.ALERT)
    assert sent is not None and refused is not None and later is not None
    await store.sent(sent, as_stored(NOW))
    await store.give_up(refused, as_stored(NOW), "Forbidden: bot was blocked by the user")
    await store.later(later, as_stored(NOW + timedelta(seconds=30)), "Too Many Requests")
    assert await store.due(as_stored(NOW), limit=10) == []
    [retried] = await store.due(as_stored(NOW + timedelta(seconds=30)), limit=10)
    assert (retried.id, retried.attempts, retried.last_error) == (later, 1, "Too Many Requests")
    assert [entry.id for entry in await store.waiting()] == [later]
