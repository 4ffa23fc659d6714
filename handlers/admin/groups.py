"""`/groups`, `/setgroup` and `/group`: price groups (reseller, wholesale, ...), their markups
per product line and spend thresholds, and which customers are in them."""

from __future__ import annotations

import html

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.money import format_money
from bot.services.price_groups import GroupRefused
from bot.shop import Shop
from handlers.admin.naming import customer_named

router = Router(name="admin-groups")

USAGE = (
    "<code>/setgroup NAME LINE PERCENT|-</code>, <code>/setgroup NAME spend SUM|off</code>, "
    "<code>/setgroup window DAYS</code>, <code>/group USER NAME|retail|auto</code>"
)


async def _overview(shop: Shop) -> str:
    groups = shop.price_groups
    lines = ["🏷 <b>Price groups</b> (everyone else pays retail, as /prices shows)"]
    for group in await groups.overview(shop.pricing):
        markups = ", ".join(
            f"{line} {percent.normalize():f}%" for line, percent in group.markups.items()
        )
        spend = (
            "by operators only"
            if group.min_spend is None
            else f"from {format_money(group.min_spend, shop.currency)} spent"
        )
        lines.append(
            f"<b>{group.name}</b>: {markups or 'retail markups'} · {spend} · "
            f"{group.assigned} put in by operators"
        )
    if len(lines) == 1:
        lines.append("None yet.")
    lines.append(f"Spend counts delivered orders of the last {await groups.window_days()} days.")
    lines.append(USAGE)
    return "\n".join(lines)


@router.message(Command("groups"))
async def show_groups(message: Message, shop: Shop) -> None:
    await message.answer(await _overview(shop))


@router.message(Command("setgroup"))
async def set_group(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    operator = message.from_user.id
    groups = shop.price_groups
    try:
        match (command.args or "").split():
            case ["window", days]:
                await groups.set_window(operator, days)
            case [name, "spend", amount]:
                await groups.set_min_spend(operator, name, amount.lower())
            case [name, line, percent]:
                await groups.set_markup(operator, name, line.lower(), percent, shop.pricing.lines)
            case _:
                await message.answer(f"⚠️ Not changed. Usage: {USAGE}")
                return
    except GroupRefused as refused:
        await message.answer(f"⚠️ Not changed: {html.escape(str(refused))}.")
        return
    await message.answer("✅ Changed, for new quotes.\n" + await _overview(shop))


@router.message(Command("group"))
async def put_in_group(message: Message, command: CommandObject, shop: Shop) -> None:
    assert message.from_user is not None
    words = (command.args or "").split()
    if len(words) != 2:
        await message.answer(f"⚠️ Not changed. Usage: {USAGE}")
        return
    customer = await customer_named(message, shop, words[0])
    if customer is None:
        return
    try:
        now = await shop.price_groups.assign(message.from_user.id, customer.id, words[1].lower())
    except GroupRefused as refused:
        await message.answer(f"⚠️ Not changed: {html.escape(str(refused))}.")
        return
    name = html.escape(customer.first_name)
    await message.answer(f"🏷 {name} ({customer.id}) now pays {now or 'retail'} prices.")
