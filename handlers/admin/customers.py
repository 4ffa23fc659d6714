"""Operators and customers: `/user`, `/credit`, `/debit`, `/ban`, `/unban`.

Every change is recorded with the admin as actor (the ledger transaction itself, and the admin
log); the customer hears of money moved in their own language.
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.money import (
    CENT,
    MICRO,
    AmountError,
    format_money,
    format_signed_money,
    parse_amount,
)
from bot.shop import Shop
from bot.telegram.outbox import Letter
from handlers.admin.naming import customer_named, who
from handlers.screens import grid
from storage.ledger import InsufficientFunds
from storage.users import Customer

router = Router(name="admin-customers")

MAXIMUM = 100_000 * MICRO  # one credit or debit
MAX_REASON = 200


class BanButton(CallbackData, prefix="ban"):
    user_id: int
    banned: bool


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")


# -- /user --


async def _card(shop: Shop, customer: Customer) -> tuple[str, InlineKeyboardMarkup]:
    balance = await shop.ledger.balance(customer.id)
    lines = [
        f"👤 <b>{who(customer)}</b>" + (" · 🚫 banned" if customer.banned else ""),
        f"Language {customer.language} · customer since {customer.created_at[:10]}",
    ]
    if customer.blocked_bot_at:
        lines.append(f"🔕 Blocked the bot (found {_minute(customer.blocked_bot_at)} UTC)")
    lines += [
        f"Available <b>{format_money(balance.available, shop.currency)}</b>"
        f" · held {format_money(balance.held, shop.currency)}",
        "<b>Recent orders</b>:",
    ]
    orders = await shop.orders.placed_by(customer.id, limit=5)
    lines += [
        f"<code>{order.id}</code> {html.escape(order.product)} "
        f"{format_money(order.charge, shop.currency)} {order.status}"
        for order in orders
    ] or ["(none)"]
    lines.append("<b>Recent wallet lines</b>:")
    history = await shop.ledger.wallet_history(customer.id, limit=5)
    lines += [
        f"<code>{_minute(line.created_at)}</code> {line.kind} "
        f"{format_signed_money(line.amount, shop.currency)} {html.escape(line.memo)}"
        for line in history
    ] or ["(none)"]
    actions = await shop.operators.log.about("user", str(customer.id))
    if actions:
        lines.append("<b>Operators' actions</b>:")
        lines += [
            f"<code>{_minute(action.at)}</code> admin {action.admin_id} {action.action}: "
            f"{html.escape(action.before or '')} → {html.escape(action.after or '')}"
            for action in actions
        ]
    lines.append(
        f"Credit or debit: <code>/credit {customer.id} AMOUNT REASON</code>, "
        f"<code>/debit {customer.id} AMOUNT REASON</code>"
    )
    label = "✅ Unban" if customer.banned else "🚫 Ban"
    button = BanButton(user_id=customer.id, banned=not customer.banned)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=grid([(label, button)], 1))


@router.message(Command("user"))
async def show_user(message: Message, command: CommandObject, shop: Shop) -> None:
    customer = await customer_named(message, shop, (command.args or "").strip())
    if customer is not None:
        text, markup = await _card(shop, customer)
        await message.answer(text, reply_markup=markup)


# -- /credit and /debit --


def _parse_money_command(args: str | None) -> tuple[str, int, str] | str:
    """(user reference, amount, reason), or what is wrong with the arguments."""
    parts = (args or "").split(maxsplit=2)
    if len(parts) < 3:
        return "give the customer, the amount and a reason"
    reference, amount_text, reason = parts
    try:
        amount = parse_amount(amount_text, places=2, minimum=CENT, maximum=MAXIMUM)
    except AmountError as error:
        return f"the amount {html.escape(amount_text[:24])} is {error.words}"
    if len(reason) > MAX_REASON:
        return f"keep the reason to {MAX_REASON} characters"
    return reference, amount, reason.strip()


@router.message(Command("credit", "debit"))
async def move_money(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    usage = f"/{command.command} USER AMOUNT REASON, e.g. /{command.command} 12345 10.50 goodwill"
    parsed = _parse_money_command(command.args)
    if isinstance(parsed, str):
        await message.answer(f"⚠️ Not done: {parsed}. Usage: <code>{usage}</code>")
        return
    reference, amount, reason = parsed
    customer = await customer_named(message, shop, reference)
    if customer is None:
        return
    admin = message.from_user.id
    key = f"admin:{message.chat.id}:{message.message_id}:{command.command}"
    money = format_money(amount, shop.currency)
    try:
        if command.command == "credit":
            await shop.operators.credit(admin, customer, amount, reason, key=key)
        else:
            await shop.operators.debit(admin, customer, amount, reason, key=key)
    except InsufficientFunds as short:
        available = format_money(short.available, shop.currency)
        await message.answer(
            f"⚠️ Not done: debiting {money} would take {who(customer)} below zero "
            f"(available {available})."
        )
        return
    balance = format_money((await shop.ledger.balance(customer.id)).available, shop.currency)
    verb = "Credited" if command.command == "credit" else "Debited"
    await message.answer(
        f"✅ {verb} {money} {'to' if verb == 'Credited' else 'from'} {who(customer)}: "
        f"{html.escape(reason)}. Available now {balance}."
    )
    # The customer hears of it through the outbox, recorded with the money (`adjustment_letter`).


async def adjustment_letter(i18n: I18nContext, shop: Shop, customer: Customer, body: Any) -> Letter:
    """An operator's /credit or /debit: the customer's news of it, with the balance now."""
    balance = format_money((await shop.ledger.balance(customer.id)).available, shop.currency)
    return Letter(
        i18n.get(
            "wallet-credited" if body["credit"] else "wallet-debited",
            amount=format_money(int(body["amount"]), shop.currency),
            reason=str(body["reason"]),  # escaped by the locale core, as every argument
            balance=balance,
        )
    )


# -- /ban and /unban --


async def _ban(shop: Shop, admin: int, customer: Customer, banned: bool) -> str:
    changed = await shop.operators.set_banned(admin, customer, banned)
    state = "banned" if banned else "not banned"
    if not changed:
        return f"ℹ️ {who(customer)} was already {state}."
    return f"✅ {who(customer)} is now {state}."


@router.message(Command("ban", "unban"))
async def ban_command(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    customer = await customer_named(message, shop, (command.args or "").strip())
    if customer is not None:
        banned = command.command == "ban"
        await message.answer(await _ban(shop, message.from_user.id, customer, banned))


@router.callback_query(BanButton.filter(), F.message.as_("card"))
async def ban_button(
    query: CallbackQuery, callback_data: BanButton, shop: Shop, card: Message
) -> None:
    customer = await shop.customers.get(callback_data.user_id)
    if customer is None:
        await query.answer("No such customer.", show_alert=True)
        return
    changed = await shop.operators.set_banned(query.from_user.id, customer, callback_data.banned)
    refreshed = await shop.customers.get(customer.id)
    assert refreshed is not None
    text, markup = await _card(shop, refreshed)
    await card.edit_text(text, reply_markup=markup)
    state = "banned" if callback_data.banned else "not banned"
    await query.answer(f"Now {state}." if changed else f"Already {state}.")
