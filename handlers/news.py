"""How the outbox's news reads when it goes out (see `bot.telegram.outbox`): a customer's in their
language of that moment, from the order or payment it names; an operators' alert with its
buttons."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from functools import partial

from aiogram_i18n import I18nContext

from bot.services.money import format_money
from bot.services.news import Topic
from bot.shop import Shop
from bot.telegram.i18n import CustomerLanguage, HtmlFluentCore
from bot.telegram.outbox import Letter, Renderers
from handlers import deposits, presenters, stars
from handlers.admin import customers, with_decisions, with_its_card
from handlers.admin.payments import waiting_payment_news
from handlers.purchase import result_screen
from handlers.screens import menu_only
from storage.deposits import Method, Payment
from storage.orders import OrderStatus
from storage.outbox import Entry
from storage.users import Customer

Speak = Callable[[Customer], I18nContext]
Word = Callable[[I18nContext, Shop, Payment], Awaitable[Letter]]


def renderers(shop: Shop, core: HtmlFluentCore, language: CustomerLanguage) -> Renderers:
    def speak(customer: Customer) -> I18nContext:
        return I18nContext(locale=customer.language, core=core, manager=language, data={})

    return {
        Topic.ORDER: partial(order_news, shop, speak),
        Topic.DEPOSIT: partial(payment_news, shop, speak, credited_letter),
        Topic.STARS_REFUND: partial(payment_news, shop, speak, stars.refunded_letter),
        Topic.CLAIM_UNCONFIRMED: partial(claimant_news, shop, speak),
        Topic.ADJUSTMENT: partial(adjustment_news, shop, speak),
        Topic.REFERRAL_REWARD: partial(referral_news, shop, speak),
        Topic.PROMO_GIFT: partial(gift_news, shop, speak),
        Topic.ORDER_REVIEW: with_decisions,
        Topic.ORDER_ALERT: with_its_card,
        Topic.PAYMENT_WAITING: partial(waiting_payment_news, shop),
    }


async def order_news(shop: Shop, speak: Speak, entry: Entry) -> list[Letter]:
    """The order's result (or that it is being checked) as its screen shows it, with the way
    back to the menu; then its goods, if it delivered a file."""
    order = await shop.orders.get(entry.about)
    presenter = None if order is None else presenters().get(order.product)
    customer = None if order is None else await shop.customers.get(order.user_id)
    if order is None or presenter is None or customer is None:
        return []
    # The news as it was recorded: a success reversed since still reads as the success it was.
    told = dataclasses.replace(order, status=OrderStatus(entry.body["status"]))
    letters = [Letter(*await result_screen(speak(customer), shop, told, presenter))]
    if told.status == OrderStatus.SUCCEEDED and (goods := presenter.document(order)):
        letters.append(Letter(document=goods))  # it also stays in My orders
    return letters


async def credited_letter(i18n: I18nContext, shop: Shop, payment: Payment) -> Letter:
    if payment.method == Method.STARS:
        return await stars.credited_letter(i18n, shop, payment)
    return await deposits.credited_letter(i18n, shop, payment)


async def payment_news(shop: Shop, speak: Speak, word: Word, entry: Entry) -> list[Letter]:
    payment = await shop.deposits.store.payment(int(entry.about))
    if payment is None or payment.user_id is None or payment.credited is None:
        return []
    customer = await shop.customers.get(payment.user_id)
    if customer is None:
        return []
    return [await word(speak(customer), shop, payment)]


async def claimant_news(shop: Shop, speak: Speak, entry: Entry) -> list[Letter]:
    """A claim decided without crediting its claimant: told to them, the entry's chat."""
    payment = await shop.deposits.store.payment(int(entry.about))
    customer = await shop.customers.get(entry.chat_id)
    if payment is None or customer is None:
        return []
    return [await deposits.unconfirmed_claim_letter(speak(customer), shop, payment)]


async def referral_news(shop: Shop, speak: Speak, entry: Entry) -> list[Letter]:
    """A referral reward paid: told to the referrer, the entry's chat."""
    return await _marketing_credit(shop, speak, entry, gift=False)


async def gift_news(shop: Shop, speak: Speak, entry: Entry) -> list[Letter]:
    """A promo code's gift credited: told to the customer who claimed it."""
    return await _marketing_credit(shop, speak, entry, gift=True)


async def _marketing_credit(shop: Shop, speak: Speak, entry: Entry, *, gift: bool) -> list[Letter]:
    customer = await shop.customers.get(entry.chat_id)
    if customer is None:
        return []
    i18n = speak(customer)
    balance = format_money((await shop.ledger.balance(customer.id)).available, shop.currency)
    amount = format_money(entry.body["amount"], shop.currency)
    if gift:
        text = i18n.get(
            "promo-gift-received", code=entry.body["code"], amount=amount, balance=balance
        )
    else:
        text = i18n.get("referral-reward-paid", amount=amount, balance=balance)
    return [Letter(text, menu_only(i18n))]


async def adjustment_news(shop: Shop, speak: Speak, entry: Entry) -> list[Letter]:
    """An operator's credit or debit: told to the customer, the entry's chat."""
    customer = await shop.customers.get(entry.chat_id)
    if customer is None:
        return []
    return [await customers.adjustment_letter(speak(customer), shop, customer, entry.body)]
