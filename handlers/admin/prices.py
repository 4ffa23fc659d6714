"""`/prices`, `/setmarkup LINE PERCENT`, `/setrate CURRENCY RATE`: what new quotes cost."""

from __future__ import annotations

import html
from decimal import Decimal

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.lines.accounts import AccountsSettings
from bot.services.operators import SettingRefused
from bot.services.pricing import DEFAULT_RATES, PricingError
from bot.shop import Shop

router = Router(name="admin-prices")


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


@router.message(Command("prices"))
async def show_prices(message: Message, shop: Shop) -> None:
    pricing = shop.operators.pricing
    lines = ["💱 <b>Prices for new quotes</b>", "<b>Markups</b> (percent added to the cost):"]
    for line in pricing.lines:
        sold = "" if line in shop.lines else " (not configured)"
        lines.append(f"{line}: {_number(await pricing.retail_markup(line))} %{sold}")
    lines.append(f"<b>Rates</b> ({shop.currency} per unit):")
    for currency in sorted({*DEFAULT_RATES, shop.config.line(AccountsSettings).shop_currency}):
        try:
            rate = _number(await pricing.rate(currency))
        except PricingError as missing:
            rate = f"not set ({html.escape(str(missing))})"
        lines.append(f"{currency}: {rate}")
    lines.append(
        "Change: <code>/setmarkup LINE PERCENT</code>, <code>/setrate CURRENCY RATE</code>"
    )
    await message.answer("\n".join(lines))


@router.message(Command("setmarkup", "setrate"))
async def change_price(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    usage = (
        "/setmarkup LINE PERCENT, e.g. /setmarkup energy 12.5"
        if command.command == "setmarkup"
        else "/setrate CURRENCY RATE, e.g. /setrate TRX 0.25"
    )
    parts = (command.args or "").split()
    if len(parts) != 2:
        await message.answer(f"⚠️ Not changed. Usage: <code>{usage}</code>")
        return
    name, value = parts
    admin = message.from_user.id
    try:
        if command.command == "setmarkup":
            before, after = await shop.operators.set_markup(admin, name, value)
            what = f"The {html.escape(name)} markup"
            was, now = f"{_number(before)} %", f"{_number(after)} %"
        else:
            known, rate = await shop.operators.set_rate(admin, name, value)
            what = f"The {html.escape(name.upper())} rate"
            was = "not set" if known is None else _number(known)
            now = f"{_number(rate)} {shop.currency}"
    except SettingRefused as refused:
        await message.answer(f"⚠️ Not changed: {html.escape(str(refused))}.")
        return
    await message.answer(f"✅ {what} is now {now} (was {was}), for new quotes.")
