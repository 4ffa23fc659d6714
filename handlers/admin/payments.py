"""Payments no request explains: a USDT transfer that matched no open request, or came after its
request expired. The operators say whose it is (a button per likely customer, or
`/assign PAYMENT USER`) or ignore it; either is taken once."""

from __future__ import annotations

import html
from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.deposits import DepositRefused
from bot.money import format_money
from bot.shop import Shop
from storage.deposits import Payment

router = Router(name="admin-payments")


class PaymentAction(StrEnum):
    ASSIGN = "assign"
    IGNORE = "ignore"


class PaymentButton(CallbackData, prefix="pay"):
    action: PaymentAction
    payment_id: int
    user_id: int = 0  # whom to credit (assign)


def payment_card(shop: Shop, payment: Payment) -> str:
    txid = payment.reference.partition(":")[2]
    return "\n".join(
        [
            f"💵 <b>USDT transfer #{payment.id}</b> matches no open top-up request",
            f"Amount: <b>{format_money(payment.paid, shop.currency, places=6)}</b>",
            f"From: <code>{html.escape(payment.sender)}</code>",
            f"Sent: {payment.paid_at[:19].replace('T', ' ')} UTC",
            f"Transaction: <code>{html.escape(txid)}</code>",
            f"Credit it to a customer below, or <code>/assign {payment.id} USER</code>.",
        ]
    )


async def payment_keyboard(shop: Shop, payment: Payment) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for user_id in await shop.deposits.store.usdt_candidates(payment.paid):
        customer = await shop.customers.get(user_id)
        name = customer.first_name if customer is not None else str(user_id)
        builder.button(
            text=f"✅ Credit {name} ({user_id})",
            callback_data=PaymentButton(
                action=PaymentAction.ASSIGN, payment_id=payment.id, user_id=user_id
            ),
        )
    builder.button(
        text="🚫 Ignore",
        callback_data=PaymentButton(action=PaymentAction.IGNORE, payment_id=payment.id),
    )
    builder.adjust(1)
    return builder.as_markup()


async def announce_unmatched_payment(shop: Shop, payment: Payment) -> None:
    await shop.messenger.tell_operators(
        payment_card(shop, payment), await payment_keyboard(shop, payment)
    )


@router.callback_query(PaymentButton.filter())
async def decide(query: CallbackQuery, callback_data: PaymentButton, shop: Shop) -> None:
    admin = query.from_user.id
    try:
        if callback_data.action == PaymentAction.ASSIGN:
            payment = await shop.deposits.assign(
                callback_data.payment_id, callback_data.user_id, admin
            )
            done = f"✅ Credited to customer {callback_data.user_id}"
        else:
            payment = await shop.deposits.ignore(callback_data.payment_id, admin)
            done = "🚫 Ignored"
    except DepositRefused as refused:
        await query.answer(f"Not done: {refused}.", show_alert=True)
        return
    if isinstance(query.message, Message):
        await query.message.edit_text(f"{payment_card(shop, payment)}\n\n{done} by {admin}.")
    await query.answer(done)


@router.message(Command("assign"))
async def assign(message: Message, command: CommandObject, shop: Shop) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit():
        await message.answer("⚠️ Not done. Usage: <code>/assign PAYMENT USER</code>")
        return
    assert message.from_user is not None
    customer = await shop.operators.find(parts[1])
    if customer is None:
        await message.answer(f"⚠️ Not done: no customer {html.escape(parts[1][:40])}.")
        return
    try:
        payment = await shop.deposits.assign(int(parts[0]), customer.id, message.from_user.id)
    except DepositRefused as refused:
        await message.answer(f"⚠️ Not done: {html.escape(str(refused))}.")
        return
    await message.answer(f"✅ Payment #{payment.id} credited to customer {customer.id}.")
