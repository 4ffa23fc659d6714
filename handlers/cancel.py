"""/cancel and the Cancel button: leave whatever conversation is in progress, change nothing."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from bot.shop import Shop
from handlers.callbacks import CancelFlow
from handlers.screens import main_menu, show
from storage.users import Customer

router = Router(name="cancel")


@router.message(Command("cancel"))
@router.callback_query(CancelFlow.filter())
async def cancel(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    was_in_flow = await state.get_state() is not None
    await state.clear()
    await shop.sales.cancel_open_quotes(customer.id)  # its Confirm button must not charge later
    preface = i18n.get("cancel-done" if was_in_flow else "cancel-nothing")
    text, markup = await main_menu(i18n, shop, customer, preface=preface)
    await show(event, text, markup)
