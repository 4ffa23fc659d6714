"""`/setreferral`: what a referred customer's purchases earn their referrer, per product line,
and how long a reward waits before it is paid."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.referrals import ReferralTermsRefused
from bot.shop import Shop

router = Router(name="admin-referrals")

USAGE = (
    "<code>/setreferral LINE PERCENT margin|amount</code> (0 stops a line's rewards), "
    "<code>/setreferral settle HOURS</code>"
)


async def _terms(shop: Shop) -> str:
    lines = ["👥 <b>Referral rewards</b> (a share of each delivered order of a referred customer)"]
    for line in shop.pricing.lines:
        terms = await shop.referrals.terms(line)
        said = "none" if terms is None else f"{terms.percent.normalize():f}% of the {terms.base}"
        lines.append(f"{line}: {said}")
    hours = (await shop.referrals.settling()).total_seconds() / 3600
    lines.append(f"Paid {hours:g} hours after delivery, unless refunded or reversed first.")
    lines.append(f"Change: {USAGE}")
    return "\n".join(lines)


@router.message(Command("setreferral"))
async def set_referral(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    operator = message.from_user.id
    words = (command.args or "").split()
    try:
        match words:
            case []:
                await message.answer(await _terms(shop))
                return
            case ["settle", hours]:
                await shop.referrals.set_settling(operator, hours)
            case [line, percent, base]:
                await shop.referrals.set_terms(operator, line.lower(), percent, base.lower())
            case _:
                await message.answer(f"⚠️ Not changed. Usage: {USAGE}")
                return
    except ReferralTermsRefused as refused:
        await message.answer(f"⚠️ Not changed: {html.escape(str(refused))}.")
        return
    await message.answer("✅ Changed, for orders delivered from now on.\n" + await _terms(shop))
