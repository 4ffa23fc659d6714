"""The bot, reached by everything that sends outside a conversation.

The bot only exists once the dispatcher starts, after the shop's services are built: they are
given this link at construction, and the wiring attaches the bot to it once, at start-up.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from bot.telegram.answer_models import KeepAnswerModels
from bot.telegram.api_calls import CountBotApiCalls


class BotLink:
    def __init__(self) -> None:
        self._bot: Bot | None = None
        self._direct: Bot | None = None

    def attach(self, bot: Bot) -> None:
        """Once, at start-up: the dispatcher's bot."""
        if self._bot is not None:
            raise RuntimeError("a bot is attached already")
        self._bot = bot
        self._direct = _letting_429_through(bot)

    @property
    def attached(self) -> bool:
        """Whether the bot exists yet: until it does, what is recorded waits to be sent."""
        return self._bot is not None

    @property
    def bot(self) -> Bot:
        """The dispatcher's bot: its session waits out Telegram's flood control."""
        if self._bot is None:
            raise RuntimeError("no bot is attached yet")
        return self._bot

    @property
    def direct(self) -> Bot:
        """The same bot on a session that lets 429s through: a broadcast waits them out itself,
        where Cancel and a shutdown can cut the wait short; the outbox sends what is more
        important first."""
        if self._direct is None:
            raise RuntimeError("no bot is attached yet")
        return self._direct

    async def close(self) -> None:
        """At shutdown, once nothing sends any more: closes the session the link opened (the
        dispatcher's bot is its owner's to close)."""
        if self._direct is not None:
            await self._direct.session.close()


def _letting_429_through(bot: Bot) -> Bot:
    session = AiohttpSession(api=bot.session.api)
    session.middleware(KeepAnswerModels())
    session.middleware(CountBotApiCalls())
    return Bot(token=bot.token, session=session, default=bot.default)
