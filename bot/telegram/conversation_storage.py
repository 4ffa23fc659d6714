"""aiogram FSM storage kept in SQLite, so a conversation survives a restart of the bot.

Recent conversations are also kept in memory, written through. Every update reads its
conversation's state, and most updates (a menu button, /start) then clear a conversation that
holds nothing. This process is the only writer of conversations (one polling bot per token), so
what it last read or wrote is what the table holds: a read is answered from memory, and a write
that would change nothing is skipped, where it used to cost a commit with its fsync.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)

from storage.conversations import Conversation, ConversationStore, encode_data

REMEMBERED = 10_000  # conversations kept in memory, the most recently used


class SQLiteStorage(BaseStorage):
    def __init__(
        self,
        store: ConversationStore,
        key_builder: KeyBuilder | None = None,
        *,
        remembered: int = REMEMBERED,
    ) -> None:
        self._store = store
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
        self._remembered = remembered
        self._known: OrderedDict[str, Conversation] = OrderedDict()
        self._writes = 0  # finished writes: a read that overlapped one may have seen the old row

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        built = self._keys.build(key)
        if (await self._conversation(built)).state == name:
            return
        await self._write(
            built, self._store.set_state(built, name), lambda known: replace(known, state=name)
        )

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._conversation(self._keys.build(key))).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        text = encode_data(data)
        built = self._keys.build(key)
        if (await self._conversation(built)).data == text:
            return
        await self._write(
            built, self._store.set_data(built, text), lambda known: replace(known, data=text)
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((await self._conversation(self._keys.build(key))).data)
        return data  # a new dict each time: the caller may change it

    async def close(self) -> None:
        """The database belongs to the application, which closes it."""

    async def _conversation(self, key: str) -> Conversation:
        known = self._known.get(key)
        if known is not None:
            self._known.move_to_end(key)
            return known
        writes = self._writes
        found = await self._store.get(key)
        if self._writes == writes:  # nothing written meanwhile: what was read is current
            self._remember(key, found)
        return found

    async def _write(
        self, key: str, write: Awaitable[None], change: Callable[[Conversation], Conversation]
    ) -> None:
        """Write, then change what memory knows the same way. Nothing runs in between (writes
        are serialised and no await follows the commit), so memory follows the table's order."""
        try:
            await write
        except BaseException:
            self._writes += 1
            self._known.pop(key, None)  # written or not, it is unknown now
            raise
        self._writes += 1
        known = self._known.get(key)
        if known is not None:
            self._remember(key, change(known))

    def _remember(self, key: str, conversation: Conversation) -> None:
        self._known[key] = conversation
        self._known.move_to_end(key)
        while len(self._known) > self._remembered:
            self._known.popitem(last=False)
