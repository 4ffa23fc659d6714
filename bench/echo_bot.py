"""The yardstick of `bench.throughput`: a bare aiogram bot that echoes every text message.

One Dispatcher, one message handler, default storage, nothing else: what aiogram and the Bot API
cost per update with no shop behind them. Configured like the shop, through its environment
(`BOT_TOKEN`, `TELEGRAM_API_BASE`), and logs the same way (INFO, a line per update), so the two
differ only in what happens between receiving an update and answering it.

    BOT_TOKEN=... TELEGRAM_API_BASE=http://127.0.0.1:PORT python -m bench.echo_bot
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def echo(message: Message) -> None:
    await message.answer(message.text or "…")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(token=os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(echo)
    try:
        await dispatcher.start_polling(bot, polling_timeout=25)
    finally:
        await bot.session.close()


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
