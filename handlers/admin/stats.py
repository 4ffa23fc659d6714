"""`/stats [today|7d|30d]`: orders, revenue, upstream cost and margin per product line, new
customers and deposits, read from the orders and the ledger."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.services.reports import figures_lines
from bot.shop import Shop

router = Router(name="admin-stats")

PERIODS = {"today": None, "7d": timedelta(days=7), "30d": timedelta(days=30)}


def period_start(period: str, now: datetime | None = None) -> datetime:
    moment = now or datetime.now(UTC)
    length = PERIODS[period]
    if length is None:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment - length


@router.message(Command("stats"))
async def show_stats(message: Message, command: CommandObject, shop: Shop) -> None:
    period = (command.args or "today").strip().lower()
    if period not in PERIODS:
        await message.answer(
            f"⚠️ No period {html.escape(period[:20])}. Usage: <code>/stats [today|7d|30d]</code>"
        )
        return
    start = period_start(period)
    figures = await shop.figures.since(start)
    lines = [f"📊 <b>Since {start:%Y-%m-%d %H:%M} UTC</b> ({period})"]
    lines += figures_lines(figures, shop.currency)
    await message.answer("\n".join(lines))
