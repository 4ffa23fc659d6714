"""`/order <id>`: an order, its upstream references and its whole history."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.shop import Shop
from handlers.admin.cards import order_card
from handlers.admin.review import review_keyboard
from storage.orders import OrderStatus

router = Router(name="admin-orders")

USAGE = "Usage: <code>/order ORDER_ID</code>, e.g. <code>/order 261124051200123456</code>"


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
    markup = review_keyboard(order.id) if order.status == OrderStatus.NEEDS_REVIEW else None
    await message.answer(await order_card(shop, order, history=True), reply_markup=markup)
