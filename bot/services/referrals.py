"""Referrals: a customer's link, who it brought, and what their purchases earn the referrer.

A customer gets a referrer only when they first start the bot through a referral link
(`/start r_<code>`), never their own, and never changed later. Each order of theirs that is
delivered earns the referrer the share of it the operators set for its line (`/setreferral`: a
percent of the order's margin or of its amount), as a pending reward in the transaction that
settles the order. A reward is released (paid from `shop:marketing` to the referrer's wallet, with
the news of it) once the settling period is over, by a background job; an order refunded or
reversed before then voids it. Nothing is earned while no line has a share set.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from bot.services.money import CENT, STORE_CURRENCY, format_money, parse_percent
from bot.services.news import News, Topic, alert_text
from bot.services.orders import Settlement
from storage.admin_log import AdminLog
from storage.database import Database, Reads, Transaction, as_stored, utc_now
from storage.ledger import Kind, Ledger
from storage.orders import Order, OrderStatus, OrderStore
from storage.referrals import ReferralStanding, ReferralStore, Reward, RewardStatus
from storage.settings import SettingsStore

log = logging.getLogger(__name__)

LINK_PREFIX = "r_"  # /start r_<code>
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing that reads as another character
CODE_LENGTH = 8
SETTLING_KEY = "referral:settle-hours"
DEFAULT_SETTLING = timedelta(days=7)
MAX_SETTLING_HOURS = Decimal(24 * 365)
MAX_SHARE = Decimal(50)
RELEASED_PER_RUN = 200


class RewardBase(StrEnum):
    MARGIN = "margin"  # what the order earned the shop over its upstream cost
    AMOUNT = "amount"  # what the customer paid


@dataclass(frozen=True)
class ReferralTerms:
    percent: Decimal
    base: RewardBase


class ReferralTermsRefused(ValueError):
    """Terms an operator gave that cannot be used; says why."""


def terms_key(line: str) -> str:
    return f"referral:{line}"


def reward_for(order: Order, terms: ReferralTerms) -> int:
    """The referrer's share of a delivered order, in whole cents rounded down (0: none)."""
    if terms.base == RewardBase.AMOUNT:
        base = order.charge
    else:
        rate = Settlement.of(order).store_rate
        if order.upstream_cost is None or rate is None:
            return 0
        base = order.charge - math.ceil(Fraction(order.upstream_cost) * Fraction(rate))
    if base <= 0:
        return 0
    return math.floor(Fraction(base) * Fraction(terms.percent) / 100 / CENT) * CENT


class ReferralService:
    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        settings: SettingsStore,
        news: News,
        admin_log: AdminLog,
        lines: list[str],
    ) -> None:
        self._orders = OrderStore(db)
        self._db = db
        self._ledger = ledger
        self._settings = settings
        self._news = news
        self._log = admin_log
        self._lines = lines
        self._store = ReferralStore(db)

    # -- the operators' terms --

    async def terms(self, line: str, *, reads: Reads | None = None) -> ReferralTerms | None:
        """The line's share (None: its orders earn nothing)."""
        stored = await self._settings.get(terms_key(line), reads=reads)
        if not stored:
            return None
        percent, _, base = stored.partition(" ")
        try:
            terms = ReferralTerms(Decimal(percent), RewardBase(base))
        except (InvalidOperation, ValueError):
            log.error("the referral terms of %s cannot be read: %r", line, stored)
            return None
        return terms if terms.percent > 0 else None

    async def settling(self, *, reads: Reads | None = None) -> timedelta:
        stored = await self._settings.get(SETTLING_KEY, reads=reads)
        hours = None if stored is None else parse_percent(stored, maximum=MAX_SETTLING_HOURS)
        if hours is None:
            if stored is not None:
                log.error("the referral settling period cannot be read: %r", stored)
            return DEFAULT_SETTLING
        return timedelta(hours=float(hours))

    async def set_terms(self, operator: int, line: str, percent: str, base: str) -> None:
        if line not in self._lines:
            raise ReferralTermsRefused(f"no product line {line!r}; one of {', '.join(self._lines)}")
        value = parse_percent(percent, maximum=MAX_SHARE)
        if value is None:
            raise ReferralTermsRefused(f"a share is a percent from 0 to {MAX_SHARE}")
        if base not in {b.value for b in RewardBase}:
            raise ReferralTermsRefused("say whether it is a share of the margin or the amount")
        await self._settings.change(
            terms_key(line), f"{value.normalize():f} {base}", operator=operator, log=self._log
        )

    async def set_settling(self, operator: int, hours: str) -> None:
        value = parse_percent(hours, maximum=MAX_SETTLING_HOURS)  # a number in the same form
        if value is None:
            raise ReferralTermsRefused(f"the settling period is 0 to {MAX_SETTLING_HOURS} hours")
        await self._settings.change(
            SETTLING_KEY, f"{value.normalize():f}", operator=operator, log=self._log
        )

    # -- customers --

    async def code_for(self, user_id: int) -> str:
        """The customer's own code for their link, made the first time it is asked for."""
        while (code := await self._store.code_of(user_id)) is None:
            fresh = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            await self._store.add_code(user_id, fresh)
        return code

    async def join(self, user_id: int, start_payload: str) -> bool:
        """A new customer who started the bot with `/start r_<code>` is the code owner's
        referral, once; their own code, an unknown one or a second referrer changes nothing."""
        if not start_payload.startswith(LINK_PREFIX):
            return False
        code = start_payload[len(LINK_PREFIX) :]
        if len(code) != CODE_LENGTH or not all(ch in CODE_ALPHABET for ch in code):
            return False
        referrer = await self._store.owner_of(code)
        if referrer is None or referrer == user_id:
            return False
        joined = await self._store.join(user_id, referrer)
        if joined:
            log.info("customer %s joined through %s's link", user_id, referrer)
        return joined

    async def standing(self, user_id: int) -> ReferralStanding:
        return await self._store.standing(user_id)

    # -- following a referred customer's orders (an `OrderFollower`) --

    async def confirming(self, order: Order, tx: Transaction) -> None:
        return None

    async def delivered(self, order: Order, tx: Transaction) -> None:
        referrer = await self._store.referrer_of(order.user_id, tx=tx)
        if referrer is None:
            return
        terms = await self.terms(order.product, reads=tx)
        amount = 0 if terms is None else reward_for(order, terms)
        if amount <= 0:
            return
        due = as_stored(datetime.now(UTC) + await self.settling(reads=tx))
        await self._store.add_reward(order.id, referrer, order.user_id, amount, due, tx=tx)

    async def failed(self, order: Order, tx: Transaction) -> None:
        return None  # nothing is earned before delivery

    async def refunded(self, order: Order, tx: Transaction) -> None:
        """A refund before the reward is paid voids it. One paid already stays paid, and the
        operators are told, to take it back if they want to."""
        reward = await self._store.reward_of(order.id, tx=tx)
        if reward is None:
            return
        if reward.status == RewardStatus.PENDING:
            await self._store.settle(reward.id, RewardStatus.VOIDED, tx=tx)
        elif reward.status == RewardStatus.RELEASED:
            await self._news.to_operators(
                tx,
                Topic.ORDER_ALERT,
                alert_text(
                    f"Order {order.id} was refunded after its referral reward of "
                    f"{format_money(reward.amount, STORE_CURRENCY)} was paid to customer "
                    f"{reward.referrer_id}: /debit them to take it back, if you want to"
                ),
                about=order.id,
                key=f"referral-refunded:{order.id}",
            )

    # -- the background job --

    async def release_due(self) -> int:
        """Pay the rewards whose settling period is over; how many were paid."""
        paid = 0
        for reward in await self._store.due(utc_now(), limit=RELEASED_PER_RUN):
            if await self._release(reward):
                paid += 1
        return paid

    async def _release(self, reward: Reward) -> bool:
        async with self._db.write() as tx:
            order = await self._orders.get(reward.order_id, tx=tx)  # locked with its refunds
            if order is None or order.status != OrderStatus.SUCCEEDED:
                await self._store.settle(reward.id, RewardStatus.VOIDED, tx=tx)
                return False
            if not await self._store.settle(reward.id, RewardStatus.RELEASED, tx=tx):
                return False  # voided or paid meanwhile
            await self._ledger.credit(
                reward.referrer_id,
                reward.amount,
                key=f"referral:{reward.order_id}",
                kind=Kind.REFERRAL_REWARD,
                memo="referral reward",
                tx=tx,
            )
            told = await self._news.to_customer(
                tx,
                reward.referrer_id,
                Topic.REFERRAL_REWARD,
                str(reward.id),
                key=f"referral-reward:{reward.id}",
                body={"amount": reward.amount},
            )
        await self._news.send_now(told)
        log.info("referral reward %s paid: %s to %s", reward.id, reward.amount, reward.referrer_id)
        return True
