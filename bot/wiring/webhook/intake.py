"""Telegram's webhook requests, taken on the bot's own web server by aiogram's request handler.

Each request carries one update and is answered once that update was handled, as polling confirms
an update only once handled: a crash before the answer, and Telegram delivers it again. Before
handling, a request must carry the secret (`X-Telegram-Bot-Api-Secret-Token`, else 401, logged
once a minute per source, see `refusals`), the shop must be taking updates (else 503: at start-up
and once stopping, so Telegram keeps the update and delivers it again later), and fewer than
UPDATES_IN_FLIGHT may be in hand (else 503: a flood waits at Telegram, as in polling). The
update then goes through the shop's dispatcher (`ShopDispatcher.feed_update`: the count of
updates in hand and the per-chat rule of `bot.telegram.intake`) once (see `once`).

A handler that fails is logged and the request answered 200 all the same: delivering it again
would fail again, a redelivery storm. A handler that returns a Bot API method has it sent back in
the answer, as aiogram does, saving a round trip; Telegram then carries it out without telling
anyone whether it worked, so the shop's own handlers never do (see docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.services.config import Webhook
from bot.services.web_limits import LargeBodyRoute
from bot.telegram.intake import ShopDispatcher
from bot.wiring.webhook.once import HandledOnce
from bot.wiring.webhook.refusals import RefusedSources

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Seconds in a 503's Retry-After (a hint; Telegram keeps its own pace): soon when only busy,
# later while starting or stopping.
RETRY_WHEN_BUSY = 1
RETRY_WHEN_STOPPED = 5
# The largest update taken, as Caddy and nginx (`client_max_body_size 1m`) pass: far past any
# update Telegram sends (4,096 characters of text, their entities, the message replied to).
MAX_UPDATE = 1024 * 1024


class _CutShort(Exception):
    """The update's handler was cancelled at shutdown: Telegram must deliver it again."""


class WebhookIntake:
    """The webhook's route, and whether the shop takes updates now (`accepting`)."""

    def __init__(
        self,
        bot: Bot,
        webhook: Webhook,
        once: HandledOnce,
        *,
        updates_in_flight: int,
        refusals: RefusedSources | None = None,
    ) -> None:
        self.bot = bot
        self.webhook = webhook
        self.once = once
        self.updates_in_flight = updates_in_flight
        self.refusals = refusals or RefusedSources()
        self.accepting = False

    def routes(self, dispatcher: ShopDispatcher) -> list[web.AbstractRouteDef]:
        """The route on the bot's web server that takes `dispatcher`'s updates."""
        handler = _RequestHandler(dispatcher, self)
        return [LargeBodyRoute(self.webhook.path, handler.handle, MAX_UPDATE, handler.too_large)]


class _RequestHandler(SimpleRequestHandler):
    """aiogram's handler for one bot, answering each request once its update was handled."""

    def __init__(self, dispatcher: ShopDispatcher, intake: WebhookIntake) -> None:
        super().__init__(
            dispatcher,
            intake.bot,
            handle_in_background=False,
            secret_token=intake.webhook.secret,
        )
        self.shop_dispatcher = dispatcher
        self.intake = intake

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """Whether the request's secret header is the webhook's secret, compared as bytes in
        constant time. aiogram compares text, and `secrets.compare_digest` raises on text other
        than ASCII (a header of `café`): a 500 and a traceback for every such request. aiohttp
        reads a header's bytes as UTF-8 with surrogateescape, which gives those bytes back."""
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self.intake.webhook.secret.encode("utf-8"))

    async def handle(self, request: web.Request) -> web.Response:
        intake = self.intake
        if not intake.accepting:
            return _busy("not taking updates now", RETRY_WHEN_STOPPED)
        if (refused := self._unless_secret(request)) is not None:
            return refused
        try:
            raw = await request.json(loads=self.bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": self.bot})
        except ValueError as unreadable:  # from Telegram (the secret matched): never better later
            log.warning("a webhook request carried no update it could read: %s", unreadable)
            return web.json_response({})
        if len(self.shop_dispatcher.in_hand) >= intake.updates_in_flight:
            return _busy("too many updates in hand", RETRY_WHEN_BUSY)
        try:
            async with intake.once.first_time(update.update_id) as first:
                if first and not intake.accepting:  # stopped while a delivery of it was handled
                    raise _CutShort
                result = await self._feed(update) if first else None
        except _CutShort:
            return _busy("stopping", RETRY_WHEN_STOPPED)
        return web.Response(body=self._build_response_writer(bot=self.bot, result=result))

    async def too_large(self, request: web.Request) -> web.Response:
        """A request past MAX_UPDATE, unread: answered 200 all the same, or Telegram would post
        it again and again, and the updates of that chat would wait behind it."""
        if (refused := self._unless_secret(request)) is not None:
            return refused
        log.warning(
            "a webhook request of %s bytes, past the %d MB an update may have, was answered "
            "unread: its update is not handled",
            request.content_length or "more than that many",
            MAX_UPDATE // (1024 * 1024),
        )
        return web.json_response({})

    def _unless_secret(self, request: web.Request) -> web.Response | None:
        """401 for a request without the webhook's secret (logged once a minute per source)."""
        if self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            return None
        self.intake.refusals.refused(request.remote or "an unknown address")
        return web.Response(status=401, text="Unauthorized")

    async def _feed(self, update: Update) -> TelegramMethod[Any] | None:
        # In hand from now, not from the task's first step: a stop in this turn of the loop
        # would otherwise find nothing in hand and close the shop under the handler.
        with self.shop_dispatcher.in_hand.handling(update.update_id):
            task = asyncio.ensure_future(self.shop_dispatcher.feed_update(self.bot, update))
            self.shop_dispatcher.handles_in(task)
            return await self._outcome(task, update)

    async def _outcome(
        self, task: asyncio.Future[Any], update: Update
    ) -> TelegramMethod[Any] | None:
        try:
            result = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                raise _CutShort from None
            raise
        except Exception:
            log.exception(
                "update %s failed; Telegram is answered all the same, so it is not delivered again",
                update.update_id,
            )
            return None
        return result if isinstance(result, TelegramMethod) else None


def _busy(why: str, retry_after: int) -> web.Response:
    return web.Response(status=503, text=why, headers={"Retry-After": str(retry_after)})
