"""Wiring: the bot, the dispatcher with its middlewares and routers, and the two ways to run it:
polling, or the webhook (`bot.wiring.webhook`)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta
from functools import partial

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import BotCommand, BotCommandScopeChatMember
from aiogram_i18n import I18nMiddleware
from aiohttp import web as aiohttp_web

from bot.services.backups import ScheduledBackups
from bot.services.config import Settings, bot_token_refused
from bot.services.jobs import JobRuns, Runs, ShopScheduler, run_every
from bot.services.leadership import Leadership
from bot.services.old_quotes import OldQuotes
from bot.shop import Shop
from bot.telegram.answer_models import KeepAnswerModels
from bot.telegram.api_calls import CountBotApiCalls
from bot.telegram.backup_delivery import GroupBackupDelivery
from bot.telegram.flood import WaitOutFloodControl
from bot.telegram.i18n import CustomerLanguage, HtmlFluentCore
from bot.telegram.intake import ShopDispatcher, expect_updates_dropped_unstarted
from bot.telegram.late_presses import GoOnAfterLateAnswers
from bot.telegram.link import BotLink
from bot.telegram.outbox import Renderers
from bot.telegram.update_log_ids import TagLogWithUpdate
from bot.telegram.update_metrics import CountUpdates
from bot.wiring.conversations import conversations
from bot.wiring.monitoring import Monitoring
from bot.wiring.watch import UpstreamWatch
from bot.wiring.web import WebServer
from bot.wiring.webhook.intake import WebhookIntake
from bot.wiring.webhook.once import HandledOnce
from bot.wiring.webhook.serve import serve_webhook
from handlers import get_routers, news, presenters
from handlers.admin.broadcast import progress_message
from handlers.admin.commands import operator_menu
from handlers.admin.stars import check_stars_transactions, finish_star_refunds
from handlers.middlewares import CustomerMiddleware
from storage.webhook_updates import HandledUpdates

log = logging.getLogger(__name__)

CATALOGUE_REFRESH = timedelta(minutes=5)  # how often slow-changing catalogues are reloaded
BROADCASTS_RESUMED = timedelta(seconds=30)  # how often the leader looks for orphaned broadcasts

CUSTOMER_COMMANDS = (
    BotCommand(command="start", description="Main menu"),
    BotCommand(command="help", description="How the shop works"),
    BotCommand(command="cancel", description="Stop what you are doing"),
    BotCommand(command="promo", description="Claim a gift code: /promo CODE"),
)


def build_bot(config: Settings) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(str(config.telegram_api_base)))
    session.middleware(KeepAnswerModels())
    session.middleware(WaitOutFloodControl())
    session.middleware(GoOnAfterLateAnswers())
    session.middleware(CountBotApiCalls())  # innermost: each attempt counts
    return Bot(
        token=config.require_bot_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


WebRoutes = Callable[[ShopDispatcher], Iterable[aiohttp_web.AbstractRouteDef]]


def build_dispatcher(
    shop: Shop, renderers: Renderers, web_routes: WebRoutes | None = None
) -> ShopDispatcher:
    """The dispatcher of `shop`, which was opened with the `renderers` registry: the
    conversations, which word the outbox's news, register in it here. `web_routes` gives the
    routes of the bot's web server that need the dispatcher (the webhook's)."""
    finish_within = updates_finish_within(shop.config)
    # In the database and this process, or in Redis for every replica (REDIS_URL).
    chats = conversations(
        shop.config, shop.conversations, turn_held=2 * finish_within, shared=shop.db.is_server
    )
    dispatcher = ShopDispatcher(
        finish_within=finish_within,
        operators_chat=shop.config.admin_chat_id,
        storage=chats.storage,
        events_isolation=chats.isolation,
        chat_places=chats.chat_places,
        shop=shop,
        presenters=presenters(),
    )
    core = HtmlFluentCore()
    language = CustomerLanguage(shop.customers)
    dispatcher.update.outer_middleware(TagLogWithUpdate())  # first: every line names the update
    dispatcher.update.outer_middleware(CountUpdates())  # next: it times the rest
    dispatcher.update.outer_middleware(CustomerMiddleware(shop))
    I18nMiddleware(core=core, manager=language).setup(dispatcher)
    dispatcher.include_routers(*get_routers())
    renderers.update(news.renderers(shop, core, language))
    leadership = Leadership.of(shop.db, lease_seconds=shop.config.leader_lease_seconds)
    scheduler = ShopScheduler(leadership, timezone=UTC)
    runs = JobRuns(scheduler)
    monitoring = Monitoring(shop, scheduler)
    webhook = web_routes(dispatcher) if web_routes is not None else ()
    web = WebServer(shop, [*monitoring.routes, *webhook])
    watch = UpstreamWatch(shop)
    # The metrics port first: refused, nothing else has started yet (aiogram runs no shutdown
    # after a start-up that failed).
    dispatcher.startup.register(monitoring.start)
    # Before the web server takes a webhook's update: the database's conversations into Redis.
    dispatcher.startup.register(partial(chats.start, store=shop.conversations))
    dispatcher.startup.register(partial(_start, shop, scheduler, web, watch))
    dispatcher.shutdown.register(monitoring.stop)
    dispatcher.shutdown.register(partial(_stop, shop, runs, web, leadership))
    return dispatcher


async def _start(
    shop: Shop, scheduler: ShopScheduler, web: WebServer, watch: UpstreamWatch, bot: Bot
) -> None:
    shop.link.attach(bot)
    if shop.channel is not None:  # the bot must see who joined: refused, nothing has started
        await shop.channel.require_admin()
    await scheduler.leadership.start()  # before the jobs: the singletons' first runs need it
    # What a stop or a crash left unsent: at once, then whatever Telegram does not take at first.
    shop.outbox.schedule(scheduler, timedelta(seconds=shop.config.outbox_retry_seconds))
    await web.start()
    shop.reconciler.schedule(scheduler)
    OldQuotes(shop.orders).schedule(scheduler)
    watch.schedule(scheduler)  # upstream balances and answers, and the daily report
    if shop.usdt_watch is not None:
        shop.usdt_watch.schedule(scheduler)
    run_every(
        scheduler,
        partial(_refresh_catalogues, shop),
        CATALOGUE_REFRESH,
        "refresh-catalogues",
        runs=Runs.EVERYWHERE,  # each process's own copy
        at_start=False,
    )
    # Stars refunds a crash or a lost answer left unsettled: at once, then every so often.
    run_every(
        scheduler,
        partial(finish_star_refunds, shop),
        timedelta(seconds=shop.config.stars_refund_retry_seconds),
        "finish-stars-refunds",
        runs=Runs.ON_LEADER,
    )
    # Referral rewards whose settling period is over: paid, each once.
    run_every(
        scheduler,
        shop.referrals.release_due,
        timedelta(seconds=shop.config.referral_release_every_seconds),
        "release-referral-rewards",
        runs=Runs.ON_LEADER,
    )
    # Telegram's record of the bot's Stars: payments whose message was lost, at once, then
    # every so often.
    run_every(
        scheduler,
        partial(check_stars_transactions, shop),
        timedelta(seconds=shop.config.stars_check_every_seconds),
        "check-stars-transactions",
        runs=Runs.ON_LEADER,
    )
    if shop.config.backup_every is not None:  # the database, copied every BACKUP_EVERY_HOURS
        delivery = GroupBackupDelivery(shop.messenger, shop.link, shop.config.admin_chat_id)
        ScheduledBackups(shop.config, delivery).schedule(scheduler)
    # Broadcasts no process sends (one stopped or died mid-way) go on from the leader.
    run_every(
        scheduler,
        shop.broadcaster.resume,
        BROADCASTS_RESUMED,
        "resume-broadcasts",
        runs=Runs.ON_LEADER,
        at_start=False,
    )
    scheduler.start()
    if scheduler.leadership.is_leader:  # what a stop interrupted: at once
        await shop.broadcaster.resume()
    await _offer_commands(shop, bot)


async def _offer_commands(shop: Shop, bot: Bot) -> None:
    """Telegram's command menus: the customers' everywhere, the operators' to each operator in
    the admin group. Only a convenience: a refusal (an operator not in the group) is logged."""
    menus: list[tuple[list[BotCommand], BotCommandScopeChatMember | None]] = [
        (list(CUSTOMER_COMMANDS), None)
    ]
    if shop.config.admin_chat_id is not None:
        menus += [
            (
                operator_menu(),
                BotCommandScopeChatMember(chat_id=shop.config.admin_chat_id, user_id=admin),
            )
            for admin in sorted(shop.config.admin_ids)
        ]
    for commands, scope in menus:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramAPIError as refused:
            log.warning("command menu for %s not set: %s", scope or "customers", refused)


async def _refresh_catalogues(shop: Shop) -> None:
    for line in shop.lines.values():
        try:
            await line.refresh_catalogue()
        except Exception:  # one line's trouble must not stop the others
            log.exception("refreshing the %s catalogue failed", line.product)


async def _stop(shop: Shop, runs: JobRuns, web: WebServer, leadership: Leadership) -> None:
    await shop.broadcaster.stop()
    # A job run under way (a USDT check, a reconciliation) finishes: its upstream calls are
    # bounded by UPSTREAM_TIMEOUT_SECONDS.
    await runs.stop(within=shop.config.upstream_timeout_seconds + 1)
    await leadership.stop()  # after the singletons' last runs: another process leads at once
    await web.stop()
    await shop.outbox.close()  # what it holds is sent after the next start
    await shop.link.close()


def updates_finish_within(config: Settings) -> float:
    """How long the updates in hand get to finish when the shop stops: a handler's upstream calls
    (a purchase's create and pay) are each bounded by UPSTREAM_TIMEOUT_SECONDS."""
    return 2 * config.upstream_timeout_seconds + 1


async def run_polling(config: Settings) -> None:
    """Run the shop until interrupted: SIGINT/SIGTERM stop taking updates in, let those in hand
    finish (see `bot.telegram.intake`), then close everything. While another shop runs on the
    database, raises LockHeld before anything is touched."""
    renderers: Renderers = {}
    shop = await Shop.open(
        config, link=BotLink(), renderers=renderers, describe_progress=progress_message
    )
    bot = build_bot(config)
    try:
        dispatcher = build_dispatcher(shop, renderers)
        try:
            await bot.delete_webhook(drop_pending_updates=False)  # the shop's first call
        except TelegramUnauthorizedError:
            raise bot_token_refused() from None
        settle_heap()
        expect_updates_dropped_unstarted()
        started = asyncio.Event()

        async def start_up_done() -> None:  # the last start-up step
            started.set()

        dispatcher.startup.register(start_up_done)
        try:
            await dispatcher.start_polling(
                bot, polling_timeout=25, tasks_concurrency_limit=config.updates_in_flight
            )
        except BaseException:
            if not started.is_set():  # aiogram runs no shutdown after a start-up that failed
                await dispatcher.emit_shutdown(dispatcher=dispatcher, **dispatcher.workflow_data)
            raise
    finally:
        await shop.close()
        await bot.session.close()


def settle_heap() -> None:
    """Take what start-up built (modules, models, locales) out of the garbage collector's sight.

    It lives as long as the process, yet every full collection walked all of it again: under
    load, one such pass every few thousand updates, a tenth of a second each. (No collection
    first: it would add as much to start-up, to free a few start-up leftovers.)"""
    gc.freeze()


async def run_webhook(config: Settings) -> None:
    """Run the shop on its webhook until interrupted (see `bot.wiring.webhook`); like
    `run_polling`, raises LockHeld while another shop runs on the database."""
    webhook = config.require_webhook()
    renderers: Renderers = {}
    shop = await Shop.open(
        config, link=BotLink(), renderers=renderers, describe_progress=progress_message
    )
    bot = build_bot(config)
    try:
        intake = WebhookIntake(
            bot,
            webhook,
            HandledOnce(HandledUpdates(shop.db)),
            updates_in_flight=config.updates_in_flight,
        )
        dispatcher = build_dispatcher(shop, renderers, web_routes=intake.routes)
        settle_heap()
        await serve_webhook(dispatcher, bot, intake)
    finally:
        await shop.close()
        await bot.session.close()


def main_polling(config: Settings) -> None:
    asyncio.run(run_polling(config))


def main_webhook(config: Settings) -> None:
    asyncio.run(run_webhook(config))
