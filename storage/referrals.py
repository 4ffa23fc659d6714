"""Referral codes, who brought whom, and the rewards (rows only; the rules are
`bot/services/referrals.py`'s)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database, Row, Transaction, utc_now


class RewardStatus(StrEnum):
    PENDING = "pending"  # earned by a delivered order, paid once its settling period is over
    RELEASED = "released"  # paid to the referrer's wallet
    VOIDED = "voided"  # the order was refunded or reversed before it was paid


@dataclass(frozen=True)
class Reward:
    id: int
    order_id: str
    referrer_id: int
    referred_id: int
    amount: int
    status: RewardStatus
    due_at: str

    @classmethod
    def from_row(cls, row: Row) -> Reward:
        return cls(
            row["id"],
            row["order_id"],
            row["referrer_id"],
            row["referred_id"],
            row["amount"],
            RewardStatus(row["status"]),
            row["due_at"],
        )


@dataclass(frozen=True)
class ReferralStanding:
    """What a referrer sees: how many joined through their link and what they earned."""

    joined: int
    released: int  # micro-units paid to their wallet
    pending: int  # micro-units earned, paid once settled


class ReferralStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def code_of(self, user_id: int) -> str | None:
        value = await self._db.fetch_value(
            "SELECT code FROM referral_codes WHERE user_id = ?", (user_id,)
        )
        return None if value is None else str(value)

    async def add_code(self, user_id: int, code: str) -> bool:
        """False: the customer has a code already, or another has this one."""
        async with self._db.write() as tx:
            added = await tx.fetch_all(
                "INSERT INTO referral_codes (user_id, code, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING user_id",
                (user_id, code, utc_now()),
            )
        return bool(added)

    async def owner_of(self, code: str) -> int | None:
        value = await self._db.fetch_value(
            "SELECT user_id FROM referral_codes WHERE code = ?", (code,)
        )
        return None if value is None else int(value)

    async def join(self, user_id: int, referrer_id: int) -> bool:
        """Once: False when the customer has a referrer already."""
        async with self._db.write() as tx:
            added = await tx.fetch_all(
                "INSERT INTO referrals (user_id, referrer_id, joined_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
                (user_id, referrer_id, utc_now()),
            )
        return bool(added)

    async def referrer_of(self, user_id: int, *, tx: Transaction) -> int | None:
        value = await tx.fetch_value(
            "SELECT referrer_id FROM referrals WHERE user_id = ?", (user_id,)
        )
        return None if value is None else int(value)

    async def add_reward(
        self,
        order_id: str,
        referrer_id: int,
        referred_id: int,
        amount: int,
        due_at: str,
        *,
        tx: Transaction,
    ) -> bool:
        added = await tx.fetch_all(
            "INSERT INTO referral_rewards (order_id, referrer_id, referred_id, amount, status,"
            " due_at, created_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)"
            " ON CONFLICT (order_id) DO NOTHING RETURNING id",
            (order_id, referrer_id, referred_id, amount, due_at, utc_now()),
        )
        return bool(added)

    async def reward_of(self, order_id: str, *, tx: Transaction) -> Reward | None:
        row = await tx.fetch_one(
            "SELECT * FROM referral_rewards WHERE order_id = ?" + tx.for_update, (order_id,)
        )
        return None if row is None else Reward.from_row(row)

    async def due(self, now: str, *, limit: int) -> list[Reward]:
        rows = await self._db.fetch_all(
            "SELECT * FROM referral_rewards WHERE status = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )
        return [Reward.from_row(row) for row in rows]

    async def settle(self, reward_id: int, status: RewardStatus, *, tx: Transaction) -> bool:
        """Compare-and-set from pending: False when it was settled already."""
        moved = await tx.fetch_all(
            "UPDATE referral_rewards SET status = ?, settled_at = ? WHERE id = ?"
            " AND status = 'pending' RETURNING id",
            (status.value, utc_now(), reward_id),
        )
        return bool(moved)

    async def standing(self, referrer_id: int) -> ReferralStanding:
        joined = await self._db.fetch_value(
            "SELECT COUNT(*) FROM referrals WHERE referrer_id = ?", (referrer_id,)
        )
        sums = await self._db.fetch_one(
            "SELECT COALESCE(SUM(CASE WHEN status = 'released' THEN amount END), 0) AS released,"
            " COALESCE(SUM(CASE WHEN status = 'pending' THEN amount END), 0) AS pending"
            " FROM referral_rewards WHERE referrer_id = ?",
            (referrer_id,),
        )
        assert sums is not None
        return ReferralStanding(int(joined or 0), int(sums["released"]), int(sums["pending"]))
