"""The last line of defence: an unexpected error is logged, never shown as a traceback.

Telegram not answering a handler's call (no connection, a 5xx, a gateway's error page instead of
its answer) is no bug but an outside fault, often after the call was carried out: it is logged in
one line, and the customer, who may well see the screen the call drew, is told nothing more; the
next tap starts afresh.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramServerError
from aiogram.types import ErrorEvent
from aiogram_i18n import I18nContext

log = logging.getLogger(__name__)
router = Router(name="errors")

TELEGRAM_TROUBLE = (ClientDecodeError, TelegramNetworkError, TelegramServerError)


@router.error()
async def unexpected_error(event: ErrorEvent, i18n: I18nContext | None = None) -> None:
    if isinstance(event.exception, TELEGRAM_TROUBLE):
        log.warning(
            "update %s: Telegram did not answer a call of its handler, which may have been "
            "carried out: %s",
            event.update.update_id,
            type(event.exception).__name__,
        )
        return
    log.error(
        "update %s failed: %s", event.update.update_id, event.exception, exc_info=event.exception
    )
    text = i18n.get("error-generic") if i18n is not None else "Something went wrong."
    update = event.update
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    except Exception:  # the customer is unreachable; the log above has what operators need
        log.warning("could not tell the customer about update %s", update.update_id)
