"""Each update the dispatcher handles, counted by type and outcome, and timed.

The dispatcher's outermost middleware of its own (aiogram's error handling wraps it), so the time
covers the customer lookup, the language, the conversation state and the handler, and a handler
that raises is seen before the errors handler answers the customer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

from bot.services.metrics import HANDLER_SECONDS, UPDATES


class CountUpdates(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = update_type(event)
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await handler(event, data)
            outcome = "unhandled" if result is UNHANDLED else "handled"
            return result
        finally:
            UPDATES.labels(kind, outcome).inc()
            HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - started)


def update_type(event: TelegramObject) -> str:
    """The update's kind as Telegram names it: message, callback_query, ..."""
    if not isinstance(event, Update):
        return type(event).__name__
    try:
        return event.event_type
    except UpdateTypeLookupError:  # a kind of update newer than this aiogram
        return "unknown"
