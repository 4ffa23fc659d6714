"""The one home of how a screen is shown and of the buttons every screen shares.

A flow is one message edited in place: a button press edits the message it came from; a typed
message gets a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext
from pydantic import ValidationError

from bot.services.details import Details
from bot.services.money import format_money
from bot.services.paging import Page
from bot.shop import Shop
from handlers.callbacks import CancelFlow, Open, Screen
from handlers.lines import conversations
from storage.users import Customer

D = TypeVar("D", bound=Details)


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show a screen in answer to a message or a button press (whose spinner it then stops)."""
    await redraw(event, text, markup)
    if isinstance(event, CallbackQuery):
        await event.answer()


async def redraw(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show a screen without answering the button press: for a second screen in answer to one
    press (Telegram takes one answer per press), like a result after "processing"."""
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
        return
    message = event.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                # Too old to edit, or gone: the customer still gets the screen.
                await message.answer(text, reply_markup=markup)
    elif event.from_user is not None and event.bot is not None:
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)


async def carried(state: FSMContext, key: str, model: type[D]) -> D | None:
    """What the conversation carried to this step under `key` (a model's `dump()`), read back;
    None when it holds none, or none this version can read: a conversation stored by another
    version is then out of date, like a stale button, never an error."""
    value = (await state.get_data()).get(key)
    if not isinstance(value, dict):
        return None
    try:
        return model.read(value)
    except ValidationError:
        return None


def pager_row(
    i18n: I18nContext, page: Page[Any], button: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """◀️ Newer / Older ▶️ for a paged list (empty when it has one page)."""
    row = []
    if page.has_newer:
        newer = button(page.page - 1).pack()
        row.append(InlineKeyboardButton(text=i18n.get("button-newer"), callback_data=newer))
    if page.has_older:
        older = button(page.page + 1).pack()
        row.append(InlineKeyboardButton(text=i18n.get("button-older"), callback_data=older))
    return row


def back_button(i18n: I18nContext, to: Screen | CallbackData = Screen.HOME) -> InlineKeyboardButton:
    """Back to one of the shop's screens, or to a product line's first screen (its entry)."""
    data = Open(screen=to) if isinstance(to, Screen) else to
    return InlineKeyboardButton(text=i18n.get("button-back"), callback_data=data.pack())


def cancel_button(i18n: I18nContext) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=i18n.get("button-cancel"), callback_data=CancelFlow().pack())


def cancel_only(i18n: I18nContext) -> InlineKeyboardMarkup:
    """Under a hint about typed input: the prompt stays, and Cancel leaves."""
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(i18n)]])


def choices(
    i18n: I18nContext,
    options: Sequence[tuple[str, CallbackData]],
    *,
    back: Screen | CallbackData,
    per_row: int,
) -> InlineKeyboardMarkup:
    """A step's preset choices in rows, then Back (to `back`) and Cancel."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *grid(options, per_row),
            [back_button(i18n, back), cancel_button(i18n)],
        ]
    )


def grid(
    options: Sequence[tuple[str, CallbackData]], per_row: int
) -> list[list[InlineKeyboardButton]]:
    """Buttons in rows of `per_row` (the last row takes what is left).

    Built directly rather than with aiogram's `InlineKeyboardBuilder`, which deep-copies the
    whole keyboard on every button it adds: a menu of ten buttons cost more than the update's
    database reads."""
    buttons = [
        InlineKeyboardButton(text=label, callback_data=data.pack()) for label, data in options
    ]
    return [buttons[start : start + per_row] for start in range(0, len(buttons), per_row)]


def menu_only(i18n: I18nContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=i18n.get("button-menu"), callback_data=Open(screen=Screen.HOME).pack()
                )
            ]
        ]
    )


async def main_menu(
    i18n: I18nContext, shop: Shop, customer: Customer, preface: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The main menu: the balance, then an entry per product line and the shop's own screens."""
    balance = await shop.ledger.balance(customer.id)
    text = i18n.get("menu-title", balance=format_money(balance.available, shop.currency))
    if (group := await shop.pricing.customer_group()) is not None:
        text += "\n" + i18n.get("menu-price-group", group=group)
    if preface:
        text = f"{preface}\n\n{text}"
    entries: list[tuple[str, CallbackData]] = []
    # A product line appears when its upstream is configured.
    entries += [
        (conversation.label(i18n), conversation.entry)
        for conversation in conversations()
        if conversation.key in shop.lines
    ]
    entries.append((i18n.get("menu-orders"), Open(screen=Screen.ORDERS)))
    entries.append((i18n.get("menu-wallet"), Open(screen=Screen.WALLET)))
    entries.append((i18n.get("menu-referrals"), Open(screen=Screen.REFERRALS)))
    entries.append((i18n.get("menu-language"), Open(screen=Screen.LANGUAGE)))
    entries.append((i18n.get("menu-help"), Open(screen=Screen.HELP)))
    if shop.support_enabled:
        entries.append((i18n.get("menu-support"), Open(screen=Screen.SUPPORT)))
    return text, InlineKeyboardMarkup(inline_keyboard=grid(entries, 2))
