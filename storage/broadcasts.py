"""Broadcasts: a message copied to every customer, with one delivery row per customer.

A delivery is marked `sending` (committed) before the message goes out and `sent` after, so a
restart knows who got it: `pending` rows are still to go, and a row a crash left at `sending`
becomes `unsure` and is never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.admin_log import AdminLog
from storage.database import Database, Row, utc_now


class BroadcastStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"  # by an operator
    STOPPED = "stopped"  # by the shop: the message can no longer be copied


class Delivery(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNSURE = "unsure"


@dataclass(frozen=True)
class Broadcast:
    id: int
    admin_id: int
    source_chat_id: int
    source_message_id: int
    progress_chat_id: int
    progress_message_id: int
    status: BroadcastStatus
    note: str
    created_at: str
    ended_by: int | None

    @classmethod
    def from_row(cls, row: Row) -> Broadcast:
        return cls(
            id=row["id"],
            admin_id=row["admin_id"],
            source_chat_id=row["source_chat_id"],
            source_message_id=row["source_message_id"],
            progress_chat_id=row["progress_chat_id"],
            progress_message_id=row["progress_message_id"],
            status=BroadcastStatus(row["status"]),
            note=row["note"],
            created_at=row["created_at"],
            ended_by=row["ended_by"],
        )


@dataclass(frozen=True)
class Tally:
    """How many deliveries are in each state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unsure: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.sent + self.blocked + self.failed + self.unsure


class BroadcastStore:
    """Starting and cancelling a broadcast are operators' actions: each is recorded in the admin
    log in the same transaction."""

    def __init__(self, db: Database, admin_log: AdminLog) -> None:
        self._db = db
        self._admin_log = admin_log

    @property
    def db(self) -> Database:
        return self._db

    async def recipients(self) -> int:
        """How many customers a broadcast would reach now: not banned, not known to block us."""
        count: int = await self._db.fetch_value(
            "SELECT COUNT(*) FROM users WHERE banned = 0 AND blocked_bot_at IS NULL"
        )
        return count

    async def create(
        self,
        admin_id: int,
        source: tuple[int, int],
        progress: tuple[int, int],
    ) -> Broadcast | None:
        """A running broadcast of message `source` (chat id, message id) to every recipient, with
        its progress shown in message `progress`; None if that message was broadcast already."""
        now = utc_now()
        async with self._db.write() as tx:
            # Claimed by the insert: of two operators' processes broadcasting one message at
            # once, the second finds it taken.
            broadcast_id = await tx.fetch_value(
                "INSERT INTO broadcasts (admin_id, source_chat_id, source_message_id,"
                " progress_chat_id, progress_message_id, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, 'running', ?)"
                " ON CONFLICT (source_chat_id, source_message_id) DO NOTHING RETURNING id",
                (admin_id, *source, *progress, now),
            )
            if broadcast_id is None:
                return None
            await tx.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id, status)"
                " SELECT ?, id, 'pending' FROM users WHERE banned = 0 AND blocked_bot_at IS NULL",
                (broadcast_id,),
            )
            recipients = await tx.fetch_value(
                "SELECT COUNT(*) FROM broadcast_deliveries WHERE broadcast_id = ?", (broadcast_id,)
            )
            await self._admin_log.record(
                admin_id,
                "broadcast",
                "broadcast",
                str(broadcast_id),
                after=f"{recipients} customer{'' if recipients == 1 else 's'}",
                tx=tx,
            )
            row = await tx.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        assert row is not None
        return Broadcast.from_row(row)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self._db.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return None if row is None else Broadcast.from_row(row)

    async def of_message(self, chat_id: int, message_id: int) -> Broadcast | None:
        """The broadcast of that message, if it was broadcast."""
        row = await self._db.fetch_one(
            "SELECT * FROM broadcasts WHERE source_chat_id = ? AND source_message_id = ?",
            (chat_id, message_id),
        )
        return None if row is None else Broadcast.from_row(row)

    async def running(self) -> list[Broadcast]:
        rows = await self._db.fetch_all(
            "SELECT * FROM broadcasts WHERE status = 'running' ORDER BY id"
        )
        return [Broadcast.from_row(row) for row in rows]

    async def pending(self, broadcast_id: int, *, limit: int) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT user_id FROM broadcast_deliveries WHERE broadcast_id = ? AND status = 'pending'"
            " ORDER BY user_id LIMIT ?",
            (broadcast_id, limit),
        )
        return [row[0] for row in rows]

    async def start_sending(self, broadcast_id: int, user_id: int) -> bool:
        """Mark one delivery as on its way; False if it is not pending (nothing to send)."""
        async with self._db.write() as tx:
            changed = await tx.execute_changes(
                "UPDATE broadcast_deliveries SET status = 'sending', at = ?"
                " WHERE broadcast_id = ? AND user_id = ? AND status = 'pending'",
                (utc_now(), broadcast_id, user_id),
            )
            return changed == 1

    async def finish_sending(
        self, broadcast_id: int, user_id: int, outcome: Delivery, detail: str = ""
    ) -> None:
        """What came of a delivery on its way; `pending` puts it back (it was not sent). A
        customer who blocked the bot is remembered, so later broadcasts skip them."""
        now = utc_now()
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE broadcast_deliveries SET status = ?, detail = ?, at = ?"
                " WHERE broadcast_id = ? AND user_id = ? AND status = 'sending'",
                (outcome.value, detail[:200], now, broadcast_id, user_id),
            )
            if outcome == Delivery.BLOCKED:
                await tx.execute(
                    "UPDATE users SET blocked_bot_at = ?, updated_at = ? WHERE id = ?",
                    (now, now, user_id),
                )

    async def give_up_interrupted(self, broadcast_id: int) -> int:
        """Deliveries a crash left on their way become unsure: they may have arrived, so they
        are never sent again. Returns how many."""
        async with self._db.write() as tx:
            changed = await tx.execute_changes(
                "UPDATE broadcast_deliveries SET status = 'unsure',"
                " detail = 'the shop stopped while sending', at = ?"
                " WHERE broadcast_id = ? AND status = 'sending'",
                (utc_now(), broadcast_id),
            )
            return changed

    async def end(
        self,
        broadcast_id: int,
        status: BroadcastStatus,
        *,
        by: int | None = None,
        note: str = "",
    ) -> bool:
        """End a running broadcast (`by` the operator who ended it, if one did); False if it had
        already ended."""
        async with self._db.write() as tx:
            changed = await tx.execute_changes(
                "UPDATE broadcasts SET status = ?, note = ?, ended_at = ?, ended_by = ?"
                " WHERE id = ? AND status = 'running'",
                (status.value, note[:200], utc_now(), by, broadcast_id),
            )
            if changed and by is not None:
                await self._admin_log.record(
                    by,
                    f"{status.value} broadcast",
                    "broadcast",
                    str(broadcast_id),
                    before="running",
                    after=status.value,
                    tx=tx,
                )
            return changed == 1

    async def tally(self, broadcast_id: int) -> Tally:
        rows = await self._db.fetch_all(
            "SELECT status, COUNT(*) FROM broadcast_deliveries WHERE broadcast_id = ?"
            " GROUP BY status",
            (broadcast_id,),
        )
        return Tally(**{row[0]: row[1] for row in rows})

    async def deliveries(self, broadcast_id: int) -> dict[int, Delivery]:
        """Every customer's delivery state (for checks and tests)."""
        rows = await self._db.fetch_all(
            "SELECT user_id, status FROM broadcast_deliveries WHERE broadcast_id = ?",
            (broadcast_id,),
        )
        return {row[0]: Delivery(row[1]) for row in rows}
