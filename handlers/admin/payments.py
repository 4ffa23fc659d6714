"""Payments no request explains, for the operators to decide, each decision taken once:

- a USDT transfer that matched no open request, or came after its request expired: credit it to a
  customer (the one whose request it matches, or a button per likely customer, or
  `/assign PAYMENT USER`) or ignore it;
- a transfer a customer claims by its hash: approve it (its claimed amount, or
  `/approve PAYMENT AMOUNT`) or reject it.

Every claim of a transfer is shown on its card, beside the request it matches or its first claim;
crediting anyone else is the operator's explicit `/assign`, and the admin log says whom that
overruled.
"""

from __future__ import annotations

import html
from enum import StrEnum

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.deposits.books import DepositRefused
from bot.services.money import AmountError, format_money, parse_amount
from bot.shop import Shop
from bot.telegram.outbox import Letter
from handlers.admin.naming import customer_named
from handlers.screens import grid
from storage.deposits import DepositRequest, Payment, PaymentStatus, RequestStatus
from storage.outbox import Entry

router = Router(name="admin-payments")

SHOWN = 10  # payments listed by /payments


class PaymentAction(StrEnum):
    ASSIGN = "assign"
    IGNORE = "ignore"
    APPROVE = "approve"
    REJECT = "reject"


class PaymentButton(CallbackData, prefix="pay"):
    action: PaymentAction
    payment_id: int
    user_id: int = 0  # whom to credit (assign)
    amount: int = 0  # how much, in micro-units (approve)


def _payment_number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def _moment(stored: str) -> str:
    return f"{stored[:16].replace('T', ' ')} UTC"


async def _name(shop: Shop, user_id: int) -> str:
    customer = await shop.customers.get(user_id)
    return customer.first_name if customer is not None else str(user_id)


async def _who(shop: Shop, user_id: int) -> str:
    return f"{html.escape(await _name(shop, user_id))} (<code>{user_id}</code>)"


async def _matched_request(shop: Shop, payment: Payment) -> DepositRequest | None:
    """The request a transfer waiting for the operators matches (one that expired, say)."""
    if payment.request_id is None:
        return None
    return await shop.deposits.store.request(payment.request_id)


_REQUEST_ENDED = {
    RequestStatus.CANCELLED: "which they cancelled",
    RequestStatus.CREDITED: "paid already: this may be the same transfer sent twice",
}


async def _claim_lines(
    shop: Shop, payment: Payment, *, besides: int | None = None, owner: int | None = None
) -> list[str]:
    """A line for each claim still waiting on a transfer, but that of `besides` (the claimant
    its card is about), each saying whether it is `owner`'s, the customer whose request the
    transfer matches."""
    lines = []
    for claim in await shop.deposits.store.claims_of(payment.id):
        if claim.settled_at or claim.user_id == besides:
            continue
        says = format_money(claim.amount, shop.currency, places=6)
        line = (
            f"🧾 Claimed by {await _who(shop, claim.user_id)} at {_moment(claim.claimed_at)}: "
            f"says they sent {says}"
        )
        if owner is not None:
            whose = "" if claim.user_id == owner else "not "
            line += f", {whose}the customer whose request it matches"
        lines.append(line)
    return lines


async def payment_card(shop: Shop, payment: Payment) -> str:
    txid = payment.reference.partition(":")[2]
    lines = [
        f"💵 <b>USDT transfer #{payment.id}</b> matches no open top-up request",
        f"Amount: <b>{format_money(payment.paid, shop.currency, places=6)}</b>",
        f"From: <code>{html.escape(payment.sender)}</code>",
        f"Sent: {payment.paid_at[:19].replace('T', ' ')} UTC",
        f"Transaction: <code>{html.escape(txid)}</code>",
    ]
    request = await _matched_request(shop, payment)
    if request is None:
        lines += await _claim_lines(shop, payment)
        lines.append(f"Credit it to a customer below, or <code>/assign {payment.id} USER</code>.")
        return "\n".join(lines)
    ended = _REQUEST_ENDED.get(request.status, f"which expired at {_moment(request.expires_at)}")
    lines.append(
        f"It matches top-up request {request.id} of {await _who(shop, request.user_id)}, "
        f"{ended}: it is theirs."
    )
    lines += await _claim_lines(shop, payment, owner=request.user_id)
    lines.append(
        "Credit it to them below. Crediting anyone else is your explicit decision: "
        f"<code>/assign {payment.id} USER</code> (the admin log keeps it)."
    )
    return "\n".join(lines)


def _one_per_row(buttons: list[tuple[str, PaymentButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=grid(buttons, 1))


async def payment_keyboard(shop: Shop, payment: Payment) -> InlineKeyboardMarkup:
    """Credit the customer whose request the transfer matches; without one, each customer who
    asked for exactly this amount; or ignore it."""
    request = await _matched_request(shop, payment)
    if request is not None:
        candidates = [request.user_id]
    else:
        candidates = await shop.deposits.store.usdt_candidates(payment.paid, payment.paid_at)
    buttons = []
    for user_id in candidates:
        assign = PaymentButton(action=PaymentAction.ASSIGN, payment_id=payment.id, user_id=user_id)
        buttons.append((f"✅ Credit {await _name(shop, user_id)} ({user_id})", assign))
    buttons.append(("🚫 Ignore", PaymentButton(action=PaymentAction.IGNORE, payment_id=payment.id)))
    return _one_per_row(buttons)


def _claimed(payment: Payment) -> int:
    """What the customer says they sent: the payment's amount, unless the watch saw it first."""
    note = payment.note.removeprefix("claimed ")
    return int(note) if note.isdigit() else payment.paid


async def claim_card(shop: Shop, payment: Payment) -> str:
    txid = payment.reference.partition(":")[2]
    customer = await shop.customers.get(payment.user_id) if payment.user_id else None
    who = html.escape(customer.first_name) if customer is not None else "?"
    lines = [
        f"🧾 <b>Claimed USDT transfer #{payment.id}</b>",
        f"Customer: {who} (<code>{payment.user_id}</code>)",
        f"Says they sent: <b>{format_money(_claimed(payment), shop.currency, places=6)}</b>",
        f"Transaction: <code>{html.escape(txid)}</code>",
    ]
    if payment.sender:  # the watch saw it first
        lines.append(
            f"Seen on chain: {format_money(payment.paid, shop.currency, places=6)} from "
            f"<code>{html.escape(payment.sender)}</code>"
        )
    else:
        lines.append("Not seen on chain by the shop's watch yet: it can be approved once it is.")
    others = await _claim_lines(shop, payment, besides=payment.user_id)
    if others:
        lines += [*others, f"Approving credits {who}; another claimant only by /assign."]
    lines.append(f"Approve below, or <code>/approve {payment.id} AMOUNT</code> for another amount.")
    return "\n".join(lines)


def claim_keyboard(shop: Shop, payment: Payment) -> InlineKeyboardMarkup:
    amount = payment.paid
    approve = PaymentButton(action=PaymentAction.APPROVE, payment_id=payment.id, amount=amount)
    reject = PaymentButton(action=PaymentAction.REJECT, payment_id=payment.id)
    return _one_per_row(
        [
            (f"✅ Approve {format_money(amount, shop.currency, places=6)}", approve),
            ("❌ Reject", reject),
        ]
    )


async def waiting_payment_letters(shop: Shop, payment: Payment) -> list[Letter]:
    """The card of a payment that waits for the operators, with their decisions: an unmatched
    transfer, or a claim the chain has just confirmed (its card shows what the chain says), or
    one a customer has just claimed (its card shows every claim); none once it is decided."""
    if payment.status == PaymentStatus.CLAIMED:
        return [Letter(await claim_card(shop, payment), claim_keyboard(shop, payment))]
    if payment.status == PaymentStatus.UNMATCHED:
        return [Letter(await payment_card(shop, payment), await payment_keyboard(shop, payment))]
    return []


async def waiting_payment_news(shop: Shop, entry: Entry) -> list[Letter]:
    """The outbox's card of a transfer the USDT watch left to the operators, or one a customer
    claimed (recorded with it, see `bot.services.deposits.usdt`), as the payment stands when it
    goes out."""
    payment = await shop.deposits.store.payment(int(entry.about))
    return [] if payment is None else await waiting_payment_letters(shop, payment)


@router.message(Command("payments"))
async def waiting_payments(message: Message, shop: Shop) -> None:
    waiting = await shop.deposits.store.awaiting_operators(limit=SHOWN)
    if not waiting:
        await message.answer("✅ No payment waits for an operator.")
        return
    await message.answer(
        f"💵 <b>Payments waiting for an operator</b> (the oldest {SHOWN} at most):"
    )
    for payment in waiting:
        for letter in await waiting_payment_letters(shop, payment):
            await shop.messenger.tell_operators(letter.text, letter.markup)


@router.callback_query(PaymentButton.filter())
async def decide(query: CallbackQuery, callback_data: PaymentButton, shop: Shop) -> None:
    """Each claimant who is not credited hears it through the outbox (`PaymentDecisions`)."""
    admin = query.from_user.id
    decisions, number = shop.deposits.decisions, callback_data.payment_id
    try:
        match callback_data.action:
            case PaymentAction.ASSIGN:
                await decisions.assign(number, callback_data.user_id, admin)
                done = f"✅ Credited to customer {callback_data.user_id}"
            case PaymentAction.IGNORE:
                await decisions.ignore(number, admin)
                done = "🚫 Ignored"
            case PaymentAction.APPROVE:
                payment = await decisions.approve(number, callback_data.amount, admin)
                amount = format_money(callback_data.amount, shop.currency, places=6)
                done = f"✅ Approved: {amount} to customer {payment.user_id}"
            case PaymentAction.REJECT:
                await decisions.reject(number, admin)
                done = "❌ Rejected"
    except DepositRefused as refused:
        await query.answer(f"Not done: {refused}.", show_alert=True)
        return
    if isinstance(query.message, Message):
        await query.message.edit_text(f"{query.message.html_text}\n\n{done} by {admin}.")
    await query.answer(done)


@router.message(Command("assign"))
async def assign(message: Message, command: CommandObject, shop: Shop) -> None:
    parts = (command.args or "").split()
    if len(parts) != 2 or not _payment_number(parts[0]):
        await message.answer("⚠️ Not done. Usage: <code>/assign PAYMENT USER</code>")
        return
    assert message.from_user is not None
    customer = await customer_named(message, shop, parts[1])
    if customer is None:
        return
    try:
        payment = await shop.deposits.decisions.assign(
            int(parts[0]), customer.id, message.from_user.id
        )
    except DepositRefused as refused:
        await message.answer(f"⚠️ Not done: {html.escape(str(refused))}.")
        return
    await message.answer(f"✅ Payment #{payment.id} credited to customer {customer.id}.")


@router.message(Command("approve"))
async def approve(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    parts = (command.args or "").split()
    if len(parts) != 2 or not _payment_number(parts[0]):
        await message.answer("⚠️ Not done. Usage: <code>/approve PAYMENT AMOUNT</code>")
        return
    try:
        amount = parse_amount(parts[1], places=6)
        payment = await shop.deposits.decisions.approve(int(parts[0]), amount, message.from_user.id)
    except AmountError as error:
        await message.answer(
            f"⚠️ Not done: the amount {html.escape(parts[1][:20])} is {error.words}."
        )
        return
    except DepositRefused as refused:
        await message.answer(f"⚠️ Not done: {html.escape(str(refused))}.")
        return
    credited = format_money(amount, shop.currency, places=6)
    await message.answer(
        f"✅ Payment #{payment.id}: {credited} credited to customer {payment.user_id}."
    )
