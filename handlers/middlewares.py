"""Who is talking: each private-chat update is tied to a registered customer before handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject, User
from aiogram_i18n import I18nContext

from bot.shop import Shop
from bot.telegram.i18n import language_from_telegram
from storage.users import Customer

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CustomerMiddleware(BaseMiddleware):
    """Registers the customer on first contact and puts them in `data["customer"]`.

    Only private chats make customers: members of the admin group are not shop customers.
    """

    def __init__(self, shop: Shop) -> None:
        self._shop = shop

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        customer: Customer | None = None
        if (
            user is not None
            and not user.is_bot
            and chat is not None
            and chat.type == ChatType.PRIVATE
        ):
            customer = await self._shop.customers.register(
                user.id,
                username=user.username,
                first_name=user.first_name,
                language=language_from_telegram(user.language_code),
            )
        data["customer"] = customer
        return await handler(event, data)


class BannedCustomerGate(BaseMiddleware):
    """A banned customer gets one polite line and nothing else happens."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        customer: Customer | None = data.get("customer")
        if customer is None or not customer.banned:
            return await handler(event, data)
        i18n: I18nContext = data["i18n"]
        text = i18n.get("banned")
        if isinstance(event, Message):
            await event.answer(text)
        elif isinstance(event, CallbackQuery):
            await event.answer(text, show_alert=True)
        return None
