"""Running the shop on its webhook: start, `setWebhook`, serve until SIGTERM or SIGINT, stop.

`setWebhook` at start: a refusal of the URL (400) or of the token (401) stops the start in one
line (exit 2, a configuration error: starting again would not help). Anything else (no answer,
a timeout, a Telegram or gateway 5xx, a 429) is tried again with a growing pause, for at most
SET_WEBHOOK_WITHIN seconds; meanwhile the shop runs as ever (its web server takes upstream callbacks
and, when the webhook of the last run is still set at Telegram, updates). Past that, the process
stops with exit 1 (`WebhookNotSet`), which the service manager answers with a restart, as it
does a crash; exit 2 would leave a shop down over a network blip.

The stop mirrors polling's (`bot.telegram.intake`): new requests are refused at once (503, so
Telegram keeps those updates and delivers them after the restart), the updates in hand get their
bounded time to finish, then everything closes. The webhook is left set: Telegram keeps queueing
updates while the shop restarts, and the next start sets it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import User

from bot.services.config import ConfigError, bot_token_refused
from bot.telegram.intake import ShopDispatcher
from bot.wiring.webhook.intake import WebhookIntake

log = logging.getLogger(__name__)

TELEGRAM_MAX_CONNECTIONS = 100  # the most `setWebhook` takes
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SET_WEBHOOK_WITHIN = 300.0  # seconds of trying before the process stops for a restart
FIRST_PAUSE = 1.0  # seconds before the second try; doubling up to LONGEST_PAUSE
LONGEST_PAUSE = 30.0
Answer = TypeVar("Answer")


class WebhookNotSet(Exception):
    """Telegram did not take the webhook within the time given; a restart tries again."""


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
        me = await _unless_stopped(stopping, set_webhook(dispatcher, bot, intake))
        if me is not None:
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


async def _unless_stopped(stopping: asyncio.Event, work: Awaitable[Answer]) -> Answer | None:
    """What `work` gives, or None when SIGTERM came first (the work is then cancelled)."""
    working = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({working, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not working.done():
        working.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await working
        return None
    return working.result()


async def set_webhook(
    dispatcher: ShopDispatcher,
    bot: Bot,
    intake: WebhookIntake,
    *,
    within: float = SET_WEBHOOK_WITHIN,
    first_pause: float = FIRST_PAUSE,
) -> User:
    """Set the webhook, then learn who the bot is; each tried again while Telegram gives no
    answer, for at most `within` seconds in all (`WebhookNotSet` then). A refused URL or token
    is a ConfigError."""
    webhook = intake.webhook
    deadline = asyncio.get_running_loop().time() + within

    def tried(what: str, call: Callable[[], Awaitable[Answer]]) -> Awaitable[Answer]:
        return _tried_again(what, call, within=within, deadline=deadline, first_pause=first_pause)

    try:
        await tried(
            "setWebhook",
            lambda: bot.set_webhook(
                url=webhook.url,
                secret_token=webhook.secret,
                allowed_updates=dispatcher.resolve_used_update_types(),
                drop_pending_updates=webhook.drop_pending_updates,
                max_connections=max_connections(intake.updates_in_flight),
            ),
        )
        return await tried("getMe", bot.me)
    except TelegramBadRequest as refused:
        raise ConfigError(
            f"PUBLIC_BASE_URL is invalid: Telegram refused the webhook at {webhook.url}: "
            f"{refused.message}"
        ) from None
    except TelegramUnauthorizedError:
        raise bot_token_refused() from None


async def _tried_again(
    what: str,
    call: Callable[[], Awaitable[Answer]],
    *,
    within: float,
    deadline: float,
    first_pause: float,
) -> Answer:
    """`call`'s answer; a failure that may pass (anything but a refused URL or token) is tried
    again after a pause, doubling each time, until `deadline` (on the loop's clock)."""
    loop = asyncio.get_running_loop()
    pause = first_pause
    while True:
        try:
            return await call()
        except (TelegramBadRequest, TelegramUnauthorizedError):
            raise
        except (TelegramAPIError, ClientDecodeError) as failed:
            wait = pause
            if isinstance(failed, TelegramRetryAfter):
                wait = max(wait, float(failed.retry_after))
            if loop.time() + wait > deadline:  # the log has each failure; this line no details
                raise WebhookNotSet(
                    f"Telegram did not answer {what} within {within:g} s (last: "
                    f"{type(failed).__name__}); exit 1, so that the service manager starts the "
                    "shop again"
                ) from None
            log.warning(
                "%s failed (%s: %s); trying again in %g s",
                what,
                type(failed).__name__,
                failed.message,
                wait,
            )
            await asyncio.sleep(wait)
            pause = min(2 * pause, LONGEST_PAUSE)
