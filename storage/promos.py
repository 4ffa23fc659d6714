"""Promo codes and their uses (rows only; the rules are `bot/services/promos.py`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from storage.database import Database, Reads, Row, Transaction, utc_now


class PromoKind(StrEnum):
    PERCENT = "percent"  # a share off the list price
    FIXED = "fixed"  # a sum off the list price
    GIFT = "gift"  # a sum added to the balance


class UseStatus(StrEnum):
    RESERVED = "reserved"  # a confirmed order carries it, not delivered yet
    USED = "used"
    RELEASED = "released"  # its order failed or was refunded: it counts no more


COUNTED = (UseStatus.RESERVED.value, UseStatus.USED.value)


@dataclass(frozen=True)
class PromoCode:
    code: str
    kind: PromoKind
    percent: Decimal | None
    amount: int | None
    max_uses: int | None
    per_customer: int
    min_order: int
    lines: tuple[str, ...]  # empty: every line
    first_purchase: bool
    expires_at: str | None
    created_by: str
    created_at: str
    ended_at: str | None

    @classmethod
    def from_row(cls, row: Row) -> PromoCode:
        return cls(
            code=row["code"],
            kind=PromoKind(row["kind"]),
            percent=None if row["percent"] is None else Decimal(row["percent"]),
            amount=row["amount"],
            max_uses=row["max_uses"],
            per_customer=row["per_customer"],
            min_order=row["min_order"],
            lines=tuple(part for part in row["lines"].split(",") if part),
            first_purchase=bool(row["first_purchase"]),
            expires_at=row["expires_at"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            ended_at=row["ended_at"],
        )


@dataclass(frozen=True)
class PromoUse:
    id: int
    code: str
    user_id: int
    order_id: str | None
    amount: int
    status: UseStatus

    @classmethod
    def from_row(cls, row: Row) -> PromoUse:
        return cls(
            row["id"],
            row["code"],
            row["user_id"],
            row["order_id"],
            row["amount"],
            UseStatus(row["status"]),
        )


@dataclass(frozen=True)
class PromoTally:
    """A code with how often it was used and what it cost the shop (used uses only)."""

    promo: PromoCode
    uses: int  # reserved and used
    cost: int  # micro-units: discounts of delivered orders, gifts


class PromoStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, promo: PromoCode, *, tx: Transaction) -> bool:
        """False: a code by that name exists already (ended ones included: a code is never
        reused, so its old uses never count for a new one)."""
        inserted = await tx.fetch_all(
            "INSERT INTO promo_codes (code, kind, percent, amount, max_uses, per_customer,"
            " min_order, lines, first_purchase, expires_at, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING"
            " RETURNING code",
            (
                promo.code,
                promo.kind.value,
                None if promo.percent is None else str(promo.percent),
                promo.amount,
                promo.max_uses,
                promo.per_customer,
                promo.min_order,
                ",".join(promo.lines),
                1 if promo.first_purchase else 0,
                promo.expires_at,
                promo.created_by,
                promo.created_at,
            ),
        )
        return bool(inserted)

    async def get(self, code: str, *, tx: Transaction | None = None) -> PromoCode | None:
        """With `tx`, the row is locked until it commits (PostgreSQL): two customers taking the
        last use of a code take it one after the other."""
        if tx is None:
            row = await self._db.fetch_one("SELECT * FROM promo_codes WHERE code = ?", (code,))
        else:
            row = await tx.fetch_one(
                "SELECT * FROM promo_codes WHERE code = ?" + tx.for_update, (code,)
            )
        return None if row is None else PromoCode.from_row(row)

    async def end(self, code: str, by: str, *, tx: Transaction) -> bool:
        ended = await tx.fetch_all(
            "UPDATE promo_codes SET ended_by = ?, ended_at = ? WHERE code = ? AND ended_at IS NULL"
            " RETURNING code",
            (by, utc_now(), code),
        )
        return bool(ended)

    async def count_uses(self, code: str, *, reads: Reads, user_id: int | None = None) -> int:
        """Uses that count against the code's limits (of one customer, with `user_id`)."""
        sql = "SELECT COUNT(*) FROM promo_uses WHERE code = ? AND status IN (?, ?)"
        args: tuple[object, ...] = (code, *COUNTED)
        if user_id is not None:
            sql += " AND user_id = ?"
            args += (user_id,)
        return int(await reads.fetch_value(sql, args) or 0)

    async def add_use(
        self,
        code: str,
        user_id: int,
        amount: int,
        status: UseStatus,
        *,
        order_id: str | None,
        tx: Transaction,
    ) -> int:
        now = utc_now()
        return await tx.insert(
            "INSERT INTO promo_uses (code, user_id, order_id, amount, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, user_id, order_id, amount, status.value, now, now),
        )

    async def use_of(self, order_id: str, *, tx: Transaction) -> PromoUse | None:
        row = await tx.fetch_one("SELECT * FROM promo_uses WHERE order_id = ?", (order_id,))
        return None if row is None else PromoUse.from_row(row)

    async def move_use(
        self, use_id: int, before: UseStatus, after: UseStatus, *, tx: Transaction
    ) -> bool:
        """Compare-and-set: False when the use was not `before` (moved already)."""
        moved = await tx.fetch_all(
            "UPDATE promo_uses SET status = ?, updated_at = ? WHERE id = ? AND status = ?"
            " RETURNING id",
            (after.value, utc_now(), use_id, before.value),
        )
        return bool(moved)

    async def tallies(self) -> list[PromoTally]:
        """Every code, the open ones first, newest first."""
        rows = await self._db.fetch_all(
            "SELECT p.*,"
            " (SELECT COUNT(*) FROM promo_uses u WHERE u.code = p.code AND u.status IN (?, ?))"
            "   AS uses,"
            " (SELECT COALESCE(SUM(u.amount), 0) FROM promo_uses u"
            "   WHERE u.code = p.code AND u.status = ?) AS cost"
            " FROM promo_codes p"
            " ORDER BY CASE WHEN p.ended_at IS NULL THEN 0 ELSE 1 END, p.created_at DESC",
            (*COUNTED, UseStatus.USED.value),
        )
        return [PromoTally(PromoCode.from_row(row), row["uses"], row["cost"]) for row in rows]
