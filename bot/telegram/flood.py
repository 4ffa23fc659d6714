"""Telegram's flood control for every call the bot makes.

A 429 answer means Telegram refused the call without carrying it out, so the call is safe to
repeat once the `retry_after` Telegram names has passed. Waiting it out here spares every handler,
alert and broadcast from doing it on its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

log = logging.getLogger(__name__)


class WaitOutFloodControl(BaseRequestMiddleware):
    def __init__(self, *, attempts: int = 4, longest_wait: float = 60.0) -> None:
        self._attempts = attempts
        self._longest_wait = longest_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as flood:
                if attempt >= self._attempts or flood.retry_after > self._longest_wait:
                    raise
                log.info(
                    "flood control on %s: waiting %s s", type(method).__name__, flood.retry_after
                )
                await asyncio.sleep(flood.retry_after)
                attempt += 1
