"""`/broadcast`, as a reply to any message in the admin group: once an operator confirms, that
message goes to every customer who has not blocked the bot. One message shows the progress, with a
Cancel button, and ends with the counts."""

from __future__ import annotations

import html
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyParameters

from bot.shop import Shop
from bot.telegram.broadcast import Progress
from handlers.screens import grid
from storage.broadcasts import BroadcastStatus

router = Router(name="admin-broadcast")

USAGE = (
    "Reply to the message to send with <code>/broadcast</code>: a copy of it goes to every "
    "customer who has not blocked the bot, after you confirm."
)


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
async def ask_to_broadcast(message: Message, shop: Shop) -> None:
    source = message.reply_to_message
    if source is None:
        await message.answer(f"⚠️ Nothing sent. {USAGE}")
        return
    customers = await shop.broadcasts.recipients()
    if customers == 0:
        await message.answer("⚠️ Nothing sent: no customer would receive it.")
        return
    options = [
        (text, BroadcastButton(action=action, ref=source.message_id))
        for text, action in (
            (f"📣 Send to {customers} customers", BroadcastAction.SEND),
            ("✖️ Don't send", BroadcastAction.DROP),
        )
    ]
    await message.answer(
        f"📣 Send the message above to <b>{customers}</b> customers? Each gets a copy from the "
        "bot, as it is.",
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
    broadcast = await shop.broadcaster.begin(
        query.from_user.id,
        source=(chat_id, callback_data.ref),
        progress=(chat_id, confirmation.message_id),
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
    if broadcast.status == BroadcastStatus.RUNNING:
        state = "⏸ paused while the shop restarts" if progress.paused else "sending…"
    else:
        state = {
            BroadcastStatus.FINISHED: "✅ finished",
            BroadcastStatus.CANCELLED: f"✖️ cancelled by <code>{broadcast.ended_by}</code>",
            BroadcastStatus.STOPPED: f"⚠️ stopped: {html.escape(broadcast.note)}",
        }[broadcast.status]
    lines = [
        f"📣 <b>Broadcast #{broadcast.id}</b>: {state}",
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
