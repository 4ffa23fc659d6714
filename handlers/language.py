"""Switching between English, Simplified Chinese and Vietnamese."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram_i18n import I18nContext

from bot.shop import Shop
from bot.telegram.i18n import LANGUAGES
from handlers.callbacks import LanguageButton, Open, Screen
from handlers.screens import back_button, grid, main_menu, show
from storage.users import Customer

router = Router(name="language")


@router.callback_query(Open.filter(F.screen == Screen.LANGUAGE))
async def choose_language(query: CallbackQuery, i18n: I18nContext) -> None:
    options = [
        (f"✓ {name}" if code == i18n.locale else name, LanguageButton(code=code))
        for code, name in LANGUAGES.items()
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=[*grid(options, 1), [back_button(i18n)]])
    await show(query, i18n.get("language-title"), markup)


@router.callback_query(LanguageButton.filter(F.code.in_(LANGUAGES)))
async def set_language(
    query: CallbackQuery,
    callback_data: LanguageButton,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    await i18n.set_locale(callback_data.code)
    text, markup = await main_menu(i18n, shop, customer, preface=i18n.get("language-changed"))
    await show(query, text, markup)
