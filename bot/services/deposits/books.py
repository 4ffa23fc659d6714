"""What every way of paying in shares: the refusals, the requests' common rules, and the one
place a payment's money is booked with the news of it (`DepositBooks`).

A payment's money is credited under `deposit:<reference>`, once, in the transaction that settles
the payment, its request and its claims; the customer's news of it, a claimant's that their claim
was not confirmed, a refund's, and the operators' alerts are written to the outbox in the same
transaction (see `bot.services.news`) and sent once it commits.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.services.news import News, Topic, alert_text
from storage.admin_log import AdminLog
from storage.database import Database, Transaction, as_stored
from storage.deposits import (
    Claim,
    DepositRequest,
    DepositStore,
    Method,
    Payment,
    PaymentStatus,
    RequestStatus,
)
from storage.ledger import Kind, Ledger

log = logging.getLogger(__name__)

MAX_LIVE_REQUESTS = 5  # per customer, of any method: requests that can still be paid at once
# How far the chain's clock and ours may disagree: a transfer this much before a request was made
# or after it expired still pays it.
CLOCK_SLACK = timedelta(minutes=2)

CLAIM_STATES = (PaymentStatus.CLAIMED, PaymentStatus.REJECTED)
WAITING = (PaymentStatus.UNMATCHED, PaymentStatus.CLAIMED)  # for an operator's decision


class DepositRefused(Exception):
    """Said to the operator as it is."""


class ClaimRefused(DepositRefused):
    """The claimed transfer is known already: credited, claimed, ignored or rejected."""

    def __init__(self, status: PaymentStatus) -> None:
        super().__init__(f"that transfer is already {status}")
        self.status = status


class TooManyClaims(DepositRefused):
    """The customer has MAX_OPEN_CLAIMS claims waiting for the operators."""


class TooManyRequests(DepositRefused):
    """The customer has MAX_LIVE_REQUESTS requests that can still be paid."""


class AmountsTaken(DepositRefused):
    """Every unique variant of this amount is held by a request that can still be paid."""


class BalanceShort(DepositRefused):
    """The customer's available balance no longer covers what the payment credited."""

    def __init__(self, user_id: int, available: int, required: int) -> None:
        super().__init__(f"customer {user_id} has {available} available, {required} required")
        self.user_id = user_id
        self.available = available
        self.required = required


@dataclass(frozen=True)
class Taken:
    """What came of a payment: credited now, already known, or waiting for an operator (as an
    unmatched transfer, or as a claim the chain now confirms: `payment.status`)."""

    payment: Payment
    request: DepositRequest | None
    credited_now: bool
    seen_before: bool


def _now() -> datetime:
    return datetime.now(UTC)


class DepositBooks:
    """The database, the ledger, the admin log and the outbox every deposit service writes to,
    and what they do alike."""

    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        admin_log: AdminLog,
        outbox: News,
        *,
        request_ttl: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.db = db
        self.ledger = ledger
        self.admin_log = admin_log
        self.outbox = outbox
        self.store = DepositStore(db)
        self.request_ttl = request_ttl
        self.clock = clock

    async def limit_requests(self, tx: Transaction, user_id: int, now: datetime) -> None:
        """A customer holds at most MAX_LIVE_REQUESTS requests that can still be paid, of every
        method together."""
        if await self.store.open_requests_of(tx, user_id, as_stored(now)) >= MAX_LIVE_REQUESTS:
            raise TooManyRequests(f"{MAX_LIVE_REQUESTS} requests can still be paid")

    def new_request(
        self,
        user_id: int,
        method: Method,
        amount: int,
        pay_amount: int,
        return_to: str | None,
        now: datetime,
    ) -> DepositRequest:
        return DepositRequest(
            id=f"D{secrets.token_hex(5).upper()}",
            user_id=user_id,
            method=method,
            amount=amount,
            pay_amount=pay_amount,
            status=RequestStatus.OPEN,
            return_to=return_to,
            created_at=as_stored(now),
            expires_at=as_stored(now + self.request_ttl),
        )

    async def credit(
        self,
        tx: Transaction,
        payment_id: int,
        user_id: int,
        amount: int,
        *,
        reference: str,
        request_id: str | None,
        memo: str,
        now: str,
        actor: str = "system",
        decided_by: int | None = None,
    ) -> list[int]:
        """Book the payment's money to `user_id`, once, with the customer's news of it, and
        settle its claims; returns the outbox entries to send once `tx` commits."""
        await self.ledger.credit(
            user_id,
            amount,
            key=f"deposit:{reference}",
            kind=Kind.DEPOSIT,
            memo=memo,
            actor=actor,
            tx=tx,
        )
        await self.store.settle_payment(
            tx,
            payment_id,
            PaymentStatus.CREDITED,
            now,
            user_id=user_id,
            request_id=request_id,
            credited=amount,
            decided_by=decided_by,
        )
        if request_id is not None:
            await self.store.close_request(tx, request_id, RequestStatus.CREDITED, now)
        told = await self.outbox.to_customer(
            tx, user_id, Topic.DEPOSIT, str(payment_id), key=f"payment:{payment_id}:credited"
        )
        unconfirmed = await self.store.settle_claims(tx, payment_id, now)
        return told + await self.tell_unconfirmed(tx, payment_id, unconfirmed, credited=user_id)

    async def tell_unconfirmed(
        self, tx: Transaction, payment_id: int, claims: list[Claim], *, credited: int | None
    ) -> list[int]:
        """Each claimant of a payment decided without crediting them (rejected, ignored, or
        credited to `credited`) hears that their claim was not confirmed."""
        told: list[int] = []
        for claim in claims:
            if claim.user_id != credited:
                told += await self.outbox.to_customer(
                    tx,
                    claim.user_id,
                    Topic.CLAIM_UNCONFIRMED,
                    str(payment_id),
                    key=f"payment:{payment_id}:unconfirmed:{claim.user_id}",
                )
        return told

    async def tell_refunded(self, tx: Transaction, payment: Payment) -> list[int]:
        """The customer's news that a Stars payment of theirs was given back."""
        assert payment.user_id is not None
        return await self.outbox.to_customer(
            tx,
            payment.user_id,
            Topic.STARS_REFUND,
            str(payment.id),
            key=f"payment:{payment.id}:refunded",
        )

    async def ask_operators(self, tx: Transaction, payment_id: int) -> list[int]:
        """The operators' card of a payment that now waits for their decision, recorded in `tx`
        once per payment; it is worded, with its buttons, when it goes out."""
        return await self.outbox.to_operators(
            tx,
            Topic.PAYMENT_WAITING,
            "",
            about=str(payment_id),
            key=f"payment:{payment_id}:waiting",
        )

    async def show_claim(self, tx: Transaction, payment_id: int, claim_id: int) -> list[int]:
        """The operators' card of a transfer a customer has just claimed, recorded in `tx` with
        the claim: one per claim, for each claim shows on it (worded when it goes out)."""
        return await self.outbox.to_operators(
            tx,
            Topic.PAYMENT_WAITING,
            "",
            about=str(payment_id),
            key=f"payment:{payment_id}:claim:{claim_id}",
        )

    async def alert_operators(self, tx: Transaction, text: str, *, key: str) -> list[int]:
        """Plain `text` for the operators, recorded in `tx` once per `key`; logged too."""
        log.warning("operator alert: %s", text)
        return await self.outbox.to_operators(tx, Topic.ALERT, alert_text(text), key=key)
