"""Setting the webhook at start when Telegram does not answer: tried again with a growing pause,
then given up on (exit 1, a restart), never reported as a bad setting."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.services.config import Webhook
from bot.telegram.intake import ShopDispatcher
from bot.wiring.webhook.intake import WebhookIntake
from bot.wiring.webhook.once import HandledOnce
from bot.wiring.webhook.serve import WebhookNotSet, set_webhook
from sandbox.server import free_port
from storage.sqlite import SqliteDatabase
from storage.webhook_updates import HandledUpdates


async def test_telegram_unreachable_is_tried_again_then_given_up_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    session = AiohttpSession(api=TelegramAPIServer.from_base(nothing_listens))
    bot = Bot(token="42:TEST", session=session)
    webhook = Webhook(
        url="https://shop.example.com/hook",
        path="/hook",
        secret="s" * 16,
        drop_pending_updates=False,
    )
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        intake = WebhookIntake(bot, webhook, HandledOnce(HandledUpdates(db)), updates_in_flight=5)
        try:
            with (
                caplog.at_level(logging.WARNING, logger="bot.wiring.webhook.serve"),
                pytest.raises(WebhookNotSet) as given_up,
            ):
                await set_webhook(
                    ShopDispatcher(finish_within=1), bot, intake, within=0.5, first_pause=0.1
                )
        finally:
            await bot.session.close()
    assert str(given_up.value) == (
        "Telegram did not answer setWebhook within 0.5 s (last: TelegramNetworkError); exit 1, "
        "so that the service manager starts the shop again"
    )
    pauses = [record.getMessage().rsplit("trying again in ", 1)[1] for record in caplog.records]
    assert pauses == ["0.1 s", "0.2 s"]  # doubling; the next (0.4 s) would pass the 0.5 s
