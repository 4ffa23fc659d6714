"""Conversation state kept in SQLite outlives the process that wrote it."""

from __future__ import annotations

from pathlib import Path

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.conversation_storage import SQLiteStorage
from storage.conversations import ConversationStore
from storage.database import Database


class Flow(StatesGroup):
    amount = State()


KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)
OTHER = StorageKey(bot_id=1, chat_id=43, user_id=43)


async def test_state_and_data_survive_reopening_the_database(tmp_path: Path) -> None:
    path = tmp_path / "fsm.sqlite3"
    async with Database(path) as db:
        storage = SQLiteStorage(ConversationStore(db))
        await storage.set_state(KEY, Flow.amount)
        await storage.set_data(KEY, {"product": "cloud", "amount": "12.50", "ünïcode": "越南"})
        await storage.update_data(KEY, {"step": 2})

    async with Database(path) as db:
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
    async with Database(tmp_path / "fsm.sqlite3") as db:
        storage = SQLiteStorage(ConversationStore(db))
        await storage.set_state(KEY, "Flow:amount")
        await storage.set_data(KEY, {"a": 1})
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        assert await db.fetch_value("SELECT COUNT(*) FROM conversation_state") == 0
        assert await storage.get_state(KEY) is None
