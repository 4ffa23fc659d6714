"""Promo codes on the customer's side: "🏷 Promo code" on a purchase's confirmation (the code is
typed, checked against that quote, and the quote shown again with its discount), and
`/promo CODE` for a gift to the balance."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.money import format_money
from bot.services.promos import Gift, PromoProblem
from bot.shop import Shop
from handlers.callbacks import BackToOrder
from handlers.promo_words import problem_text
from handlers.purchase import (
    OrderAction,
    OrderButton,
    Presenter,
    back_to_order,
    confirmation,
    order_of,
    still_valid,
)
from handlers.screens import menu_only, show
from storage.orders import OrderStatus
from storage.users import Customer

router = Router(name="promo")

_ORDER = "promo_order"  # the quote a typed code is for
_BEFORE = "promo_before"  # the conversation's state at the confirmation, restored after


class PromoEntry(StatesGroup):
    code = State()


def _back_to(i18n: I18nContext, order_id: str) -> InlineKeyboardMarkup:
    back = InlineKeyboardButton(
        text=i18n.get("button-back"), callback_data=BackToOrder(order_id=order_id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[back]])


@router.callback_query(OrderButton.filter(F.action == OrderAction.PROMO))
async def ask_for_code(
    query: CallbackQuery,
    callback_data: OrderButton,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    order = await order_of(query, i18n, shop, customer, presenters, callback_data.order_id)
    if order is None:
        return
    if order.status != OrderStatus.QUOTED:
        await query.answer(i18n.get("order-already-decided"), show_alert=True)
        return
    before = await state.get_state()
    if before != PromoEntry.code.state:
        await state.update_data({_BEFORE: before})
    await state.update_data({_ORDER: order.id})
    await state.set_state(PromoEntry.code)
    await show(query, i18n.get("promo-ask"), _back_to(i18n, order.id))


async def _leave_entry(state: FSMContext) -> None:
    """Back to where the conversation was at the confirmation."""
    data = await state.get_data()
    await state.set_state(data.get(_BEFORE))
    await state.update_data({_ORDER: None, _BEFORE: None})


@router.callback_query(StateFilter(PromoEntry.code), BackToOrder.filter())
async def back_without_code(
    query: CallbackQuery,
    callback_data: BackToOrder,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    await _leave_entry(state)
    await back_to_order(query, callback_data, i18n, shop, customer, presenters)


@router.message(Command("promo"))
async def redeem_gift(
    message: Message, command: CommandObject, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    if not command.args:
        await message.answer(i18n.get("promo-how"), reply_markup=menu_only(i18n))
        return
    gift = await shop.promos.redeem_gift(command.args, customer.id)
    if not isinstance(gift, Gift):  # credited: the outbox tells them (handlers.news)
        await message.answer(problem_text(i18n, gift), reply_markup=menu_only(i18n))


@router.message(StateFilter(PromoEntry.code), F.text)
async def apply_code(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    order_id = (await state.get_data()).get(_ORDER)
    order = (
        None
        if not isinstance(order_id, str)
        else await shop.sales.find_owned(order_id, customer.id)
    )
    if order is None or order.product not in presenters or order.status != OrderStatus.QUOTED:
        await _leave_entry(state)
        await message.answer(i18n.get("promo-quote-gone"), reply_markup=menu_only(i18n))
        return
    found = await shop.promos.discount_for(message.text or "", order)
    if isinstance(found, PromoProblem):
        hint = problem_text(i18n, found) + "\n" + i18n.get("promo-try-again")
        await message.answer(hint, reply_markup=_back_to(i18n, order.id))
        return
    discounted = await shop.sales.discounted(order, found)
    await _leave_entry(state)
    if discounted is None:  # expired while the code was typed: today's price, without it
        await still_valid(message, i18n, shop, order, presenters[order.product])
        return
    applied = i18n.get(
        "promo-applied", code=found.code, discount=format_money(found.amount, shop.currency)
    )
    text, markup = await confirmation(
        i18n, shop, discounted, presenters[order.product], preface=applied
    )
    await message.answer(text, reply_markup=markup)
