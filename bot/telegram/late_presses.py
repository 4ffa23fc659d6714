"""A button press answered after Telegram stopped taking answers for it.

Telegram takes the answer to a press (answerCallbackQuery, which stops its spinner) for about 15
seconds; after that it stops the spinner itself and refuses the answer as "query is too old". A
handler that gets to a press that late (the shop was restarting, its chat was waiting on a call
Telegram did not answer) must still do what the customer pressed for: a Confirm that raised here
bought nothing and logged a traceback. So the refusal is noted in one line and the handler goes on
as if the press were answered, which, as far as the customer can tell, it was.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, Response
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import TelegramMethod

log = logging.getLogger(__name__)

# Telegram refuses a late answer with "query is too old and response timeout expired or query ID
# is invalid": it does not tell a late answer from an unknown id, so the line names the press.
LATE_REFUSALS = ("query is too old", "query ID is invalid")


class GoOnAfterLateAnswers(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as refused:
            if not isinstance(method, AnswerCallbackQuery) or not any(
                words in refused.message for words in LATE_REFUSALS
            ):
                raise
            log.info(
                "button press %s was answered too late; Telegram had stopped its spinner",
                method.callback_query_id,
            )
            return cast("Response[TelegramType]", Response[bool](ok=True, result=True))
