"""Every line logged while an update is handled names the update and its user (see
`bot.services.log_context`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.services.log_context import handling_update

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class TagLogWithUpdate(BaseMiddleware):
    """An outer middleware of the dispatcher's updates, after aiogram's own that finds the user.

    The ids are set for the rest of the update's task, not reset on the way out: aiogram's error
    handlers and its "update is handled" line run outside the middlewares, and are about the same
    update. Each update has a task of its own, so nothing carries over to the next one."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            user: User | None = data.get("event_from_user")
            handling_update(event.update_id, None if user is None else user.id)
        return await handler(event, data)
