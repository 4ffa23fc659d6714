"""Telegram's side of Stars (`bot.services.telegram_stars.TelegramStars`, over the bot):
`refundStarPayment` and what its answer proves, and the bot's Stars transactions
(`getStarTransactions`) read for `bot.services.stars_history`.

Only Telegram's 400 about the charge is a refusal, and only for the call that started the refund
(see `bot.services.deposits.stars_refunds`); `CHARGE_ALREADY_REFUNDED` means a refund happened, by
this call's predecessor. Anything else (a timeout, a dropped connection, a 5xx, a gateway's error
page, flood control that did not end, a 401/403/404 from a wrong token or host, which says nothing
about the charge) may hide a refund that went through, so it is unknown and asked again later.
"""

from __future__ import annotations

import logging
import math

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import StarTransaction, TransactionPartnerUser

from bot.services.telegram_stars import Payer, RefundAnswer, RefundReply, StarsTransaction
from bot.telegram.link import BotLink

log = logging.getLogger(__name__)

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"
INVOICE = "invoice_payment"  # a `TransactionPartnerUser`'s transaction_type for an invoice paid
NOT_CONNECTED = "the bot is not connected to Telegram yet"


class BotStars:
    """`TelegramStars` through the bot, which is attached at start-up. Before that nothing is
    asked of Telegram: a refund has no definite answer (its money stays out of the wallet, and
    it is asked again), and the record cannot be read."""

    def __init__(self, link: BotLink, timeout: float) -> None:
        self._link = link
        self._timeout = timeout  # seconds Telegram gets to send a page of the record

    @property
    def connected(self) -> bool:
        return self._link.attached

    async def refund_charge(self, user_id: int, charge_id: str) -> RefundReply:
        if not self._link.attached:
            return RefundReply(RefundAnswer.UNKNOWN, NOT_CONNECTED)
        return await refund_star_payment(self._link.bot, user_id, charge_id)

    async def read_transactions(self, offset: int, limit: int) -> list[StarsTransaction]:
        if not self._link.attached:
            raise ConnectionError(NOT_CONNECTED)
        return await read_star_transactions(self._link.bot, self._timeout, offset, limit)


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


async def read_star_transactions(
    bot: Bot, timeout: float, offset: int, limit: int
) -> list[StarsTransaction]:
    """A page of the bot's Stars transactions, oldest first; raises when Telegram does not
    answer within `timeout` seconds or refuses."""
    page = await bot.get_star_transactions(
        offset=offset, limit=limit, request_timeout=max(1, math.ceil(timeout))
    )
    return [_transaction(line) for line in page.transactions]


def _transaction(line: StarTransaction) -> StarsTransaction:
    partner = line.source if line.source is not None else line.receiver
    payer = None
    payload = ""
    if isinstance(partner, TransactionPartnerUser) and partner.transaction_type == INVOICE:
        user = partner.user
        payer = Payer(user.id, user.first_name, user.username, user.language_code)
        payload = partner.invoice_payload or ""
    return StarsTransaction(
        id=line.id,
        stars=line.amount,
        date=line.date,
        incoming=line.source is not None,
        payer=payer,
        payload=payload,
    )
