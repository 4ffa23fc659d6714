"""/start, the main menu and help."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.shop import Shop
from handlers.callbacks import JoinedChannel, Open, Screen
from handlers.screens import back_button, main_menu, show
from storage.users import Customer

router = Router(name="start")


@router.message(CommandStart())
async def start(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    """Works from anywhere: whatever was half done is dropped, and the menu comes fresh. (A new
    customer's `/start r_<code>` was taken as a referral as they were registered: see
    `handlers.middlewares.CustomerMiddleware`.)"""
    await state.clear()
    await shop.sales.cancel_open_quotes(customer.id)
    greeting = i18n.get(
        "welcome-new" if customer.is_new else "welcome-back", name=customer.first_name
    )
    text, markup = await main_menu(i18n, shop, customer, preface=greeting)
    await show(message, text, markup)


@router.callback_query(JoinedChannel.filter())
@router.callback_query(Open.filter(F.screen == Screen.HOME))
async def home(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    await state.clear()
    await shop.sales.cancel_open_quotes(customer.id)
    text, markup = await main_menu(i18n, shop, customer)
    await show(query, text, markup)


@router.callback_query(Open.filter(F.screen == Screen.HELP))
@router.message(Command("help"))
async def help_screen(event: Message | CallbackQuery, i18n: I18nContext) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n)]])
    await show(event, i18n.get("help-text"), markup)
