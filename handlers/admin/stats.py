"""`/stats [today|7d|30d]`: orders, revenue, upstream cost and margin per product line, new
customers and deposits, read from the orders and the ledger."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.money import format_money
from bot.shop import Shop
from storage.figures import FigureStore, LineFigures

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
    moment = start.isoformat(timespec="microseconds").replace("+00:00", "Z")
    figures = await FigureStore(shop.db).since(moment)

    def money(micro: int) -> str:
        return format_money(micro, shop.currency)

    lines = [f"📊 <b>Since {start:%Y-%m-%d %H:%M} UTC</b> ({period})"]
    total = LineFigures()
    for product in sorted(figures.lines):
        line = figures.lines[product]
        total.placed += line.placed
        total.succeeded += line.succeeded
        total.revenue += line.revenue
        total.cost += line.cost
        lines.append(
            f"{html.escape(product)}: {line.placed} placed, {line.succeeded} delivered · "
            f"revenue {money(line.revenue)} · cost {money(line.cost)} · "
            f"margin {money(line.revenue - line.cost)}"
        )
    if not figures.lines:
        lines.append("No orders.")
    lines.append(
        f"<b>All lines</b>: {total.placed} placed, {total.succeeded} delivered · revenue "
        f"{money(total.revenue)} · cost {money(total.cost)} · margin "
        f"{money(total.revenue - total.cost)}"
    )
    lines.append(f"New customers: {figures.new_customers}")
    lines.append(f"Deposits: {money(figures.deposits)} in {figures.deposit_count}")
    await message.answer("\n".join(lines))
