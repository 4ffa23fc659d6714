"""What the shop must still tell its customers and operators: one row per message, written in the
transaction of what it tells of and marked once Telegram took it (see `bot.telegram.outbox`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from storage.database import Database, Row, Transaction
from storage.leases import gone_from_here


@dataclass(frozen=True)
class Entry:
    id: int
    key: str | None
    chat_id: int
    priority: int
    topic: str
    about: str
    body: dict[str, Any]
    screen: int | None  # a message of the bot's to edit into this one
    parts_sent: int
    attempts: int
    last_error: str
    created_at: str
    not_before: str
    sent_at: str | None
    given_up_at: str | None

    @property
    def finished(self) -> bool:
        return self.sent_at is not None or self.given_up_at is not None

    @classmethod
    def from_row(cls, row: Row) -> Entry:
        return cls(
            id=row["id"],
            key=row["key"],
            chat_id=row["chat_id"],
            priority=row["priority"],
            topic=row["topic"],
            about=row["about"],
            body=json.loads(row["body"]),
            screen=row["screen"],
            parts_sent=row["parts_sent"],
            attempts=row["attempts"],
            last_error=row["last_error"],
            created_at=row["created_at"],
            not_before=row["not_before"],
            sent_at=row["sent_at"],
            given_up_at=row["given_up_at"],
        )


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    async def add(
        tx: Transaction,
        *,
        chat_id: int,
        priority: int,
        topic: str,
        now: str,
        about: str = "",
        body: dict[str, Any] | None = None,
        key: str | None = None,
        screen: int | None = None,
    ) -> int | None:
        """A message to send, due at once; None if one with this `key` was recorded before."""
        row = await tx.fetch_one(
            "INSERT INTO outbox (key, chat_id, priority, topic, about, body, screen, created_at,"
            " not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING RETURNING id",
            (
                key,
                chat_id,
                priority,
                topic,
                about,
                json.dumps(body or {}, ensure_ascii=False),
                screen,
                now,
                now,
            ),
        )
        return None if row is None else int(row["id"])

    async def get(self, entry_id: int) -> Entry | None:
        row = await self._db.fetch_one("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return None if row is None else Entry.from_row(row)

    async def due(self, now: str, *, limit: int, skip_chats: Collection[int] = ()) -> list[Entry]:
        """Messages still to send that may be tried `now`, the most important and oldest first;
        none for `skip_chats` (chats Telegram asked to wait)."""
        skipped = list(skip_chats)
        marks = ", ".join("?" for _ in skipped)
        waiting = f" AND chat_id NOT IN ({marks})" if skipped else ""
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND given_up_at IS NULL"
            f" AND not_before <= ?{waiting}"
            " ORDER BY priority, id LIMIT ?",
            (now, *skipped, limit),
        )
        return [Entry.from_row(row) for row in rows]

    async def claim_due(
        self,
        now: str,
        holder: str,
        seconds: float,
        *,
        limit: int,
        skip_chats: Collection[int] = (),
    ) -> list[Entry]:
        """`due`, claimed for `holder` for `seconds` (by the database's clock): messages another
        sender holds are passed over, so senders on several processes share the outbox and never
        send one message twice. What is not sent must be `release`d (or runs out)."""
        skipped = list(skip_chats)
        marks = ", ".join("?" for _ in skipped)
        not_held_back = f" AND chat_id NOT IN ({marks})" if skipped else ""
        clock = self._db.dialect.clock
        async with self._db.write() as tx:
            rows = await tx.fetch_all(
                f"UPDATE outbox SET claimed_by = ?, claimed_until = {clock} + ?"
                " WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL"
                " AND given_up_at IS NULL AND not_before <= ?"
                f"{not_held_back}"
                f" AND (claimed_until IS NULL OR claimed_until <= {clock} OR claimed_by = ?)"
                f" ORDER BY priority, id LIMIT ?{self._db.dialect.skip_locked})"
                " RETURNING *",
                (holder, seconds, now, *skipped, holder, limit),
            )
        entries = [Entry.from_row(row) for row in rows]
        return sorted(entries, key=lambda entry: (entry.priority, entry.id))

    async def free_claims_of_the_gone(self, holder: str) -> int:
        """Claims on unsent messages whose holder was a process of this machine that has ended
        (killed mid-send, then restarted or not) given up at once, so its messages go out now,
        not when its claims run out. Returns how many were freed."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL"
            " AND claimed_by != ? AND sent_at IS NULL AND given_up_at IS NULL",
            (holder,),
        )
        gone = [row["claimed_by"] for row in rows if gone_from_here(row["claimed_by"])]
        if not gone:
            return 0
        marks = ", ".join("?" for _ in gone)
        async with self._db.write() as tx:
            return await tx.execute_changes(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                f" WHERE claimed_by IN ({marks}) AND sent_at IS NULL",
                tuple(gone),
            )

    async def claim(self, entry_id: int, holder: str, seconds: float) -> Entry | None:
        """One message claimed for `holder` for `seconds`; None if it was sent or given up, or
        another sender holds it."""
        clock = self._db.dialect.clock
        async with self._db.write() as tx:
            row = await tx.fetch_one(
                f"UPDATE outbox SET claimed_by = ?, claimed_until = {clock} + ?"
                " WHERE id = ? AND sent_at IS NULL AND given_up_at IS NULL"
                f" AND (claimed_until IS NULL OR claimed_until <= {clock} OR claimed_by = ?)"
                " RETURNING *",
                (holder, seconds, entry_id, holder),
            )
        return None if row is None else Entry.from_row(row)

    async def release(self, entry_ids: Collection[int], holder: str) -> None:
        """`holder`'s claims on these messages given up: any sender may take them now."""
        ids = list(entry_ids)
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
                f" WHERE claimed_by = ? AND id IN ({marks})",
                (holder, *ids),
            )

    async def in_order(self, entry_ids: Collection[int]) -> list[int]:
        """`entry_ids` in the order `due` sends them."""
        ids = list(entry_ids)
        if len(ids) < 2:
            return ids
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.fetch_all(
            f"SELECT id FROM outbox WHERE id IN ({marks}) ORDER BY priority, id", ids
        )
        return [int(row["id"]) for row in rows]

    async def waiting(self) -> list[Entry]:
        """Every message not sent yet (and not given up), in the order `due` sends them."""
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE sent_at IS NULL AND given_up_at IS NULL"
            " ORDER BY priority, id"
        )
        return [Entry.from_row(row) for row in rows]

    async def created_since(self, tx: Transaction, topic: str, about: str, since: str) -> list[str]:
        """When each message of `topic` about `about` was recorded after `since`, oldest first."""
        rows = await tx.fetch_all(
            "SELECT created_at FROM outbox WHERE topic = ? AND about = ? AND created_at > ?"
            " ORDER BY created_at",
            (topic, about, since),
        )
        return [str(row["created_at"]) for row in rows]

    async def part_sent(self, entry_id: int, parts: int) -> None:
        """The first `parts` of a message in parts reached Telegram: never sent again."""
        async with self._db.write() as tx:
            await tx.execute("UPDATE outbox SET parts_sent = ? WHERE id = ?", (parts, entry_id))

    async def sent(self, entry_id: int, now: str) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET sent_at = ?, claimed_by = NULL, claimed_until = NULL"
                " WHERE id = ? AND sent_at IS NULL",
                (now, entry_id),
            )

    async def later(self, entry_id: int, not_before: str, error: str) -> None:
        """Not taken this time: tried again from `not_before`."""
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
                (not_before, error[:500], entry_id),
            )

    async def give_up(self, entry_id: int, now: str, error: str) -> None:
        """Telegram will never take it: kept with why, never tried again."""
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, given_up_at = ?, last_error = ?,"
                " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
                (now, error[:500], entry_id),
            )
