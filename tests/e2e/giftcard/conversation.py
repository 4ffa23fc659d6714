"""The gift card line as a customer meets it: its menu entry, one screen to choose a card, and
how its orders read on the shared purchase screens. Its words are its own (a line of the shop
would put them in the locale files, `bot/locales/*/<line>.ftl`); the shared screens' are used
for the rest."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram_i18n import I18nContext

from bot.services.pricing import PricingError
from bot.shop import Shop
from handlers.callbacks import Screen
from handlers.lines import Conversation
from handlers.purchase import PresenterBase, cannot_price, present_quote
from handlers.screens import choices, show
from storage.orders import Order
from storage.users import Customer
from tests.e2e.giftcard.line import KEY, VALUES, GiftcardDetails, GiftcardLine

router = Router(name=KEY)


class GiftcardOpen(CallbackData, prefix="gcopen"):
    """The main menu's button."""


class GiftcardPick(CallbackData, prefix="gcpick"):
    value: int


@router.callback_query(GiftcardOpen.filter())
async def choose_card(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    await state.clear()
    options = [(f"{value} USD card", GiftcardPick(value=value)) for value in VALUES]
    await show(query, "🎁 Which gift card?", choices(i18n, options, back=Screen.HOME, per_row=2))


@router.callback_query(GiftcardPick.filter())
async def card_chosen(
    query: CallbackQuery,
    callback_data: GiftcardPick,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
) -> None:
    if callback_data.value not in VALUES:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return
    line = shop.require(GiftcardLine)
    try:
        quote = await line.quote(callback_data.value)
    except PricingError:
        await cannot_price(query, i18n, "a gift card")
        return
    await present_quote(query, i18n, shop, customer, KEY, GIFTCARD, quote)


class GiftcardPresenter(PresenterBase):
    def name(self, i18n: I18nContext) -> str:
        return "🎁 Gift cards"

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        return f"A gift card worth {GiftcardDetails.of(order).value} USD."

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        card = GiftcardDetails.of(order)
        return f"a gift card worth {card.value} USD, code {card.code}"

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        await choose_card(query, state, i18n)


GIFTCARD = GiftcardPresenter()

CONVERSATION = Conversation(
    key=KEY,
    router=router,
    presenter=GIFTCARD,
    label=GIFTCARD.name,
    entry=GiftcardOpen(),
)
