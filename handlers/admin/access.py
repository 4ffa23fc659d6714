"""Who may act as an operator: a member of `ADMIN_IDS`, in the admin group (`ADMIN_CHAT_ID`).

Anyone else, and any private chat, gets nothing at all: no answer reveals that a command exists.
"""

from __future__ import annotations

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

from bot.shop import Shop


class Operator(BaseFilter):
    async def __call__(self, event: Message | CallbackQuery, shop: Shop) -> bool:
        user = event.from_user
        chat = event.chat if isinstance(event, Message) else getattr(event.message, "chat", None)
        config = shop.config
        return (
            user is not None
            and chat is not None
            and config.admin_chat_id is not None
            and chat.id == config.admin_chat_id
            and config.is_admin(user.id)
        )
