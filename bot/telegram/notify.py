"""The shop's own messages, sent outside any conversation: alerts and news for the operators'
group, which go through the outbox (recorded first, so never lost; an alert before any chatter),
and direct words to a customer, through the bot the link reaches once it exists."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup

from bot.services.news import Topic, alert_text
from bot.telegram.link import BotLink
from bot.telegram.outbox import Outbox

log = logging.getLogger(__name__)


class Messenger:
    def __init__(self, outbox: Outbox, link: BotLink) -> None:
        self._outbox = outbox
        self._link = link

    async def alert_operators(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Plain text for the operators (escaped here), with buttons for what they can do about
        it: recorded, then sent, and sent again until Telegram takes it; logged too."""
        log.warning("operator alert: %s", text)
        await self._outbox.tell_operators(Topic.ALERT, alert_text(text), markup)

    async def tell_operators(
        self, text: str, markup: InlineKeyboardMarkup | None = None, *, key: str | None = None
    ) -> None:
        """News for the operators that is no alert (a report, a recovery): `text` is HTML made
        here, every stored or upstream string in it escaped. Recorded, then sent; with a `key`,
        only by the first of the shop's processes to tell it."""
        await self._outbox.tell_operators(Topic.NEWS, text, markup, key=key)

    async def edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Show `text` (HTML) in a message the bot sent; an unchanged text is no error. Raises
        `TelegramAPIError` when Telegram refuses."""
        try:
            await self._link.bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise
