"""`/refundstars PAYMENT [REASON]`: give a Telegram Stars payment back, the Stars to the customer
and what they credited out of the wallet (see `StarsRefunds.refund` for how the money and
Telegram's answer are kept in step), the job that settles a refund whose answer never came, and
the one that checks the bot's Stars transactions against the shop's
(`bot.services.stars_history`)."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.deposits.books import BalanceShort, DepositRefused
from bot.services.deposits.stars_refunds import RefundOutcome, StarsRefund
from bot.services.money import exact_money, format_money
from bot.shop import Shop

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
        refund = await shop.deposits.refunds.refund(payment_id, message.from_user.id, reason)
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
    refunds = shop.deposits.refunds
    for refund in await refunds.finish():
        if refund.outcome == RefundOutcome.UNCLEAR:
            if refunds.first_unclear(refund):  # asked every minute: said once
                await shop.messenger.tell_operators(refund_report(shop, refund))
        elif refund.outcome != RefundOutcome.PENDING:
            await shop.messenger.tell_operators(refund_report(shop, refund))


async def check_stars_transactions(shop: Shop) -> None:
    """The scheduled job: the bot's Stars transactions against the shop's books. The operators
    hear of every refund they settled; their alerts of every payment booked from them and every
    refund made outside the shop are in the outbox already, recorded before the record's cursor
    moved past it (see `bot.services.stars_history`)."""
    checked = await shop.stars_history.check()
    for refund in checked.refunds_settled:
        await shop.messenger.tell_operators(refund_report(shop, refund))
