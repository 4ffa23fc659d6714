"""Where each conversation stands (state name and collected data), kept across restarts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storage.database import Database, utc_now

EMPTY_DATA = "{}"


@dataclass(frozen=True)
class Conversation:
    """Where one conversation stands: its state's name and its data as stored (JSON text)."""

    state: str | None = None
    data: str = EMPTY_DATA


def encode_data(data: Mapping[str, Any]) -> str:
    """A conversation's data as stored: equal data, equal text."""
    return json.dumps(dict(data), ensure_ascii=False, sort_keys=True)


class ConversationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> Conversation:
        """The conversation under `key`; one that left no row is the empty one."""
        row = await self._db.fetch_one(
            "SELECT state, data FROM conversation_state WHERE key = ?", (key,)
        )
        return Conversation() if row is None else Conversation(row["state"], row["data"])

    async def set_state(self, key: str, state: str | None) -> None:
        await self._put(key, "state", state)

    async def set_data(self, key: str, data: str) -> None:
        """`data` as `encode_data` gives it."""
        await self._put(key, "data", data)

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
                "DELETE FROM conversation_state WHERE key = ? AND state IS NULL AND data = ?",
                (key, EMPTY_DATA),
            )

    async def every(self) -> list[tuple[str, Conversation]]:
        """Every conversation that holds something, by key: what a shop moving its conversations
        elsewhere (Redis) takes along."""
        rows = await self._db.fetch_all("SELECT key, state, data FROM conversation_state")
        return [(row["key"], Conversation(row["state"], row["data"])) for row in rows]
