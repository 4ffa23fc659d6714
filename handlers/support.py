"""Contact support: the customer writes one message and it reaches the operators' group (through
the outbox, behind the operators' alerts; a customer who wrote too often in a short time is asked
to wait, and nothing is passed on: see `bot.services.support`)."""

from __future__ import annotations

import html
import math

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.support import QUESTIONS_PER_WINDOW, WINDOW
from bot.shop import Shop
from handlers.callbacks import Open, Screen
from handlers.screens import cancel_button, main_menu, show
from storage.users import Customer

router = Router(name="support")

MAX_QUESTION_LENGTH = 1000


class Support(StatesGroup):
    writing = State()


@router.callback_query(Open.filter(F.screen == Screen.SUPPORT), F.message)
async def ask_question(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    if not shop.support_enabled:
        text, markup = await main_menu(i18n, shop, customer)
        await show(query, text, markup)
        return
    await state.set_state(Support.writing)
    markup = InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])
    await show(query, i18n.get("support-prompt", max=MAX_QUESTION_LENGTH), markup)


@router.message(Support.writing, F.text)
async def forward_question(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    question = (message.text or "").strip()
    if len(question) > MAX_QUESTION_LENGTH:
        markup = InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])
        await message.answer(
            i18n.get("support-too-long", length=len(question), max=MAX_QUESTION_LENGTH),
            reply_markup=markup,
        )
        return
    if not shop.support_enabled:  # switched off while the customer was writing
        await state.clear()
        text, markup = await main_menu(i18n, shop, customer)
        await message.answer(text, reply_markup=markup)
        return
    wait = await shop.support_desk.pass_on(customer.id, _support_card(customer, question))
    await state.clear()  # only now: if the card could not be recorded, the customer can try again
    if wait is None:
        preface = i18n.get("support-sent")
    else:
        minutes = math.ceil(wait.total_seconds() / 60)
        preface = i18n.get(
            "support-slow-down",
            count=QUESTIONS_PER_WINDOW,
            window=int(WINDOW.total_seconds() // 60),
            minutes=minutes,
        )
    text, markup = await main_menu(i18n, shop, customer, preface=preface)
    await message.answer(text, reply_markup=markup)


@router.message(Support.writing)
async def not_text(message: Message, i18n: I18nContext) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])
    await message.answer(i18n.get("support-not-text", max=MAX_QUESTION_LENGTH), reply_markup=markup)


def _support_card(customer: Customer, question: str) -> str:
    """Operators' notifications are in English; everything the customer wrote is escaped."""
    who = html.escape(customer.first_name)
    handle = f" @{html.escape(customer.username)}" if customer.username else ""
    return (
        f"💬 <b>Support request</b> from {who}{handle} (id <code>{customer.id}</code>)\n\n"
        f"{html.escape(question)}"
    )
