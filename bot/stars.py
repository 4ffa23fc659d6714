"""Telegram's side of a Stars refund: `refundStarPayment`, and what its answer proves.

Only Telegram's 400 about the charge is a refusal, and only for the call that started the refund
(see `bot.deposits`); `CHARGE_ALREADY_REFUNDED` means a refund happened, by this call's
predecessor. Anything else (a timeout, a dropped connection, a 5xx, a gateway's error page, flood
control that did not end, a 401/403/404 from a wrong token or host, which says nothing about the
charge) may hide a refund that went through, so it is unknown and asked again later.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from bot.deposits import RefundAnswer, RefundReply

log = logging.getLogger(__name__)

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


async def refund_star_payment(bot: Bot, user_id: int, charge_id: str) -> RefundReply:
    try:
        await bot.refund_star_payment(user_id=user_id, telegram_payment_charge_id=charge_id)
    except TelegramBadRequest as refused:  # Telegram read the request: about the charge
        if ALREADY_REFUNDED in refused.message:
            return RefundReply(RefundAnswer.ALREADY_REFUNDED, refused.message)
        return RefundReply(RefundAnswer.REFUSED, refused.message)
    except Exception as unclear:  # incl. 401/403/404: a wrong token or host, not the charge
        log.warning("refundStarPayment for %s got no definite answer: %r", user_id, unclear)
        return RefundReply(RefundAnswer.UNKNOWN, type(unclear).__name__)
    return RefundReply(RefundAnswer.DONE)
