"""The bot's conversations, one router per module; `get_routers()` orders them."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.middlewares import BannedCustomerGate
from handlers import cancel, cloud, errors, fallback, language, purchase, start, support, wallet
from handlers.purchase import Presenter


def customer_router() -> Router:
    """Everything a customer does in their private chat with the bot."""
    customers = Router(name="customers")
    customers.message.filter(F.chat.type == ChatType.PRIVATE)
    customers.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    gate = BannedCustomerGate()
    customers.message.outer_middleware(gate)
    customers.callback_query.outer_middleware(gate)
    customers.include_routers(
        cancel.router,
        start.router,
        wallet.router,
        language.router,
        support.router,
        purchase.router,
        cloud.router,
        fallback.router,
    )
    return customers


def presenters() -> dict[str, Presenter]:
    """How each product line's orders read on the shared purchase screens."""
    return {"cloud": cloud.CLOUD}


def get_routers() -> list[Router]:
    return [errors.router, customer_router()]
