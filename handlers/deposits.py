"""Top up: the customer chooses an amount and gets the shop's USDT-TRC20 address, as text and as a
QR code, with the exact amount to send and until when; the watch credits it once it is confirmed
(see `bot.usdt_watch`)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram_i18n import I18nContext

from bot.deposits import DepositRefused, TooManyRequests
from bot.i18n import CustomerLanguage, HtmlFluentCore
from bot.money import MICRO, AmountError, format_amount, format_money, parse_amount
from bot.qr import qr_png
from bot.shop import Shop
from handlers.callbacks import Open, Screen
from handlers.purchase import amount_error
from handlers.screens import back_button, cancel_only, choices, menu_only, show
from storage.deposits import Method, Payment
from storage.users import Customer

router = Router(name="deposits")

MINIMUM = 1 * MICRO
MAXIMUM = 10_000 * MICRO
PRESETS = (10, 20, 50, 100)


class DepositFlow(StatesGroup):
    amount = State()


class DepositWay(CallbackData, prefix="depway"):
    method: Method


class DepositAmount(CallbackData, prefix="depamt"):
    usdt: int


class CancelDeposit(CallbackData, prefix="depcancel"):
    request_id: str


def top_up_button(i18n: I18nContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=i18n.get("button-top-up"), callback_data=Open(screen=Screen.DEPOSIT).pack()
    )


def deposit_methods(shop: Shop) -> list[Method]:
    """The ways in this shop takes, in the order they are offered (Telegram Stars need no
    account of the shop's: always; see `handlers.stars`)."""
    usdt = [Method.USDT] if shop.usdt_watch is not None else []
    return [*usdt, Method.STARS]


@router.callback_query(Open.filter(F.screen == Screen.DEPOSIT))
async def choose_method(query: CallbackQuery, i18n: I18nContext, shop: Shop) -> None:
    methods = deposit_methods(shop)
    if not methods:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    labels = {
        Method.USDT: i18n.get("deposit-method-usdt"),
        Method.STARS: i18n.get("deposit-method-stars"),
    }
    rows = [
        [InlineKeyboardButton(text=labels[method], callback_data=DepositWay(method=method).pack())]
        for method in methods
    ]
    rows.append([back_button(i18n, Screen.WALLET)])
    await show(query, i18n.get("deposit-choose-method"), InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(DepositWay.filter(F.method == Method.USDT))
async def choose_amount(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    if shop.usdt_watch is None:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await state.set_state(DepositFlow.amount)
    options = [(f"{usdt} USDT", DepositAmount(usdt=usdt)) for usdt in PRESETS]
    markup = choices(i18n, options, back=Screen.DEPOSIT, per_row=4)
    text = i18n.get(
        "deposit-choose-amount", minimum=format_amount(MINIMUM), maximum=format_amount(MAXIMUM)
    )
    await show(query, text, markup)


@router.callback_query(DepositFlow.amount, DepositAmount.filter())
async def preset_chosen(
    query: CallbackQuery,
    callback_data: DepositAmount,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if callback_data.usdt not in PRESETS:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await _open_request(query.message, state, i18n, shop, customer, callback_data.usdt * MICRO)


@router.message(DepositFlow.amount, F.text)
async def amount_typed(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    try:
        amount = parse_amount(message.text or "", places=2, minimum=MINIMUM, maximum=MAXIMUM)
    except AmountError as error:
        hint = amount_error(
            i18n, error, places=2, minimum=format_money(MINIMUM, shop.currency),
            maximum=format_money(MAXIMUM, shop.currency),
        )  # fmt: skip
        await message.answer(hint, reply_markup=cancel_only(i18n))
        return
    await _open_request(message, state, i18n, shop, customer, amount)


async def _open_request(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    amount: int,
) -> None:
    watch = shop.usdt_watch
    if watch is None:
        return
    try:
        request = await shop.deposits.open_usdt(customer.id, amount)
    except TooManyRequests:
        await message.answer(i18n.get("deposit-too-many"), reply_markup=menu_only(i18n))
        return
    except DepositRefused:
        await message.answer(i18n.get("deposit-busy"))
        return
    await state.clear()
    minutes = int(shop.deposits.request_ttl.total_seconds() // 60)
    caption = i18n.get(
        "deposit-send-exactly",
        amount=format_amount(request.pay_amount, places=6),
        address=watch.address,
        until=request.expires_at[11:16],
        minutes=minutes,
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=i18n.get("deposit-cancel-request"),
                    callback_data=CancelDeposit(request_id=request.id).pack(),
                )
            ],
            [back_button(i18n, Screen.WALLET)],
        ]
    )
    picture = BufferedInputFile(qr_png(watch.address), filename="deposit-address.png")
    await message.answer_photo(picture, caption=caption, reply_markup=markup)


@router.callback_query(CancelDeposit.filter())
async def cancel_request(
    query: CallbackQuery,
    callback_data: CancelDeposit,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if not await shop.deposits.cancel(callback_data.request_id, customer.id):
        await query.answer(i18n.get("deposit-not-open"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_caption(
            caption=i18n.get("deposit-cancelled", id=callback_data.request_id),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n, Screen.WALLET)]]),
        )


async def announce_deposit(
    shop: Shop, core: HtmlFluentCore, language: CustomerLanguage, payment: Payment
) -> None:
    """A payment was credited in the background: tell its customer, in their language."""
    if payment.user_id is None or payment.credited is None:
        return
    customer = await shop.customers.get(payment.user_id)
    if customer is None:
        return
    i18n = I18nContext(locale=customer.language, core=core, manager=language, data={})
    balance = await shop.ledger.balance(customer.id)
    text = i18n.get(
        "deposit-credited" if payment.decided_by is None else "deposit-assigned",
        amount=format_money(payment.credited, shop.currency, places=6),
        tx=_short(payment.reference.partition(":")[2]),
        available=format_money(balance.available, shop.currency),
    )
    await shop.messenger.tell_customer(customer.id, text, menu_only(i18n))


def _short(txid: str) -> str:
    return txid if len(txid) <= 16 else f"{txid[:8]}…{txid[-6:]}"
