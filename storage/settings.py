"""Operator-editable settings (markups, rates, thresholds), stored as text by key."""

from __future__ import annotations

from storage.admin_log import AdminLog
from storage.database import Database, Reads, utc_now


class SettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str, *, reads: Reads | None = None) -> str | None:
        """With `reads` (a transaction), read through it rather than a connection of its own."""
        value = await (reads or self._db).fetch_value(
            "SELECT value FROM settings WHERE key = ?", (key,)
        )
        return None if value is None else str(value)

    async def set(self, key: str, value: str, *, actor: str = "system") -> None:
        async with self._db.write() as tx:
            await tx.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (key, value, utc_now(), actor),
            )

    async def change(
        self,
        key: str,
        value: str | None,
        *,
        operator: int,
        log: AdminLog,
        shown_before: str | None = None,
    ) -> None:
        """An operator's change of a setting (`value` None: back to its default), recorded in
        the admin log in the same transaction, with the value before (`shown_before` when the
        stored one is not what the operator saw, e.g. a default)."""
        async with self._db.write() as tx:
            before = await tx.fetch_value("SELECT value FROM settings WHERE key = ?", (key,))
            if value is None:
                await tx.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                await tx.execute(
                    "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    (key, value, utc_now(), f"admin:{operator}"),
                )
            await log.record(
                operator,
                "set",
                "setting",
                key,
                before=shown_before if shown_before is not None else before,
                after=value,
                tx=tx,
            )
