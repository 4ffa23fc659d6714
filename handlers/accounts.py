"""Ready-made accounts: choose a type (Facebook, email) → a service with its price and stock
(sold-out ones are listed but cannot be opened) → its detail, fetched fresh → a quantity (a preset
or a typed whole number within the service's limits and stock) → confirm the exact charge → the
accounts arrive as a .txt file (never in the chat text: they are the customer's secrets)."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.lines.accounts import (
    AccountKind,
    AccountsDetails,
    AccountsLine,
    Lookup,
    Offer,
    accounts_file,
    estimate,
    quantity_presets,
    shop_amount,
)
from bot.services.money import MICRO, AmountError, AmountProblem, parse_amount
from bot.services.pricing import PricingError
from bot.shop import Shop
from handlers.lines import Conversation, register_conversation
from handlers.purchase import PresenterBase, amount_error, cannot_price, present_quote
from handlers.screens import back_button, cancel_button, carried, menu_only, show
from storage.orders import Order
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="accounts")

PAGE_SIZE = 8
NAME_IN_BUTTON = 32  # characters of a service's name shown on its button
NAME_IN_TEXT = 200  # upstream text is clipped so a screen stays within Telegram's 4096
DESCRIPTION_IN_TEXT = 1000


class AccountsFlow(StatesGroup):
    quantity = State()


class AccountsOpen(CallbackData, prefix="accopen"):
    """The main menu's button, and Back to the choice of kind."""


class AccountsKindButton(CallbackData, prefix="acck"):
    kind: AccountKind
    page: int = 0


class AccountsPick(CallbackData, prefix="accs"):
    service_id: int


class AccountsQuantity(CallbackData, prefix="accq"):
    quantity: int


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind_name(i18n: I18nContext, kind: str) -> str:
    return (
        i18n.get("accounts-kind-facebook")
        if kind == AccountKind.FACEBOOK
        else i18n.get("accounts-kind-email")
    )


# -- step 1: which kind --


@router.callback_query(AccountsOpen.filter())
async def choose_kind(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    row = [
        InlineKeyboardButton(
            text=_kind_name(i18n, kind), callback_data=AccountsKindButton(kind=kind).pack()
        )
        for kind in AccountKind
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=[row, [back_button(i18n)]])
    await show(query, i18n.get("accounts-choose"), markup)


# -- step 2: which service --


@router.callback_query(AccountsKindButton.filter())
async def list_services(
    query: CallbackQuery,
    callback_data: AccountsKindButton,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    await state.clear()
    line = shop.require(AccountsLine)
    services = await line.services(callback_data.kind)
    back = [back_button(i18n, AccountsOpen()), cancel_button(i18n)]
    if services is None:
        await show(
            query, i18n.get("upstream-unavailable"), InlineKeyboardMarkup(inline_keyboard=[back])
        )
        return
    kind = _kind_name(i18n, callback_data.kind)
    if not services:
        await show(
            query,
            i18n.get("accounts-none", kind=kind),
            InlineKeyboardMarkup(inline_keyboard=[back]),
        )
        return
    pages = (len(services) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(callback_data.page, 0), pages - 1)
    rows = []
    for service in services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        name = _clip(service.name, NAME_IN_BUTTON)
        price = f"{shop_amount(service.price)} {line.currency}"
        stock = (
            i18n.get("accounts-in-stock", stock=str(service.total_available))
            if service.total_available > 0
            else i18n.get("accounts-sold-out-short")
        )
        # A button's label is plain text, never HTML: the name goes in as it is, unescaped.
        label = f"{name} · {price} · {stock}"
        rows.append(
            [
                InlineKeyboardButton(
                    text=label, callback_data=AccountsPick(service_id=service.id).pack()
                )
            ]
        )
    turns = []
    if page > 0:
        turns.append(
            InlineKeyboardButton(
                text="◀️",
                callback_data=AccountsKindButton(kind=callback_data.kind, page=page - 1).pack(),
            )
        )
    if page < pages - 1:
        turns.append(
            InlineKeyboardButton(
                text="▶️",
                callback_data=AccountsKindButton(kind=callback_data.kind, page=page + 1).pack(),
            )
        )
    if turns:
        rows.append(turns)
    rows.append(back)
    text = i18n.get("accounts-services", kind=kind, currency=line.currency)
    await show(query, text, InlineKeyboardMarkup(inline_keyboard=rows))


# -- step 3: the service, fresh, and how many --


@router.callback_query(AccountsPick.filter())
async def open_service(
    query: CallbackQuery,
    callback_data: AccountsPick,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
) -> None:
    await _open(query, state, i18n, shop, callback_data.service_id)


async def _open(
    query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop, service_id: int
) -> None:
    """The service as it is now; a missing, closed or sold-out one changes nothing."""
    offer = await shop.require(AccountsLine).offer(service_id)
    if offer == Lookup.NOT_FOUND:
        await query.answer(i18n.get("accounts-not-found"), show_alert=True)
        return
    if offer == Lookup.UNAVAILABLE:
        await query.answer(i18n.get("upstream-unavailable"), show_alert=True)
        return
    assert isinstance(offer, Offer)
    if not offer.buyable:
        await query.answer(i18n.get("accounts-sold-out"), show_alert=True)
        return
    await state.set_state(AccountsFlow.quantity)
    await state.set_data({"offer": offer.dump()})
    await show(query, *await _offer_screen(i18n, shop, offer))


async def _offer_screen(
    i18n: I18nContext, shop: Shop, offer: Offer, hint: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    line = shop.require(AccountsLine)
    parts = [hint] if hint else []
    parts.append(
        i18n.get(
            "accounts-detail",
            name=_clip(offer.name, NAME_IN_TEXT),
            kind=_kind_name(i18n, offer.kind),
            geo=offer.geo or "—",
            price=f"{shop_amount(offer.unit_price)} {line.currency}",
            stock=str(offer.stock),
        )
    )
    if offer.description:
        description = _clip(offer.description, DESCRIPTION_IN_TEXT)
        parts.append(i18n.get("accounts-description", description=description))
    try:
        each = estimate(await line.unit_estimate(offer))
        parts.append(i18n.get("accounts-estimate", price=f"{each} {shop.currency}"))
    except PricingError:
        log.warning("cannot estimate an account's price in %s", line.currency)
    parts.append(
        i18n.get("accounts-ask-quantity", minimum=str(offer.minimum), maximum=str(offer.maximum))
    )
    presets = [
        InlineKeyboardButton(text=str(n), callback_data=AccountsQuantity(quantity=n).pack())
        for n in quantity_presets(offer)
    ]
    back = AccountsKindButton(kind=AccountKind(offer.kind)).pack()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            presets,
            [
                InlineKeyboardButton(text=i18n.get("button-back"), callback_data=back),
                cancel_button(i18n),
            ],
        ]
    )
    return "\n\n".join(parts), markup


async def _offer(state: FSMContext) -> Offer | None:
    return await carried(state, "offer", Offer)


@router.callback_query(StateFilter(AccountsFlow.quantity), AccountsQuantity.filter())
async def preset_chosen(
    query: CallbackQuery,
    callback_data: AccountsQuantity,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    offer = await _offer(state)
    if offer is None or not offer.minimum <= callback_data.quantity <= offer.maximum:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    await _quote(query, i18n, shop, customer, offer, callback_data.quantity)


@router.message(StateFilter(AccountsFlow.quantity), F.text)
async def quantity_typed(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop, customer: Customer
) -> None:
    offer = await _offer(state)
    if offer is None:
        await state.clear()
        await message.answer(i18n.get("stale-button"), reply_markup=menu_only(i18n))
        return
    try:
        micro = parse_amount(
            message.text or "",
            places=0,
            minimum=offer.minimum * MICRO,
            maximum=offer.maximum * MICRO,
        )
    except AmountError as error:
        if error.problem in (AmountProblem.NOT_A_NUMBER, AmountProblem.TOO_MANY_DECIMALS):
            hint = i18n.get("accounts-whole-number")
        else:
            hint = amount_error(
                i18n,
                error,
                places=0,
                minimum=i18n.get("accounts-count", count=str(offer.minimum)),
                maximum=i18n.get("accounts-count", count=str(offer.maximum)),
            )
        await show(message, *await _offer_screen(i18n, shop, offer, hint))
        return
    await _quote(message, i18n, shop, customer, offer, micro // MICRO)


@router.message(StateFilter(AccountsFlow.quantity))
async def quantity_not_text(
    message: Message, state: FSMContext, i18n: I18nContext, shop: Shop
) -> None:
    offer = await _offer(state)
    if offer is None:
        await state.clear()
        await message.answer(i18n.get("stale-button"), reply_markup=menu_only(i18n))
        return
    hint = i18n.get("accounts-whole-number")
    await show(message, *await _offer_screen(i18n, shop, offer, hint))


async def _quote(
    event: CallbackQuery | Message,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    offer: Offer,
    quantity: int,
) -> None:
    line = shop.require(AccountsLine)
    try:
        quote = await line.quote(offer, quantity)
    except PricingError:
        await cannot_price(event, i18n, "accounts")
        return
    await present_quote(event, i18n, shop, customer, line.product, ACCOUNTS, quote.for_order)


# -- how an accounts order reads, for the shared purchase screens --


class AccountsPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return i18n.get("menu-accounts")

    def document(self, order: Order) -> tuple[str, bytes] | None:
        return accounts_file(order)

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        match AccountsDetails.of(order).accounts_failure:
            case "out_of_stock":
                return i18n.get("accounts-failure-out-of-stock")
            case "invalid_amount":
                return i18n.get("accounts-failure-invalid-amount")
            case "invalid_service":
                return i18n.get("accounts-failure-invalid-service")
            case _:
                return None

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = AccountsDetails.of(order)
        offer = details.offer
        currency = shop.require(AccountsLine).currency
        return i18n.get(
            "accounts-confirm",
            quantity=str(details.quantity),
            name=_clip(offer.name, NAME_IN_TEXT),
            kind=_kind_name(i18n, offer.kind),
            unit=f"{shop_amount(offer.unit_price)} {currency}",
            total=f"{shop_amount(details.cost)} {currency}",
        )

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        details = AccountsDetails.of(order)
        count = details.quantity if details.accounts is None else len(details.accounts)
        return i18n.get(
            "accounts-delivered", quantity=str(count), name=_clip(details.offer.name, NAME_IN_TEXT)
        )

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        offer = await _offer(state)
        if offer is None:  # the conversation was left meanwhile: start it again
            await choose_kind(query, state, i18n)
            return
        await _open(query, state, i18n, shop, offer.service_id)


ACCOUNTS = AccountsPresenter()

CONVERSATION = register_conversation(
    Conversation(
        key=AccountsLine.product,
        router=router,
        presenter=ACCOUNTS,
        label=ACCOUNTS.name,
        entry=AccountsOpen(),
    )
)
