"""What the shop needs of Telegram's side of Stars, and what Telegram tells it: refunding a charge
(`refundStarPayment`) and reading the bot's Stars transactions (`getStarTransactions`).

`bot.telegram.stars` implements `TelegramStars` over the bot; the services receive it when they
are built and call it only once the shop runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class RefundAnswer(StrEnum):
    """What Telegram said to `refundStarPayment`."""

    DONE = "done"  # refunded now
    ALREADY_REFUNDED = "already_refunded"  # CHARGE_ALREADY_REFUNDED: a refund happened before
    REFUSED = "refused"  # a definite refusal: nothing was refunded
    UNKNOWN = "unknown"  # no definite answer: the refund may or may not have happened


@dataclass(frozen=True)
class RefundReply:
    answer: RefundAnswer
    detail: str = ""  # Telegram's words, or what went wrong on the way


@dataclass(frozen=True)
class Payer:
    """The user on the other side of an invoice payment (or of its refund)."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class StarsTransaction:
    """One line of the bot's Stars history."""

    id: str  # the charge id: a payment's and, again, its refund's
    stars: int
    date: datetime
    incoming: bool  # a payment in; False: a refund, or something else paid out
    payer: Payer | None  # for an invoice payment and its refund; None for anything else
    payload: str = ""  # the invoice's payload: the shop's request id


class TelegramStars(Protocol):
    @property
    def connected(self) -> bool:
        """Whether Telegram can be asked yet (the bot exists only once the shop has started)."""
        ...

    async def refund_charge(self, user_id: int, charge_id: str) -> RefundReply:
        """Ask Telegram to give a charge's Stars back to `user_id`; never raises for Telegram's
        answer (an error on the way is `RefundAnswer.UNKNOWN`)."""
        ...

    async def read_transactions(self, offset: int, limit: int) -> list[StarsTransaction]:
        """A page of the bot's Stars transactions, oldest first; raises when Telegram does not
        answer or refuses."""
        ...
