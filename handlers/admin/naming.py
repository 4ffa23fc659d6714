"""How operators name a customer (`USER`: a Telegram id or an @username) and how a customer reads
in the group. A reference that names no one customer is answered with why, and nothing is done."""

from __future__ import annotations

import html

from aiogram.types import Message

from bot.services.operators import TELEGRAM_USER_IDS, CustomerUnclear, NotAUserId, SharedUsername
from bot.shop import Shop
from storage.users import Customer

HOW = "Give a Telegram id (<code>12345</code>) or a username (<code>@alice</code>)."


def who(customer: Customer) -> str:
    handle = f" @{customer.username}" if customer.username else ""
    return f"{html.escape(customer.first_name)}{html.escape(handle)} (<code>{customer.id}</code>)"


def _unclear(problem: CustomerUnclear) -> str:
    shown = html.escape(problem.reference[:40])
    match problem:
        case NotAUserId():
            return (
                f"⚠️ Not done: {shown} is not a Telegram user id (those are at most "
                f"{TELEGRAM_USER_IDS[-1]}). {HOW}"
            )
        case SharedUsername(candidates=candidates):
            names = [
                f"{html.escape(candidate.first_name)} (<code>{candidate.id}</code>)"
                for candidate in candidates
            ]
            return "\n".join(
                [
                    f"⚠️ Not done: {len(candidates)} customers have the username {shown}; "
                    "give the id of the one you mean:",
                    *names,
                ]
            )
        case _:
            return f"⚠️ Not done: no customer {shown or '(none given)'}. {HOW}"


async def customer_named(message: Message, shop: Shop, reference: str) -> Customer | None:
    """The one customer `reference` names; otherwise None, and the operator is told why."""
    try:
        return await shop.operators.find(reference)
    except CustomerUnclear as problem:
        await message.answer(_unclear(problem))
        return None
