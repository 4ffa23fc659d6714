"""A button press, or a payment's pre-checkout query, answered after Telegram stopped taking
answers for it.

Telegram takes the answer to a press (answerCallbackQuery, which stops its spinner) for about 15
seconds; after that it stops the spinner itself and refuses the answer as "query is too old". A
handler that gets to a press that late (the shop was restarting, its chat was waiting on a call
Telegram did not answer) must still do what the customer pressed for: a Confirm that raised here
bought nothing and logged a traceback. So the refusal is noted in one line and the handler goes on
as if the press were answered, which, as far as the customer can tell, it was.

A pre-checkout query is the same: Telegram waits 10 seconds for the answer, then declines the
payment itself (nothing is charged), and refuses a later answer in the same words; so it does a
second answer, when the query comes again to a process started after a SIGKILL of the one that
answered it (found by the soak on the webhook). Either way Telegram's decision stands and there is
nothing left to do: one line, no traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, AnswerPreCheckoutQuery, Response
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
            if not any(words in refused.message for words in LATE_REFUSALS):
                raise
            if isinstance(method, AnswerCallbackQuery):
                log.info(
                    "button press %s was answered too late; Telegram had stopped its spinner",
                    method.callback_query_id,
                )
            elif isinstance(method, AnswerPreCheckoutQuery):
                log.info(
                    "payment check %s was answered too late or again; Telegram's decision on"
                    " that payment stands",
                    method.pre_checkout_query_id,
                )
            else:
                raise
            return cast("Response[TelegramType]", Response[bool](ok=True, result=True))
