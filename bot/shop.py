"""The shop's services, opened once and handed to every handler through the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from storage.conversations import ConversationStore
from storage.database import Database
from storage.ledger import Ledger
from storage.orders import OrderStore
from storage.settings import SettingsStore
from storage.users import CustomerStore

STORE_CURRENCY = "USDT"


@dataclass
class Shop:
    config: Settings
    db: Database
    customers: CustomerStore
    ledger: Ledger
    orders: OrderStore
    settings: SettingsStore
    conversations: ConversationStore
    currency: str = STORE_CURRENCY

    @classmethod
    async def open(cls, config: Settings) -> Shop:
        db = Database(config.database_path)
        await db.open()
        return cls(
            config=config,
            db=db,
            customers=CustomerStore(db),
            ledger=Ledger(db),
            orders=OrderStore(db),
            settings=SettingsStore(db),
            conversations=ConversationStore(db),
        )

    async def close(self) -> None:
        await self.db.close()

    @property
    def support_enabled(self) -> bool:
        return self.config.admin_chat_id is not None
