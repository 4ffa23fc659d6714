"""Who is talking: each private-chat update is tied to a registered customer before handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
    User,
)
from aiogram_i18n import I18nContext

from bot.services.pricing import priced_for
from bot.shop import Shop
from bot.telegram.i18n import language_from_telegram
from handlers.callbacks import JoinedChannel
from handlers.screens import show
from storage.orders import OrderStatus
from storage.users import Customer

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CustomerMiddleware(BaseMiddleware):
    """Registers the customer on first contact and puts them in `data["customer"]`; a first
    contact that is `/start r_<code>` (a friend's invitation link) makes them that friend's
    referral, before any gate can stop the update.

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
            if customer.is_new and (payload := _start_payload(event)):
                await self._shop.referrals.join(customer.id, payload)
        data["customer"] = customer
        with priced_for(None if customer is None else customer.id):  # their group's prices
            return await handler(event, data)


def _start_payload(event: TelegramObject) -> str | None:
    """What follows `/start ` in the update's message (a deep link's payload), if anything."""
    message = event.message if isinstance(event, Update) else None
    text = message.text if message is not None else None
    if not text or not text.startswith("/start "):
        return None
    return text.removeprefix("/start ").strip() or None


class ChannelGate(BaseMiddleware):
    """With `REQUIRED_CHANNEL`, a customer who is not in the channel is asked to join it first
    and nothing else happens; a customer who bought before or has money with the shop (this
    process remembers them), or is in the middle of a purchase (a conversation under way, a
    quote open), is never stopped. "✅ I've joined" asks Telegram again at once."""

    def __init__(self) -> None:
        self._customers_of_old: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        shop: Shop = data["shop"]
        customer: Customer | None = data.get("customer")
        channel = shop.channel
        if channel is None or customer is None or customer.id in self._customers_of_old:
            return await handler(event, data)
        joined = isinstance(event, CallbackQuery) and JoinedChannel.is_it(event.data)
        if await channel.is_member(customer.id, fresh=joined):  # remembered a while
            return await handler(event, data)
        if await _bought_or_paid(shop, customer):
            self._customers_of_old.add(customer.id)
            return await handler(event, data)
        if await _mid_purchase(shop, customer, data):
            return await handler(event, data)
        i18n: I18nContext = data["i18n"]
        if joined:
            assert isinstance(event, CallbackQuery)
            await event.answer(i18n.get("channel-not-yet"), show_alert=True)
            return None
        markup = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=i18n.get("button-open-channel"), url=channel.url)],
                [
                    InlineKeyboardButton(
                        text=i18n.get("button-joined-channel"),
                        callback_data=JoinedChannel().pack(),
                    )
                ],
            ]
        )
        text = i18n.get("channel-required", channel=channel.channel)
        if isinstance(event, Message | CallbackQuery):
            await show(event, text, markup)
        return None


async def _bought_or_paid(shop: Shop, customer: Customer) -> bool:
    """A customer who bought before, or has money with the shop (a deposit, a gift, a refund)."""
    if await shop.orders.bought_before(customer.id):
        return True
    balance = await shop.ledger.balance(customer.id)
    return balance.available + balance.held > 0


async def _mid_purchase(shop: Shop, customer: Customer, data: dict[str, Any]) -> bool:
    """In a conversation, or with a quote open."""
    state: FSMContext | None = data.get("state")
    if state is not None and await state.get_state() is not None:
        return True
    return bool(await shop.orders.with_status([OrderStatus.QUOTED], user_id=customer.id))


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
