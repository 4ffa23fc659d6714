"""aiogram FSM storage kept in SQLite, so a conversation survives a restart of the bot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)

from storage.conversations import ConversationStore


class SQLiteStorage(BaseStorage):
    def __init__(self, store: ConversationStore, key_builder: KeyBuilder | None = None) -> None:
        self._store = store
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        await self._store.set_state(self._keys.build(key), name)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self._store.get_state(self._keys.build(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._store.set_data(self._keys.build(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self._store.get_data(self._keys.build(key))

    async def close(self) -> None:
        """The database belongs to the application, which closes it."""
