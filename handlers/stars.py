"""Top up with Telegram Stars: the customer chooses how many Stars (a preset, or typed), the screen
says what they credit, and the bot sends an invoice in XTR whose payload is the request's id.

`payments` answers the pre-checkout query (only for an open, unexpired request of that customer,
for exactly its Stars) and credits each `successful_payment` once (see `bot.services.deposits`). It
sits outside the customers' router, so a payment is booked whatever the chat is doing, even for a
customer banned since they pressed Pay: the money is theirs.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import MagicData, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from aiogram_i18n import I18nContext

from bot.services.deposits.books import TooManyRequests
from bot.services.deposits.stars import MAX_STARS, STARS, StarsCheck
from bot.services.money import (
    MICRO,
    AmountError,
    AmountProblem,
    exact_money,
    format_money,
    format_rate,
    parse_amount,
)
from bot.shop import Shop
from bot.telegram.i18n import language_from_telegram
from bot.telegram.outbox import Letter
from handlers.callbacks import Screen
from handlers.deposits import (
    CancelDeposit,
    DepositWay,
    after_deposit,
    order_to_top_up,
    request_of,
)
from handlers.purchase import amount_error
from handlers.screens import back_button, cancel_only, choices, menu_only, redraw, show
from storage.deposits import Method, Payment
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="stars")
payments = Router(name="stars-payments")

PRESETS = (100, 250, 500, 1000)


class StarsFlow(StatesGroup):
    amount = State()


class StarsAmount(CallbackData, prefix="starsamt"):
    stars: int


def stars_count(stars: int) -> str:
    return f"{stars:,}"


@router.callback_query(DepositWay.filter(F.method == Method.STARS))
async def choose_stars(
    query: CallbackQuery,
    callback_data: DepositWay,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    order_id = callback_data.order_id
    if order_id and await order_to_top_up(query, i18n, shop, customer, order_id) is None:
        return
    await state.set_state(StarsFlow.amount)
    await state.set_data({"return_to": order_id})  # the customer's order it is for, if any
    options = [(f"{stars_count(stars)} ⭐", StarsAmount(stars=stars)) for stars in PRESETS]
    markup = choices(i18n, options, back=Screen.DEPOSIT, per_row=4)
    text = i18n.get(
        "stars-choose-amount",
        rate=format_rate(shop.deposits.stars.stars_rate),
        currency=shop.currency,
        maximum=stars_count(MAX_STARS),
    )
    await show(query, text, markup)


@router.callback_query(StateFilter(StarsFlow.amount), StarsAmount.filter())
async def preset_chosen(
    query: CallbackQuery,
    callback_data: StarsAmount,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if callback_data.stars not in PRESETS:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await query.answer()
    await _send_invoice(query, state, i18n, shop, customer, callback_data.stars)


@router.message(StateFilter(StarsFlow.amount), F.text)
async def amount_typed(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    text = (message.text or "").strip()
    try:
        if "," in text:  # "1,000" would read as 1 Star: a decimal comma is not whole Stars
            raise AmountError(AmountProblem.NOT_A_NUMBER)
        stars = parse_amount_of_stars(text)
    except AmountError as error:
        await message.answer(_amount_hint(i18n, error), reply_markup=cancel_only(i18n))
        return
    await _send_invoice(message, state, i18n, shop, customer, stars)


def parse_amount_of_stars(text: str) -> int:
    """A typed number of Stars: a whole number from 1 to MAX_STARS, or AmountError."""
    micro = parse_amount(text, places=0, minimum=MICRO, maximum=MAX_STARS * MICRO)
    return micro // MICRO


def _amount_hint(i18n: I18nContext, error: AmountError) -> str:
    maximum = stars_count(MAX_STARS)
    match error.problem:
        case AmountProblem.TOO_MANY_DECIMALS:
            return i18n.get("stars-not-whole", maximum=maximum)
        case AmountProblem.EMPTY | AmountProblem.TOO_LONG | AmountProblem.NOT_A_NUMBER:
            return i18n.get("stars-not-a-number", maximum=maximum)
        case _:
            return amount_error(i18n, error, places=0, minimum="1 ⭐", maximum=f"{maximum} ⭐")


async def _send_invoice(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    stars: int,
) -> None:
    """Open the request, say what it credits (the screen, edited or new), and send its invoice."""
    message = event if isinstance(event, Message) else event.message
    if not isinstance(message, Message):
        return
    return_to = str((await state.get_data()).get("return_to") or "") or None
    try:
        request = await shop.deposits.stars.open(customer.id, stars, return_to=return_to)
    except TooManyRequests:
        await message.answer(i18n.get("deposit-too-many"), reply_markup=menu_only(i18n))
        return
    await state.clear()
    credit = exact_money(request.amount, shop.currency)
    summary = i18n.get(
        "stars-invoice-sent",
        stars=stars_count(stars),
        credit=credit,
        until=request.expires_at[11:16],
        minutes=int(shop.deposits.request_ttl.total_seconds() // 60),
    )
    back = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n, Screen.WALLET)]])
    await redraw(event, summary, back)
    pay = InlineKeyboardButton(text=i18n.get("stars-pay", stars=stars_count(stars)), pay=True)
    cancel = InlineKeyboardButton(
        text=i18n.get("deposit-cancel-request"),
        callback_data=CancelDeposit(request_id=request.id).pack(),
    )
    await message.answer_invoice(
        title=i18n.get("stars-invoice-title"),
        description=i18n.get("stars-invoice-description", stars=stars_count(stars), credit=credit),
        payload=request.id,
        currency=STARS,
        prices=[LabeledPrice(label=i18n.get("stars-invoice-label"), amount=stars)],
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[pay], [cancel]]),
    )


# -- paying ---------------------------------------------------------------------------------------


@payments.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, i18n: I18nContext, shop: Shop) -> None:
    """Telegram waits 10 seconds for this answer: one read, no write."""
    customer = await shop.customers.get(query.from_user.id)
    if customer is None:
        verdict = StarsCheck.UNKNOWN
    else:
        verdict = await shop.deposits.stars.check(
            query.invoice_payload, customer.id, query.total_amount, query.currency
        )
    if verdict == StarsCheck.OK and customer is not None and not customer.banned:
        await query.answer(ok=True)
        return
    language = (
        customer.language if customer else language_from_telegram(query.from_user.language_code)
    )
    with i18n.use_locale(language):
        if customer is not None and customer.banned:
            why = i18n.get("banned")
        else:
            why = _declined(i18n, verdict)
    await query.answer(ok=False, error_message=why)


def _declined(i18n: I18nContext, verdict: StarsCheck) -> str:
    match verdict:
        case StarsCheck.CLOSED:
            return i18n.get("stars-declined-closed")
        case StarsCheck.EXPIRED:
            return i18n.get("stars-declined-expired")
        case StarsCheck.MISMATCH:
            return i18n.get("stars-declined-mismatch")
        case _:
            return i18n.get("stars-declined-unknown")


# Every customer message passes here first: MagicData checks it in the event loop, where a bare
# `F` filter would be run in a worker thread.
@payments.message(MagicData(F.event.successful_payment))
async def paid(message: Message, shop: Shop, customer: Customer | None) -> None:
    """Credited once per charge id, the customer told with the credit (the operators too, if it
    named no open request); a second delivery of the same payment says nothing."""
    receipt = message.successful_payment
    payer = message.from_user
    if receipt is None or payer is None:
        return
    if receipt.currency != STARS:
        await shop.messenger.alert_operators(
            f"A payment of {receipt.total_amount} {receipt.currency} from customer {payer.id} "
            "arrived, but the shop takes only Telegram Stars: it was not credited."
        )
        return
    if customer is None:  # paid outside the private chat: still the payer's money
        customer = await shop.customers.register(
            payer.id,
            username=payer.username,
            first_name=payer.first_name,
            language=language_from_telegram(payer.language_code),
        )
    try:
        taken = await shop.deposits.stars.take(
            receipt.telegram_payment_charge_id,
            customer.id,
            receipt.total_amount,
            receipt.invoice_payload,
        )
    except Exception:  # Telegram sends it once: the operators must know
        await shop.messenger.alert_operators(
            f"A Telegram Stars payment could not be booked: charge "
            f"{receipt.telegram_payment_charge_id}, {receipt.total_amount} Stars from customer "
            f"{customer.id} (request {receipt.invoice_payload[:40]}). The bot's Stars "
            "transactions are read again and again: it is booked from there once the cause is "
            "fixed, so do not credit it by hand. The bot's log has the error."
        )
        raise
    if taken.seen_before:
        log.info("Stars payment %s delivered again: nothing to do", taken.payment.id)
    # Otherwise the customer was told with the credit (see `credited_letter`), and the operators
    # of a payment that named no open request, both recorded with it (see `StarsPayments.take`).


async def credited_letter(i18n: I18nContext, shop: Shop, payment: Payment) -> Letter:
    """A Stars payment credited: the customer's news of it, with the way back to the order the
    request was for."""
    assert payment.user_id is not None and payment.credited is not None
    balance = await shop.ledger.balance(payment.user_id)
    text = i18n.get(
        "stars-credited",
        amount=exact_money(payment.credited, shop.currency),
        stars=stars_count(payment.paid),
        payment=str(payment.id),
        available=format_money(balance.available, shop.currency),
    )
    return Letter(text, after_deposit(i18n, await request_of(shop, payment)))


async def refunded_letter(i18n: I18nContext, shop: Shop, payment: Payment) -> Letter:
    """A Stars payment refunded (by an operator's command, or settled later): the customer's
    news of it."""
    assert payment.user_id is not None and payment.credited is not None
    balance = await shop.ledger.balance(payment.user_id)
    text = i18n.get(
        "stars-refunded",
        stars=stars_count(payment.paid),
        payment=str(payment.id),
        amount=exact_money(payment.credited, shop.currency),
        available=format_money(balance.available, shop.currency),
    )
    return Letter(text, menu_only(i18n))
