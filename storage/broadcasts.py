"""Broadcasts: a message copied to every customer of an audience (everyone, or a segment), with
one delivery row per customer it matched when it was confirmed.

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
    audience: str = ""  # whom it is for, as the operators read it ("": every customer)
    buttons: str = ""  # the inline keyboard under each copy, as JSON ("": none)
    send_at: str | None = None  # held back until then (None: at once)

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
            audience=row["audience"],
            buttons=row["buttons"],
            send_at=row["send_at"],
        )


@dataclass(frozen=True)
class GroupBand:
    """A price group's customers: those operators put in `name`, and those in no group by an
    operator's hand whose delivered orders since `since` reach `low` (and stay under `high`, the
    next group's threshold). `low` None: the group takes nobody by spend."""

    name: str
    low: int | None
    high: int | None
    since: str


@dataclass(frozen=True)
class Audience:
    """Whom a broadcast goes to: every customer who is not banned and has not blocked the bot,
    narrowed by each part that is given (all of them must hold)."""

    language: str | None = None
    bought: str | None = None  # a product line they had an order of delivered
    deposited: bool | None = None  # whether any deposit reached their wallet
    inactive_since: str | None = None  # no order priced or placed since, a customer since before
    group: GroupBand | None = None

    def where(self) -> tuple[str, list[object]]:
        """The SQL condition on `users u`, with its parameters."""
        parts = ["u.banned = 0", "u.blocked_bot_at IS NULL"]
        args: list[object] = []
        if self.language is not None:
            parts.append("u.language = ?")
            args.append(self.language)
        if self.bought is not None:
            parts.append(
                "EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.product = ?"
                " AND o.status IN ('succeeded', 'reversed'))"
            )
            args.append(self.bought)
        if self.deposited is not None:
            exists = (
                "EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.user_id = u.id"
                " AND t.kind = 'deposit')"
            )
            parts.append(exists if self.deposited else f"NOT {exists}")
        if self.inactive_since is not None:
            parts.append(
                "NOT EXISTS (SELECT 1 FROM orders o WHERE o.user_id = u.id AND o.created_at >= ?)"
                " AND u.created_at < ?"
            )
            args += [self.inactive_since, self.inactive_since]
        if (band := self.group) is not None:
            by_hand = "u.id IN (SELECT user_id FROM customer_groups WHERE name = ?)"
            args.append(band.name)
            if band.low is None:
                parts.append(by_hand)
            else:
                spent = (
                    "(SELECT COALESCE(SUM(o.charge), 0) FROM orders o WHERE o.user_id = u.id"
                    " AND o.status = 'succeeded' AND o.created_at >= ?)"
                )
                by_spend = f"u.id NOT IN (SELECT user_id FROM customer_groups) AND {spent} >= ?"
                args += [band.since, band.low]
                if band.high is not None:
                    by_spend += f" AND {spent} < ?"
                    args += [band.since, band.high]
                parts.append(f"({by_hand} OR ({by_spend}))")
        return " AND ".join(parts), args


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

    async def recipients(self, audience: Audience | None = None) -> int:
        """How many customers a broadcast to `audience` would reach now (not banned, not known
        to block us)."""
        where, args = (audience or Audience()).where()
        count: int = await self._db.fetch_value(f"SELECT COUNT(*) FROM users u WHERE {where}", args)
        return count

    async def create(
        self,
        admin_id: int,
        source: tuple[int, int],
        progress: tuple[int, int],
        *,
        audience: Audience | None = None,
        described: str = "",
        buttons: str = "",
        send_at: str | None = None,
    ) -> Broadcast | None:
        """A running broadcast of message `source` (chat id, message id) to the customers of
        `audience` (`described` for the operators), with `buttons` under each copy, from
        `send_at` on; its progress shown in message `progress`. None if that message was
        broadcast already."""
        now = utc_now()
        where, args = (audience or Audience()).where()
        async with self._db.write() as tx:
            # Claimed by the insert: of two operators' processes broadcasting one message at
            # once, the second finds it taken.
            broadcast_id = await tx.fetch_value(
                "INSERT INTO broadcasts (admin_id, source_chat_id, source_message_id,"
                " progress_chat_id, progress_message_id, status, created_at, audience, buttons,"
                " send_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)"
                " ON CONFLICT (source_chat_id, source_message_id) DO NOTHING RETURNING id",
                (admin_id, *source, *progress, now, described, buttons, send_at),
            )
            if broadcast_id is None:
                return None
            await tx.execute(
                "INSERT INTO broadcast_deliveries (broadcast_id, user_id, status)"
                f" SELECT ?, u.id, 'pending' FROM users u WHERE {where}",
                (broadcast_id, *args),
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

    async def save_draft(self, source: tuple[int, int], terms: str, admin_id: int) -> None:
        """An operator's /broadcast of message `source`, waiting for "Send" (the latest one)."""
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO broadcast_drafts (source_chat_id, source_message_id, terms,"
                " admin_id, created_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (source_chat_id, source_message_id) DO UPDATE SET"
                " terms = excluded.terms, admin_id = excluded.admin_id,"
                " created_at = excluded.created_at",
                (*source, terms, admin_id, utc_now()),
            )

    async def draft(self, source: tuple[int, int]) -> str | None:
        value = await self._db.fetch_value(
            "SELECT terms FROM broadcast_drafts WHERE source_chat_id = ? AND source_message_id = ?",
            source,
        )
        return None if value is None else str(value)

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
