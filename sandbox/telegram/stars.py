"""Payments as the emulated Telegram keeps them: invoices, pre-checkout queries, charges, refunds.

Plain data with no Telegram wording: `server.py` turns the outcomes here into the Bot API's
answers and refusals, and `payments.py` acts out the customer's side of a payment.

A Stars payment is one charge, known by its `telegram_payment_charge_id`. It can be refunded once;
the bot's Star transactions list the payment and, later, its refund under the same id, in the
order they happened, as `getStarTransactions` does.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

STARS = "XTR"
PRE_CHECKOUT_TIMEOUT = 10.0  # seconds Telegram gives a bot to answer a pre-checkout query


@dataclass(frozen=True)
class Invoice:
    """What `sendInvoice` put in a message; `payload` is the bot's, never shown to the user."""

    title: str
    description: str
    currency: str
    total_amount: int
    payload: str
    start_parameter: str = ""

    def to_api(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "start_parameter": self.start_parameter,
            "currency": self.currency,
            "total_amount": self.total_amount,
        }


@dataclass(frozen=True)
class SuccessfulPayment:
    """The `successful_payment` of the service message a paying user's chat gets."""

    currency: str
    total_amount: int
    invoice_payload: str
    telegram_payment_charge_id: str
    provider_payment_charge_id: str

    def to_api(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "total_amount": self.total_amount,
            "invoice_payload": self.invoice_payload,
            "telegram_payment_charge_id": self.telegram_payment_charge_id,
            "provider_payment_charge_id": self.provider_payment_charge_id,
        }


@dataclass
class PreCheckoutQuery:
    """A user pressed Pay: the bot has `PRE_CHECKOUT_TIMEOUT` seconds to approve or decline."""

    id: str
    user: dict[str, Any]  # the user as the Bot API shows them
    invoice: Invoice
    chat_id: int
    invoice_message_id: int
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    ok: bool = False
    error_message: str = ""
    expired: bool = False  # the user's app gave up waiting; a late answer is refused

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.user,
            "currency": self.invoice.currency,
            "total_amount": self.invoice.total_amount,
            "invoice_payload": self.invoice.payload,
        }


@dataclass
class Charge:
    """Money that moved: one approved payment, refunded at most once."""

    payment: SuccessfulPayment
    user_id: int
    user: dict[str, Any]
    chat_id: int
    message_id: int  # the user's service message carrying `successful_payment`
    invoice_message_id: int
    paid_at: int
    refunded_at: int | None = None

    @property
    def charge_id(self) -> str:
        return self.payment.telegram_payment_charge_id

    @property
    def in_stars(self) -> bool:
        return self.payment.currency == STARS


class Answer(enum.Enum):
    """How `answerPreCheckoutQuery` went for a query id."""

    ACCEPTED = "accepted"
    UNKNOWN = "unknown"  # never issued, already answered, or answered too late


class Refund(enum.Enum):
    """How `refundStarPayment` went for a (user, charge) pair."""

    DONE = "done"
    ALREADY_REFUNDED = "already_refunded"
    NOT_FOUND = "not_found"  # no such Stars charge for that user


@dataclass(frozen=True)
class StarTransaction:
    """One line of the bot's Stars history: a payment in, or its refund out."""

    charge: Charge
    refund: bool
    date: int

    def to_api(self) -> dict[str, Any]:
        partner = {
            "type": "user",
            "transaction_type": "invoice_payment",
            "user": self.charge.user,
            "invoice_payload": self.charge.payment.invoice_payload,
        }
        return {
            "id": self.charge.charge_id,
            "amount": self.charge.payment.total_amount,
            "date": self.date,
            "receiver" if self.refund else "source": partner,
        }


class StarsLedger:
    """One bot's payments: open pre-checkout queries, charges by id, the Stars history."""

    def __init__(self) -> None:
        self.queries: dict[str, PreCheckoutQuery] = {}
        self.charges: dict[str, Charge] = {}
        self.transactions: list[StarTransaction] = []
        self._paid_invoices: set[tuple[int, int]] = set()
        self._provider_numbers = itertools.count(1)

    # -- the user's side --

    def open_query(
        self, user: dict[str, Any], invoice: Invoice, chat_id: int, invoice_message_id: int
    ) -> PreCheckoutQuery:
        query = PreCheckoutQuery(
            id=str(secrets.randbits(62)),
            user=user,
            invoice=invoice,
            chat_id=chat_id,
            invoice_message_id=invoice_message_id,
        )
        self.queries[query.id] = query
        return query

    def is_paid(self, chat_id: int, invoice_message_id: int) -> bool:
        return (chat_id, invoice_message_id) in self._paid_invoices

    def record_payment(self, query: PreCheckoutQuery, message_id: int) -> Charge:
        """The approved payment of `query`, shown to the bot in message `message_id`."""
        user_id = int(query.user["id"])
        charge = Charge(
            payment=SuccessfulPayment(
                currency=query.invoice.currency,
                total_amount=query.invoice.total_amount,
                invoice_payload=query.invoice.payload,
                # Telegram's Stars charge ids are long opaque strings starting with "stx".
                telegram_payment_charge_id="stx" + secrets.token_urlsafe(36),
                provider_payment_charge_id=f"{user_id}_{next(self._provider_numbers)}",
            ),
            user_id=user_id,
            user=query.user,
            chat_id=query.chat_id,
            message_id=message_id,
            invoice_message_id=query.invoice_message_id,
            paid_at=int(time.time()),
        )
        self.charges[charge.charge_id] = charge
        self._paid_invoices.add((query.chat_id, query.invoice_message_id))
        if charge.in_stars:
            self.transactions.append(StarTransaction(charge, refund=False, date=charge.paid_at))
        return charge

    # -- the bot's side --

    def answer(self, query_id: str, ok: bool, error_message: str) -> Answer:
        query = self.queries.get(query_id)
        if query is None or query.expired or query.answered.is_set():
            return Answer.UNKNOWN
        query.ok, query.error_message = ok, error_message
        query.answered.set()
        return Answer.ACCEPTED

    def refund(self, user_id: int, charge_id: str) -> Refund:
        charge = self.charges.get(charge_id)
        if charge is None or charge.user_id != user_id or not charge.in_stars:
            return Refund.NOT_FOUND
        if charge.refunded_at is not None:
            return Refund.ALREADY_REFUNDED
        charge.refunded_at = int(time.time())
        self.transactions.append(StarTransaction(charge, refund=True, date=charge.refunded_at))
        return Refund.DONE

    def page(self, offset: int, limit: int) -> list[StarTransaction]:
        """`getStarTransactions`: skip `offset`, at most `limit` (1-100), oldest first."""
        limit = min(max(limit, 1), 100)
        return self.transactions[max(offset, 0) :][:limit]

    @property
    def balance(self) -> int:
        """Stars the bot holds: every Stars payment in, every refund out."""
        total = 0
        for transaction in self.transactions:
            amount = transaction.charge.payment.total_amount
            total += -amount if transaction.refund else amount
        return total
