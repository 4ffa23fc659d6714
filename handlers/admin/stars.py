"""`/refundstars PAYMENT [REASON]`: give a Telegram Stars payment back, the Stars to the customer
and what they credited out of the wallet (see `Deposits.refund_stars` for how the money and
Telegram's answer are kept in step), the job that settles a refund whose answer never came, and
the one that checks the bot's Stars transactions against the shop's (`bot.stars_history`)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.deposits import BalanceShort, DepositRefused, RefundOutcome, StarsRefund
from bot.money import exact_money, format_money
from bot.shop import Shop
from bot.stars_history import Found
from storage.deposits import Payment

router = Router(name="admin-stars")

USAGE = "⚠️ Not done. Usage: <code>/refundstars PAYMENT [REASON]</code>"
MAX_REASON = 200


def refund_report(shop: Shop, refund: StarsRefund) -> str:
    """How a refund stands, for the operators (HTML)."""
    payment = refund.payment
    money = exact_money(payment.credited or 0, shop.currency)
    customer = f"customer <code>{payment.user_id}</code>"
    detail = html.escape(refund.detail or "no answer")
    match refund.outcome:
        case RefundOutcome.REFUNDED:
            return (
                f"✅ Stars payment #{payment.id} refunded: {payment.paid:,} ⭐ back to {customer} "
                f"through Telegram, {money} taken from their balance. The customer is told."
            )
        case RefundOutcome.PENDING:
            return (
                f"⏳ Stars payment #{payment.id}: {money} taken from the balance of {customer}, "
                f"but Telegram's answer to the refund did not come ({detail}). It is asked again "
                f"every minute until it answers; <code>/refundstars {payment.id}</code> asks now."
            )
        case RefundOutcome.REFUSED:
            return (
                f"⚠️ Not done: Telegram refused to refund Stars payment #{payment.id} "
                f"({detail}); the {money} went back to the balance of {customer}."
            )
        case RefundOutcome.UNCLEAR:
            return (
                f"⚠️ Stars payment #{payment.id}: Telegram now refuses the refund ({detail}), "
                "but an earlier request got no answer and may have refunded it. The "
                f"{money} stays out of the balance of {customer}: check the bot's Stars "
                f"transactions for this charge, then give it back with /credit if it was not "
                "refunded."
            )


@router.message(Command("refundstars"))
async def refund_stars(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    parts = (command.args or "").split(maxsplit=1)
    if not parts or not parts[0].isascii() or not parts[0].isdigit() or len(parts[0]) > 12:
        await message.answer(USAGE)
        return
    payment_id = int(parts[0])
    reason = parts[1].strip()[:MAX_REASON] if len(parts) > 1 else "no reason given"
    try:
        refund = await shop.deposits.refund_stars(payment_id, message.from_user.id, reason)
    except BalanceShort as short:
        await message.answer(
            f"⚠️ Not done: customer <code>{short.user_id}</code> has "
            f"{format_money(short.available, shop.currency)} available, less than the "
            f"{exact_money(short.required, shop.currency)} that payment #{payment_id} credited."
        )
        return
    except DepositRefused as refused:
        await message.answer(f"⚠️ Not done: {html.escape(str(refused))}.")
        return
    await message.answer(refund_report(shop, refund))


async def finish_star_refunds(shop: Shop) -> None:
    """The scheduled job: refunds left `refunding` (an answer that never came, a crash) are asked
    about again; the operators hear how each ended. One still unanswered is not repeated."""
    for refund in await shop.deposits.finish_refunds():
        if refund.outcome == RefundOutcome.UNCLEAR:
            if refund.payment.id not in _told_unclear:  # asked every minute: said once
                _told_unclear.add(refund.payment.id)
                await shop.messenger.tell_operators(refund_report(shop, refund))
        elif refund.outcome != RefundOutcome.PENDING:
            await shop.messenger.tell_operators(refund_report(shop, refund))


_told_unclear: set[int] = set()  # payments the operators heard are unclear, since start-up


async def check_stars_transactions(shop: Shop) -> None:
    """The scheduled job: the bot's Stars transactions against the shop's books. The operators
    hear of every payment booked from them (its customer is told through the outbox, with the
    credit), every refund they settled, and every refund made outside the shop."""
    checked = await shop.stars_history.check()
    for found in checked.found:
        await shop.messenger.alert_operators(found_alert(shop, found))
    for refund in checked.refunds_settled:
        await shop.messenger.tell_operators(refund_report(shop, refund))
    for payment in checked.refunded_elsewhere:
        await shop.messenger.alert_operators(refunded_elsewhere_alert(shop, payment))


def found_alert(shop: Shop, found: Found) -> str:
    """A payment whose message was never handled, booked from the Stars transactions (plain)."""
    payment, request = found.taken.payment, found.taken.request
    assert payment.credited is not None
    head = (
        f"Telegram Stars payment #{payment.id}: {payment.paid:,} ⭐ from customer "
        f"{payment.user_id}, found in the bot's Stars transactions; its message was never "
        "handled (the bot stopped with it in hand, or booking it failed). "
    )
    if request is None:
        return head + no_request_note(shop, payment, found.transaction.payload)
    money = exact_money(payment.credited, shop.currency)
    return head + f"It paid request {request.id}: credited now: {money}. The customer is told."


def no_request_note(shop: Shop, payment: Payment, payload: str) -> str:
    """Why a Stars payment went in at today's rate (plain)."""
    assert payment.credited is not None
    money = exact_money(payment.credited, shop.currency)
    return (
        f"It named no open request of the customer's ({payload[:40]!r}): credited now at "
        f"today's rate: {money}. /refundstars {payment.id} gives it back."
    )


def refunded_elsewhere_alert(shop: Shop, payment: Payment) -> str:
    money = exact_money(payment.credited or 0, shop.currency)
    return (
        f"Telegram Stars payment #{payment.id}: the bot's Stars transactions show its "
        f"{payment.paid:,} ⭐ refunded to customer {payment.user_id}, but not by the shop: the "
        f"{money} it credited is still in their wallet. /debit takes it back if it should be."
    )
