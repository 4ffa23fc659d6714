"""Wiring: the bot, the dispatcher with its middlewares and routers, and the polling loop."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC
from functools import partial

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand
from aiogram_i18n import I18nMiddleware
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from bot.conversation_storage import SQLiteStorage
from bot.i18n import CustomerLanguage, HtmlFluentCore
from bot.middlewares import CustomerMiddleware
from bot.shop import Shop
from handlers import announce_settlement, get_routers, presenters

log = logging.getLogger(__name__)

CUSTOMER_COMMANDS = (
    BotCommand(command="start", description="Main menu"),
    BotCommand(command="help", description="How the shop works"),
    BotCommand(command="cancel", description="Stop what you are doing"),
)


def build_bot(config: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(str(config.telegram_api_base)))
    return Bot(
        token=config.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def build_dispatcher(shop: Shop) -> Dispatcher:
    dispatcher = Dispatcher(
        storage=SQLiteStorage(shop.conversations),
        events_isolation=SimpleEventIsolation(),
        shop=shop,
        presenters=presenters(),
    )
    core = HtmlFluentCore()
    language = CustomerLanguage(shop.customers)
    dispatcher.update.outer_middleware(CustomerMiddleware(shop))
    I18nMiddleware(core=core, manager=language).setup(dispatcher)
    dispatcher.include_routers(*get_routers())
    shop.sales.on_settled = partial(announce_settlement, shop, core, language)
    scheduler = AsyncIOScheduler(timezone=UTC)
    dispatcher.startup.register(partial(_start, shop, scheduler))
    dispatcher.shutdown.register(partial(_stop, scheduler))
    return dispatcher


async def _start(shop: Shop, scheduler: AsyncIOScheduler, bot: Bot) -> None:
    shop.messenger.attach(bot)
    await bot.set_my_commands(list(CUSTOMER_COMMANDS))
    shop.reconciler.schedule(scheduler)
    scheduler.start()


async def _stop(scheduler: AsyncIOScheduler) -> None:
    if scheduler.running:
        scheduler.shutdown(wait=False)


async def run_polling(config: Settings) -> None:
    """Run the shop until interrupted (SIGINT/SIGTERM stop polling gracefully)."""
    bot = build_bot(config)
    shop = await Shop.open(config)
    try:
        dispatcher = build_dispatcher(shop)
        await bot.delete_webhook(drop_pending_updates=False)
        await dispatcher.start_polling(bot, polling_timeout=25)
    finally:
        await shop.close()
        await bot.session.close()


def main_polling(config: Settings) -> None:
    asyncio.run(run_polling(config))
