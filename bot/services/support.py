"""Customers' questions for the operators: each goes to the operators' group through the outbox,
behind every alert (see `bot.services.news`), and one customer passes on at most
QUESTIONS_PER_WINDOW of them within WINDOW. Telegram takes about 20 messages a minute in a group,
so one customer's flood must not take the turns of the other customers' questions, nor keep the
operators' alerts waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.services.news import News, Topic
from storage.database import Database, as_stored
from storage.outbox import OutboxStore

QUESTIONS_PER_WINDOW = 5
WINDOW = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


class SupportDesk:
    def __init__(self, db: Database, outbox: News, *, clock: Callable[[], datetime] = _now) -> None:
        self._db = db
        self._asked = OutboxStore(db)  # the questions recorded for the operators
        self._outbox = outbox
        self._clock = clock

    async def pass_on(self, customer_id: int, card: str) -> timedelta | None:
        """Queue `card` (HTML) for the operators and send it; None when it was passed on. When
        the customer passed on QUESTIONS_PER_WINDOW within WINDOW already, nothing happens, and
        the answer is how long until they may write again."""
        now = self._clock()
        async with self._db.write() as tx:
            await tx.serialize(f"support:{customer_id}")  # two questions at once: counted apart
            asked = await self._asked.created_since(
                tx, Topic.SUPPORT, str(customer_id), as_stored(now - WINDOW)
            )
            if len(asked) >= QUESTIONS_PER_WINDOW:
                first = datetime.fromisoformat(asked[-QUESTIONS_PER_WINDOW].replace("Z", "+00:00"))
                return max(first + WINDOW - now, timedelta(seconds=1))
            recorded = await self._outbox.to_operators(
                tx, Topic.SUPPORT, card, about=str(customer_id)
            )
        await self._outbox.send_now(recorded)
        return None
