"""`/promo new CODE ...`, `/promo off CODE` and `/promos`: the shop's promo codes, their uses and
what they cost."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.money import format_money
from bot.services.promos import PromoTermsError, normal_code, parse_terms
from bot.shop import Shop
from storage.promos import PromoCode, PromoKind, PromoTally

router = Router(name="admin-promos")

USAGE = (
    "<code>/promo new CODE 10%|2.50|gift 5 [uses=N] [per=N] [days=N|until=YYYY-MM-DD]"
    " [min=SUM] [lines=a,b] [first]</code>, <code>/promo off CODE</code>, <code>/promos</code>"
)


def describe(promo: PromoCode, currency: str) -> str:
    """One code's terms, as operators wrote them."""
    if promo.kind == PromoKind.PERCENT and promo.percent is not None:
        what = f"{promo.percent.normalize():f}% off"
    elif promo.kind == PromoKind.FIXED:
        what = f"{format_money(promo.amount or 0, currency)} off"
    else:
        what = f"gift of {format_money(promo.amount or 0, currency)}"
    terms = [what, f"{promo.per_customer} per customer"]
    if promo.min_order:
        terms.append(f"from {format_money(promo.min_order, currency)}")
    if promo.lines:
        terms.append("lines " + ", ".join(promo.lines))
    if promo.first_purchase:
        terms.append("first purchase only")
    if promo.expires_at is not None:
        terms.append(f"until {promo.expires_at[:16].replace('T', ' ')} UTC")
    return " · ".join(terms)


def _tally_line(tally: PromoTally, currency: str) -> str:
    promo = tally.promo
    limit = "" if promo.max_uses is None else f"/{promo.max_uses}"
    ended = " · <b>ended</b>" if promo.ended_at is not None else ""
    return (
        f"<code>{promo.code}</code>: {html.escape(describe(promo, currency))} · "
        f"used {tally.uses}{limit} · cost {format_money(tally.cost, currency)}{ended}"
    )


@router.message(Command("promo"))
async def manage_promo(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    operator = message.from_user.id
    action, _, rest = (command.args or "").strip().partition(" ")
    match action.lower():
        case "new":
            try:
                promo = parse_terms(rest, lines=shop.pricing.lines, by=f"admin:{operator}")
            except PromoTermsError as wrong:
                await message.answer(f"⚠️ Not created: {html.escape(str(wrong))}.\n{USAGE}")
                return
            if not await shop.promos.create(promo, operator):
                await message.answer(
                    f"⚠️ Not created: <code>{promo.code}</code> exists already (codes are never "
                    "reused, ended ones included)."
                )
                return
            await message.answer(
                f"🏷 Created <code>{promo.code}</code>: "
                f"{html.escape(describe(promo, shop.currency))}"
                + ("" if promo.max_uses is None else f" · {promo.max_uses} uses in all")
            )
        case "off":
            code = normal_code(rest)
            if code is None or not await shop.promos.end(code, operator):
                shown = html.escape(rest.strip()[:40])
                await message.answer(f"⚠️ No open promo code <code>{shown}</code>.")
                return
            await message.answer(
                f"🏷 <code>{code}</code> ended: no new uses. Orders already confirmed with it "
                "keep their discount."
            )
        case _:
            await message.answer(f"Usage: {USAGE}")


@router.message(Command("promos"))
async def list_promos(message: Message, shop: Shop) -> None:
    tallies = await shop.promos.tallies()
    if not tallies:
        await message.answer(f"🏷 No promo codes yet. {USAGE}")
        return
    lines = ["🏷 <b>Promo codes</b> (cost: discounts of delivered orders and gifts)"]
    lines += [_tally_line(tally, shop.currency) for tally in tallies[:50]]
    if len(tallies) > 50:
        lines.append(f"… and {len(tallies) - 50} older")
    await message.answer("\n".join(lines))
