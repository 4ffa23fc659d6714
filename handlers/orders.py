"""My orders: the customer's own orders, paged, newest first; an order's detail with its history in
plain words and its delivered goods, which can be downloaded again."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiogram_i18n import I18nContext

from bot.services.money import format_money
from bot.services.paging import Page, page_of
from bot.shop import Shop
from bot.telegram.i18n import Markup
from handlers.callbacks import Open, Screen
from handlers.purchase import Presenter
from handlers.screens import back_button, menu_only, pager_row, show
from storage.orders import Order, OrderStatus
from storage.users import Customer

router = Router(name="orders")


class OrdersPage(CallbackData, prefix="myo"):
    page: int


class OrderDetail(CallbackData, prefix="myod"):
    order_id: str
    page: int  # the list page to go back to


class OrderGoods(CallbackData, prefix="myog"):
    order_id: str


def state_text(i18n: I18nContext, status: OrderStatus) -> str:
    """A status in the customer's words."""
    match status:
        case OrderStatus.QUOTED:
            return i18n.get("order-state-quoted")
        case OrderStatus.CONFIRMED:
            return i18n.get("order-state-confirmed")
        case OrderStatus.SUBMITTED:
            return i18n.get("order-state-submitted")
        case OrderStatus.UNKNOWN:
            return i18n.get("order-state-unknown")
        case OrderStatus.NEEDS_REVIEW:
            return i18n.get("order-state-review")
        case OrderStatus.SUCCEEDED:
            return i18n.get("order-state-succeeded")
        case OrderStatus.FAILED:
            return i18n.get("order-state-failed")
        case OrderStatus.REVERSED:
            return i18n.get("order-state-reversed")
        case OrderStatus.CANCELLED:
            return i18n.get("order-state-cancelled")


def _when(iso: str) -> str:
    """`2026-11-22T13:45:12.123456Z` → `2026-11-22 13:45` (UTC)."""
    return iso[:16].replace("T", " ")


def _name(i18n: I18nContext, presenters: dict[str, Presenter], order: Order) -> str:
    presenter = presenters.get(order.product)
    return presenter.name(i18n) if presenter is not None else order.product


async def _own_order(
    query: CallbackQuery, i18n: I18nContext, shop: Shop, customer: Customer, order_id: str
) -> Order | None:
    """The order if it is this customer's; otherwise they are told and nothing happens."""
    order = await shop.sales.find_owned(order_id, customer.id)
    if order is None or order.status == OrderStatus.QUOTED:  # a quote is no order of theirs yet
        await query.answer(i18n.get("not-your-order"), show_alert=True)
        return None
    return order


# -- the list --


@router.callback_query(Open.filter(F.screen == Screen.ORDERS))
async def open_orders(
    query: CallbackQuery,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    await _show_page(query, i18n, shop, customer, presenters, 0)


@router.callback_query(OrdersPage.filter())
async def turn_page(
    query: CallbackQuery,
    callback_data: OrdersPage,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    await _show_page(query, i18n, shop, customer, presenters, callback_data.page)


async def _show_page(
    query: CallbackQuery,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
    page: int,
) -> None:
    async def fetch(limit: int, offset: int) -> list[Order]:
        return await shop.orders.placed_by(customer.id, limit=limit, offset=offset)

    async def count() -> int:
        return await shop.orders.count_placed_by(customer.id)

    orders = await page_of(count, fetch, page)
    await show(query, _list_text(i18n, orders), _list_keyboard(i18n, shop, presenters, orders))


def _list_text(i18n: I18nContext, orders: Page[Order]) -> str:
    if not orders.items:
        return i18n.get("orders-empty")
    return i18n.get("orders-title", page=orders.page + 1, pages=orders.pages)


def _list_keyboard(
    i18n: I18nContext, shop: Shop, presenters: dict[str, Presenter], orders: Page[Order]
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=i18n.get(
                    "orders-item",
                    state=state_text(i18n, order.status),
                    product=_name(i18n, presenters, order),
                    amount=format_money(order.charge, shop.currency),
                    date=_when(order.created_at)[:10],
                ),
                callback_data=OrderDetail(order_id=order.id, page=orders.page).pack(),
            )
        ]
        for order in orders.items
    ]
    if pager := pager_row(i18n, orders, lambda page: OrdersPage(page=page)):
        rows.append(pager)
    rows.append([back_button(i18n)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# -- one order --


@router.callback_query(OrderDetail.filter())
async def order_detail(
    query: CallbackQuery,
    callback_data: OrderDetail,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    order = await _own_order(query, i18n, shop, customer, callback_data.order_id)
    if order is None:
        return
    presenter = presenters.get(order.product)
    parts = [
        i18n.get("order-detail-title", order=order.id, product=_name(i18n, presenters, order)),
    ]
    if presenter is not None:
        parts.append(await presenter.summary(i18n, shop, order))
    parts.append(
        i18n.get(
            "order-detail-facts",
            amount=format_money(order.charge, shop.currency),
            state=state_text(i18n, order.status),
            date=_when(order.created_at),
        )
    )
    if order.upstream_ref:
        parts.append(i18n.get("order-detail-reference", reference=order.upstream_ref))
    if presenter is not None and order.status == OrderStatus.SUCCEEDED:
        parts.append(Markup(await presenter.delivered(i18n, shop, order)))
    parts.append(i18n.get("order-detail-history"))
    for event in await shop.orders.events(order.id):
        when, what = _when(event.at), state_text(i18n, event.to_status)
        parts.append(i18n.get("order-detail-event", when=when, what=what))

    rows = []
    if presenter is not None:
        if not order.is_terminal:
            rows += [[button] for button in presenter.buttons(i18n, order)]  # e.g. a pay link
        elif order.status == OrderStatus.SUCCEEDED and presenter.document(order) is not None:
            goods = OrderGoods(order_id=order.id).pack()
            download = InlineKeyboardButton(text=i18n.get("button-download"), callback_data=goods)
            rows.append([download])
    back = OrdersPage(page=callback_data.page).pack()
    rows.append([InlineKeyboardButton(text=i18n.get("button-back"), callback_data=back)])
    rows += menu_only(i18n).inline_keyboard
    await show(query, "\n".join(parts), InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(OrderGoods.filter())
async def download_again(
    query: CallbackQuery,
    callback_data: OrderGoods,
    i18n: I18nContext,
    shop: Shop,
    customer: Customer,
    presenters: dict[str, Presenter],
) -> None:
    order = await _own_order(query, i18n, shop, customer, callback_data.order_id)
    if order is None:
        return
    presenter = presenters.get(order.product)
    goods = presenter.document(order) if presenter is not None else None
    if goods is None or order.status != OrderStatus.SUCCEEDED or query.bot is None:
        await query.answer(i18n.get("orders-no-goods"), show_alert=True)
        return
    name, content = goods
    await query.bot.send_document(customer.id, BufferedInputFile(content, filename=name))
    await query.answer()
