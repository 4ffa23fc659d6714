"""Running the shop on its webhook: start, `setWebhook`, serve until SIGTERM or SIGINT, stop.

The stop mirrors polling's (`bot.telegram.intake`): new requests are refused at once (503, so
Telegram keeps those updates and delivers them after the restart), the updates in hand get their
bounded time to finish, then everything closes. The webhook is left set: Telegram keeps queueing
updates while the shop restarts, and the next start sets it again.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.services.config import ConfigError
from bot.telegram.intake import ShopDispatcher
from bot.wiring.webhook.intake import WebhookIntake

log = logging.getLogger(__name__)

TELEGRAM_MAX_CONNECTIONS = 100  # the most `setWebhook` takes
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def max_connections(updates_in_flight: int) -> int:
    """How many requests at once Telegram may make: UPDATES_IN_FLIGHT, within Telegram's limit."""
    return min(updates_in_flight, TELEGRAM_MAX_CONNECTIONS)


async def serve_webhook(dispatcher: ShopDispatcher, bot: Bot, intake: WebhookIntake) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stopping.set)
    await intake.once.open()
    workflow = {"dispatcher": dispatcher, **dispatcher.workflow_data}
    try:
        await dispatcher.emit_startup(bot=bot, **workflow)  # the web server starts here
        intake.accepting = True
        await _set_webhook(dispatcher, bot, intake)
        me = await bot.me()
        log.info("Run webhook for bot @%s id=%d at %s", me.username, me.id, intake.webhook.url)
        await stopping.wait()
    finally:
        intake.accepting = False
        log.info("stopping: webhook requests are refused from now on, Telegram keeps them")
        # No `bot`: each update was confirmed to Telegram by the answer to its request.
        await dispatcher.emit_shutdown(**workflow)
        await intake.once.close()
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


async def _set_webhook(dispatcher: ShopDispatcher, bot: Bot, intake: WebhookIntake) -> None:
    webhook = intake.webhook
    try:
        await bot.set_webhook(
            url=webhook.url,
            secret_token=webhook.secret,
            allowed_updates=dispatcher.resolve_used_update_types(),
            drop_pending_updates=webhook.drop_pending_updates,
            max_connections=max_connections(intake.updates_in_flight),
        )
    except TelegramAPIError as refused:
        raise ConfigError(
            f"PUBLIC_BASE_URL is invalid: Telegram refused the webhook at {webhook.url}: "
            f"{refused.message}"
        ) from None
