"""What is left over: text outside any conversation, and buttons no handler recognises.

A stale or forged button changes nothing; the customer is told and can go on from the menu.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from handlers.screens import menu_only

router = Router(name="fallback")


@router.message()
async def unknown_input(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("unknown-input"), reply_markup=menu_only(i18n))


@router.callback_query()
async def stale_button(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(i18n.get("stale-button"), show_alert=True)
