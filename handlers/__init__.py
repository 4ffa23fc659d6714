"""The bot's conversations, one router per module; `get_routers()` orders them. The product
lines' conversations declare themselves (`handlers.lines`) and come in the lines' order."""

from __future__ import annotations

from aiogram import Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from handlers import (
    cancel,
    deposits,
    errors,
    fallback,
    language,
    orders,
    promo,
    purchase,
    referrals,
    stars,
    start,
    support,
    wallet,
)
from handlers.admin import operators_router
from handlers.lines import conversations
from handlers.middlewares import BannedCustomerGate, ChannelGate
from handlers.purchase import Presenter


class InPrivateChat(Filter):
    """The update comes from a private chat with the bot (a message, or a press on a message).

    A coroutine on purpose: aiogram runs a plain function or `F` filter in a worker thread, and
    this one is checked on every customer's update."""

    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.type == ChatType.PRIVATE


def customer_router() -> Router:
    """Everything a customer does in their private chat with the bot."""
    customers = Router(name="customers")
    customers.message.filter(InPrivateChat())
    customers.callback_query.filter(InPrivateChat())
    for gate in (BannedCustomerGate(), ChannelGate()):  # a banned customer hears only that
        customers.message.outer_middleware(gate)
        customers.callback_query.outer_middleware(gate)
    customers.include_routers(
        cancel.router,
        start.router,
        wallet.router,
        referrals.router,
        deposits.router,
        stars.router,
        orders.router,
        language.router,
        support.router,
        promo.router,  # before purchase: its button on the confirmation
        purchase.router,
        *(conversation.router for conversation in conversations()),
        fallback.router,
    )
    return customers


def presenters() -> dict[str, Presenter]:
    """How each product line's orders read on the shared purchase screens."""
    return {conversation.key: conversation.presenter for conversation in conversations()}


def get_routers() -> list[Router]:
    # Stars payments before the customers' router: money in is booked whatever the chat does.
    return [errors.router, operators_router(), stars.payments, customer_router()]
