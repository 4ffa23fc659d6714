"""The operators' side, in the admin group: only `ADMIN_IDS` there may act (see `access`)."""

from __future__ import annotations

from aiogram import Router

from bot.telegram.outbox import Letter
from handlers.admin import (
    broadcast,
    commands,
    customers,
    exports,
    groups,
    orders,
    payments,
    prices,
    promos,
    providers,
    referrals,
    review,
    stars,
    stats,
)
from handlers.admin.access import Operator
from storage.outbox import Entry


def operators_router() -> Router:
    operators = Router(name="operators")
    operators.message.filter(Operator())
    operators.callback_query.filter(Operator())
    operators.include_routers(
        review.router,
        orders.router,
        customers.router,
        prices.router,
        groups.router,
        promos.router,
        referrals.router,
        stats.router,
        exports.router,
        providers.router,
        payments.router,
        stars.router,
        broadcast.router,
        commands.router,
    )
    return operators


async def with_decisions(entry: Entry) -> list[Letter]:
    """An alert about an order that now waits for the operators: it carries their decisions."""
    return [Letter(entry.body["text"], review.review_keyboard(entry.about))]


async def with_its_card(entry: Entry) -> list[Letter]:
    """Trouble with one order (a reversal, upstream owing a refund, …): the alert carries a way
    to its card."""
    return [Letter(entry.body["text"], orders.order_card_keyboard(entry.about))]
