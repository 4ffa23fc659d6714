"""AceData credits: send the application id → choose a package → choose how to pay AceData →
confirm → a pay link to AceData's own page; the bot follows the AceData order and says when the
credits arrive, or when the link expired. Nothing is paid from the shop's balance."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.lines.acedata import (
    PAY_WAYS,
    AceDataDetails,
    AceDataLine,
    Offer,
    valid_application_id,
)
from bot.services.money import format_amount
from bot.shop import Shop
from handlers.lines import Conversation, register_conversation
from handlers.purchase import PresenterBase, present_quote
from handlers.screens import back_button, cancel_button, menu_only, show
from storage.orders import Order, OrderStatus
from storage.users import Customer

router = Router(name="acedata")

MAX_CALLBACK = 64
MAX_LABEL = 60
_UNSETTLED = (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.NEEDS_REVIEW)


class AceFlow(StatesGroup):
    application = State()
    package = State()
    pay_way = State()


class AceDataOpen(CallbackData, prefix="aceopen"):
    """The main menu's button, and Back to the application step."""


class AcePackage(CallbackData, prefix="acepkg"):
    package_id: str


class AcePackages(CallbackData, prefix="acepkgs"):
    """Back to the packages of the application being bought for."""


class AcePayWay(CallbackData, prefix="aceway"):
    way: str


def _usd(micro: int) -> str:
    return f"{format_amount(micro)} USD"


def _way_name(i18n: I18nContext, way: str) -> str:
    match way:
        case "Stripe":
            return i18n.get("acedata-way-stripe")
        case "WechatPay":
            return i18n.get("acedata-way-wechat")
        case "AliPay":
            return i18n.get("acedata-way-alipay")
        case _:
            return i18n.get("acedata-way-x402")


def _steps(i18n: I18nContext, back_to: InlineKeyboardButton) -> list[InlineKeyboardButton]:
    return [back_to, cancel_button(i18n)]


# -- step 1: the application --


@router.callback_query(AceDataOpen.filter())
async def ask_application(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    await state.set_state(AceFlow.application)
    markup = InlineKeyboardMarkup(inline_keyboard=[_steps(i18n, back_button(i18n))])
    await show(query, i18n.get("acedata-ask-application"), markup)


@router.message(StateFilter(AceFlow.application), F.text)
async def application_sent(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    application = valid_application_id(message.text or "")
    if application is None:
        markup = InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])
        await message.answer(i18n.get("acedata-bad-application"), reply_markup=markup)
        return
    await state.set_data({"application": application})
    await _show_packages(message, state, i18n, shop, application)


@router.message(StateFilter(AceFlow.application))
async def application_not_text(message: Message, i18n: I18nContext) -> None:
    markup = InlineKeyboardMarkup(inline_keyboard=[_steps(i18n, back_button(i18n))])
    await message.answer(i18n.get("acedata-ask-application"), reply_markup=markup)


# -- step 2: the package --


def _package_button(offer: Offer) -> InlineKeyboardButton | None:
    """None when the package's id does not fit in a button (Telegram's 64 bytes)."""
    try:
        data = AcePackage(package_id=offer.package_id).pack()
    except ValueError:  # the id holds the separator
        return None
    if len(data.encode()) > MAX_CALLBACK:
        return None
    label = f"{offer.service} · {offer.title} · {_usd(offer.price)}"
    if len(label) > MAX_LABEL:
        label = label[: MAX_LABEL - 1] + "…"
    return InlineKeyboardButton(text=label, callback_data=data)


async def _show_packages(
    event: Message | CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    application: str,
) -> None:
    offers = await shop.require(AceDataLine).offers()
    if offers is None:
        await show(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    rows = [[button] for offer in offers if (button := _package_button(offer)) is not None]
    if not rows:
        await show(event, i18n.get("acedata-no-packages"), menu_only(i18n))
        return
    await state.set_state(AceFlow.package)
    back = back_button(i18n, AceDataOpen())
    markup = InlineKeyboardMarkup(inline_keyboard=[*rows, _steps(i18n, back)])
    await show(event, i18n.get("acedata-choose-package", application=application), markup)


@router.callback_query(AcePackages.filter(), StateFilter(AceFlow.pay_way))
async def back_to_packages(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    await _show_packages(query, state, i18n, shop, (await state.get_data())["application"])


@router.callback_query(AcePackage.filter(), StateFilter(AceFlow.package))
async def package_chosen(
    query: CallbackQuery,
    callback_data: AcePackage,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    offer = await shop.require(AceDataLine).offer(callback_data.package_id)
    if offer is None:  # forged, or no longer sold: nothing changes
        await query.answer(i18n.get("acedata-no-such-package"), show_alert=True)
        return
    data = await state.get_data()
    await state.set_data({"application": data["application"], "package": offer.package_id})
    await state.set_state(AceFlow.pay_way)
    await _show_pay_ways(query, i18n, data["application"], offer)


# -- step 3: how to pay AceData --


async def _show_pay_ways(
    query: CallbackQuery, i18n: I18nContext, application: str, offer: Offer
) -> None:
    rows = [
        [InlineKeyboardButton(text=_way_name(i18n, way), callback_data=AcePayWay(way=way).pack())]
        for way in PAY_WAYS
    ]
    back = InlineKeyboardButton(text=i18n.get("button-back"), callback_data=AcePackages().pack())
    markup = InlineKeyboardMarkup(inline_keyboard=[*rows, _steps(i18n, back)])
    text = i18n.get(
        "acedata-choose-pay-way",
        application=application,
        service=offer.service,
        package=offer.title,
        credits=offer.credits,
        price=_usd(offer.price),
    )
    await show(query, text, markup)


@router.callback_query(AcePayWay.filter(), StateFilter(AceFlow.pay_way))
async def pay_way_chosen(
    query: CallbackQuery,
    callback_data: AcePayWay,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if callback_data.way not in PAY_WAYS:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    data = await state.get_data()
    line = shop.require(AceDataLine)
    offer = await line.offer(str(data["package"]))
    if offer is None:  # no longer sold since it was chosen
        await query.answer(i18n.get("acedata-no-such-package"), show_alert=True)
        return
    quote = line.quote(data["application"], offer, callback_data.way)
    await present_quote(query, i18n, shop, customer, line.product, ACEDATA, quote)


# -- how an AceData order reads, for the shared purchase screens --


class AceDataPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return i18n.get("menu-acedata")

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = AceDataDetails.of(order)
        return i18n.get(
            "acedata-confirm",
            application=details.application_id,
            service=details.service,
            package=details.title,
            credits=details.credits,
            price=_usd(details.price),
            way=_way_name(i18n, details.pay_way),
        )

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = AceDataDetails.of(order)
        return i18n.get(
            "acedata-delivered",
            credits=details.credits,
            application=details.application_id,
        )

    def _payable(self, order: Order) -> str | None:
        """The pay link, while the AceData order waits for the customer's payment."""
        details = AceDataDetails.of(order)
        url = details.pay_url
        if order.status not in _UNSETTLED or details.state != "Pending":
            return None
        if url is None or not url.startswith(("https://", "http://")):
            return None
        return url

    def waiting(self, i18n: I18nContext, order: Order) -> str | None:
        details = AceDataDetails.of(order)
        price = _usd(details.asked)
        if self._payable(order) is not None:
            return i18n.get(
                "acedata-pay-now", order=order.id, price=price, way=_way_name(i18n, details.pay_way)
            )
        if details.state == "Paid":
            return i18n.get("acedata-paid", order=order.id, credits=details.credits)
        return None

    def buttons(self, i18n: I18nContext, order: Order) -> list[InlineKeyboardButton]:
        url = self._payable(order)
        if url is None:
            return []
        price = _usd(AceDataDetails.of(order).asked)
        return [InlineKeyboardButton(text=i18n.get("acedata-pay-button", price=price), url=url)]

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        details = AceDataDetails.of(order)
        match details.state, details.create:
            case "Expired", _:
                return i18n.get("acedata-expired")
            case "Failed", _:
                return i18n.get("acedata-payment-failed")
            case "Refunded", _:
                return i18n.get("acedata-refunded")
            case _, "no_answer":
                return i18n.get("acedata-no-answer")
            case _, "not_found":
                return i18n.get("acedata-unknown-application", application=details.application_id)
            case _, "invalid_request":
                return i18n.get("acedata-refused")
            case _:
                return None

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        data = await state.get_data()
        offer = await shop.require(AceDataLine).offer(str(data.get("package")))
        if "application" not in data or offer is None:  # the conversation was left: start again
            await ask_application(query, state, i18n)
            return
        await state.set_state(AceFlow.pay_way)
        await _show_pay_ways(query, i18n, data["application"], offer)


ACEDATA = AceDataPresenter()

CONVERSATION = register_conversation(
    Conversation(
        key=AceDataLine.product,
        router=router,
        presenter=ACEDATA,
        label=ACEDATA.name,
        entry=AceDataOpen(),
    )
)
