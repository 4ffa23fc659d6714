"""What operators do from the admin group: find customers, credit or debit their wallet, ban or
unban them, and set the markups and exchange rates new quotes use. Each is recorded in the admin
log with the state before and after."""

from __future__ import annotations

import re
from decimal import Decimal

from bot.services.money import format_money, parse_percent
from bot.services.news import News, Topic
from bot.services.pricing import Pricing, PricingError, markup_key, rate_key
from storage.admin_log import AdminLog
from storage.database import Database, Transaction
from storage.ledger import Kind, Ledger, LedgerTransaction
from storage.settings import SettingsStore
from storage.users import Customer, CustomerStore

_USER_ID = re.compile(r"[0-9]{1,20}")
# The Bot API: a user id has at most 52 significant bits (so it fits SQLite's integers too).
TELEGRAM_USER_IDS = range(1, 2**52)
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
_RATE = re.compile(r"[0-9]{1,9}(\.[0-9]{1,12})?")
_CURRENCY = re.compile(r"[A-Z]{3,5}")
MAX_MARKUP = Decimal(1000)


class SettingRefused(ValueError):
    """A markup or rate an operator gave that the shop cannot use; says why."""


class CustomerUnclear(LookupError):
    """An operator's reference to a customer that names no one customer."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


class NoSuchCustomer(CustomerUnclear):
    """No customer has that id or username (or the reference is neither)."""


class NotAUserId(CustomerUnclear):
    """Digits no Telegram user id can be (outside TELEGRAM_USER_IDS)."""


class SharedUsername(CustomerUnclear):
    """Several customers were stored with that username: Telegram lets a username pass from one
    account to another, and a customer's stored name changes only when they write again."""

    def __init__(self, reference: str, candidates: list[Customer]) -> None:
        super().__init__(reference)
        self.candidates = candidates


class Operators:
    def __init__(
        self,
        db: Database,
        ledger: Ledger,
        customers: CustomerStore,
        settings: SettingsStore,
        pricing: Pricing,
        log: AdminLog,
        currency: str,
        outbox: News,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._ledger = ledger
        self._customers = customers
        self._settings = settings
        self.pricing = pricing
        self.log = log
        self._currency = currency

    async def find(self, reference: str) -> Customer:
        """The one customer a Telegram id (`12345`) or username (`@alice`) names. Raises
        NoSuchCustomer, NotAUserId or SharedUsername (with the candidates)."""
        if _USER_ID.fullmatch(reference):
            if int(reference) not in TELEGRAM_USER_IDS:
                raise NotAUserId(reference)
            found = await self._customers.get(int(reference))
            if found is None:
                raise NoSuchCustomer(reference)
            return found
        if match := _USERNAME.fullmatch(reference):
            match await self._customers.with_username(match.group(1)):
                case [one]:
                    return one
                case []:
                    raise NoSuchCustomer(reference)
                case several:
                    raise SharedUsername(reference, several)
        raise NoSuchCustomer(reference)

    async def _available(self, user_id: int) -> str:
        return format_money((await self._ledger.balance(user_id)).available, self._currency)

    async def credit(
        self, admin_id: int, customer: Customer, amount: int, reason: str, *, key: str
    ) -> LedgerTransaction:
        """Money into the wallet, the admin as actor; `key` makes a replayed command a no-op."""
        before = await self._available(customer.id)
        async with self._db.write() as tx:
            txn = await self._ledger.credit(
                customer.id,
                amount,
                key=key,
                kind=Kind.ADJUSTMENT,
                memo=reason,
                actor=f"admin:{admin_id}",
                tx=tx,
            )
            told: list[int] = []
            if not txn.replayed:
                change = f"+{format_money(amount, self._currency)} ({reason})"
                await self.log.record(
                    admin_id, "credit", "user", str(customer.id), before=before, after=change, tx=tx
                )
                told = await self._tell(tx, customer, amount, reason, key=key, credit=True)
        await self._outbox.send_now(told)
        return txn

    async def debit(
        self, admin_id: int, customer: Customer, amount: int, reason: str, *, key: str
    ) -> LedgerTransaction:
        """Money out of the wallet; raises InsufficientFunds rather than go below zero."""
        before = await self._available(customer.id)
        async with self._db.write() as tx:
            txn = await self._ledger.debit(
                customer.id, amount, key=key, memo=reason, actor=f"admin:{admin_id}", tx=tx
            )
            told: list[int] = []
            if not txn.replayed:
                change = f"-{format_money(amount, self._currency)} ({reason})"
                await self.log.record(
                    admin_id, "debit", "user", str(customer.id), before=before, after=change, tx=tx
                )
                told = await self._tell(tx, customer, amount, reason, key=key, credit=False)
        await self._outbox.send_now(told)
        return txn

    async def _tell(
        self,
        tx: Transaction,
        customer: Customer,
        amount: int,
        reason: str,
        *,
        key: str,
        credit: bool,
    ) -> list[int]:
        """The customer's news of an operator's credit or debit, in its transaction."""
        return await self._outbox.to_customer(
            tx,
            customer.id,
            Topic.ADJUSTMENT,
            str(customer.id),
            key=f"adjustment:{key}",
            body={"amount": amount, "reason": reason, "credit": credit},
        )

    async def set_banned(self, admin_id: int, customer: Customer, banned: bool) -> bool:
        """True if that changed anything."""
        if customer.banned == banned:
            return False
        await self._customers.set_banned(customer.id, banned)
        await self.log.record(
            admin_id,
            "ban" if banned else "unban",
            "user",
            str(customer.id),
            before=str(customer.banned),
            after=str(banned),
        )
        return True

    # -- prices --

    async def set_markup(self, admin_id: int, line: str, percent: str) -> tuple[Decimal, Decimal]:
        """The line's markup for new quotes; (before, after). Raises SettingRefused."""
        if line not in self.pricing.lines:
            known = ", ".join(self.pricing.lines)
            raise SettingRefused(f"no product line {line!r}; one of {known}")
        if parse_percent(percent, maximum=MAX_MARKUP) is None:
            raise SettingRefused(f"a markup is a percent from 0 to {MAX_MARKUP}, like 7.5")
        before = await self.pricing.retail_markup(line)
        await self._set(admin_id, markup_key(line), str(before), percent)
        return before, Decimal(percent)

    async def set_rate(
        self, admin_id: int, currency: str, rate: str
    ) -> tuple[Decimal | None, Decimal]:
        """Store currency per unit of `currency`, for new quotes; (before, after)."""
        currency = currency.upper()
        if not _CURRENCY.fullmatch(currency):
            raise SettingRefused("a currency is 3 to 5 letters, like TRX or VND")
        if not _RATE.fullmatch(rate) or Decimal(rate) == 0:
            raise SettingRefused("a rate is a number above zero, like 0.25")
        before = await self._settings.get(rate_key(currency))
        try:
            known: Decimal | None = await self.pricing.rate(currency)
        except PricingError:  # none yet: this sets the first
            known = None
        await self._set(admin_id, rate_key(currency), before or str(known), rate)
        return known, Decimal(rate)

    async def _set(self, admin_id: int, key: str, before: str, after: str) -> None:
        await self._settings.change(
            key, after, operator=admin_id, log=self.log, shown_before=before
        )
