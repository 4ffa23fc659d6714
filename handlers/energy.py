"""TRON energy: send the receiving address → choose or type the energy → choose the period at
today's price → confirm the exact charge → the result (followed until upstream delegated it)."""

from __future__ import annotations

import logging
import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.lines.energy import EnergyDetails, EnergyFailure, EnergyLine
from bot.services.money import format_money
from bot.services.pricing import PricingError
from bot.services.tron import ADDRESS_LENGTH, AddressProblem, address_problem
from bot.shop import Shop
from handlers.lines import Conversation, register_conversation
from handlers.purchase import PresenterBase, cannot_price, present_quote
from handlers.screens import back_button, cancel_button, cancel_only, choices, grid, menu_only, show
from storage.orders import Order
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="energy")

# One USDT transfer to an address that already holds USDT, and one to an address that does not.
PRESETS = (65_000, 131_000)
MAXIMUM = 5_000_000
_MAX_TEXT = 64  # longer than any energy amount or address: refused without parsing
_WHOLE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")


class EnergyFlow(StatesGroup):
    address = State()
    amount = State()
    period = State()


class EnergyOpen(CallbackData, prefix="enopen"):
    """The main menu's button, and Back to the address step."""


class EnergyAmount(CallbackData, prefix="enamt"):
    energy: int


class EnergyPeriod(CallbackData, prefix="enper"):
    period: str


class EnergyStep(CallbackData, prefix="enstep"):
    """Back to the amount step, from the period step."""


def _energy(amount: int) -> str:
    return f"{amount:,}"


def period_name(i18n: I18nContext, period: str) -> str:
    match period:
        case "1H":
            return i18n.get("energy-period-1h")
        case "1D":
            return i18n.get("energy-period-1d")
        case "3D":
            return i18n.get("energy-period-3d")
        case "30D":
            return i18n.get("energy-period-30d")
        case _:
            return period


def _address_hint(i18n: I18nContext, problem: AddressProblem, text: str) -> str:
    match problem:
        case AddressProblem.WRONG_LENGTH:
            return i18n.get("energy-bad-address-length", length=ADDRESS_LENGTH, got=len(text))
        case AddressProblem.BAD_CHARACTERS:
            return i18n.get("energy-bad-address-characters")
        case AddressProblem.BAD_CHECKSUM:
            return i18n.get("energy-bad-address-checksum")
        case AddressProblem.WRONG_VERSION:
            return i18n.get("energy-bad-address-version")
        case _:
            return i18n.get("energy-bad-address-start")


# -- step 1: the receiving address --


@router.callback_query(EnergyOpen.filter())
async def ask_address(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    await state.set_state(EnergyFlow.address)
    markup = InlineKeyboardMarkup(inline_keyboard=[[back_button(i18n), cancel_button(i18n)]])
    await show(query, i18n.get("energy-ask-address"), markup)


@router.message(StateFilter(EnergyFlow.address), F.text)
async def address_sent(message: Message, state: FSMContext, i18n: I18nContext, shop: Shop) -> None:
    text = (message.text or "").strip()
    if len(text) > _MAX_TEXT:
        await message.answer(
            i18n.get("energy-bad-address-length", length=ADDRESS_LENGTH, got=len(text)),
            reply_markup=cancel_only(i18n),
        )
        return
    problem = address_problem(text)
    if problem is not None:
        await message.answer(_address_hint(i18n, problem, text), reply_markup=cancel_only(i18n))
        return
    await state.set_state(EnergyFlow.amount)
    await state.set_data({"address": text})
    await _amount_screen(message, i18n, shop, text)


@router.message(StateFilter(EnergyFlow.address))
async def address_not_text(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("energy-ask-address"), reply_markup=cancel_only(i18n))


# -- step 2: how much energy --


async def _amount_screen(
    event: CallbackQuery | Message, i18n: I18nContext, shop: Shop, address: str
) -> None:
    offer = await shop.require(EnergyLine).offer()
    if offer is None:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    options = [
        (i18n.get("energy-preset", energy=_energy(amount)), EnergyAmount(energy=amount))
        for amount in PRESETS
        if offer.minimum <= amount <= MAXIMUM
    ]
    markup = choices(i18n, options, back=EnergyOpen(), per_row=1)
    text = i18n.get(
        "energy-choose-amount",
        address=address,
        minimum=_energy(offer.minimum),
        maximum=_energy(MAXIMUM),
    )
    await show(event, text, markup)


@router.callback_query(StateFilter(EnergyFlow.amount), EnergyAmount.filter())
async def preset_chosen(
    query: CallbackQuery,
    callback_data: EnergyAmount,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    if callback_data.energy not in PRESETS:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await _energy_chosen(query, state, i18n, shop, callback_data.energy)


@router.message(StateFilter(EnergyFlow.amount), F.text)
async def amount_typed(message: Message, state: FSMContext, i18n: I18nContext, shop: Shop) -> None:
    text = (message.text or "").strip()
    if len(text) > _MAX_TEXT or not _WHOLE.fullmatch(text):
        await message.answer(
            i18n.get("energy-bad-amount", example=_energy(PRESETS[0])),
            reply_markup=cancel_only(i18n),
        )
        return
    await _energy_chosen(message, state, i18n, shop, int(text.replace(",", "")))


async def _energy_chosen(
    event: CallbackQuery | Message, state: FSMContext, i18n: I18nContext, shop: Shop, energy: int
) -> None:
    offer = await shop.require(EnergyLine).offer()
    if offer is None:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    if energy < offer.minimum or energy > MAXIMUM:
        hint = (
            i18n.get("energy-below-minimum", minimum=_energy(offer.minimum))
            if energy < offer.minimum
            else i18n.get("energy-above-maximum", maximum=_energy(MAXIMUM))
        )
        if isinstance(event, CallbackQuery):
            await event.answer(hint, show_alert=True)
        else:
            await event.answer(hint, reply_markup=cancel_only(i18n))
        return
    await state.set_state(EnergyFlow.period)
    await state.update_data(energy=energy)
    await _period_screen(event, state, i18n, shop)


@router.message(StateFilter(EnergyFlow.amount))
async def amount_not_text(message: Message, i18n: I18nContext) -> None:
    await message.answer(
        i18n.get("energy-bad-amount", example=_energy(PRESETS[0])), reply_markup=cancel_only(i18n)
    )


# -- step 3: for how long --


async def _period_screen(
    event: CallbackQuery | Message, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    data = await state.get_data()
    if "energy" not in data or "address" not in data:  # the conversation was left meanwhile
        await show(event, i18n.get("stale-button"), menu_only(i18n))
        return
    prices = await shop.require(EnergyLine).prices(int(data["energy"]))
    if not prices:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    options = [
        (
            i18n.get(
                "energy-period-button",
                period=period_name(i18n, period),
                price=format_money(price.charge, shop.currency),
            ),
            EnergyPeriod(period=period),
        )
        for period, price in prices.items()
    ]
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            *grid(options, 1),
            [
                InlineKeyboardButton(
                    text=i18n.get("button-back"), callback_data=EnergyStep().pack()
                ),
                cancel_button(i18n),
            ],
        ]
    )
    text = i18n.get(
        "energy-choose-period", energy=_energy(int(data["energy"])), address=str(data["address"])
    )
    await show(event, text, markup)


@router.callback_query(StateFilter(EnergyFlow.period), EnergyStep.filter())
async def back_to_amount(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    data = await state.get_data()
    await state.set_state(EnergyFlow.amount)
    await _amount_screen(query, i18n, shop, str(data.get("address", "")))


@router.callback_query(StateFilter(EnergyFlow.period), EnergyPeriod.filter())
async def period_chosen(
    query: CallbackQuery,
    callback_data: EnergyPeriod,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    data = await state.get_data()
    if "energy" not in data or "address" not in data:  # the conversation was left meanwhile
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    line = shop.require(EnergyLine)
    try:
        quote = await line.quote(str(data["address"]), int(data["energy"]), callback_data.period)
    except PricingError:
        await cannot_price(query, i18n, "TRON energy")
        return
    if quote is None:  # a period upstream does not offer (now), or a forged button
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await present_quote(query, i18n, shop, customer, line.product, ENERGY, quote.for_order)


# -- how an energy order reads, for the shared purchase screens --


class EnergyPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return i18n.get("menu-energy")

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = EnergyDetails.of(order)
        return i18n.get(
            "energy-confirm",
            energy=_energy(details.energy),
            period=period_name(i18n, details.period),
            address=details.address,
        )

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = EnergyDetails.of(order)
        return i18n.get(
            "energy-delivered",
            energy=_energy(details.energy),
            period=period_name(i18n, details.period),
            address=details.address,
        )

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        details = EnergyDetails.of(order)
        match details.energy_failure:
            case EnergyFailure.PERIOD:
                return i18n.get("energy-failure-period")
            case EnergyFailure.UPSTREAM_BALANCE:
                return i18n.get("energy-failure-upstream-balance")
            case EnergyFailure.NO_RESOURCES:
                return i18n.get("energy-failure-no-resources")
            case EnergyFailure.INACTIVE_ADDRESS:
                return i18n.get("energy-failure-inactive-address", address=details.address)
            case EnergyFailure.ABORTED:
                return i18n.get("energy-failure-aborted")
            case EnergyFailure.BROKEN_OFF:
                return i18n.get("energy-failure-broken-off")
            case _:
                return None

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        data = await state.get_data()
        if "energy" not in data or "address" not in data:  # left meanwhile: start again
            await ask_address(query, state, i18n)
            return
        await state.set_state(EnergyFlow.period)
        await _period_screen(query, state, i18n, shop)


ENERGY = EnergyPresenter()

CONVERSATION = register_conversation(
    Conversation(
        key=EnergyLine.product,
        router=router,
        presenter=ENERGY,
        label=ENERGY.name,
        entry=EnergyOpen(),
    )
)
