"""The shop's own messages, sent outside any conversation: alerts to the operators' group and news
to a customer (an order settled in the background). The bot is attached once it exists."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

log = logging.getLogger(__name__)


class Messenger:
    def __init__(self, admin_chat_id: int | None) -> None:
        self._admin_chat_id = admin_chat_id
        self._bot: Bot | None = None

    def attach(self, bot: Bot) -> None:
        self._bot = bot

    async def alert_operators(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Plain text for the operators (escaped here), with buttons for what they can do about
        it; logged when it cannot be delivered."""
        log.warning("operator alert: %s", text)
        await self.tell_operators(f"⚠️ {html.escape(text)}", markup)

    async def tell_operators(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """News for the operators that is no alert (a report, a recovery): `text` is HTML made
        here, every stored or upstream string in it escaped; logged when it cannot be delivered."""
        if self._bot is None or self._admin_chat_id is None:
            return
        try:
            await self._bot.send_message(self._admin_chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.error("could not tell the operators: %s", exc)

    async def tell_customer(
        self, user_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """`text` is HTML made from a locale message (its arguments already escaped)."""
        if self._bot is None:
            return
        try:
            await self._bot.send_message(user_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            log.warning("could not tell customer %s: %s", user_id, exc)

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Show `text` (HTML) in a message the bot sent; an unchanged text is no error. Raises
        `TelegramAPIError` when Telegram refuses."""
        if self._bot is None:
            return
        try:
            await self._bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise

    async def send_file(self, user_id: int, name: str, content: bytes) -> None:
        """A file for a customer (delivered goods); logged when it cannot be delivered."""
        if self._bot is None:
            return
        try:
            await self._bot.send_document(user_id, BufferedInputFile(content, filename=name))
        except TelegramAPIError as exc:
            log.warning("could not send %s to customer %s: %s", name, user_id, exc)
