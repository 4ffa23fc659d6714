"""Operator-editable settings (markups, rates, thresholds), stored as text by key."""

from __future__ import annotations

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

    async def delete(self, key: str) -> None:
        """Back to the default, whatever code reads the key says it is."""
        async with self._db.write() as tx:
            await tx.execute("DELETE FROM settings WHERE key = ?", (key,))
