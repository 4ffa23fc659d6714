"""`/broadcast [terms]`, as a reply to any message in the admin group: the message goes to every
customer who has not blocked the bot, or to a segment, with up to three buttons, at once or at a
chosen time (`bot.services.broadcast_plans` reads the terms). The operator first sees the copy as
customers will get it and how many will, and confirms. One message shows the progress, with a
Cancel button, and ends with the counts."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)

from bot.services.broadcast_plans import BroadcastPlan, PlanRefused, held_back, read_plan
from bot.services.languages import LANGUAGES
from bot.shop import Shop
from bot.telegram.broadcast import Progress
from handlers.callbacks import Open, Screen
from handlers.lines import conversations
from handlers.screens import grid
from storage.broadcasts import Audience, BroadcastStatus

router = Router(name="admin-broadcast")

USAGE = (
    "Reply to the message to send with <code>/broadcast</code>: a copy of it goes to every "
    "customer who has not blocked the bot, after you confirm. To send to some only, add any of "
    "<code>lang=zh</code> <code>bought=cloud</code> <code>group=wholesale</code> "
    "<code>deposited=yes|no</code> <code>inactive=30</code> (days); buttons (up to 3) with "
    '<code>button="Shop now|cloud"</code> or <code>button="News|https://t.me/…"</code>; a time '
    "with <code>at=2026-12-24T09:00</code> (UTC) or <code>in=2h</code>."
)
# Where a button can take a customer: the shop's own screens, and each product line's first one.
_SCREENS = {
    "menu": Screen.HOME,
    "wallet": Screen.WALLET,
    "orders": Screen.ORDERS,
    "invite": Screen.REFERRALS,
    "help": Screen.HELP,
}


def _places(shop: Shop) -> dict[str, str]:
    """Each place a button can open, with the callback data that opens it."""
    places = {name: Open(screen=screen).pack() for name, screen in _SCREENS.items()}
    for conversation in conversations():
        if conversation.key in shop.lines:
            places[conversation.key] = conversation.entry.pack()
    return places


async def _plan(shop: Shop, terms: str) -> BroadcastPlan:
    return read_plan(
        terms,
        languages=LANGUAGES,
        lines=shop.pricing.lines,
        groups=await shop.price_groups.names(),
        places=_places(shop),
    )


async def _audience(shop: Shop, plan: BroadcastPlan) -> Audience:
    return Audience(
        language=plan.language,
        bought=plan.bought,
        deposited=plan.deposited,
        inactive_since=plan.inactive_since(datetime.now(UTC)),
        group=None if plan.group is None else await shop.price_groups.band(plan.group),
    )


def _keyboard(shop: Shop, plan: BroadcastPlan) -> InlineKeyboardMarkup | None:
    if not plan.buttons:
        return None
    places = _places(shop)
    rows = [
        [
            InlineKeyboardButton(text=button.label, url=button.target)
            if button.target.startswith("http")
            else InlineKeyboardButton(text=button.label, callback_data=places[button.target])
        ]
        for button in plan.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _customers(count: int) -> str:
    return f"{count} customer{'' if count == 1 else 's'}"


def _when(plan: BroadcastPlan) -> str:
    return "now" if plan.send_at is None else f"at {plan.send_at:%Y-%m-%d %H:%M:%S} UTC"


class BroadcastAction(StrEnum):
    SEND = "send"
    DROP = "drop"
    CANCEL = "cancel"


class BroadcastButton(CallbackData, prefix="bc"):
    action: BroadcastAction
    ref: int  # the message to send (send, drop), or the broadcast (cancel)


def _one_button(text: str, button: BroadcastButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=grid([(text, button)], 1))


@router.message(Command("broadcast"))
async def ask_to_broadcast(message: Message, command: CommandObject, bot: Bot, shop: Shop) -> None:
    source = message.reply_to_message
    if source is None or message.from_user is None:
        await message.answer(f"⚠️ Nothing sent. {USAGE}")
        return
    terms = command.args or ""
    try:
        plan = await _plan(shop, terms)
    except PlanRefused as refused:
        await message.answer(f"⚠️ Nothing sent: {html.escape(str(refused))}.\n{USAGE}")
        return
    customers = await shop.broadcasts.recipients(await _audience(shop, plan))
    who = html.escape(plan.described or "every customer")
    if customers == 0:
        await message.answer(f"⚠️ Nothing sent: no customer would receive it ({who}).")
        return
    chat_id = message.chat.id
    await shop.broadcasts.save_draft((chat_id, source.message_id), terms, message.from_user.id)
    # The preview: the copy exactly as each customer will get it.
    try:
        await bot.copy_message(
            chat_id, chat_id, source.message_id, reply_markup=_keyboard(shop, plan)
        )
        shown = "the preview shows it as customers will get it"
    except TelegramAPIError as refused:
        shown = f"no preview: {html.escape(refused.message)}"
    options = [
        (text, BroadcastButton(action=action, ref=source.message_id))
        for text, action in (
            (f"📣 Send to {_customers(customers)}", BroadcastAction.SEND),
            ("✖️ Don't send", BroadcastAction.DROP),
        )
    ]
    await message.answer(
        f"📣 Send the message above ({shown}) to "
        f"<b>{_customers(customers)}</b> ({who}), {_when(plan)}?",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=grid(options, per_row=2)),
        reply_parameters=ReplyParameters(message_id=source.message_id),
    )


def _confirmation(query: CallbackQuery, callback_data: BroadcastButton) -> Message | None:
    """The confirmation the button is on, if it really asks about message `ref`: a button with
    any other message id (forged, or pressed elsewhere) does nothing."""
    message = query.message
    if not isinstance(message, Message) or message.reply_to_message is None:
        return None
    return message if message.reply_to_message.message_id == callback_data.ref else None


@router.callback_query(BroadcastButton.filter(F.action == BroadcastAction.SEND))
async def send_broadcast(query: CallbackQuery, callback_data: BroadcastButton, shop: Shop) -> None:
    confirmation = _confirmation(query, callback_data)
    if confirmation is None:
        await query.answer("This button does not belong to this message.", show_alert=True)
        return
    chat_id = confirmation.chat.id
    terms = await shop.broadcasts.draft((chat_id, callback_data.ref))
    try:
        plan = await _plan(shop, terms or "")
    except PlanRefused as refused:  # e.g. its time has passed since, or a group was removed
        await query.answer(f"Not sent: {refused}. Send /broadcast again.", show_alert=True)
        return
    broadcast = await shop.broadcaster.begin(
        query.from_user.id,
        source=(chat_id, callback_data.ref),
        progress=(chat_id, confirmation.message_id),
        audience=await _audience(shop, plan),
        described=plan.described,
        buttons=_keyboard(shop, plan),
        send_at=plan.send_at,
    )
    if broadcast is None:
        await query.answer("That message has been broadcast already.", show_alert=True)
        return
    await query.answer("Sending.")


@router.callback_query(BroadcastButton.filter(F.action == BroadcastAction.DROP))
async def drop_broadcast(query: CallbackQuery, callback_data: BroadcastButton, shop: Shop) -> None:
    confirmation = _confirmation(query, callback_data)
    if confirmation is None:
        await query.answer("This button does not belong to this message.", show_alert=True)
        return
    if await shop.broadcasts.of_message(confirmation.chat.id, callback_data.ref) is not None:
        await query.answer("It is being sent already: Cancel broadcast stops it.", show_alert=True)
        return
    await confirmation.edit_text("📣 Not sent.")
    await query.answer()


@router.callback_query(BroadcastButton.filter(F.action == BroadcastAction.CANCEL))
async def cancel_broadcast(
    query: CallbackQuery, callback_data: BroadcastButton, shop: Shop
) -> None:
    if await shop.broadcaster.cancel(callback_data.ref, query.from_user.id):
        await query.answer("Cancelled: no more copies go out.")
    else:
        await query.answer("That broadcast has already ended.", show_alert=True)


def progress_text(progress: Progress) -> str:
    broadcast, tally = progress.broadcast, progress.tally
    left = tally.pending + tally.sending
    if broadcast.status == BroadcastStatus.RUNNING and progress.paused:
        state = "⏸ paused while the shop restarts"
    elif broadcast.status == BroadcastStatus.RUNNING and held_back(broadcast.send_at):
        state = f"⏰ to be sent at {(broadcast.send_at or '')[:19].replace('T', ' ')} UTC"
    elif broadcast.status == BroadcastStatus.RUNNING:
        state = "sending…"
    else:
        state = {
            BroadcastStatus.FINISHED: "✅ finished",
            BroadcastStatus.CANCELLED: f"✖️ cancelled by <code>{broadcast.ended_by}</code>",
            BroadcastStatus.STOPPED: f"⚠️ stopped: {html.escape(broadcast.note)}",
        }[broadcast.status]
    lines = [
        f"📣 <b>Broadcast #{broadcast.id}</b>: {state}",
        f"To: {html.escape(broadcast.audience or 'every customer')}",
        f"Sent: {tally.sent} of {tally.total}",
        f"Blocked the bot: {tally.blocked}",
        f"Failed: {tally.failed}",
    ]
    if tally.unsure:
        lines.append(f"Unsure whether it arrived (never sent again): {tally.unsure}")
    if left:
        lines.append(
            f"To go: {left}" if broadcast.status == BroadcastStatus.RUNNING else f"Not sent: {left}"
        )
    if progress.resumed:
        lines.append("Resumed after a restart.")
    return "\n".join(lines)


def progress_message(progress: Progress) -> tuple[str, InlineKeyboardMarkup | None]:
    """The progress message: its counts, and Cancel while the broadcast runs."""
    broadcast = progress.broadcast
    cancel = (
        _one_button(
            "✖️ Cancel broadcast",
            BroadcastButton(action=BroadcastAction.CANCEL, ref=broadcast.id),
        )
        if broadcast.status == BroadcastStatus.RUNNING
        else None
    )
    return progress_text(progress), cancel
