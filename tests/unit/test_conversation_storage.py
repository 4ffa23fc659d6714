"""Conversation state kept in SQLite outlives the process that wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.services.config import Settings
from bot.telegram.conversation_storage import SQLiteStorage
from bot.wiring.conversations import conversations
from storage.conversations import Conversation, ConversationStore
from storage.database import Database
from storage.sqlite import SqliteDatabase
from tests.databases import another_process, fresh_database


class Flow(StatesGroup):
    amount = State()


KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
OTHER = StorageKey(bot_id=1, chat_id=43, user_id=43)


async def test_state_and_data_survive_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "fsm.sqlite3"
    async with SqliteDatabase(path) as db:
        storage = SQLiteStorage(ConversationStore(db))
        await storage.set_state(KEY, Flow.amount)
        await storage.set_data(KEY, {"product": "cloud", "amount": "12.50", "ünïcode": "越南"})
        await storage.update_data(KEY, {"step": 2})

    async with SqliteDatabase(path) as db:
        storage = SQLiteStorage(ConversationStore(db))
        assert await storage.get_state(KEY) == "Flow:amount"
        assert await storage.get_data(KEY) == {
            "product": "cloud",
            "amount": "12.50",
            "ünïcode": "越南",
            "step": 2,
        }
        assert await storage.get_state(OTHER) is None
        assert await storage.get_data(OTHER) == {}


async def test_clearing_removes_the_row(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        storage = SQLiteStorage(ConversationStore(db))
        await storage.set_state(KEY, "Flow:amount")
        await storage.set_data(KEY, {"a": 1})
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        assert await db.fetch_value("SELECT COUNT(*) FROM conversation_state") == 0
        assert await storage.get_state(KEY) is None


class CountingStore(ConversationStore):
    """The store, counting its trips to the database."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reads = 0
        self.writes = 0

    async def get(self, key: str) -> Conversation:
        self.reads += 1
        return await super().get(key)

    async def set_state(self, key: str, state: str | None) -> None:
        self.writes += 1
        await super().set_state(key, state)

    async def set_data(self, key: str, data: str) -> None:
        self.writes += 1
        await super().set_data(key, data)


async def test_clearing_a_clear_conversation_writes_nothing(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        store = CountingStore(db)
        storage = SQLiteStorage(store)
        for _ in range(3):  # as every update does: read the state, then clear it
            assert await storage.get_state(KEY) is None
            await storage.set_state(KEY, None)
            await storage.set_data(KEY, {})
        assert (store.reads, store.writes) == (1, 0)


async def test_reads_after_the_first_come_from_memory_and_follow_writes(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        store = CountingStore(db)
        storage = SQLiteStorage(store)
        await storage.set_state(KEY, Flow.amount)
        await storage.update_data(KEY, {"amount": "5"})
        await storage.update_data(KEY, {"amount": "5"})  # the same again: not written
        assert await storage.get_state(KEY) == "Flow:amount"
        assert await storage.get_data(KEY) == {"amount": "5"}
        assert (store.reads, store.writes) == (1, 2)
        # What memory says is what the table holds.
        assert await SQLiteStorage(ConversationStore(db)).get_data(KEY) == {"amount": "5"}


async def test_changing_the_data_read_changes_nothing_stored(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        storage = SQLiteStorage(ConversationStore(db))
        await storage.set_data(KEY, {"items": [1]})
        (await storage.get_data(KEY))["items"].append(2)
        assert await storage.get_data(KEY) == {"items": [1]}


async def test_memory_keeps_the_most_recent_conversations(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        store = CountingStore(db)
        storage = SQLiteStorage(store, remembered=1)
        await storage.set_state(KEY, Flow.amount)
        await storage.set_state(OTHER, Flow.amount)  # KEY is forgotten
        assert await storage.get_state(KEY) == "Flow:amount"  # read again
        assert await storage.get_state(KEY) == "Flow:amount"
        assert store.reads == 3


async def test_a_failed_write_is_forgotten(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "fsm.sqlite3") as db:
        store = CountingStore(db)
        storage = SQLiteStorage(store)
        assert await storage.get_state(KEY) is None
        await db.close()
        with pytest.raises(RuntimeError):  # the database is not open
            await storage.set_state(KEY, Flow.amount)
        await db.open()
        assert await storage.get_state(KEY) is None  # read from the table again
        assert store.reads == 2


async def test_on_a_shared_database_without_redis_no_conversation_is_answered_from_memory(
    tmp_path: Path,
) -> None:
    """Two shop processes on one PostgreSQL database and no Redis: a conversation moved on by
    one is read as it is now by the other, not as that one last saw it."""
    config = Settings(_env_file=None)
    async with fresh_database("postgresql", tmp_path) as db, another_process(db) as twin:
        first = conversations(config, ConversationStore(db), turn_held=1, shared=True).storage
        second = conversations(config, ConversationStore(twin), turn_held=1, shared=True).storage
        assert await second.get_state(KEY) is None  # read once, before the other moved it on
        await first.set_state(KEY, Flow.amount)
        await first.set_data(KEY, {"product": "cloud"})
        assert await second.get_state(KEY) == "Flow:amount"
        assert await second.get_data(KEY) == {"product": "cloud"}
        await second.set_state(KEY, None)
        assert await first.get_state(KEY) is None
