"""The link to the bot: reached only once attached, attached once, and its own session closed."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode

from bot.telegram.link import BotLink


async def test_the_bot_is_reached_once_attached_and_attached_once() -> None:
    link = BotLink()
    assert not link.attached
    with pytest.raises(RuntimeError):
        _ = link.direct
    bot = Bot("123456:TEST", default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    link.attach(bot)
    try:
        assert link.attached and link.bot is bot
        # The same bot, HTML by default, on a session of its own (no flood middleware).
        assert link.direct.token == bot.token and link.direct.default == bot.default
        assert link.direct.session is not bot.session
        with pytest.raises(RuntimeError):
            link.attach(bot)
        await link.close()
    finally:
        await bot.session.close()
