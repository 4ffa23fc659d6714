"""`/order <id>`: an order, its upstream references and its whole history; the same card from
the button on an alert about one order; `/refund`."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.money import format_money
from bot.services.orders import Settlement
from bot.shop import Shop
from handlers.admin.cards import order_card
from handlers.admin.review import review_keyboard
from handlers.screens import grid
from storage.orders import Order, OrderStatus

router = Router(name="admin-orders")

USAGE = "Usage: <code>/order ORDER_ID</code>, e.g. <code>/order 261124051200123456</code>"


class OrderCardButton(CallbackData, prefix="oc"):
    order_id: str


def order_card_keyboard(order_id: str) -> InlineKeyboardMarkup:
    """The button on an alert about one order: its card, with its history."""
    button = OrderCardButton(order_id=order_id)
    return InlineKeyboardMarkup(inline_keyboard=grid([("🧾 Show the order", button)], 1))


async def _card(shop: Shop, order: Order) -> tuple[str, InlineKeyboardMarkup | None]:
    """What `/order` shows: the card with its history, and the review buttons while it waits."""
    markup = review_keyboard(order.id) if order.status == OrderStatus.NEEDS_REVIEW else None
    return await order_card(shop, order, history=True), markup


@router.message(Command("order"))
async def show_order(message: Message, command: CommandObject, shop: Shop) -> None:
    order_id = (command.args or "").strip()
    if not order_id or len(order_id) > 64 or " " in order_id:
        await message.answer(f"⚠️ {USAGE}")
        return
    order = await shop.orders.get(order_id)
    if order is None:
        await message.answer(f"⚠️ No order <code>{html.escape(order_id)}</code>.")
        return
    text, markup = await _card(shop, order)
    await message.answer(text, reply_markup=markup)


@router.callback_query(OrderCardButton.filter(), F.message.as_("alert"))
async def show_order_card(
    query: CallbackQuery, callback_data: OrderCardButton, shop: Shop, alert: Message
) -> None:
    """The card as it stands now, in answer to the alert (which stays as it was)."""
    order = await shop.orders.get(callback_data.order_id)
    if order is None:
        await query.answer("No such order.", show_alert=True)
        return
    text, markup = await _card(shop, order)
    await alert.reply(text, reply_markup=markup)
    await query.answer()


@router.message(Command("refund"))
async def refund_order(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    parts = (command.args or "").split(maxsplit=1)
    if not parts or len(parts[0]) > 64:
        await message.answer(
            "⚠️ Usage: <code>/refund ORDER_ID [REASON]</code>, e.g. "
            "<code>/refund 261124051200123456 the customer never got it</code>"
        )
        return
    order_id, reason = parts[0], (parts[1].strip() if len(parts) > 1 else "no reason given")
    try:
        amount, order = await shop.sales.refund_by_operator(
            order_id, message.from_user.id, reason[:200]
        )
    except KeyError:
        await message.answer(f"⚠️ No order <code>{html.escape(order_id)}</code>.")
        return
    shown = f"<code>{html.escape(order.id)}</code>"
    if amount:
        money = format_money(amount, shop.currency)
        await message.answer(
            f"✅ Refunded {money} of order {shown} to customer <code>{order.user_id}</code> "
            f"({html.escape(reason)}); the order is {order.status}. The customer was told."
        )
    elif Settlement.of(order).refunded_by_operator:
        await message.answer(f"ℹ️ Order {shown} was refunded by an operator already.")
    elif order.status in (OrderStatus.FAILED, OrderStatus.REVERSED):
        await message.answer(f"ℹ️ Nothing left to refund: order {shown} gave everything back.")
    elif order.status == OrderStatus.NEEDS_REVIEW:
        await message.answer(f"ℹ️ Order {shown} waits for review: decide it with /review.")
    else:
        await message.answer(
            f"ℹ️ Order {shown} is {order.status}: nothing was taken for it yet, or upstream "
            "has not answered; only a succeeded or failed order can be refunded."
        )
