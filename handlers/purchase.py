"""What every purchase shares: amount errors, the confirmation screen, Confirm/Back/Cancel, and the
result. Each product line adds a `Presenter` (how its order reads, which screen Back returns to);
the presenters reach handlers through dispatcher data. Whether a quote still stands is the order
service's to say (`requote`)."""

from __future__ import annotations

import contextlib
import logging
from enum import StrEnum
from typing import Protocol

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from bot.services.money import AmountError, AmountProblem, format_money, parse_amount
from bot.services.orders import (
    NEWSWORTHY,
    ConfirmStatus,
    Failure,
    Quote,
    RequoteStatus,
    Settlement,
)
from bot.services.pricing import QUOTE_LIFETIME
from bot.services.promos import PromoProblem
from bot.shop import Shop
from bot.telegram.i18n import Markup
from handlers.callbacks import BackToOrder, TopUpFor
from handlers.promo_words import discount_line, problem_text
from handlers.screens import cancel_only, main_menu, menu_only, redraw, show
from storage.orders import Order, OrderStatus
from storage.users import Customer

log = logging.getLogger(__name__)
router = Router(name="purchase")


class OrderAction(StrEnum):
    CONFIRM = "confirm"
    PROMO = "promo"  # enter a promo code (handlers/promo.py)
    BACK = "back"
    CANCEL = "cancel"


class OrderButton(CallbackData, prefix="ord"):
    action: OrderAction
    order_id: str


class Presenter(Protocol):
    def name(self, i18n: I18nContext) -> str:
        """The product line's name, as the main menu and My orders show it."""
        ...

    def document(self, order: Order) -> tuple[str, bytes] | None:
        """Delivered goods to send as a file (file name, content), if the order has any."""
        ...

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        """Why a failed order failed, in the line's own terms (None: the shared words)."""
        ...

    def waiting(self, i18n: I18nContext, order: Order) -> str | None:
        """What an unsettled order is waiting for (None: the shared words)."""
        ...

    def buttons(self, i18n: I18nContext, order: Order) -> list[InlineKeyboardButton]:
        """Buttons of the line's own on the order's result screen (e.g. a pay link)."""
        ...

    async def summary(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        """What the customer gets, for the confirmation screen."""
        ...

    async def delivered(self, i18n: I18nContext, shop: Shop, order: Order) -> str:
        """What was delivered, for the result."""
        ...

    async def back(
        self, query: CallbackQuery, state: FSMContext, i18n: I18nContext, shop: Shop
    ) -> None:
        """Show the step before the confirmation again."""
        ...


class PresenterBase:
    """Defaults for a presenter's optional parts: no goods, the shared words, no buttons."""

    def document(self, order: Order) -> tuple[str, bytes] | None:
        return None

    def explain_failure(self, i18n: I18nContext, order: Order) -> str | None:
        return None

    def waiting(self, i18n: I18nContext, order: Order) -> str | None:
        return None

    def buttons(self, i18n: I18nContext, order: Order) -> list[InlineKeyboardButton]:
        return []


def amount_error(
    i18n: I18nContext, error: AmountError, *, places: int, minimum: str, maximum: str
) -> str:
    match error.problem:
        case AmountProblem.EMPTY:
            return i18n.get("amount-empty")
        case AmountProblem.TOO_LONG:
            return i18n.get("amount-too-long")
        case AmountProblem.NOT_POSITIVE:
            return i18n.get("amount-not-positive")
        case AmountProblem.TOO_MANY_DECIMALS:
            return i18n.get("amount-too-many-decimals", places=places)
        case AmountProblem.BELOW_MINIMUM:
            return i18n.get("amount-below-minimum", minimum=minimum)
        case AmountProblem.ABOVE_MAXIMUM:
            return i18n.get("amount-above-maximum", maximum=maximum)
        case AmountProblem.NOT_A_NUMBER:
            return i18n.get("amount-not-a-number")


async def read_amount(
    message: Message,
    i18n: I18nContext,
    *,
    places: int,
    least: tuple[int, str],
    most: tuple[int, str],
) -> int | None:
    """A typed amount in micro-units, between `least` and `most` (each the amount and how it
    reads); otherwise None, and the customer has a hint under which the prompt stays."""
    try:
        return parse_amount(message.text or "", places=places, minimum=least[0], maximum=most[0])
    except AmountError as error:
        hint = amount_error(i18n, error, places=places, minimum=least[1], maximum=most[1])
        await message.answer(hint, reply_markup=cancel_only(i18n))
        return None


async def present_quote(
    event: Message | CallbackQuery,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    product: str,
    presenter: Presenter,
    quote: Quote,
) -> None:
    """Every line's last step before Confirm: open the quote and show its confirmation."""
    order = await shop.sales.open_quote(customer.id, product, quote)
    await show(event, *await confirmation(i18n, shop, order, presenter))


async def cannot_price(event: Message | CallbackQuery, i18n: I18nContext, what: str) -> None:
    """No price can be made (a missing or zero rate): say so; the operators find it logged."""
    log.exception("cannot price %s", what)
    await show(event, i18n.get("cannot-price"), menu_only(i18n))


async def confirmation(
    i18n: I18nContext,
    shop: Shop,
    order: Order,
    presenter: Presenter,
    preface: str | None = None,
    *,
    offer_top_up: bool = False,
) -> tuple[str, InlineKeyboardMarkup]:
    balance = await shop.ledger.balance(order.user_id)
    parts = [preface] if preface else []
    parts += [
        i18n.get("confirm-title"),
        await presenter.summary(i18n, shop, order),
    ]
    if order.charge > 0:  # zero: paid to upstream directly, as the summary says
        if (discounted := discount_line(i18n, order, shop.currency)) is not None:
            parts.append(discounted)
        charge = format_money(order.charge, shop.currency)
        available = format_money(balance.available, shop.currency)
        parts.append(i18n.get("confirm-charge", charge=charge, balance=available))
    parts.append(i18n.get("confirm-valid", minutes=int(QUOTE_LIFETIME.total_seconds() // 60)))

    def button(text: str, action: OrderAction) -> InlineKeyboardButton:
        data = OrderButton(action=action, order_id=order.id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    rows = [[button(i18n.get("button-confirm"), OrderAction.CONFIRM)]]
    if order.charge > 0:
        rows.append([button(i18n.get("button-promo"), OrderAction.PROMO)])
    if offer_top_up:
        top_up = TopUpFor(order_id=order.id).pack()
        rows.append([InlineKeyboardButton(text=i18n.get("button-top-up"), callback_data=top_up)])
    rows.append(
        [
            button(i18n.get("button-back"), OrderAction.BACK),
            button(i18n.get("button-cancel"), OrderAction.CANCEL),
        ]
    )
    return "\n".join(parts), InlineKeyboardMarkup(inline_keyboard=rows)


async def result_text(i18n: I18nContext, shop: Shop, order: Order, presenter: Presenter) -> str:
    charge = format_money(order.charge, shop.currency)
    settlement = Settlement.of(order)
    match order.status:
        case OrderStatus.SUCCEEDED:
            what = Markup(await presenter.delivered(i18n, shop, order))  # already safe HTML
            return i18n.get("order-succeeded", order=order.id, what=what)
        case OrderStatus.REVERSED if settlement.refunded_by_operator:
            return i18n.get("order-refunded-by-shop", order=order.id, charge=charge)
        case OrderStatus.REVERSED:
            return i18n.get("order-reversed", order=order.id, charge=charge)
        case OrderStatus.FAILED:
            explained = presenter.explain_failure(i18n, order)
            why = Markup(explained or failure_text(i18n, settlement.failure))
            refunded = order.charge if settlement.refunded is None else settlement.refunded
            if order.charge == 0:  # paid to upstream directly: no money of ours moved
                return i18n.get("order-failed-unpaid", order=order.id, why=why)
            if refunded < order.charge:
                back = format_money(refunded, shop.currency)
                return i18n.get(
                    "order-failed-partly", order=order.id, why=why, refunded=back, charge=charge
                )
            return i18n.get("order-failed", order=order.id, why=why, charge=charge)
        case OrderStatus.NEEDS_REVIEW:
            return i18n.get("order-review", order=order.id, charge=charge)
        case OrderStatus.CANCELLED | OrderStatus.QUOTED:
            return i18n.get("order-cancelled", order=order.id)
        case _:
            if (waiting := presenter.waiting(i18n, order)) is not None:
                return waiting
            if order.charge == 0:
                return i18n.get("order-pending-unpaid", order=order.id)
            return i18n.get("order-pending", order=order.id, charge=charge)


async def result_screen(
    i18n: I18nContext, shop: Shop, order: Order, presenter: Presenter
) -> tuple[str, InlineKeyboardMarkup]:
    """Where an order stands, with the line's own buttons and the way back to the menu."""
    rows = [[button] for button in presenter.buttons(i18n, order)]
    rows += menu_only(i18n).inline_keyboard
    return await result_text(i18n, shop, order, presenter), InlineKeyboardMarkup(
        inline_keyboard=rows
    )


def failure_text(i18n: I18nContext, failure: object) -> str:
    match failure:
        case Failure.ACCOUNT_NOT_FOUND:
            return i18n.get("failure-account-not-found")
        case Failure.AMOUNT_REFUSED:
            return i18n.get("failure-amount-refused")
        case Failure.SUPPLIER_UNAVAILABLE:
            return i18n.get("failure-supplier-unavailable")
        case Failure.PRICE_CHANGED:
            return i18n.get("failure-price-changed")
        case _:
            return i18n.get("failure-not-delivered")


async def order_of(
    query: CallbackQuery,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
    order_id: str,
) -> Order | None:
    """The customer's own order a button names; otherwise None, and the press is answered: a
    quote removed long after it expired (see bot/old_quotes) leaves its buttons out of date, and
    a button naming another customer's order reads just the same (it tells nothing of it)."""
    order = await shop.sales.find_owned(order_id, customer.id)
    if order is None or order.product not in presenters:
        await query.answer(i18n.get("stale-button"), show_alert=True)
        return None
    return order


@router.callback_query(OrderButton.filter())
async def on_order_button(
    query: CallbackQuery,
    callback_data: OrderButton,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    order = await order_of(query, i18n, shop, customer, presenters, callback_data.order_id)
    if order is None:
        return
    presenter = presenters[order.product]
    if order.status != OrderStatus.QUOTED:  # a button of an order past its confirmation
        await _already_decided(query, i18n, shop, order, presenter)
        return
    if callback_data.action == OrderAction.CONFIRM:
        await query.answer()  # at once: the price check below may take a while
        await _confirm(query, state, i18n, shop, customer, order, presenter)
        return
    await shop.sales.cancel_quote(order.id, customer.id)
    if callback_data.action == OrderAction.BACK:
        await presenter.back(query, state, i18n, shop)
        return
    await state.clear()
    text, markup = await main_menu(i18n, shop, customer, preface=i18n.get("cancel-done"))
    await show(query, text, markup)


async def _confirm(
    query: CallbackQuery,
    state: FSMContext,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    order: Order,
    presenter: Presenter,
) -> None:
    """The press is answered already: every screen here is a `redraw`."""
    if not await still_valid(query, i18n, shop, order, presenter):
        return
    # The message pressed shows the order from now on: its result is edited into it (by the
    # outbox, even after a restart).
    screen = query.message.message_id if isinstance(query.message, Message) else None
    confirmed = await shop.sales.confirm(order.id, customer.id, screen=screen)
    match confirmed.status:
        case ConfirmStatus.EXPIRED:  # it expired since it was found valid: quoted again
            await still_valid(query, i18n, shop, confirmed.order or order, presenter)
        case ConfirmStatus.INSUFFICIENT:
            # The quote stays open: after a top-up the customer can confirm it as it is.
            short = i18n.get(
                "short-balance",
                available=format_money(confirmed.available, shop.currency),
                charge=format_money(order.charge, shop.currency),
                missing=format_money(order.charge - confirmed.available, shop.currency),
            )
            text, markup = await confirmation(
                i18n, shop, order, presenter, preface=short, offer_top_up=True
            )
            await redraw(query, text, markup)
        case ConfirmStatus.REFUSED if isinstance(confirmed.refusal, PromoProblem):
            # The code went (used up, ended, expired) since it was applied: the same purchase
            # at its list price, to confirm again.
            listed = await shop.sales.discounted(order, None)
            if listed is None:
                await still_valid(query, i18n, shop, order, presenter)
                return
            why = i18n.get("promo-dropped", why=problem_text(i18n, confirmed.refusal))
            await redraw(query, *await confirmation(i18n, shop, listed, presenter, why))
        case ConfirmStatus.HELD:
            await state.clear()
            # The money is held: whatever the chat does now, the order goes upstream.
            with contextlib.suppress(TelegramAPIError):
                await redraw(query, i18n.get("order-processing", order=order.id))
            done = await shop.sales.submit(order.id, watched=True)
            if done.status not in NEWSWORTHY:  # its result, when it comes, is news of its own
                await redraw(query, *await result_screen(i18n, shop, done, presenter))
        case _:  # decided meanwhile, or gone
            current = confirmed.order or order
            await redraw(query, *await result_screen(i18n, shop, current, presenter))


@router.callback_query(BackToOrder.filter())
async def back_to_order(
    query: CallbackQuery,
    callback_data: BackToOrder,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    """After a top-up for it: the order's confirmation again, at today's price if its quote was
    given up meanwhile."""
    order = await order_of(query, i18n, shop, customer, presenters, callback_data.order_id)
    if order is None:
        return
    presenter = presenters[order.product]
    if order.status not in (OrderStatus.QUOTED, OrderStatus.CANCELLED):
        await _already_decided(query, i18n, shop, order, presenter)
        return
    await query.answer()
    preface = i18n.get("order-again")
    if order.status == OrderStatus.QUOTED:
        await redraw(query, *await confirmation(i18n, shop, order, presenter, preface=preface))
        return
    requoted = await shop.sales.requote(order)  # given up meanwhile: at today's price
    if requoted.status == RequoteStatus.UNAVAILABLE:
        await redraw(query, i18n.get("upstream-unavailable"), menu_only(i18n))
        return
    await redraw(query, *await confirmation(i18n, shop, requoted.order, presenter, preface=preface))


async def _already_decided(
    query: CallbackQuery, i18n: I18nContext, shop: Shop, order: Order, presenter: Presenter
) -> None:
    """A button of an order that is past its confirmation: show where it stands, change nothing."""
    await redraw(query, *await result_screen(i18n, shop, order, presenter))
    await query.answer(i18n.get("order-already-decided"), show_alert=True)


async def still_valid(
    event: Message | CallbackQuery,
    i18n: I18nContext,
    shop: Shop,
    order: Order,
    presenter: Presenter,
) -> bool:
    """Whether the quote can be confirmed as it stands; if not, the customer sees why: the new
    quote at today's price to confirm again, or that no price can be had right now."""
    requoted = await shop.sales.requote(order)
    match requoted.status:
        case RequoteStatus.VALID:
            return True
        case RequoteStatus.UNAVAILABLE:
            await redraw(event, i18n.get("upstream-unavailable"), menu_only(i18n))
        case RequoteStatus.PRICE_CHANGED:
            why = i18n.get("price-changed")
            await redraw(event, *await confirmation(i18n, shop, requoted.order, presenter, why))
        case RequoteStatus.EXPIRED:
            why = i18n.get("quote-expired")
            await redraw(event, *await confirmation(i18n, shop, requoted.order, presenter, why))
    return False
