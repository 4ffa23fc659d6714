"""Cloud recharge: choose the cloud → send the UID (or, for Alibaba, an email) → see the account and
its rate → choose or type an amount in USD → confirm the exact charge → the result."""

from __future__ import annotations

import logging
import re

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.lines.cloud import CloudChannel, CloudDetails, CloudLine, CloudTarget, Lookup
from bot.services.money import MICRO, format_amount, format_rate
from bot.services.pricing import PricingError
from bot.shop import Shop
from handlers.lines import Conversation, register_conversation
from handlers.purchase import PresenterBase, cannot_price, present_quote, read_amount
from handlers.screens import (
    back_button,
    cancel_button,
    cancel_only,
    carried,
    choices,
    grid,
    menu_only,
    show,
)
from storage.orders import Order
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="cloud")

MINIMUM = 1 * MICRO
MAXIMUM = 10_000 * MICRO
PRESETS = (10, 50, 100, 500)
_TENCENT_UID = re.compile(r"[0-9]{5,20}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")


class CloudFlow(StatesGroup):
    uid = State()
    amount = State()


class CloudOpen(CallbackData, prefix="cloudopen"):
    """The main menu's button, and Back to the choice of cloud."""


class CloudPick(CallbackData, prefix="cloud"):
    channel: CloudChannel


class CloudAmount(CallbackData, prefix="cloudamt"):
    usd: int


def _cloud_name(i18n: I18nContext, channel: CloudChannel) -> str:
    return (
        i18n.get("cloud-tencent") if channel == CloudChannel.TENCENT else i18n.get("cloud-alibaba")
    )


def _valid_uid(channel: CloudChannel, text: str) -> bool:
    if _TENCENT_UID.fullmatch(text):
        return True
    return channel == CloudChannel.ALIBABA and _EMAIL.fullmatch(text) is not None


# -- step 1: which cloud --


@router.callback_query(CloudOpen.filter())
async def choose_cloud(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    options = [(_cloud_name(i18n, channel), CloudPick(channel=channel)) for channel in CloudChannel]
    markup = InlineKeyboardMarkup(inline_keyboard=[*grid(options, 2), [back_button(i18n)]])
    await show(query, i18n.get("cloud-choose"), markup)


# -- step 2: the account --


async def _ask_uid(
    event: CallbackQuery | Message, i18n: I18nContext, channel: CloudChannel
) -> None:
    prompt = (
        i18n.get("cloud-ask-uid-tencent")
        if channel == CloudChannel.TENCENT
        else i18n.get("cloud-ask-uid-alibaba")
    )
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[back_button(i18n, CloudOpen()), cancel_button(i18n)]]
    )
    await show(event, prompt, markup)


@router.callback_query(CloudPick.filter())
async def picked(
    query: CallbackQuery, callback_data: CloudPick, state: FSMContext, i18n: I18nContext
) -> None:
    await state.set_state(CloudFlow.uid)
    await state.set_data({"channel": callback_data.channel.value})
    await _ask_uid(query, i18n, callback_data.channel)


@router.message(StateFilter(CloudFlow.uid), F.text)
async def uid_sent(message: Message, state: FSMContext, i18n: I18nContext, shop: Shop) -> None:
    channel = CloudChannel((await state.get_data())["channel"])
    uid = (message.text or "").strip()
    if len(uid) > 256 or not _valid_uid(channel, uid):
        hint = (
            i18n.get("cloud-bad-uid-tencent")
            if channel == CloudChannel.TENCENT
            else i18n.get("cloud-bad-uid-alibaba")
        )
        await message.answer(hint, reply_markup=cancel_only(i18n))
        return
    target = await shop.require(CloudLine).find(channel, uid)
    if isinstance(target, Lookup):
        text = (
            i18n.get("cloud-not-found", cloud=_cloud_name(i18n, channel), uid=uid)
            if target == Lookup.NOT_FOUND
            else i18n.get("upstream-unavailable")
        )
        await message.answer(text, reply_markup=cancel_only(i18n))
        return
    await state.set_state(CloudFlow.amount)
    await state.set_data({"channel": channel.value, "target": target.dump()})
    text, markup = _account_screen(i18n, target)
    await message.answer(text, reply_markup=markup)


@router.message(StateFilter(CloudFlow.uid))
async def uid_not_text(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    await _ask_uid(message, i18n, CloudChannel((await state.get_data())["channel"]))


# -- step 3: how much --


def _account_screen(i18n: I18nContext, target: CloudTarget) -> tuple[str, InlineKeyboardMarkup]:
    text = i18n.get(
        "cloud-account",
        cloud=_cloud_name(i18n, target.channel),
        uid=target.uid,
        balance=format_amount(target.balance),
        currency=target.currency,
        rate=format_rate(target.rate),
    )
    options = [(f"{usd} USD", CloudAmount(usd=usd)) for usd in PRESETS]
    return text, choices(i18n, options, back=CloudOpen(), per_row=4)


@router.callback_query(StateFilter(CloudFlow.amount), CloudAmount.filter())
async def preset_chosen(
    query: CallbackQuery,
    callback_data: CloudAmount,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if callback_data.usd not in PRESETS:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await _quote(query, state, i18n, shop, customer, callback_data.usd * MICRO)


@router.message(StateFilter(CloudFlow.amount), F.text)
async def amount_typed(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    money = await read_amount(
        message,
        i18n,
        places=2,
        least=(MINIMUM, "1 USD"),
        most=(MAXIMUM, f"{format_amount(MAXIMUM)} USD"),
    )
    if money is None:
        return
    await _quote(message, state, i18n, shop, customer, money)


async def _quote(
    event: CallbackQuery | Message,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    money: int,
) -> None:
    target = await carried(state, "target", CloudTarget)
    if target is None:  # the conversation was left meanwhile, or stored by another version
        await state.clear()
        if isinstance(event, CallbackQuery):
            await event.answer(i18n.get("stale-button"), show_alert=True)
        else:
            await event.answer(i18n.get("stale-button"), reply_markup=menu_only(i18n))
        return
    line = shop.require(CloudLine)
    try:
        quote = await line.quote(target, money)
    except PricingError:
        await cannot_price(event, i18n, "a cloud recharge")
        return
    await present_quote(event, i18n, shop, customer, line.product, CLOUD, quote.for_order)


# -- how a cloud order reads, for the shared purchase screens --


class CloudPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return i18n.get("menu-cloud")

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = CloudDetails.of(order)
        return i18n.get(
            "cloud-confirm",
            cloud=_cloud_name(i18n, details.channel),
            uid=details.uid,
            money=format_amount(details.money),
            rate=format_rate(details.rate),
        )

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = CloudDetails.of(order)
        return i18n.get(
            "cloud-delivered",
            cloud=_cloud_name(i18n, details.channel),
            uid=details.uid,
            money=format_amount(details.money),
        )

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        target = await carried(state, "target", CloudTarget)
        if target is None:  # the conversation was left meanwhile: start it again
            await choose_cloud(query, state, i18n)
            return
        text, markup = _account_screen(i18n, target)
        await show(query, text, markup)


CLOUD = CloudPresenter()

CONVERSATION = register_conversation(
    Conversation(
        key=CloudLine.product,
        router=router,
        presenter=CLOUD,
        label=CLOUD.name,
        entry=CloudOpen(),
    )
)
