"""Promo codes: what operators create (`/promo new`), what a customer's code is worth on a quote
or as a gift, and how a code's use follows its order's money.

A discount is taken off the quote (the customer pays the list price less it) and a use of the code
is reserved when the order is confirmed, in the same transaction as its hold, with the code's row
locked: two customers racing for a code's last use take it one after the other, and the second is
refused before anything is held. The use counts from then on; it becomes `used` when the order is
delivered, when `shop:marketing` pays the discount to `shop:sales` (a line's sales stay at list
price, and the discount is a marketing cost of its own), and is released when the order fails or
is refunded, so a discount is never spent on nothing. A gift is a credit from `shop:marketing` to
the wallet, in the transaction that records its use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from bot.services.money import CENT, MICRO, AmountError, parse_amount, parse_percent
from bot.services.news import News, Topic
from bot.services.orders import Discount, Settlement
from storage.admin_log import AdminLog
from storage.database import Database, Reads, Transaction, as_stored, utc_now
from storage.ledger import Kind, Ledger
from storage.orders import Order, OrderStore
from storage.promos import PromoCode, PromoKind, PromoStore, PromoTally, PromoUse, UseStatus

CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
MAX_AMOUNT = 10_000 * MICRO  # no code gives or takes off more than this


class PromoProblem(StrEnum):
    """Why a code cannot be used (each has a `promo-…` message for the customer)."""

    UNKNOWN = "unknown"
    ENDED = "ended"
    EXPIRED = "expired"
    USED_UP = "used-up"
    USED_BY_YOU = "used-by-you"
    WRONG_LINE = "wrong-line"
    TOO_SMALL = "too-small"
    NOT_FIRST = "not-first"
    GIFT_ONLY = "gift-only"  # a gift code typed on a purchase
    PURCHASE_ONLY = "purchase-only"  # a discount code sent as /promo


class PromoTermsError(ValueError):
    """An operator's `/promo new` that cannot be a code: the message says what to fix."""


def normal_code(text: str) -> str | None:
    """A typed code as stored (upper case), or None if it cannot be one (any other character,
    non-ASCII digits included, or too long)."""
    code = text.strip().upper()
    return code if code.isascii() and CODE.fullmatch(code) else None


def _amount(text: str, what: str) -> int:
    try:
        return parse_amount(text, places=2, maximum=MAX_AMOUNT)
    except AmountError:
        raise PromoTermsError(
            f"{what} must be a sum of at most {MAX_AMOUNT // MICRO} with 2 decimals, not {text!r}"
        ) from None


def _count(text: str, what: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1_000_000:
        raise PromoTermsError(f"{what} must be a whole number from 1 to 1000000, not {text!r}")
    return int(text)


def parse_terms(
    text: str, *, lines: Collection[str], by: str, now: datetime | None = None
) -> PromoCode:
    """`CODE 10%`, `CODE 2.50` (off the price) or `CODE gift 5` (to the balance), then any of
    `uses=N` (in all), `per=N` (per customer, 1 unless said), `days=N` or `until=YYYY-MM-DD` (the
    last day, UTC), `min=SUM` (the least list price), `lines=a,b` and `first` (a first purchase
    only)."""
    moment = now or datetime.now(UTC)
    words = text.split()
    if len(words) < 2:
        raise PromoTermsError("say the code and what it gives")
    code = normal_code(words[0])
    if code is None:
        raise PromoTermsError("a code is 3 to 32 letters A-Z, digits, _ or -")
    percent: Decimal | None = None
    amount: int | None = None
    rest = words[2:]
    if words[1].lower() == "gift":
        if not rest:
            raise PromoTermsError("say how much the gift is: gift 5")
        kind, amount, rest = PromoKind.GIFT, _amount(rest[0], "the gift"), rest[1:]
    elif words[1].endswith("%"):
        kind = PromoKind.PERCENT
        percent = parse_percent(words[1][:-1], maximum=Decimal(1000))
        if percent is None:
            raise PromoTermsError(f"not a percent: {words[1]!r}")
        if not 0 < percent < 100:
            raise PromoTermsError("a percent off is more than 0 and less than 100")
    else:
        kind, amount = PromoKind.FIXED, _amount(words[1], "the sum off")
    max_uses: int | None = None
    per_customer, min_order, first = 1, 0, False
    chosen: tuple[str, ...] = ()
    expires: str | None = None
    for word in rest:
        name, _, value = word.partition("=")
        match name.lower():
            case "uses":
                max_uses = _count(value, "uses")
            case "per":
                per_customer = _count(value, "per")
            case "min" if kind != PromoKind.GIFT:
                min_order = _amount(value, "min")
            case "lines" if kind != PromoKind.GIFT:
                chosen = tuple(part for part in value.lower().split(",") if part)
                unknown = sorted(set(chosen) - set(lines))
                if not chosen or unknown:
                    raise PromoTermsError(
                        f"lines must be some of {', '.join(lines)}"
                        + (f"; not {', '.join(unknown)}" if unknown else "")
                    )
            case "first" if not value and kind != PromoKind.GIFT:
                first = True
            case "days":
                expires = as_stored(moment + timedelta(days=_count(value, "days")))
            case "until":
                try:
                    last = date.fromisoformat(value)
                except ValueError:
                    raise PromoTermsError(
                        f"until must be a date YYYY-MM-DD, not {value!r}"
                    ) from None
                end = datetime.combine(last + timedelta(days=1), time(), UTC)
                if end <= moment:
                    raise PromoTermsError("until is in the past")
                expires = as_stored(end)
            case _:
                raise PromoTermsError(f"unknown term {word!r}")
    return PromoCode(
        code=code,
        kind=kind,
        percent=percent,
        amount=amount,
        max_uses=max_uses,
        per_customer=per_customer,
        min_order=min_order,
        lines=chosen,
        first_purchase=first,
        expires_at=expires,
        created_by=by,
        created_at=utc_now(),
        ended_at=None,
    )


def discount_on(promo: PromoCode, list_charge: int) -> int:
    """What the code takes off a list price, in whole cents rounded down, always leaving at
    least a cent to pay (0: nothing it can take off)."""
    if promo.kind == PromoKind.PERCENT and promo.percent is not None:
        off = math.floor(Fraction(list_charge) * Fraction(promo.percent) / 100 / CENT) * CENT
    else:
        off = promo.amount or 0
    return max(0, min(off, list_charge - CENT))


@dataclass(frozen=True)
class Gift:
    code: str
    amount: int


class PromoService:
    def __init__(
        self, db: Database, ledger: Ledger, orders: OrderStore, admin_log: AdminLog, news: News
    ) -> None:
        self._news = news
        self._db = db
        self._ledger = ledger
        self._orders = orders
        self._admin_log = admin_log
        self._codes = PromoStore(db)

    # -- operators --

    async def create(self, promo: PromoCode, operator: int) -> bool:
        """False: that code exists (or existed) already."""
        async with self._db.write() as tx:
            if not await self._codes.create(promo, tx=tx):
                return False
            await self._admin_log.record(
                operator, "promo_create", "promo", promo.code, after=promo.kind.value, tx=tx
            )
        return True

    async def end(self, code: str, operator: int) -> bool:
        """No new uses of it from now (reserved ones still settle). False: no such open code."""
        async with self._db.write() as tx:
            if not await self._codes.end(code, f"admin:{operator}", tx=tx):
                return False
            await self._admin_log.record(operator, "promo_end", "promo", code, tx=tx)
        return True

    async def tallies(self) -> list[PromoTally]:
        return await self._codes.tallies()

    # -- customers --

    async def discount_for(self, typed: str, order: Order) -> Discount | PromoProblem:
        """What the typed code takes off this quote, or why it cannot; nothing is reserved yet
        (that happens on confirmation)."""
        code = normal_code(typed)
        promo = None if code is None else await self._codes.get(code)
        if promo is None:
            return PromoProblem.UNKNOWN
        problem = await self._problem(promo, order.user_id, order, self._db)
        if problem is not None:
            return problem
        return Discount(promo.code, discount_on(promo, _list_price(order)))

    async def redeem_gift(self, typed: str, user_id: int) -> Gift | PromoProblem:
        """A gift code sent as `/promo CODE`: its sum into the wallet, from marketing, once per
        use the code allows the customer; the customer is told through the outbox, so a crash
        after the credit still tells them."""
        code = normal_code(typed)
        if code is None:
            return PromoProblem.UNKNOWN
        async with self._db.write() as tx:
            promo = await self._codes.get(code, tx=tx)
            if promo is None:
                return PromoProblem.UNKNOWN
            if promo.kind != PromoKind.GIFT:
                return PromoProblem.PURCHASE_ONLY
            problem = await self._problem(promo, user_id, None, tx)
            if problem is not None:
                return problem
            amount = promo.amount or 0
            use = await self._codes.add_use(
                code, user_id, amount, UseStatus.USED, order_id=None, tx=tx
            )
            await self._ledger.credit(
                user_id,
                amount,
                key=f"promo:{code}:gift:{use}",
                kind=Kind.GIFT,
                memo=f"promo code {code}",
                tx=tx,
            )
            told = await self._news.to_customer(
                tx,
                user_id,
                Topic.PROMO_GIFT,
                str(use),
                key=f"promo-gift:{use}",
                body={"amount": amount, "code": code},
            )
        await self._news.send_now(told)
        return Gift(code, amount)

    async def _problem(
        self, promo: PromoCode, user_id: int, order: Order | None, reads: Reads
    ) -> PromoProblem | None:
        if promo.ended_at is not None:
            return PromoProblem.ENDED
        if promo.expires_at is not None and utc_now() >= promo.expires_at:
            return PromoProblem.EXPIRED
        if order is not None:
            if promo.kind == PromoKind.GIFT:
                return PromoProblem.GIFT_ONLY
            if promo.lines and order.product not in promo.lines:
                return PromoProblem.WRONG_LINE
            listed = _list_price(order)
            if listed < promo.min_order or discount_on(promo, listed) <= 0:
                return PromoProblem.TOO_SMALL
            if promo.first_purchase and await self._orders.bought_before(
                user_id, besides=order.id, reads=reads
            ):
                return PromoProblem.NOT_FIRST
        used = await self._codes.count_uses(promo.code, reads=reads)
        if promo.max_uses is not None and used >= promo.max_uses:
            return PromoProblem.USED_UP
        if await self._codes.count_uses(promo.code, reads=reads, user_id=user_id) >= (
            promo.per_customer
        ):
            return PromoProblem.USED_BY_YOU
        return None

    # -- following a discounted order (an `OrderFollower`) --

    async def confirming(self, order: Order, tx: Transaction) -> PromoProblem | None:
        """Take the order's use of its code, with the code's row locked, or refuse: the code
        may have been used up, ended or expired since the customer applied it."""
        settlement = Settlement.of(order)
        if settlement.promo_code is None or not settlement.discount:
            return None
        promo = await self._codes.get(settlement.promo_code, tx=tx)
        if promo is None:
            return PromoProblem.UNKNOWN
        problem = await self._problem(promo, order.user_id, order, tx)
        if problem is not None:
            return problem
        await self._codes.add_use(
            promo.code,
            order.user_id,
            settlement.discount,
            UseStatus.RESERVED,
            order_id=order.id,
            tx=tx,
        )
        return None

    async def delivered(self, order: Order, tx: Transaction) -> None:
        use = await self._codes.use_of(order.id, tx=tx)
        if use is None or not await self._codes.move_use(
            use.id, UseStatus.RESERVED, UseStatus.USED, tx=tx
        ):
            return
        await self._book(Kind.DISCOUNT, use, use.amount, tx)

    async def failed(self, order: Order, tx: Transaction) -> None:
        use = await self._codes.use_of(order.id, tx=tx)
        if use is not None:
            await self._codes.move_use(use.id, UseStatus.RESERVED, UseStatus.RELEASED, tx=tx)

    async def refunded(self, order: Order, tx: Transaction) -> None:
        """The discount goes back to marketing, and the use no longer counts."""
        use = await self._codes.use_of(order.id, tx=tx)
        if use is not None and await self._codes.move_use(
            use.id, UseStatus.USED, UseStatus.RELEASED, tx=tx
        ):
            await self._book(Kind.DISCOUNT_RETURNED, use, use.amount, tx)

    async def _book(self, kind: Kind, use: PromoUse, amount: int, tx: Transaction) -> None:
        """A discount paid by marketing to sales, or given back: once per order and kind."""
        assert use.order_id is not None
        await self._ledger.transfer(
            amount,
            kind=kind,
            key=f"order:{use.order_id}:{kind.value.replace('_', '-')}",
            user_id=use.user_id,
            order_id=use.order_id,
            memo=f"promo code {use.code}",
            tx=tx,
        )


def _list_price(order: Order) -> int:
    return Settlement.of(order).list_charge or order.charge
