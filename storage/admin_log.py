"""What operators did, kept for good: who, when, what, and the state before and after."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Transaction, utc_now


@dataclass(frozen=True)
class AdminAction:
    at: str
    admin_id: int
    action: str
    target_kind: str
    target_id: str
    before: str | None
    after: str | None


class AdminLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        admin_id: int,
        action: str,
        target_kind: str,
        target_id: str,
        *,
        before: str | None = None,
        after: str | None = None,
        tx: Transaction | None = None,
    ) -> None:
        """With `tx`, recorded together with the change itself."""
        sql = (
            "INSERT INTO admin_actions"
            " (at, admin_id, action, target_kind, target_id, before, after)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        values = (utc_now(), admin_id, action, target_kind, target_id, before, after)
        if tx is not None:
            await tx.execute(sql, values)
            return
        async with self._db.write() as own:
            await own.execute(sql, values)

    async def about(self, target_kind: str, target_id: str, *, limit: int = 5) -> list[AdminAction]:
        """The latest actions on one customer or setting, newest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM admin_actions WHERE target_kind = ? AND target_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (target_kind, target_id, limit),
        )
        columns = ("at", "admin_id", "action", "target_kind", "target_id", "before", "after")
        return [AdminAction(*(row[column] for column in columns)) for row in rows]
