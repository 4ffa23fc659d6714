"""Orders and their event history. Every status change is written together with its event."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from storage.database import Database, Reads, Row, Transaction, utc_now


class OrderStatus(StrEnum):
    QUOTED = "quoted"
    CONFIRMED = "confirmed"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NEEDS_REVIEW = "needs_review"
    REVERSED = "reversed"
    CANCELLED = "cancelled"


TERMINAL_STATUSES = frozenset(
    {OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.REVERSED, OrderStatus.CANCELLED}
)


class StatusConflict(Exception):
    """The order was not in the status the caller expected; nothing was changed."""


class DuplicateOrderId(Exception):
    """An order with this id exists already; nothing was written."""


@dataclass(frozen=True)
class Order:
    id: str
    user_id: int
    product: str
    status: OrderStatus
    charge: int
    details: dict[str, Any]
    created_at: str
    updated_at: str
    upstream_cost: int | None = None
    upstream_currency: str | None = None
    upstream_ref: str | None = None
    quote_expires_at: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_row(cls, row: Row) -> Order:
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            product=row["product"],
            status=OrderStatus(row["status"]),
            charge=row["charge"],
            details=json.loads(row["details"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            upstream_cost=row["upstream_cost"],
            upstream_currency=row["upstream_currency"],
            upstream_ref=row["upstream_ref"],
            quote_expires_at=row["quote_expires_at"],
        )


@dataclass(frozen=True)
class OrderEvent:
    at: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    reason: str
    actor: str


class OrderStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        order_id: str,
        *,
        user_id: int,
        product: str,
        charge: int,
        details: dict[str, Any] | None = None,
        status: OrderStatus = OrderStatus.QUOTED,
        actor: str = "customer",
        upstream_cost: int | None = None,
        upstream_currency: str | None = None,
        quote_expires_at: str | None = None,
    ) -> Order:
        now = utc_now()
        async with self._db.write() as tx:
            created = await tx.fetch_one(
                "INSERT INTO orders (id, user_id, product, status, charge, upstream_cost,"
                " upstream_currency, details, quote_expires_at, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                (
                    order_id,
                    user_id,
                    product,
                    status.value,
                    charge,
                    upstream_cost,
                    upstream_currency,
                    json.dumps(details or {}, ensure_ascii=False),
                    quote_expires_at,
                    now,
                    now,
                ),
            )
            if created is None:
                raise DuplicateOrderId(order_id)
            await self._event(tx, order_id, None, status, "created", actor, now)
        return Order(
            order_id,
            user_id,
            product,
            status,
            charge,
            details or {},
            now,
            now,
            upstream_cost,
            upstream_currency,
            None,
            quote_expires_at,
        )

    async def get(self, order_id: str, *, tx: Transaction | None = None) -> Order | None:
        """With `tx`, read to decide what that transaction writes: the row stays as read until
        it ends (locked, on PostgreSQL)."""
        if tx is None:
            row = await self._db.fetch_one("SELECT * FROM orders WHERE id = ?", (order_id,))
        else:
            row = await tx.fetch_one(
                "SELECT * FROM orders WHERE id = ?" + tx.for_update, (order_id,)
            )
        return None if row is None else Order.from_row(row)

    async def with_status(
        self, statuses: Iterable[OrderStatus], *, user_id: int | None = None
    ) -> list[Order]:
        wanted: list[object] = [status.value for status in statuses]
        marks = ", ".join("?" for _ in wanted)
        sql = f"SELECT * FROM orders WHERE status IN ({marks})"
        if user_id is not None:
            sql += " AND user_id = ?"
            wanted.append(user_id)
        rows = await self._db.fetch_all(sql + " ORDER BY created_at", wanted)
        return [Order.from_row(row) for row in rows]

    # A customer's own orders are those past the quote: a quote nobody confirmed is no order.
    _PLACED = "user_id = ? AND status NOT IN ('quoted', 'cancelled')"

    async def placed_by(self, user_id: int, *, limit: int, offset: int = 0) -> list[Order]:
        """The customer's orders, newest first."""
        rows = await self._db.fetch_all(
            f"SELECT * FROM orders WHERE {self._PLACED} ORDER BY created_at DESC, id DESC"
            " LIMIT ? OFFSET ?",
            (user_id, limit, offset),
        )
        return [Order.from_row(row) for row in rows]

    async def bought_before(
        self, user_id: int, *, besides: str | None = None, reads: Reads | None = None
    ) -> bool:
        """Whether the customer has an order delivered or on its way (one that failed, or was
        only quoted, is no purchase), other than `besides`."""
        found = await (reads or self._db).fetch_value(
            "SELECT COUNT(*) FROM orders WHERE user_id = ? AND id != ?"
            " AND status NOT IN ('quoted', 'cancelled', 'failed')",
            (user_id, besides or ""),
        )
        return bool(found)

    async def count_placed_by(self, user_id: int) -> int:
        value = await self._db.fetch_value(
            f"SELECT COUNT(*) FROM orders WHERE {self._PLACED}", (user_id,)
        )
        return int(value or 0)

    async def remove_unconfirmed_quotes(self, expired_before: str, *, limit: int) -> int:
        """Remove up to `limit` quotes nobody confirmed whose price expired before
        `expired_before` (as stored), with their events; returns how many went.

        A quote nobody confirmed is `quoted`, or `cancelled`: an order is cancelled only as a quote
        (replaced, left, or found expired), before any money moved. Such an order is in no figure,
        export or audit; one the ledger or the operators' log names all the same stays."""
        async with self._db.write() as tx:
            rows = await tx.fetch_all(
                "SELECT id FROM orders o WHERE status IN (?, ?) AND quote_expires_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.order_id = o.id)"
                " AND NOT EXISTS (SELECT 1 FROM ledger_holds h WHERE h.order_id = o.id)"
                " AND NOT EXISTS (SELECT 1 FROM admin_actions a"
                "                 WHERE a.target_kind = 'order' AND a.target_id = o.id)"
                " LIMIT ?",
                (OrderStatus.QUOTED.value, OrderStatus.CANCELLED.value, expired_before, limit),
            )
            gone = [row["id"] for row in rows]
            if gone:
                marks = ", ".join("?" for _ in gone)
                await tx.execute(f"DELETE FROM order_events WHERE order_id IN ({marks})", gone)
                # Still a quote (another process may have moved it since): only then it goes.
                await tx.execute(
                    f"DELETE FROM orders WHERE id IN ({marks}) AND status IN (?, ?)",
                    [*gone, OrderStatus.QUOTED.value, OrderStatus.CANCELLED.value],
                )
        return len(gone)

    async def note(
        self,
        order_id: str,
        *,
        details: dict[str, Any] | None = None,
        upstream_ref: str | None = None,
        tx: Transaction | None = None,
    ) -> None:
        """Record what we learned from upstream (merged into the details), durably, at once."""
        if tx is None:
            async with self._db.write() as own:
                await self._note(own, order_id, details or {}, upstream_ref)
        else:
            await self._note(tx, order_id, details or {}, upstream_ref)

    @staticmethod
    async def _note(
        tx: Transaction, order_id: str, details: dict[str, Any], upstream_ref: str | None
    ) -> None:
        row = await tx.fetch_one(
            "SELECT details FROM orders WHERE id = ?" + tx.for_update, (order_id,)
        )
        if row is None:
            raise KeyError(order_id)
        merged = {**json.loads(row["details"]), **details}
        await tx.execute(
            "UPDATE orders SET details = ?, upstream_ref = COALESCE(?, upstream_ref),"
            " updated_at = ? WHERE id = ?",
            (json.dumps(merged, ensure_ascii=False), upstream_ref, utc_now(), order_id),
        )

    async def move(
        self,
        order_id: str,
        expected: OrderStatus,
        to: OrderStatus,
        *,
        reason: str,
        actor: str = "system",
        tx: Transaction | None = None,
    ) -> None:
        """Change the status only if it is still `expected` (so two deciders cannot both win)."""
        if tx is None:
            async with self._db.write() as own:
                await self._move(own, order_id, expected, to, reason, actor)
        else:
            await self._move(tx, order_id, expected, to, reason, actor)

    async def _move(
        self,
        tx: Transaction,
        order_id: str,
        expected: OrderStatus,
        to: OrderStatus,
        reason: str,
        actor: str,
    ) -> None:
        now = utc_now()
        changed = await tx.execute_changes(
            "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
            (to.value, now, order_id, expected.value),
        )
        if changed != 1:
            raise StatusConflict(f"order {order_id} is not {expected}")
        await self._event(tx, order_id, expected, to, reason, actor, now)

    @staticmethod
    async def _event(
        tx: Transaction,
        order_id: str,
        from_status: OrderStatus | None,
        to_status: OrderStatus,
        reason: str,
        actor: str,
        at: str,
    ) -> None:
        await tx.execute(
            "INSERT INTO order_events (order_id, at, from_status, to_status, reason, actor)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                order_id,
                at,
                from_status.value if from_status else None,
                to_status.value,
                reason,
                actor,
            ),
        )

    async def events(self, order_id: str) -> list[OrderEvent]:
        rows = await self._db.fetch_all(
            "SELECT * FROM order_events WHERE order_id = ? ORDER BY id", (order_id,)
        )
        return [
            OrderEvent(
                at=row["at"],
                from_status=OrderStatus(row["from_status"]) if row["from_status"] else None,
                to_status=OrderStatus(row["to_status"]),
                reason=row["reason"],
                actor=row["actor"],
            )
            for row in rows
        ]
