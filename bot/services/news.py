"""What customers and operators must hear, as the shop's services record it.

A service records its news in the same database transaction as what it tells of (an order settled,
a deposit credited, an alert for the operators), then asks for it to be sent once that commits.
How it goes out (to Telegram, worded in the customer's language, retried until Telegram takes it)
is the business of whatever implements `News`: the services only know this interface.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from storage.database import Transaction

LONGEST_ALERT = 3500  # characters of an alert's own text: the message stays under Telegram's 4096


class Priority(IntEnum):
    """Lower goes first."""

    ALERT = 0  # the operators must act
    RESULT = 1  # a customer's order or money
    NEWS = 2  # for the operators to know: reports, recoveries, payment cards
    CHATTER = 3  # customers' questions for the operators


class Topic(StrEnum):
    """What a message tells, and so how it is worded when it goes out."""

    ORDER = "order"  # about an order id; body: {"status": the status it tells of}
    DEPOSIT = "deposit"  # about a payment id: it was credited
    STARS_REFUND = "stars-refund"  # about a payment id: its Stars went back
    CLAIM_UNCONFIRMED = "claim-unconfirmed"  # about a payment id the customer claimed in vain
    # An operator's /credit or /debit; body: {"amount", "reason", "credit": bool}
    ADJUSTMENT = "adjustment"
    ORDER_ALERT = "order-alert"  # about an order id, for the operators; body: {"text"}
    ORDER_REVIEW = "order-review"  # about an order id waiting for the operators' decision
    ALERT = "alert"  # for the operators; body: {"text", "markup"}
    # About a payment id that now waits for the operators' decision: its card, worded when sent
    PAYMENT_WAITING = "payment-waiting"
    NEWS = "news"  # for the operators; body: {"text", "markup"}
    SUPPORT = "support"  # about a customer id: their question; body: {"text"}
    REFERRAL_REWARD = "referral-reward"  # about a reward id: it was paid; body: {"amount"}
    PROMO_GIFT = "promo-gift"  # about a promo use id: its gift was credited; {"amount", "code"}


PRIORITIES = {
    Topic.ORDER: Priority.RESULT,
    Topic.DEPOSIT: Priority.RESULT,
    Topic.STARS_REFUND: Priority.RESULT,
    Topic.CLAIM_UNCONFIRMED: Priority.RESULT,
    Topic.ADJUSTMENT: Priority.RESULT,
    Topic.REFERRAL_REWARD: Priority.RESULT,
    Topic.PROMO_GIFT: Priority.RESULT,
    Topic.ORDER_ALERT: Priority.ALERT,
    Topic.ORDER_REVIEW: Priority.ALERT,
    Topic.ALERT: Priority.ALERT,
    Topic.NEWS: Priority.NEWS,
    Topic.PAYMENT_WAITING: Priority.NEWS,
    Topic.SUPPORT: Priority.CHATTER,
}


def alert_text(text: str) -> str:
    """An alert for the operators as the group shows it: plain `text`, escaped here."""
    if len(text) > LONGEST_ALERT:
        text = text[:LONGEST_ALERT] + "…"
    return f"⚠️ {html.escape(text)}"


class News(Protocol):
    """Where the services record what customers and operators must hear, and have it sent."""

    async def to_customer(
        self,
        tx: Transaction,
        user_id: int,
        topic: Topic,
        about: str,
        *,
        key: str,
        body: dict[str, Any] | None = None,
        screen: int | None = None,
    ) -> list[int]:
        """News for a customer about `about` (an order id, a payment id), worded when it goes
        out; `screen` is a message of theirs it may replace. Returns the entries recorded now
        (none if this `key` was recorded before): `send_now` them once `tx` commits."""
        ...

    async def to_operators(
        self,
        tx: Transaction,
        topic: Topic,
        text: str,
        *,
        about: str = "",
        key: str | None = None,
    ) -> list[int]:
        """HTML `text` for the operators' group (none is configured: nothing is recorded).
        Returns the entries recorded now: `send_now` them once `tx` commits."""
        ...

    async def send_now(self, entries: Collection[int]) -> None:
        """Send what was just recorded, without waiting long for it. Never raises: what cannot
        go out now goes out later."""
        ...
