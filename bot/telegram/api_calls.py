"""Every Bot API call the shop makes, counted by method and outcome, and whether Telegram answers.

Registered on each session the shop sends through (the dispatcher's bot and the link's bot that
lets 429s through), innermost, so each attempt counts: a call refused with 429 and then taken
counts once as `flood` and once as `ok`.

`/readyz` asks `TELEGRAM` whether Telegram answers. A call Telegram answered, even with a refusal
(a 400, a 403, a 429), shows it does; one that got no answer (the network, a timeout, a server
error) or whose token Telegram refused (401) shows it does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods.base import TelegramType

from bot.services.metrics import BOT_API_CALLS

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod


class TelegramContact:
    """When Telegram last answered a call, and since when calls have got no answer."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_answer: float | None = None  # on `clock`, of the last answered call
        self.failing_since: float | None = None  # of the first unanswered call since then

    def answered(self) -> None:
        self.last_answer = self.clock()
        self.failing_since = None

    def unanswered(self) -> None:
        if self.failing_since is None:
            self.failing_since = self.clock()


TELEGRAM = TelegramContact()  # one per process: every session of the shop reports here


class CountBotApiCalls(BaseRequestMiddleware):
    def __init__(self, contact: TelegramContact = TELEGRAM) -> None:
        self._contact = contact

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = type(method).__name__
        name = name[:1].lower() + name[1:]  # as the Bot API names it: sendMessage
        try:
            answer = await make_request(bot, method)
        except TelegramRetryAfter:
            self._contact.answered()
            BOT_API_CALLS.labels(name, "flood").inc()
            raise
        except TelegramUnauthorizedError:  # the token is refused: nothing will work
            self._contact.unanswered()
            BOT_API_CALLS.labels(name, "refused").inc()
            raise
        except (TelegramNetworkError, TelegramServerError):
            self._contact.unanswered()
            BOT_API_CALLS.labels(name, "failed").inc()
            raise
        except TelegramAPIError:
            self._contact.answered()
            BOT_API_CALLS.labels(name, "refused").inc()
            raise
        except Exception:
            self._contact.unanswered()
            BOT_API_CALLS.labels(name, "failed").inc()
            raise
        self._contact.answered()
        BOT_API_CALLS.labels(name, "ok").inc()
        return answer
