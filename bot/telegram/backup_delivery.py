"""The operators' group as `bot.services.backups` reaches it: a backup file sent as a document,
alerts and news through the outbox (recorded first, so never lost)."""

from __future__ import annotations

import html
from pathlib import Path

from aiogram.types import FSInputFile

from bot.telegram.link import BotLink
from bot.telegram.notify import Messenger

UPLOAD_TIMEOUT = 300  # seconds a file of up to 50 MB gets to reach Telegram


class GroupBackupDelivery:
    def __init__(self, messenger: Messenger, link: BotLink, chat_id: int | None) -> None:
        self._messenger = messenger
        self._link = link
        self._chat_id = chat_id

    async def send_file(self, path: Path, caption: str) -> None:
        if self._chat_id is None:
            raise LookupError("ADMIN_CHAT_ID is not set")
        await self._link.bot.send_document(
            self._chat_id,
            FSInputFile(path, filename=path.name),
            caption=caption,
            parse_mode=None,  # plain text: nothing in it is markup
            request_timeout=UPLOAD_TIMEOUT,
        )

    async def alert(self, text: str) -> None:
        await self._messenger.alert_operators(text)  # escaped there

    async def tell(self, text: str) -> None:
        await self._messenger.tell_operators(html.escape(text))
