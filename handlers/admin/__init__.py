"""The operators' side, in the admin group: only `ADMIN_IDS` there may act (see `access`)."""

from __future__ import annotations

from aiogram import Router

from bot.shop import Shop
from handlers.admin import (
    broadcast,
    commands,
    customers,
    exports,
    orders,
    payments,
    prices,
    providers,
    review,
    stars,
    stats,
)
from handlers.admin.access import Operator
from storage.orders import Order


def operators_router() -> Router:
    operators = Router(name="operators")
    operators.message.filter(Operator())
    operators.callback_query.filter(Operator())
    operators.include_routers(
        review.router,
        orders.router,
        customers.router,
        prices.router,
        stats.router,
        exports.router,
        providers.router,
        payments.router,
        stars.router,
        broadcast.router,
        commands.router,
    )
    return operators


async def announce_review(shop: Shop, order: Order, text: str) -> None:
    """An order now waits for the operators: the alert carries its decisions."""
    await shop.messenger.alert_operators(text, review.review_keyboard(order.id))


async def announce_order_alert(shop: Shop, order: Order, text: str) -> None:
    """Trouble with one order (a reversal, upstream owing a refund, …): the alert carries a way
    to its card."""
    await shop.messenger.alert_operators(text, orders.order_card_keyboard(order.id))
