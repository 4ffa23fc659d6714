"""Top up: the customer chooses an amount and gets the shop's USDT-TRC20 address, as text and as a
QR code, with the exact amount to send and until when; the watch credits it once it is confirmed
(see `bot.services.usdt_watch`)."""

from __future__ import annotations

import contextlib
import re

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
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

from bot.services.deposits.books import ClaimRefused, DepositRefused, TooManyClaims, TooManyRequests
from bot.services.money import (
    MICRO,
    format_amount,
    format_money,
    round_up_to_cent,
)
from bot.services.ownership import own
from bot.shop import Shop
from bot.telegram.outbox import Letter
from bot.telegram.qr import qr_png
from handlers.callbacks import BackToOrder, Open, Screen, TopUpFor
from handlers.purchase import read_amount
from handlers.screens import back_button, cancel_only, choices, menu_only, show
from storage.deposits import DepositRequest, Method, Payment, PaymentStatus
from storage.orders import Order
from storage.users import Customer

router = Router(name="deposits")

_TXID = re.compile(r"[0-9a-f]{64}")  # a TRON transaction id
MINIMUM = 1 * MICRO
MAXIMUM = 10_000 * MICRO
PRESETS = (10, 20, 50, 100)


class DepositFlow(StatesGroup):
    amount = State()
    claim_hash = State()  # a transfer already made: its hash,
    claim_amount = State()  # then how much it sent


class DepositWay(CallbackData, prefix="depway"):
    method: Method
    order_id: str = ""  # topping up what this order is short of


class DepositAmount(CallbackData, prefix="depamt"):
    usdt: int


class CancelDeposit(CallbackData, prefix="depcancel"):
    request_id: str


def _least(shop: Shop) -> tuple[int, str]:
    return MINIMUM, format_money(MINIMUM, shop.currency)


def _most(shop: Shop) -> tuple[int, str]:
    return MAXIMUM, format_money(MAXIMUM, shop.currency)


def deposit_methods(shop: Shop) -> list[Method]:
    """The ways in this shop takes, in the order they are offered. Telegram Stars need no
    account of the shop's, so they are always taken (see `handlers.stars`)."""
    methods = []
    if shop.usdt_watch is not None:
        methods.append(Method.USDT)
        if shop.support_enabled:  # an operator checks a claimed transfer
            methods.append(Method.MANUAL)
    return [*methods, Method.STARS]


@router.callback_query(Open.filter(F.screen == Screen.DEPOSIT))
async def choose_method(query: CallbackQuery, i18n: I18nContext, shop: Shop) -> None:
    await show(query, i18n.get("deposit-choose-method"), _ways(i18n, shop, order_id=""))


@router.callback_query(TopUpFor.filter())
async def top_up_for_order(
    query: CallbackQuery,
    callback_data: TopUpFor,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    """From a confirmation the balance is short for: the ways to pay what is missing."""
    order = await order_to_top_up(query, i18n, shop, customer, callback_data.order_id)
    if order is None:
        return
    missing = await _missing_for(shop, order)
    text = i18n.get("deposit-top-up-for", missing=format_money(missing, shop.currency))
    await show(query, text, _ways(i18n, shop, order_id=order.id))


async def order_to_top_up(
    query: CallbackQuery, i18n: I18nContext, shop: Shop, customer: Customer, order_id: str
) -> Order | None:
    """The order a top-up button names, if it is the customer's own; otherwise the customer is
    told and None returned, and nothing may change (the id rides in callback data, which anyone
    can forge)."""
    order = await shop.sales.find_owned(order_id, customer.id)
    if order is None:
        await query.answer(i18n.get("not-your-order"), show_alert=True)
        return None
    return order


async def _missing_for(shop: Shop, order: Order) -> int:
    """What the balance lacks for the order, in whole cents, and at least the smallest top-up."""
    available = (await shop.ledger.balance(order.user_id)).available
    return max(MINIMUM, round_up_to_cent(order.charge - available))


def _ways(i18n: I18nContext, shop: Shop, *, order_id: str) -> InlineKeyboardMarkup:
    labels = {
        Method.USDT: i18n.get("deposit-method-usdt"),
        Method.MANUAL: i18n.get("deposit-method-manual"),
        Method.STARS: i18n.get("deposit-method-stars"),
    }
    rows = [
        [
            InlineKeyboardButton(
                text=labels[method],
                callback_data=DepositWay(method=method, order_id=order_id).pack(),
            )
        ]
        for method in deposit_methods(shop)
    ]
    rows.append([back_button(i18n, Screen.WALLET)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.callback_query(DepositWay.filter(F.method == Method.USDT))
async def choose_amount(
    query: CallbackQuery,
    callback_data: DepositWay,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if shop.usdt_watch is None:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    if callback_data.order_id:  # the amount is what the order is short of
        order = await order_to_top_up(query, i18n, shop, customer, callback_data.order_id)
        if order is None:
            return
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(reply_markup=None)
            await _open_request(
                query.message,
                state,
                i18n,
                shop,
                customer,
                await _missing_for(shop, order),
                return_to=order.id,
            )
        return
    await state.set_state(DepositFlow.amount)
    options = [(f"{usdt} USDT", DepositAmount(usdt=usdt)) for usdt in PRESETS]
    markup = choices(i18n, options, back=Screen.DEPOSIT, per_row=4)
    text = i18n.get(
        "deposit-choose-amount", minimum=format_amount(MINIMUM), maximum=format_amount(MAXIMUM)
    )
    await show(query, text, markup)


@router.callback_query(DepositWay.filter(F.method == Method.MANUAL))
async def ask_claimed_hash(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    if shop.usdt_watch is None or Method.MANUAL not in deposit_methods(shop):
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await state.set_state(DepositFlow.claim_hash)
    markup = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n, Screen.DEPOSIT)]])
    await show(query, i18n.get("deposit-claim-hash", address=shop.usdt_watch.address), markup)


@router.message(StateFilter(DepositFlow.claim_hash), F.text)
async def claimed_hash(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    txid = (message.text or "").strip().lower()
    if len(txid) > 100 or not _TXID.fullmatch(txid):
        await message.answer(i18n.get("deposit-claim-bad-hash"), reply_markup=cancel_only(i18n))
        return
    await state.set_state(DepositFlow.claim_amount)
    await state.set_data({"txid": txid})
    await message.answer(
        i18n.get("deposit-claim-amount", tx=_short(txid)), reply_markup=cancel_only(i18n)
    )


@router.message(StateFilter(DepositFlow.claim_amount), F.text)
async def claimed_amount(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    amount = await read_amount(message, i18n, places=6, least=_least(shop), most=_most(shop))
    if amount is None:
        return
    txid = str((await state.get_data())["txid"])
    await state.clear()
    try:
        await shop.deposits.usdt.claim(customer.id, txid, amount)  # its card goes with it
    except ClaimRefused as refused:
        await message.answer(_claim_refusal(i18n, refused.status), reply_markup=menu_only(i18n))
        return
    except TooManyClaims:
        await message.answer(i18n.get("deposit-claim-too-many"), reply_markup=menu_only(i18n))
        return
    await message.answer(
        i18n.get("deposit-claim-received", tx=_short(txid)), reply_markup=menu_only(i18n)
    )


def _claim_refusal(i18n: I18nContext, status: PaymentStatus) -> str:
    if status in (PaymentStatus.CREDITED, PaymentStatus.REFUNDED):
        return i18n.get("deposit-claim-credited")
    if status == PaymentStatus.CLAIMED:
        return i18n.get("deposit-claim-waiting")
    return i18n.get("deposit-claim-decided")


@router.callback_query(StateFilter(DepositFlow.amount), DepositAmount.filter())
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
        try:
            await query.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest as refused:
            if "message is not modified" in refused.message:
                return  # its buttons are gone already: a press of it was taken before this one
            raise
        await _open_request(query.message, state, i18n, shop, customer, callback_data.usdt * MICRO)


@router.message(StateFilter(DepositFlow.amount), F.text)
async def amount_typed(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    amount = await read_amount(message, i18n, places=2, least=_least(shop), most=_most(shop))
    if amount is None:
        return
    await _open_request(message, state, i18n, shop, customer, amount)


async def _open_request(
    message: Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    amount: int,
    *,
    return_to: str | None = None,
) -> None:
    watch = shop.usdt_watch
    if watch is None:
        return
    try:
        request = await shop.deposits.usdt.open(customer.id, amount, return_to=return_to)
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
    if not await shop.deposits.requests.cancel(callback_data.request_id, customer.id):
        await query.answer(i18n.get("deposit-not-open"), show_alert=True)
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    back = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n, Screen.WALLET)]])
    if message.invoice is not None:  # an invoice cannot be edited: it is withdrawn
        with contextlib.suppress(TelegramBadRequest):  # too old to delete: declined anyway
            await message.delete()
        await message.answer(
            i18n.get("stars-cancelled", id=callback_data.request_id), reply_markup=back
        )
    else:
        await message.edit_caption(
            caption=i18n.get("deposit-cancelled", id=callback_data.request_id), reply_markup=back
        )


async def credited_letter(i18n: I18nContext, shop: Shop, payment: Payment) -> Letter:
    """A USDT transfer credited (found by the watch, or placed by an operator): the customer's
    news of it."""
    assert payment.user_id is not None and payment.credited is not None
    balance = await shop.ledger.balance(payment.user_id)
    text = i18n.get(
        "deposit-credited" if payment.decided_by is None else "deposit-assigned",
        amount=format_money(payment.credited, shop.currency, places=6),
        tx=_short(payment.reference.partition(":")[2]),
        available=format_money(balance.available, shop.currency),
    )
    return Letter(text, after_deposit(i18n, await request_of(shop, payment)))


async def request_of(shop: Shop, payment: Payment) -> DepositRequest | None:
    """The request a payment paid, if it paid one of its customer's (an operator may have
    credited a transfer to someone else than the customer whose request it matched)."""
    if payment.request_id is None:
        return None
    request = await shop.deposits.store.request(payment.request_id)
    if payment.user_id is None:
        return None
    return own(payment.user_id, request)


async def unconfirmed_claim_letter(i18n: I18nContext, shop: Shop, payment: Payment) -> Letter:
    """A transfer the customer claimed was decided without crediting them (rejected, or
    credited to the customer whose it was): the claimant's news of it."""
    return Letter(
        i18n.get("deposit-claim-rejected", tx=_short(payment.reference.partition(":")[2]))
    )


def after_deposit(i18n: I18nContext, request: DepositRequest | None) -> InlineKeyboardMarkup:
    """Under the news of a credited deposit: back to the order it was for, if any, and the menu."""
    markup = menu_only(i18n)
    if request is None or not request.return_to:
        return markup
    back = BackToOrder(order_id=request.return_to).pack()
    button = InlineKeyboardButton(text=i18n.get("deposit-back-to-order"), callback_data=back)
    return InlineKeyboardMarkup(inline_keyboard=[[button], *markup.inline_keyboard])


def _short(txid: str) -> str:
    return txid if len(txid) <= 16 else f"{txid[:8]}…{txid[-6:]}"
