"""Mobile top-up: send the phone number with its country code → see its country and carrier (or
pick another country, then its carrier) → airtime or data → choose a product (face value and our
price) → confirm the exact charge → the result (KUMQUAT calls back; the customer gets a message)."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.lines.topup import (
    AIRTIME,
    KINDS,
    NUMBER_REFUSALS,
    NumberProblem,
    TopupDetails,
    TopupLine,
    TopupTarget,
)
from bot.services.money import format_money
from bot.services.pricing import PricingError
from bot.shop import Shop
from handlers.lines import Conversation, register_conversation
from handlers.purchase import PresenterBase, cannot_price, present_quote
from handlers.screens import back_button, cancel_button, carried, grid, menu_only, show
from storage.orders import Order
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="topup")

MIN_DIGITS, MAX_DIGITS = 8, 15  # with the country code; E.164 has at most 15
COUNTRIES_PER_PAGE = 10
MAX_OFFERS = 40  # buttons on one screen; a carrier's cheapest first
_NUMBER = re.compile(r"\+?[0-9]+")


class TopupFlow(StatesGroup):
    number = State()  # waiting for the phone number
    choosing = State()  # number known: carrier, kind and product are chosen by buttons


class TopupOpen(CallbackData, prefix="tpopen"):
    """The main menu's button, and Back to the number step."""


class TopupKind(CallbackData, prefix="tpk"):
    kind: str


class TopupProduct(CallbackData, prefix="tpp"):
    id: int


class TopupCountries(CallbackData, prefix="tpcs"):
    page: int


class TopupCountry(CallbackData, prefix="tpc"):
    code: str


class TopupCarrier(CallbackData, prefix="tpr"):
    id: str


class TopupToNumber(CallbackData, prefix="tpn"):
    """Back to the number's screen (its country and carrier)."""


def _kind_name(i18n: I18nContext, kind: str) -> str:
    return i18n.get("topup-airtime") if kind == AIRTIME else i18n.get("topup-data")


def _face(value: Decimal) -> str:
    return f"{value.normalize():,f}"


def _cancel_only(i18n: I18nContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])


def number_problem(text: str) -> str | None:
    """None if `text` is a phone number with its country code, else which hint applies."""
    if len(text) > 32 or not _NUMBER.fullmatch(text) or not text.isascii():
        return "format"
    if not MIN_DIGITS <= len(text.lstrip("+")) <= MAX_DIGITS:
        return "length"
    return None


async def _stale(query: CallbackQuery, i18n: I18nContext) -> None:
    await query.answer(i18n.get("stale-button"), show_alert=True)


# -- step 1: the number --


@router.callback_query(TopupOpen.filter())
async def ask_number(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.set_state(TopupFlow.number)
    await state.set_data({})
    markup = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n), cancel_button(i18n)]])
    await show(query, i18n.get("topup-ask-number"), markup)


@router.message(StateFilter(TopupFlow.number), F.text)
async def number_sent(message: Message, state: FSMContext, i18n: I18nContext, shop: Shop) -> None:
    text = (message.text or "").strip()
    problem = number_problem(text)
    if problem is not None:
        hint = (
            i18n.get("topup-bad-number-length")
            if problem == "length"
            else i18n.get("topup-bad-number")
        )
        await message.answer(hint, reply_markup=_cancel_only(i18n))
        return
    number = text.lstrip("+")
    found = await shop.require(TopupLine).lookup(number)
    if found is None:
        await message.answer(i18n.get("upstream-unavailable"), reply_markup=_cancel_only(i18n))
        return
    if isinstance(found, NumberProblem):
        if found.reason == "carrier_unknown":  # the customer says which country and carrier
            await state.set_state(TopupFlow.choosing)
            await state.set_data({"account": number})
            preface = i18n.get("topup-carrier-unknown", number=f"+{number}")
            await _countries(message, i18n, shop, 0, preface=preface, can_go_back=False)
            return
        await message.answer(i18n.get("topup-bad-number-length"), reply_markup=_cancel_only(i18n))
        return
    await state.set_state(TopupFlow.choosing)
    await state.set_data({"account": number, "target": found.dump()})
    await show(message, *_target_screen(i18n, found))


@router.message(StateFilter(TopupFlow.number))
async def number_not_text(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("topup-bad-number"), reply_markup=_cancel_only(i18n))


# -- step 2: the number's country and carrier --


def _target_screen(i18n: I18nContext, target: TopupTarget) -> tuple[str, InlineKeyboardMarkup]:
    text = i18n.get(
        "topup-target",
        number=f"+{target.account}",
        country=target.country_name,
        carrier=target.carrier_name,
    )
    kinds = [
        InlineKeyboardButton(text=_kind_name(i18n, kind), callback_data=TopupKind(kind=kind).pack())
        for kind in KINDS
    ]
    change = InlineKeyboardButton(
        text=i18n.get("topup-change-country"), callback_data=TopupCountries(page=0).pack()
    )
    rows = [kinds, [change], [back_button(i18n, TopupOpen()), cancel_button(i18n)]]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def _target(state: FSMContext) -> TopupTarget | None:
    return await carried(state, "target", TopupTarget)


@router.callback_query(StateFilter(TopupFlow.choosing), TopupToNumber.filter())
async def back_to_number(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    target = await _target(state)
    if target is None:
        await ask_number(query, state, i18n)
        return
    await show(query, *_target_screen(i18n, target))


async def _countries(
    event: CallbackQuery | Message,
    i18n: I18nContext,
    shop: Shop,
    page: int,
    *,
    preface: str | None = None,
    can_go_back: bool = True,
) -> None:
    countries = await shop.require(TopupLine).country_list()
    if not countries:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    pages = (len(countries) + COUNTRIES_PER_PAGE - 1) // COUNTRIES_PER_PAGE
    page = min(max(page, 0), pages - 1)
    shown = countries[page * COUNTRIES_PER_PAGE : (page + 1) * COUNTRIES_PER_PAGE]
    options = [
        (country.name or country.country_code, TopupCountry(code=country.country_code))
        for country in shown
    ]
    rows = grid(options, 2)
    turn = []
    if page > 0:
        data = TopupCountries(page=page - 1).pack()
        turn.append(InlineKeyboardButton(text=i18n.get("topup-previous"), callback_data=data))
    if page < pages - 1:
        data = TopupCountries(page=page + 1).pack()
        turn.append(InlineKeyboardButton(text=i18n.get("topup-next"), callback_data=data))
    if turn:
        rows.append(turn)
    back = (
        InlineKeyboardButton(text=i18n.get("button-back"), callback_data=TopupToNumber().pack())
        if can_go_back
        else back_button(i18n, TopupOpen())
    )
    rows.append([back, cancel_button(i18n)])
    text = i18n.get("topup-choose-country", page=page + 1, pages=pages)
    if preface:
        text = f"{preface}\n\n{text}"
    await show(event, text, InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(StateFilter(TopupFlow.choosing), TopupCountries.filter())
async def country_page(
    query: CallbackQuery,
    callback_data: TopupCountries,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    can_go_back = await _target(state) is not None
    await _countries(query, i18n, shop, callback_data.page, can_go_back=can_go_back)


@router.callback_query(StateFilter(TopupFlow.choosing), TopupCountry.filter())
async def country_chosen(
    query: CallbackQuery,
    callback_data: TopupCountry,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    line = shop.require(TopupLine)
    code = callback_data.code.upper()
    known = {country.country_code.upper() for country in await line.country_list() or []}
    if code not in known:
        await _stale(query, i18n)
        return
    carriers = await line.carriers_of(code)
    if carriers is None:
        await show(query, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    options = [(carrier.name, TopupCarrier(id=carrier.id)) for carrier in carriers]
    back = InlineKeyboardButton(
        text=i18n.get("button-back"), callback_data=TopupCountries(page=0).pack()
    )
    rows = [*grid(options, 2), [back, cancel_button(i18n)]]
    text = (
        i18n.get("topup-choose-carrier", country=await line.country_name(code))
        if carriers
        else i18n.get("topup-no-carriers", country=await line.country_name(code))
    )
    await state.update_data(country=code)
    await show(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(StateFilter(TopupFlow.choosing), TopupCarrier.filter())
async def carrier_chosen(
    query: CallbackQuery,
    callback_data: TopupCarrier,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    line = shop.require(TopupLine)
    data = await state.get_data()
    account, code = data.get("account"), data.get("country")
    carriers = await line.carriers_of(code) if isinstance(code, str) else None
    carrier = next((c for c in carriers or [] if c.id == callback_data.id), None)
    if carrier is None or not isinstance(account, str) or not isinstance(code, str):
        await _stale(query, i18n)
        return
    target = TopupTarget(
        account=account,
        country_code=code,
        country_name=await line.country_name(code),
        carrier_id=carrier.id,
        carrier_name=carrier.name,
    )
    await state.update_data(target=target.dump())
    await show(query, *_target_screen(i18n, target))


# -- step 3: airtime or data, and which product --


async def _offers_screen(
    event: CallbackQuery, i18n: I18nContext, shop: Shop, target: TopupTarget, kind: str
) -> None:
    try:
        offers = await shop.require(TopupLine).offers(target, kind)
    except PricingError:
        await cannot_price(event, i18n, "mobile top-ups")
        return
    if offers is None:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    options = [
        (
            f"{_face(offer.product.face_value)} {offer.product.unit} · "
            f"{format_money(offer.price.charge, shop.currency)}",
            TopupProduct(id=offer.product.id),
        )
        for offer in offers[:MAX_OFFERS]
    ]
    back = InlineKeyboardButton(text=i18n.get("button-back"), callback_data=TopupToNumber().pack())
    rows = [*grid(options, 1), [back, cancel_button(i18n)]]
    kind_name, number, carrier = _kind_name(i18n, kind), f"+{target.account}", target.carrier_name
    text = (
        i18n.get("topup-offers", kind=kind_name, number=number, carrier=carrier)
        if offers
        else i18n.get("topup-no-offers", kind=kind_name, number=number, carrier=carrier)
    )
    await show(event, text, InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(StateFilter(TopupFlow.choosing), TopupKind.filter())
async def kind_chosen(
    query: CallbackQuery,
    callback_data: TopupKind,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    target = await _target(state)
    if callback_data.kind not in KINDS or target is None:
        await _stale(query, i18n)
        return
    await state.update_data(kind=callback_data.kind)
    await _offers_screen(query, i18n, shop, target, callback_data.kind)


@router.callback_query(StateFilter(TopupFlow.choosing), TopupProduct.filter())
async def product_chosen(
    query: CallbackQuery,
    callback_data: TopupProduct,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    data = await state.get_data()
    target = await _target(state)
    line = shop.require(TopupLine)
    try:
        chosen = None if target is None else await line.offer(target, callback_data.id)
    except PricingError:
        await cannot_price(query, i18n, "a mobile top-up")
        return
    if target is None or chosen is None or chosen.product.type != data.get("kind"):
        await _stale(query, i18n)
        return
    quote = line.quote(target, chosen)
    await present_quote(query, i18n, shop, customer, line.product, TOPUP, quote)


# -- how a top-up order reads, for the shared purchase screens --


class TopupPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return i18n.get("menu-topup")

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = TopupDetails.of(order)
        return i18n.get(
            "topup-confirm",
            kind=_kind_name(i18n, details.kind),
            face=_face(details.face_value),
            unit=details.unit,
            product=details.product_name,
            number=f"+{details.account}",
            country=details.country_name,
            carrier=details.carrier_name,
        )

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = TopupDetails.of(order)
        return i18n.get(
            "topup-delivered",
            kind=_kind_name(i18n, details.kind),
            face=_face(details.face_value),
            unit=details.unit,
            number=f"+{details.account}",
        )

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        if TopupDetails.of(order).refusal in NUMBER_REFUSALS:
            return i18n.get("topup-failure-number")
        return None

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        data = await state.get_data()
        target = await _target(state)
        if target is None or data.get("kind") not in KINDS:  # the conversation was left
            await ask_number(query, state, i18n)
            return
        await _offers_screen(query, i18n, shop, target, str(data["kind"]))


TOPUP = TopupPresenter()

CONVERSATION = register_conversation(
    Conversation(
        key=TopupLine.product,
        router=router,
        presenter=TOPUP,
        label=TOPUP.name,
        entry=TopupOpen(),
    )
)
