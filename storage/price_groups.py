"""Price groups and customers' assignments to them (rows only; the rules are
`bot/services/price_groups.py`'s)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, utc_now


@dataclass(frozen=True)
class PriceGroup:
    name: str
    min_spend: int | None  # None: given by operators only


@dataclass(frozen=True)
class Assignment:
    name: str  # a group's, or "retail"
    assigned_by: str
    assigned_at: str


class PriceGroupStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def groups(self) -> list[PriceGroup]:
        rows = await self._db.fetch_all("SELECT name, min_spend FROM price_groups ORDER BY name")
        return [PriceGroup(row["name"], row["min_spend"]) for row in rows]

    async def get(self, name: str) -> PriceGroup | None:
        row = await self._db.fetch_one(
            "SELECT name, min_spend FROM price_groups WHERE name = ?", (name,)
        )
        return None if row is None else PriceGroup(row["name"], row["min_spend"])

    async def ensure(self, name: str, by: str) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO price_groups (name, min_spend, created_by, created_at)"
                " VALUES (?, NULL, ?, ?) ON CONFLICT (name) DO NOTHING",
                (name, by, utc_now()),
            )

    async def set_min_spend(self, name: str, min_spend: int | None) -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "UPDATE price_groups SET min_spend = ? WHERE name = ?", (min_spend, name)
            )

    async def assignment(self, user_id: int) -> Assignment | None:
        row = await self._db.fetch_one(
            "SELECT name, assigned_by, assigned_at FROM customer_groups WHERE user_id = ?",
            (user_id,),
        )
        if row is None:
            return None
        return Assignment(row["name"], row["assigned_by"], row["assigned_at"])

    async def assign(self, user_id: int, name: str | None, by: str) -> None:
        """`name` None: the operators' assignment is taken away (spend decides again)."""
        async with self._db.write() as tx:
            if name is None:
                await tx.execute("DELETE FROM customer_groups WHERE user_id = ?", (user_id,))
                return
            await tx.execute(
                "INSERT INTO customer_groups (user_id, name, assigned_by, assigned_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
                " assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at",
                (user_id, name, by, utc_now()),
            )

    async def spent_since(self, user_id: int, moment: str) -> int:
        """What the customer's orders delivered since `moment` were charged."""
        value = await self._db.fetch_value(
            "SELECT COALESCE(SUM(charge), 0) FROM orders WHERE user_id = ?"
            " AND status = 'succeeded' AND created_at >= ?",
            (user_id, moment),
        )
        return int(value or 0)

    async def members(self) -> dict[str, int]:
        """How many customers operators put in each group (by name)."""
        rows = await self._db.fetch_all(
            "SELECT name, COUNT(*) AS n FROM customer_groups GROUP BY name"
        )
        return {row["name"]: row["n"] for row in rows}
