"""`/review`: the orders waiting for an operator, each with Refund, Mark delivered and Retry."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.orders import Decision
from bot.shop import Shop
from handlers.admin.cards import order_card
from handlers.screens import grid, redraw
from storage.orders import OrderStatus

router = Router(name="admin-review")

SHOWN = 10  # orders listed at once; the oldest first


class ReviewButton(CallbackData, prefix="rv"):
    decision: Decision
    order_id: str


def review_keyboard(order_id: str) -> InlineKeyboardMarkup:
    options = [
        (label, ReviewButton(decision=decision, order_id=order_id))
        for label, decision in (
            ("💸 Refund", Decision.REFUND),
            ("✅ Mark delivered", Decision.DELIVERED),
            ("🔁 Retry", Decision.RETRY),
        )
    ]
    return InlineKeyboardMarkup(inline_keyboard=grid(options, per_row=3))


@router.message(Command("review"))
async def review_queue(message: Message, shop: Shop) -> None:
    waiting = await shop.sales.in_review()
    if not waiting:
        await message.answer("✅ No order needs review.")
        return
    more = f" (the oldest {SHOWN} shown)" if len(waiting) > SHOWN else ""
    await message.answer(f"🔎 <b>{len(waiting)} order(s) need review</b>{more}.")
    for order in waiting[:SHOWN]:
        card = await order_card(shop, order, history=True)
        await message.answer(card, reply_markup=review_keyboard(order.id))


@router.callback_query(ReviewButton.filter())
async def decide(query: CallbackQuery, callback_data: ReviewButton, shop: Shop) -> None:
    assert query.from_user is not None
    operator = query.from_user
    try:
        taken, order = await shop.sales.decide(
            callback_data.order_id, callback_data.decision, operator.id
        )
    except KeyError:
        await query.answer("No such order.", show_alert=True)
        return
    if not taken:
        await query.answer(f"Already decided: the order is {order.status}.", show_alert=True)
        return
    who = html.escape(f"@{operator.username}" if operator.username else str(operator.id))
    done = {
        Decision.REFUND: "💸 Refunded",
        Decision.DELIVERED: "✅ Marked delivered",
        Decision.RETRY: "🔁 Asked upstream again",
    }[callback_data.decision]
    card = await order_card(shop, order, history=True)
    still = review_keyboard(order.id) if order.status == OrderStatus.NEEDS_REVIEW else None
    if isinstance(query.message, Message):  # the card in the group; never a private copy
        # An unchanged card (Retry again, upstream still cannot say) is shown as it is.
        await redraw(query, f"{card}\n\n{done} by {who}.", still)
    await query.answer(f"{done}: the order is {order.status}.")
