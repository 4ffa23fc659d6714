"""`/export orders|ledger [DAYS]`: a CSV document of the last days (30 by default)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message

from bot.shop import Shop

router = Router(name="admin-exports")

USAGE = "Usage: <code>/export orders|ledger [DAYS]</code>, e.g. <code>/export ledger 7</code>"
_DAYS = re.compile(r"[0-9]{1,4}")
MAX_DAYS = 3650


@router.message(Command("export"))
async def export(message: Message, command: CommandObject, shop: Shop) -> None:
    parts = (command.args or "").lower().split()
    what = parts[0] if parts else ""
    days_text = parts[1] if len(parts) > 1 else "30"
    if what not in ("orders", "ledger") or len(parts) > 2 or not _DAYS.fullmatch(days_text):
        await message.answer(f"⚠️ {USAGE}")
        return
    days = int(days_text)
    if not 1 <= days <= MAX_DAYS:
        await message.answer(f"⚠️ Days must be from 1 to {MAX_DAYS}. {USAGE}")
        return
    now = datetime.now(UTC)
    count, content = await shop.figures.export(
        "orders" if what == "orders" else "ledger", now - timedelta(days=days)
    )
    name = f"{what}-{now:%Y%m%d}-{days}d.csv"
    caption = f"{html.escape(what)}: {count} row(s), the last {days} day(s)"
    await message.answer_document(BufferedInputFile(content, filename=name), caption=caption)
