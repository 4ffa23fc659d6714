"""The operators' side, in the admin group: only `ADMIN_IDS` there may act (see `access`)."""

from __future__ import annotations

from aiogram import Router

from handlers.admin import orders, review
from handlers.admin.access import Operator


def operators_router() -> Router:
    operators = Router(name="operators")
    operators.message.filter(Operator())
    operators.callback_query.filter(Operator())
    operators.include_routers(review.router, orders.router)
    return operators
