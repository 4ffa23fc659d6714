"""The yardstick of `bench.throughput`: a bare aiogram bot that echoes every text message.

One Dispatcher, one message handler, default storage, nothing else: what aiogram and the Bot API
cost per update with no shop behind them. Configured like the shop, through its environment
(`BOT_TOKEN`, `TELEGRAM_API_BASE`; for the webhook `WEB_HOST`, `WEB_PORT`, `PUBLIC_BASE_URL`,
`WEBHOOK_SECRET`), and logs the same way (INFO, a line per update), so the two differ only in
what happens between receiving an update and answering it.

    BOT_TOKEN=... TELEGRAM_API_BASE=http://127.0.0.1:PORT python -m bench.echo_bot
    python -m bench.echo_bot --webhook                       # aiogram's webhook, as documented
    python -m bench.echo_bot --webhook --answer-in-response  # the echo goes back in the answer

On its webhook it runs aiogram's own way (`SimpleRequestHandler`, handling in the background
after an empty answer); with `--answer-in-response` the handler returns its `sendMessage` and
aiogram sends it back in the webhook's answer instead of calling the Bot API: one round trip
fewer per update, whose worth the benchmark measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import SendMessage
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

WEBHOOK_PATH = "/telegram/webhook"


async def echo(message: Message) -> None:
    await message.answer(message.text or "…")


async def echo_in_response(message: Message) -> SendMessage:
    return message.answer(message.text or "…")


async def main(*, webhook: bool, answer_in_response: bool) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(token=os.environ["BOT_TOKEN"], session=session)
    dispatcher = Dispatcher()
    dispatcher.message.register(echo_in_response if answer_in_response else echo)
    try:
        if webhook:
            await _serve_webhook(dispatcher, bot, in_background=not answer_in_response)
        else:
            await dispatcher.start_polling(bot, polling_timeout=25)
    finally:
        await bot.session.close()


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, *, in_background: bool) -> None:
    secret = os.environ["WEBHOOK_SECRET"]
    url = os.environ["PUBLIC_BASE_URL"].rstrip("/") + WEBHOOK_PATH
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, handle_in_background=in_background, secret_token=secret
    ).register(app, path=WEBHOOK_PATH)
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, os.environ["WEB_HOST"], int(os.environ["WEB_PORT"])).start()
    await bot.set_webhook(
        url, secret_token=secret, allowed_updates=dispatcher.resolve_used_update_types()
    )
    me = await bot.me()
    logging.getLogger(__name__).info("Run webhook for bot @%s id=%d at %s", me.username, me.id, url)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.echo_bot")
    parser.add_argument("--webhook", action="store_true")
    parser.add_argument("--answer-in-response", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(webhook=args.webhook, answer_in_response=args.answer_in_response))
