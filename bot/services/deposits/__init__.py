"""Money in: deposit requests, and crediting each payment exactly once.

Every payment is recorded under a reference (`usdt:<txid>`, `stars:<charge id>`) that is unique in
the payments table and is, as `deposit:<reference>`, the idempotency key of its ledger credit, in
the same transaction. Seeing a payment again, after a restart or from two paths at once, finds the
reference taken and credits nothing.

One module per concern, all writing through `books.DepositBooks`: `usdt` (requests, transfers
and claims), `stars` (requests and payments), `stars_refunds` (giving a Stars payment back),
`decisions` (the operators' word on a payment no request explains) and `requests` (a request's
end unpaid). `Deposits` builds them together over one database, ledger, admin log and outbox.
"""

from __future__ import annotations

from decimal import Decimal

from bot.services.deposits.books import DepositBooks
from bot.services.deposits.decisions import PaymentDecisions
from bot.services.deposits.requests import DepositRequests
from bot.services.deposits.stars import DEFAULT_STARS_RATE, StarsPayments
from bot.services.deposits.stars_refunds import StarsRefunds
from bot.services.deposits.usdt import UsdtDeposits
from bot.services.money import STORE_CURRENCY
from bot.services.telegram_stars import TelegramStars


class Deposits:
    """The shop's deposit services, one per concern, sharing their books."""

    def __init__(
        self,
        books: DepositBooks,
        telegram: TelegramStars,
        *,
        stars_rate: Decimal = DEFAULT_STARS_RATE,
        currency: str = STORE_CURRENCY,
    ) -> None:
        self.store = books.store
        self.request_ttl = books.request_ttl
        self.requests = DepositRequests(books)
        self.usdt = UsdtDeposits(books)
        self.stars = StarsPayments(books, stars_rate=stars_rate, currency=currency)
        self.refunds = StarsRefunds(books, telegram)
        self.decisions = PaymentDecisions(books)
