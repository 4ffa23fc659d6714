"""Where each conversation stands (state name and collected data), kept across restarts."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database, utc_now


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_state(self, key: str) -> str | None:
        value = await self._db.fetch_value(
            "SELECT state FROM conversation_state WHERE key = ?", (key,)
        )
        return None if value is None else str(value)

    async def get_data(self, key: str) -> dict[str, Any]:
        value = await self._db.fetch_value(
            "SELECT data FROM conversation_state WHERE key = ?", (key,)
        )
        if value is None:
            return {}
        data: dict[str, Any] = json.loads(value)
        return data

    async def set_state(self, key: str, state: str | None) -> None:
        await self._put(key, "state", state)

    async def set_data(self, key: str, data: dict[str, Any]) -> None:
        await self._put(key, "data", json.dumps(data, ensure_ascii=False, sort_keys=True))

    async def _put(self, key: str, column: str, value: str | None) -> None:
        """Write one column; a conversation with neither state nor data leaves no row behind."""
        assert column in {"state", "data"}
        async with self._db.write() as tx:
            await tx.execute(
                f"INSERT INTO conversation_state (key, {column}, updated_at) VALUES (?, ?, ?)"
                f" ON CONFLICT (key) DO UPDATE SET {column} = excluded.{column},"
                " updated_at = excluded.updated_at",
                (key, value, utc_now()),
            )
            await tx.execute(
                "DELETE FROM conversation_state WHERE key = ? AND state IS NULL AND data = '{}'",
                (key,),
            )
