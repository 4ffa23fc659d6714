"""`/providers`: every upstream, configured or not, whether it answers, its balance where the API
has one and the low-balance threshold; "Check again" checks them all anew in the same message."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.services.upstreams import check_upstreams, state_line
from bot.shop import Shop
from handlers.screens import grid, redraw

router = Router(name="admin-providers")


class CheckAgain(CallbackData, prefix="prov"):
    pass


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=grid([("🔄 Check again", CheckAgain())], 1))


async def _report(shop: Shop) -> str:
    states = await check_upstreams(shop.lines, shop.config)
    checked = datetime.now(UTC)
    lines = [f"🔌 <b>Upstreams</b> (checked {checked:%Y-%m-%d %H:%M:%S} UTC)"]
    lines += [state_line(state) for state in states]
    return "\n".join(lines)


@router.message(Command("providers"))
async def show_providers(message: Message, shop: Shop) -> None:
    await message.answer(await _report(shop), reply_markup=_keyboard())


@router.callback_query(CheckAgain.filter())
async def check_again(query: CallbackQuery, shop: Shop) -> None:
    await query.answer("Checking every upstream…")  # a check may take UPSTREAM_TIMEOUT_SECONDS
    await redraw(query, await _report(shop), _keyboard())
