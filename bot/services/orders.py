"""Turning a customer's confirmation into exactly one upstream order, with the money accounted for.

    quoted → confirmed (hold placed) → submitted → succeeded (hold posted)
                                                → failed (hold voided)
                                                → unknown → reconciled, or needs_review

Each product line brings a small adapter (`ProductLine`): it submits an order upstream with the
order id as the idempotency key and can ask upstream what became of it. The service does the rest:
the hold and the status change commit together, the order is marked `submitted` before anything is
sent (so after a crash a `confirmed` order was never sent and a `submitted` one must be asked
about, never resent blindly), and the hold is posted or voided in the same transaction as the final
status. An unknown outcome keeps the hold until reconciliation knows.

What the customer and the operators must hear of an order is written to the outbox in the same
transaction as the status it tells of (see `bot.services.news`), and sent once that commits. The
message that showed the order while it was processed (its screen, named at confirmation) is edited
into its result; once a conversation shows the order as still pending, the result comes as a
message of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Protocol

from pydantic import field_validator

from bot.services.details import Details, NoDetails
from bot.services.log_context import about_the_order
from bot.services.money import CENT
from bot.services.news import News, Topic, alert_text
from bot.services.ownership import own, owned_by
from bot.services.pricing import Price, is_expired, quote_expiry
from providers.outcomes import Outcome
from storage.database import Database, Transaction
from storage.leases import Leases
from storage.ledger import InsufficientFunds, Kind, Ledger
from storage.orders import DuplicateOrderId, Order, OrderStatus, OrderStore, StatusConflict

log = logging.getLogger(__name__)

Remember = Callable[..., Awaitable[None]]
"""`await remember(details={...}, upstream_ref="...")`: store what upstream said, durably, now."""


class Failure(StrEnum):
    """Why an order failed, in the terms a customer is told (each has a `failure-…` message)."""

    ACCOUNT_NOT_FOUND = "account-not-found"
    AMOUNT_REFUSED = "amount-refused"
    SUPPLIER_UNAVAILABLE = "supplier-unavailable"  # the shop's side of the upstream: operators act
    PRICE_CHANGED = "price-changed"  # upstream would have charged more than the quote
    NOT_DELIVERED = "not-delivered"


class Settlement(Details):
    """The order service's own facts about an order, kept in its details beside the product
    line's: the prices its quote was made at, the customer's message that shows it, and how it
    was settled."""

    store_rate: Decimal | None = None  # the store currency per upstream unit, when quoted
    markup_percent: Decimal | None = None
    screen_message_id: int | None = None  # the customer's message showing it being processed
    failure: Failure | None = None  # why it failed, in the customer's terms
    refunded: int | None = None  # how much of the charge went back
    refunded_by_operator: bool = False
    upstream_owes_refund: bool = False  # upstream kept money for a failed order
    delivered_after_refund: bool = False  # upstream delivered after the customer was refunded
    # A promo code's discount: the charge is the list price less it (see `Discount`).
    list_charge: int | None = None
    promo_code: str | None = None
    discount: int | None = None

    @field_validator("failure", mode="before")
    @classmethod
    def _known_failure(cls, value: object) -> object:
        """A reason this version does not know reads as "not delivered", as it is told."""
        if value is None or value in {failure.value for failure in Failure}:
            return value
        return Failure.NOT_DELIVERED


# Noted once the order's screen has shown its news: later news comes as messages of its own.
_SCREEN_TAKEN = Settlement(screen_message_id=None).dump()


@dataclass(frozen=True)
class Quote:
    """A purchase priced: what the customer pays, and the order's details as quoted (the
    product line's own model)."""

    price: Price
    details: Details


@dataclass(frozen=True)
class Submission:
    """What a product line learned from upstream about an order."""

    outcome: Outcome
    reason: str | None = None
    message: str = ""
    upstream_ref: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    upstream_owes_refund: bool = False  # upstream kept money for a failed order
    alert: str | None = None  # something the operators must hear about
    failure: Failure = Failure.NOT_DELIVERED  # what the customer is told when it was rejected
    # Rejected after upstream used part of it (energy delegated for a while): the charge is taken
    # and this share of it given back. None: nothing was used, the hold is released in full.
    refund_share: Fraction | None = None
    # Upstream takes back a success (a top-up "success, then fail"): the customer is refunded.
    reversal: bool = False
    # Unknown, and no asking will tell (e.g. the upstream order exists but cannot be looked up):
    # the order goes to the operators' review at once, its money still held.
    review: bool = False


@dataclass(frozen=True)
class Discount:
    """A promo code's saving on one quote: the customer pays the list price less `amount`."""

    code: str
    amount: int


class OrderFollower(Protocol):
    """Something else an order's money carries besides its hold (a promo code's use, a
    referral's reward): told of each step in the transaction that takes it, so it moves with the
    order or not at all."""

    async def confirming(self, order: Order, tx: Transaction) -> StrEnum | None:
        """The order is being confirmed: a reason to refuse it (nothing is written), or None."""
        ...

    async def delivered(self, order: Order, tx: Transaction) -> None: ...

    async def failed(self, order: Order, tx: Transaction) -> None:
        """Settled without delivering: nothing of it was used."""
        ...

    async def refunded(self, order: Order, tx: Transaction) -> None:
        """A delivered order's charge was given back, all of it, once: by upstream's reversal or
        an operator's refund."""
        ...


class ProductLine(Protocol):
    product: str

    @property
    def details_model(self) -> type[Details]:
        """The model of this line's part of an order's details."""
        ...

    async def requote(self, order: Order) -> Quote | None:
        """The same purchase priced now, with its details as they would be quoted now (None:
        it cannot be priced right now)."""
        ...

    async def submit(self, order: Order, remember: Remember) -> Submission:
        """Send the order upstream (the order id as idempotency key where upstream has one)."""
        ...

    async def query(self, order: Order, remember: Remember) -> Submission:
        """Ask upstream what became of an order that was (perhaps) sent."""
        ...


def sent_again(submission: Submission) -> Submission:
    """What sending an order again says, when an earlier attempt may have been carried out
    upstream without our hearing it: a refusal now proves nothing about that attempt (upstream
    may refuse for stock or balance the first attempt itself used up), so instead of a refund the
    order goes to the operators' review, its money still held."""
    if submission.outcome != Outcome.REJECTED:
        return submission
    return Submission(
        Outcome.UNKNOWN,
        reason=f"sent again, refused: {submission.reason}",
        message=submission.message,
        review=True,
        alert=f"sending it again was refused ({submission.reason}: {submission.message}), but "
        "an earlier attempt may have been carried out: check upstream, then refund or deliver",
    )


class Decision(StrEnum):
    """What an operator decides for an order in review."""

    REFUND = "refund"  # upstream did not deliver: the held money goes back
    DELIVERED = "delivered"  # upstream delivered: the held money is taken
    RETRY = "retry"  # ask upstream again now (and send again where the line does that safely)


class ConfirmStatus(StrEnum):
    HELD = "held"  # money set aside; the order can be submitted
    ALREADY = "already"  # confirmed before (a second tap): nothing new happened
    EXPIRED = "expired"  # the quote is too old: quote again
    INSUFFICIENT = "insufficient"  # not enough balance: nothing happened
    NOT_YOURS = "not_yours"
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # a follower refused it (`Confirmation.refusal` says why): nothing held


class RequoteStatus(StrEnum):
    VALID = "valid"  # the quote stands as it is: it can be confirmed
    PRICE_CHANGED = "price_changed"  # a new quote at today's price replaces it
    EXPIRED = "expired"  # it is too old (or was given up): a new quote at today's price
    UNAVAILABLE = "unavailable"  # too old, and no price can be had right now


@dataclass(frozen=True)
class Requote:
    status: RequoteStatus
    order: Order  # the quote to show: the same one when valid or unavailable, else the new one


@dataclass(frozen=True)
class Confirmation:
    status: ConfirmStatus
    order: Order | None = None
    available: int = 0  # the wallet's balance, when it was short
    refusal: StrEnum | None = None  # REFUSED: the follower's reason


class _Refused(Exception):
    def __init__(self, refusal: StrEnum) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


Report = Callable[[str, "Submission"], Awaitable[Order]]
"""`await report(order_id, submission)`: news about an order that upstream sent by itself."""
Find = Callable[[str], Awaitable[Order | None]]
"""`await find(order_id)`: the order as it stands, or None if there is none."""


NEW_ID_ATTEMPTS = 5  # a clash is rare (see open_quote); five in a row means something else
# How long a process's claim on an order it talks to upstream about lasts unrenewed; it is renewed
# every third of that while the talk goes on. A process that dies meanwhile leaves the order to the
# others' follow-ups within this.
ORDER_CLAIM_SECONDS = 30.0


def new_order_id() -> str:
    """Digits only and 18 long, so every upstream accepts it as its idempotency key."""
    return datetime.now(UTC).strftime("%y%m%d%H%M%S") + f"{secrets.randbelow(10**6):06d}"


UNSETTLED = (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN)
# Statuses the customer is told of when an order reaches them.
NEWSWORTHY = frozenset(
    {OrderStatus.SUCCEEDED, OrderStatus.FAILED, OrderStatus.REVERSED, OrderStatus.NEEDS_REVIEW}
)
# Orders the follow-up job asks upstream about: a confirmed one may still need sending, and one in
# review still settles by itself if upstream gives a definite answer before an operator acts.
FOLLOWED = (OrderStatus.CONFIRMED, *UNSETTLED, OrderStatus.NEEDS_REVIEW)


def _log_change(before: Order, after: Order, reason: str) -> None:
    """One line of the shop's story: an order changed status (its customer named on it even in a
    job's run; see `bot.services.log_context`)."""
    log.info(
        "order %s (%s): %s -> %s, %s",
        after.id,
        after.product,
        before.status.value,
        after.status.value,
        reason,
        extra={"user_id": after.user_id},
    )


class OrderService:
    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        orders: OrderStore,
        lines: Mapping[str, ProductLine],
        outbox: News,
        *,
        review_after: timedelta = timedelta(minutes=30),
        followers: Sequence[OrderFollower] = (),
    ) -> None:
        self._db = db
        self._followers = tuple(followers)
        self._ledger = ledger
        self._orders = orders
        self._lines = lines
        self._outbox = outbox
        self._review_after = review_after
        # Orders this process is talking to upstream about right now. Follow-ups leave them
        # alone: asking upstream in the middle of a submission (before the upstream order even
        # exists) would settle an order that is about to be delivered.
        self._in_flight: set[str] = set()
        # On a database shared by several processes, the same holds across them: each claims an
        # order (a lease `order:<id>`) before it talks to upstream about it, and leaves alone
        # one another process has claimed. (SQLite: one process, `_in_flight` is all.)
        self._claims = Leases(db) if db.is_server else None
        # The orders this process holds a claim on: how many of its calls hold it, and the task
        # that renews it.
        self._claimed: dict[str, tuple[int, asyncio.Task[None]]] = {}
        self._claiming: dict[str, asyncio.Lock] = {}

    # -- the customer's side --

    async def open_quote(self, user_id: int, product: str, quote: Quote) -> Order:
        """An order in `quoted` with the exact charge, valid for a few minutes. It replaces the
        customer's earlier open quotes: only the confirmation shown last can be confirmed."""
        price = quote.price
        rates = Settlement(store_rate=price.rate, markup_percent=price.markup_percent)
        return await self._replace_quotes(
            user_id,
            product,
            price.charge,
            {**quote.details.dump(), **rates.dump()},
            (price.upstream_cost, price.upstream_currency),
            quote_expiry(),
        )

    async def discounted(self, order: Order, discount: Discount | None) -> Order | None:
        """The same quote with a promo code's discount taken off (None: the list price again),
        valid as long as it was; it replaces the customer's open quotes. None when the quote can
        no longer be confirmed (gone past its confirmation, or expired)."""
        if order.status != OrderStatus.QUOTED or is_expired(order.quote_expires_at):
            return None
        settlement = Settlement.of(order)
        listed = settlement.list_charge or order.charge
        details = {
            key: value
            for key, value in order.details.items()
            if key not in {"list_charge", "promo_code", "discount", "screen_message_id"}
        }
        charge = listed
        if discount is not None:
            charge = listed - discount.amount
            details |= Settlement(
                list_charge=listed, promo_code=discount.code, discount=discount.amount
            ).dump()
        upstream = (order.upstream_cost, order.upstream_currency)
        return await self._replace_quotes(
            order.user_id, order.product, charge, details, upstream, order.quote_expires_at
        )

    async def _replace_quotes(
        self,
        user_id: int,
        product: str,
        charge: int,
        details: dict[str, Any],
        upstream: tuple[int | None, str | None],
        expires_at: str | None,
    ) -> Order:
        await self.cancel_open_quotes(user_id, reason="replaced by a newer quote")

        # Ids made in the same second share their first 12 digits, and a busy second can draw
        # the same random 6 twice: then nothing was written, and a new id is drawn.
        async def create() -> Order:
            return await self._orders.create(
                new_order_id(),
                user_id=user_id,
                product=product,
                charge=charge,
                details=details,
                upstream_cost=upstream[0],
                upstream_currency=upstream[1],
                quote_expires_at=expires_at,
            )

        for _ in range(NEW_ID_ATTEMPTS - 1):
            with contextlib.suppress(DuplicateOrderId):
                return await create()
        return await create()

    async def requote(self, order: Order) -> Requote:
        """Whether the customer's quote can still be confirmed as it stands, asking its product
        line to price the same purchase now. A changed price replaces it with a new quote at
        that price; one too old (or given up) is cancelled and quoted again at today's price,
        when one can be had. A quote still valid stands when no price can be had right now."""
        fresh = await self._line(order).requote(order)
        listed = Settlement.of(order).list_charge or order.charge
        if fresh is not None and fresh.price.charge != listed:
            new = await self.open_quote(order.user_id, order.product, fresh)
            return Requote(RequoteStatus.PRICE_CHANGED, new)
        if order.status == OrderStatus.QUOTED:
            if not is_expired(order.quote_expires_at):
                return Requote(RequoteStatus.VALID, order)
            await self._cancel_quoted(order, "quote expired")
        if fresh is None:
            return Requote(RequoteStatus.UNAVAILABLE, order)
        new = await self.open_quote(order.user_id, order.product, fresh)
        return Requote(RequoteStatus.EXPIRED, new)

    def details_of(self, order: Order) -> Details:
        """The order's details in its product line's model (none it knows for a product not
        configured here)."""
        line = self._lines.get(order.product)
        return NoDetails.of(order) if line is None else line.details_model.of(order)

    @about_the_order
    async def confirm(
        self, order_id: str, user_id: int, *, screen: int | None = None
    ) -> Confirmation:
        """Place the hold and mark the order confirmed, in one transaction. A second press, an
        expired quote, someone else's order or a short balance change nothing. `screen`: the
        customer's message that shows the order from now on, to be edited into its result."""
        try:
            async with self._db.write() as tx:
                order = await self._orders.get(order_id, tx=tx)
                if order is None:
                    return Confirmation(ConfirmStatus.NOT_FOUND)
                if not owned_by(user_id, order):
                    return Confirmation(ConfirmStatus.NOT_YOURS)
                if order.status != OrderStatus.QUOTED:
                    return Confirmation(ConfirmStatus.ALREADY, order)
                if is_expired(order.quote_expires_at):
                    await self._orders.move(
                        order_id,
                        OrderStatus.QUOTED,
                        OrderStatus.CANCELLED,
                        reason="quote expired",
                        actor="customer",
                        tx=tx,
                    )
                    return Confirmation(ConfirmStatus.EXPIRED, order)
                for follower in self._followers:
                    refusal = await follower.confirming(order, tx)
                    if refusal is not None:  # undo what the others wrote
                        raise _Refused(refusal)
                if order.charge > 0:  # zero: paid to upstream directly, not from the balance
                    await self._ledger.hold(user_id, order.charge, order_id=order_id, tx=tx)
                if screen is not None:
                    await self._orders.note(
                        order_id, details=Settlement(screen_message_id=screen).dump(), tx=tx
                    )
                await self._orders.move(
                    order_id,
                    OrderStatus.QUOTED,
                    OrderStatus.CONFIRMED,
                    reason="hold placed",
                    actor="customer",
                    tx=tx,
                )
        except InsufficientFunds as short:
            return Confirmation(ConfirmStatus.INSUFFICIENT, order, available=short.available)
        except _Refused as refused:
            return Confirmation(ConfirmStatus.REFUSED, order, refusal=refused.refusal)
        confirmed = await self._orders.get(order_id)
        if confirmed is not None:
            _log_change(order, confirmed, "hold placed")
        return Confirmation(ConfirmStatus.HELD, confirmed)

    @about_the_order
    async def cancel_quote(self, order_id: str, user_id: int) -> None:
        order = await self.find_owned(order_id, user_id)
        if order is not None:
            await self._cancel_quoted(order, "cancelled by the customer")

    async def cancel_open_quotes(
        self, user_id: int, *, reason: str = "the customer left the conversation"
    ) -> None:
        """Leave no half-made order behind (after /cancel, /start, or a newer quote)."""
        for order in await self._orders.with_status([OrderStatus.QUOTED], user_id=user_id):
            await self._cancel_quoted(order, reason)

    async def _cancel_quoted(self, order: Order, reason: str) -> None:
        if order.status == OrderStatus.QUOTED:
            with contextlib.suppress(StatusConflict):  # confirmed meanwhile: that stands
                await self._orders.move(
                    order.id,
                    OrderStatus.QUOTED,
                    OrderStatus.CANCELLED,
                    reason=reason,
                    actor="customer",
                )

    # -- talking to upstream --

    @about_the_order
    async def submit(self, order_id: str, *, watched: bool = False) -> Order:
        """Send a confirmed order upstream once, and settle what can be settled.

        `watched`: the customer's conversation is waiting for this call and shows what it returns
        when that is not news (the order is still pending): its screen is then the
        conversation's, and the result, when it comes, is a message of its own. A result is shown
        on the screen by the outbox (recorded in the same transaction), never by the caller."""
        if order_id in self._in_flight:
            return await self._current(order_id)
        self._in_flight.add(order_id)  # before the status says submitted: no follow-up in between
        claimed = False
        try:
            claimed = await self._claim(order_id)
            if not claimed:  # another process is talking to upstream about it
                return await self._current(order_id)
            try:
                await self._orders.move(
                    order_id,
                    OrderStatus.CONFIRMED,
                    OrderStatus.SUBMITTED,
                    reason="sent to upstream",
                )
            except StatusConflict:
                return await self._current(order_id)  # someone else submitted it
            order = await self._current(order_id)
            submission = await self._line(order).submit(order, self._rememberer(order_id))
            return await self._settle(order_id, submission, watched=watched)
        finally:
            self._in_flight.discard(order_id)
            if claimed:
                await self._unclaim(order_id)

    async def _claim(self, order_id: str) -> bool:
        """Claim the order for this process's talk with upstream, renewed until `_unclaim`;
        False if another process has."""
        if self._claims is None:
            return True
        # One claim at a time per order in this process: two callers at once (the follow-up
        # job and an operator's retry) must not both take it and start two renewals.
        claiming = self._claiming.setdefault(order_id, asyncio.Lock())
        async with claiming:
            held = self._claimed.get(order_id)
            if held is not None:  # a follow-up sending it: the claim is this process's already
                self._claimed[order_id] = (held[0] + 1, held[1])
                return True
            taken = await self._claims.take(f"order:{order_id}", ORDER_CLAIM_SECONDS) is not None
            if taken:
                renewing = asyncio.create_task(self._keep_claimed(order_id))
                self._claimed[order_id] = (1, renewing)
        if not taken and not claiming.locked():
            self._claiming.pop(order_id, None)
        return taken

    async def _keep_claimed(self, order_id: str) -> None:
        """Renew the claim until `_unclaim`. One that ran out and was taken (this process stalled
        past it) is left to its new holder: what this process goes on doing with the order stays
        safe (every status move is compare-and-set; an order is sent upstream only on its move
        from `confirmed`), so it is said, and the renewals end."""
        assert self._claims is not None
        while True:
            await asyncio.sleep(ORDER_CLAIM_SECONDS / 3)
            try:
                renewed = await self._claims.take(f"order:{order_id}", ORDER_CLAIM_SECONDS)
            except Exception as trouble:  # tried again; at worst it runs out
                log.warning("order %s: its claim could not be renewed: %r", order_id, trouble)
                continue
            if renewed is None:
                log.warning(
                    "order %s: another process took its claim (this one was held up past %s s);"
                    " that process follows the order up now",
                    order_id,
                    ORDER_CLAIM_SECONDS,
                )
                return

    async def _unclaim(self, order_id: str) -> None:
        if self._claims is None:
            return
        holders, renewing = self._claimed.pop(order_id, (1, None))
        if holders > 1 and renewing is not None:
            self._claimed[order_id] = (holders - 1, renewing)
            return
        if renewing is not None:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        claiming = self._claiming.get(order_id)
        if claiming is not None and not claiming.locked():
            del self._claiming[order_id]
        try:
            await self._claims.release(f"order:{order_id}")
        except Exception:  # it runs out by itself
            log.exception("order %s: its claim could not be given up", order_id)

    async def find(self, order_id: str) -> Order | None:
        return await self._orders.get(order_id)

    async def find_owned(self, order_id: str, user_id: int) -> Order | None:
        """The order if it is `user_id`'s; None for another customer's exactly as for a missing
        one (see `bot.services.ownership`)."""
        return own(user_id, await self._orders.get(order_id))

    @about_the_order
    async def reconcile(self, order_id: str) -> Order:
        """Ask upstream about an unsettled order (in the background: no customer is watching);
        the customer is told when it ends."""
        return await self._follow_up(await self._current(order_id))

    @about_the_order
    async def report(self, order_id: str, submission: Submission) -> Order:
        """News upstream sent by itself (a callback): settle what it says; the customer is told.
        Replays change nothing."""
        return await self._settle(order_id, submission)

    async def _tell_customer(
        self, tx: Transaction, order: Order, *, event: str | None = None
    ) -> list[int]:
        """The customer's news of `order` as it now stands in `tx` (its result, or that it is
        being checked), once per `event` (its status by default). It takes over the order's
        screen: later news comes as messages of their own."""
        screen = Settlement.of(order).screen_message_id
        if screen is not None:
            await self._orders.note(order.id, details=_SCREEN_TAKEN, tx=tx)
        return await self._outbox.to_customer(
            tx,
            order.user_id,
            Topic.ORDER,
            order.id,
            key=f"order:{order.id}:{event or order.status.value}",
            body={"status": order.status.value},
            screen=screen,
        )

    async def _tell_operators(self, tx: Transaction, order: Order, text: str) -> list[int]:
        """An alert about `order` as it now stands in `tx`: one waiting for the operators comes
        with their decisions, any other with a way to its card (see the renderers)."""
        log.warning("operator alert: %s", text)
        review = order.status == OrderStatus.NEEDS_REVIEW
        topic = Topic.ORDER_REVIEW if review else Topic.ORDER_ALERT
        return await self._outbox.to_operators(tx, topic, alert_text(text), about=order.id)

    async def _follow_up(self, order: Order) -> Order:
        order_id = order.id
        if order_id in self._in_flight:
            return order
        if not await self._claim(order_id):  # followed up or sent by another process now
            return order
        try:
            return await self._follow_up_claimed(await self._current(order_id))
        finally:
            await self._unclaim(order_id)

    async def _follow_up_claimed(self, order: Order) -> Order:
        order_id = order.id
        if order.status == OrderStatus.CONFIRMED:
            return await self.submit(order_id)  # never sent: send it now
        if order.status not in FOLLOWED:
            return order
        submission = await self._line(order).query(order, self._rememberer(order_id))
        settled = await self._settle(order_id, submission)
        # An order paid upstream directly holds none of the customer's money: nothing to review,
        # it is followed until upstream says how it ended.
        if settled.status in UNSETTLED and settled.charge > 0 and self._too_old(settled):
            says = submission.reason or submission.outcome
            async with self._db.write() as tx:
                current = await self._in(tx, order_id)
                if current.status != settled.status:  # settled meanwhile, by another process
                    return current
                await self._orders.move(
                    order_id,
                    settled.status,
                    OrderStatus.NEEDS_REVIEW,
                    reason=f"unsettled after {self._review_after}: {says}",
                    tx=tx,
                )
                reviewed = await self._in(tx, order_id)
                told = await self._tell_customer(tx, reviewed)
                told += await self._tell_operators(
                    tx, reviewed, f"Order {order_id} needs review: upstream says {says}."
                )
            await self._outbox.send_now(told)
            return await self._current(order_id)
        return settled

    # -- the operators' side --

    @about_the_order
    async def decide(self, order_id: str, decision: Decision, operator: int) -> tuple[bool, Order]:
        """An operator's decision on an order in review, taken once: when two operators press at
        the same moment, or a decided order's button is pressed, the second changes nothing
        (False). The customer is told how it ended."""
        before = await self._current(order_id)
        if before.status != OrderStatus.NEEDS_REVIEW:
            return False, before
        if decision == Decision.RETRY:
            after = await self.reconcile(order_id)
            return True, after
        actor = f"admin:{operator}"
        async with self._db.write() as tx:
            order = await self._in(tx, order_id)
            if order.status != OrderStatus.NEEDS_REVIEW:
                return False, order
            hold = await self._ledger.pending_hold(order_id, tx=tx)
            memo = f"order {order_id}, decided by {actor}"
            if decision == Decision.DELIVERED:
                if hold is not None:
                    await self._ledger.post(hold.id, memo=memo, actor=actor, tx=tx)
                await self._delivered(order, tx)
                await self._orders.move(
                    order_id,
                    order.status,
                    OrderStatus.SUCCEEDED,
                    reason="marked delivered by an operator",
                    actor=actor,
                    tx=tx,
                )
            else:
                if hold is not None:
                    await self._ledger.void(hold.id, memo=memo, actor=actor, tx=tx)
                await self._failed(order, tx)
                refunded = hold.amount if hold is not None else 0
                failed = Settlement(failure=Failure.NOT_DELIVERED, refunded=refunded)
                await self._orders.note(order_id, tx=tx, details=failed.dump())
                await self._orders.move(
                    order_id,
                    order.status,
                    OrderStatus.FAILED,
                    reason="refunded by an operator",
                    actor=actor,
                    tx=tx,
                )
            told = await self._tell_customer(tx, await self._in(tx, order_id))
        await self._outbox.send_now(told)
        return True, await self._current(order_id)

    @about_the_order
    async def refund_by_operator(
        self, order_id: str, operator: int, reason: str
    ) -> tuple[int, Order]:
        """Give a delivered order's charge back (it becomes reversed), or what a failed order
        did not give back yet. Once: the refund's ledger key is the order's, so a second call
        refunds nothing. Returns (amount refunded now, the order)."""
        actor = f"admin:{operator}"
        async with self._db.write() as tx:
            order = await self._orders.get(order_id, tx=tx)
            if order is None:
                raise KeyError(order_id)
            settlement = Settlement.of(order)
            already = settlement.refunded or 0
            if order.status == OrderStatus.SUCCEEDED:
                amount, to = order.charge, OrderStatus.REVERSED
            elif order.status in (OrderStatus.FAILED, OrderStatus.REVERSED):
                amount, to = order.charge - already, order.status
            else:
                return 0, order
            if amount <= 0 or settlement.refunded_by_operator:
                return 0, order
            key = f"order:{order_id}:operator-refund"
            await self._ledger.credit(
                order.user_id,
                amount,
                key=key,
                kind=Kind.REFUND,
                order_id=order_id,
                memo=reason,
                actor=actor,
                tx=tx,
            )
            if order.status == OrderStatus.SUCCEEDED:
                await self._refunded(order, tx)
            refund = Settlement(refunded=already + amount, refunded_by_operator=True)
            await self._orders.note(order_id, tx=tx, details=refund.dump())
            await self._orders.move(
                order_id,
                order.status,
                to,
                actor=actor,
                tx=tx,
                reason=f"refunded by an operator: {reason}",
            )
            told = await self._tell_customer(
                tx, await self._in(tx, order_id), event="operator-refund"
            )
        await self._outbox.send_now(told)
        return amount, await self._current(order_id)

    async def in_review(self) -> list[Order]:
        return await self._orders.with_status([OrderStatus.NEEDS_REVIEW])

    async def unsettled(self) -> list[Order]:
        """Every order upstream has not settled yet, in review included."""
        return await self._orders.with_status(FOLLOWED)

    # -- settling --

    async def _settle(
        self, order_id: str, submission: Submission, *, watched: bool = False
    ) -> Order:
        """Apply what upstream said, with the news of it, in one transaction; returns the order
        as that transaction left it (`watched`: see `submit`)."""
        async with self._db.write() as tx:
            order = await self._in(tx, order_id)
            if not order.is_terminal or submission.reversal:  # a finished record stays as it was
                await self._orders.note(
                    order_id,
                    details=submission.details,
                    upstream_ref=submission.upstream_ref,
                    tx=tx,
                )
            changed = await self._apply(order, submission, tx)
            late = await self._delivered_after_refund(order, submission, tx)
            after = await self._in(tx, order_id)
            told: list[int] = []
            if changed:  # a replayed answer tells nobody twice
                told += await self._tell_customer(tx, after)
                if submission.alert:
                    told += await self._tell_operators(
                        tx, after, f"Order {order_id}: {submission.alert}"
                    )
            elif watched and Settlement.of(after).screen_message_id is not None:
                # pending: shown by the caller
                await self._orders.note(order_id, details=_SCREEN_TAKEN, tx=tx)
            if late:
                told += await self._tell_operators(
                    tx,
                    after,
                    f"Order {order_id}: upstream now reports it delivered ({submission.reason}), "
                    "but the customer was refunded when it failed: recover the charge from the "
                    "customer or the goods from upstream",
                )
            after = await self._in(tx, order_id)
        if changed:
            _log_change(order, after, submission.reason or submission.outcome.value)
        await self._outbox.send_now(told)
        return after

    async def _delivered_after_refund(
        self, order: Order, submission: Submission, tx: Transaction
    ) -> bool:
        """A success for an order that failed and was refunded: the shop may have given the
        goods away. Recorded on the order, and True the first time (for one alert)."""
        if order.status != OrderStatus.FAILED or submission.outcome != Outcome.SUCCEEDED:
            return False
        if Settlement.of(order).delivered_after_refund:
            return False
        late = Settlement(delivered_after_refund=True)
        await self._orders.note(order.id, details=late.dump(), tx=tx)
        return True

    async def _apply(self, order: Order, submission: Submission, tx: Transaction) -> bool:
        """Move the order and its money as `submission` says; False if that changes nothing
        (settled meanwhile by a callback or another worker, or still undecided)."""
        reason = submission.reason or submission.outcome.value
        if submission.reversal:
            if order.status != OrderStatus.SUCCEEDED:
                return False
            await self._reverse(order, reason, tx)
            return True
        if order.status not in (*UNSETTLED, OrderStatus.NEEDS_REVIEW):
            return False
        order_id = order.id
        if submission.review and submission.outcome == Outcome.UNKNOWN:
            if order.status == OrderStatus.NEEDS_REVIEW:
                return False
            await self._orders.move(
                order_id,
                order.status,
                OrderStatus.NEEDS_REVIEW,
                reason=f"needs an operator: {reason}",
                tx=tx,
            )
            return True
        hold = await self._ledger.pending_hold(order_id, tx=tx)
        if submission.outcome == Outcome.SUCCEEDED:
            if hold is not None:
                await self._ledger.post(hold.id, memo=f"order {order_id}", tx=tx)
            await self._delivered(order, tx)
            await self._orders.move(
                order_id, order.status, OrderStatus.SUCCEEDED, reason=reason, tx=tx
            )
            return True
        if submission.outcome == Outcome.REJECTED:
            refunded = 0
            if hold is not None and submission.refund_share is not None:
                await self._ledger.post(hold.id, memo=f"order {order_id}", tx=tx)
                share = min(submission.refund_share, Fraction(1))
                refunded = math.floor(hold.amount * share / CENT) * CENT  # whole cents, as shown
                if refunded > 0:
                    await self._refund(order, refunded, tx)
            elif hold is not None:
                await self._ledger.void(hold.id, memo=f"order {order_id}", tx=tx)
                refunded = hold.amount
            # Failed, even where upstream used part of it: no discount is spent on it and no
            # referral reward earned, whatever is refunded of it later.
            await self._failed(order, tx)
            owes = {"upstream_owes_refund": True} if submission.upstream_owes_refund else {}
            failed = Settlement(failure=submission.failure, refunded=refunded, **owes)
            await self._orders.note(order_id, details=failed.dump(), tx=tx)
            await self._orders.move(
                order_id, order.status, OrderStatus.FAILED, reason=reason, tx=tx
            )
            return True
        if submission.outcome == Outcome.UNKNOWN and order.status == OrderStatus.SUBMITTED:
            await self._orders.move(
                order_id, order.status, OrderStatus.UNKNOWN, reason=reason, tx=tx
            )
        return False

    async def _reverse(self, order: Order, reason: str, tx: Transaction) -> None:
        """A delivered order upstream took back: the whole charge goes back to the customer."""
        if order.charge > 0:
            await self._refund(order, order.charge, tx)
        await self._refunded(order, tx)
        await self._orders.note(order.id, details=Settlement(refunded=order.charge).dump(), tx=tx)
        await self._orders.move(
            order.id,
            OrderStatus.SUCCEEDED,
            OrderStatus.REVERSED,
            reason=f"reversed by upstream: {reason}",
            tx=tx,
        )

    async def _refund(self, order: Order, amount: int, tx: Transaction) -> None:
        await self._ledger.credit(
            order.user_id,
            amount,
            key=f"order:{order.id}:refund",
            kind=Kind.REFUND,
            order_id=order.id,
            memo=f"order {order.id}",
            tx=tx,
        )

    # -- what follows an order's money --

    async def _delivered(self, order: Order, tx: Transaction) -> None:
        for follower in self._followers:
            await follower.delivered(order, tx)

    async def _failed(self, order: Order, tx: Transaction) -> None:
        for follower in self._followers:
            await follower.failed(order, tx)

    async def _refunded(self, order: Order, tx: Transaction) -> None:
        for follower in self._followers:
            await follower.refunded(order, tx)

    # -- helpers --

    def _rememberer(self, order_id: str) -> Remember:
        async def remember(
            details: dict[str, Any] | None = None, upstream_ref: str | None = None
        ) -> None:
            await self._orders.note(order_id, details=details, upstream_ref=upstream_ref)

        return remember

    def _line(self, order: Order) -> ProductLine:
        return self._lines[order.product]

    async def _current(self, order_id: str) -> Order:
        order = await self._orders.get(order_id)
        if order is None:
            raise KeyError(order_id)
        return order

    async def _in(self, tx: Transaction, order_id: str) -> Order:
        """The order as `tx` sees it."""
        order = await self._orders.get(order_id, tx=tx)
        if order is None:
            raise KeyError(order_id)
        return order

    def _too_old(self, order: Order) -> bool:
        created = datetime.fromisoformat(order.created_at.replace("Z", "+00:00"))
        return datetime.now(UTC) - created >= self._review_after
