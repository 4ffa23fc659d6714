"""Keeping alive the models aiogram reads Bot API answers with.

aiogram reads every answer with `Response[<what the method returns>]`, a pydantic model made from a
generic one on first use. Pydantic remembers such models only weakly, so as soon as no answer of a
kind is alive the garbage collector frees its model, and the next call of that method builds it
again: a few milliseconds of schema building per call (editMessageText, sendMessage), more than the
rest of an update costs. Holding each model the bot has used once makes every later call find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import Response
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

_models: dict[type[Any], type[Any]] = {}  # method class -> the answer model, kept for good


def answer_model(method: TelegramMethod[Any]) -> type[Any]:
    """The model aiogram reads `method`'s answers with, built once per method class."""
    kind = type(method)
    model = _models.get(kind)
    if model is None:
        model = _models[kind] = Response[method.__returning__]  # type: ignore[name-defined]
    return model


class KeepAnswerModels(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        answer_model(method)
        return await make_request(bot, method)
