"""The shop's figures over a period, read from the orders and the ledger (for /stats)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from storage.database import Database
from storage.ledger import DEPOSITS, MARKETING, SALES, Kind


@dataclass
class LineFigures:
    placed: int = 0  # orders confirmed in the period (quotes nobody confirmed are none)
    succeeded: int = 0
    revenue: int = 0  # net sales in the ledger: posted charges less refunds, micro-units
    cost: int = 0  # what the delivered orders cost upstream, at the shop's rate when quoted


@dataclass
class Figures:
    lines: dict[str, LineFigures] = field(default_factory=dict)
    new_customers: int = 0
    deposits: int = 0  # micro-units into wallets as deposits
    deposit_count: int = 0
    deposit_refunds: int = 0  # micro-units of deposits paid back to their payers (Stars refunds)
    deposit_refund_count: int = 0
    # What marketing cost (micro-units, out of `shop:marketing`): promo discounts on delivered
    # orders less those given back with a refund, promo gifts to balances, referral rewards.
    discounts: int = 0
    discount_count: int = 0  # delivered orders with a discount
    gifts: int = 0
    gift_count: int = 0
    referral_rewards: int = 0  # paid to referrers
    referral_reward_count: int = 0

    @property
    def marketing(self) -> int:
        return self.discounts + self.gifts + self.referral_rewards


class FigureStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def since(self, moment: str) -> Figures:
        """Everything that happened at or after `moment` (ISO-8601 UTC, as stored)."""
        figures = Figures()

        def line(product: str) -> LineFigures:
            return figures.lines.setdefault(product, LineFigures())

        for row in await self._db.fetch_all(
            "SELECT product, COUNT(*) AS placed,"
            " SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS succeeded"
            " FROM orders WHERE created_at >= ? AND status NOT IN ('quoted', 'cancelled')"
            " GROUP BY product",
            (moment,),
        ):
            line(row["product"]).placed = row["placed"]
            line(row["product"]).succeeded = row["succeeded"]
        for row in await self._db.fetch_all(
            "SELECT o.product, SUM(e.amount) AS revenue FROM ledger_entries e"
            " JOIN ledger_accounts a ON a.id = e.account_id"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " JOIN orders o ON o.id = t.order_id"
            " WHERE a.code = ? AND t.created_at >= ? GROUP BY o.product",
            (SALES, moment),
        ):
            line(row["product"]).revenue = row["revenue"]
        for row in await self._db.fetch_all(
            "SELECT o.product, o.upstream_cost, "
            + self._db.dialect.json_field("o.details", "store_rate")
            + " AS rate"
            " FROM ledger_transactions t JOIN orders o ON o.id = t.order_id"
            " WHERE t.kind = 'post' AND t.created_at >= ? AND o.upstream_cost IS NOT NULL",
            (moment,),
        ):
            rate = Decimal(str(row["rate"])) if row["rate"] is not None else Decimal(0)
            line(row["product"]).cost += int(Decimal(row["upstream_cost"]) * rate)
        customers = await self._db.fetch_value(
            "SELECT COUNT(*) FROM users WHERE created_at >= ?", (moment,)
        )
        figures.new_customers = int(customers or 0)
        # `shop:deposits` mirrors money in (deposits) and money paid back (refunds of deposits,
        # less the refunds Telegram refused, whose money came back).
        deposits = await self._db.fetch_one(
            "SELECT COALESCE(SUM(CASE WHEN t.kind = 'deposit' THEN 1 ELSE 0 END), 0) AS count,"
            " COALESCE(-SUM(CASE WHEN t.kind = 'deposit' THEN e.amount END), 0) AS total,"
            " COALESCE(SUM(CASE WHEN t.kind = 'deposit_refund' THEN 1 ELSE 0 END)"
            "          - SUM(CASE WHEN t.kind = 'deposit_refund_cancelled' THEN 1 ELSE 0 END),"
            "          0) AS refund_count,"
            " COALESCE(SUM(CASE WHEN t.kind != 'deposit' THEN e.amount END), 0) AS refunds"
            " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " WHERE a.code = ? AND t.created_at >= ?",
            (DEPOSITS, moment),
        )
        if deposits is not None:
            figures.deposit_count, figures.deposits = deposits["count"], deposits["total"]
            figures.deposit_refund_count = deposits["refund_count"]
            figures.deposit_refunds = deposits["refunds"]
        for row in await self._db.fetch_all(
            "SELECT t.kind, COUNT(*) AS count, COALESCE(-SUM(e.amount), 0) AS spent"
            " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
            " JOIN ledger_transactions t ON t.id = e.transaction_id"
            " WHERE a.code = ? AND t.created_at >= ? GROUP BY t.kind",
            (MARKETING, moment),
        ):
            match row["kind"]:
                case Kind.DISCOUNT:
                    figures.discounts += row["spent"]
                    figures.discount_count += row["count"]
                case Kind.DISCOUNT_RETURNED:
                    figures.discounts += row["spent"]
                case Kind.GIFT:
                    figures.gifts += row["spent"]
                    figures.gift_count += row["count"]
                case Kind.REFERRAL_REWARD:
                    figures.referral_rewards += row["spent"]
                    figures.referral_reward_count += row["count"]
        return figures


@dataclass(frozen=True)
class OrderCount:
    product: str
    status: str
    count: int
    oldest_change: str  # when the longest-unchanged of them last changed (as stored)


@dataclass(frozen=True)
class DepositsCredited:
    method: str
    count: int
    amount: int  # micro-units credited to wallets (refunded ones included: they were credited)


@dataclass
class Standing:
    """Where the books stand now (the figures Prometheus reads on each scrape)."""

    orders: list[OrderCount] = field(default_factory=list)
    open_holds: int = 0
    held: int = 0  # micro-units set aside by the open holds
    oldest_open_hold: str | None = None  # when the oldest open hold was placed (as stored)
    wallets: int = 0  # micro-units customers can spend: what the shop owes them
    deposits: list[DepositsCredited] = field(default_factory=list)


class StandingStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def now(self) -> Standing:
        standing = Standing()
        standing.orders = [
            OrderCount(row["product"], row["status"], row["count"], row["oldest"])
            for row in await self._db.fetch_all(
                "SELECT product, status, COUNT(*) AS count, MIN(updated_at) AS oldest"
                " FROM orders GROUP BY product, status ORDER BY product, status"
            )
        ]
        holds = await self._db.fetch_one(
            "SELECT COUNT(*) AS count, COALESCE(SUM(amount), 0) AS held,"
            " MIN(created_at) AS oldest FROM ledger_holds WHERE status = 'pending'"
        )
        if holds is not None:
            standing.open_holds, standing.held = holds["count"], holds["held"]
            standing.oldest_open_hold = holds["oldest"]
        standing.wallets = int(
            await self._db.fetch_value(
                "SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts"
                " WHERE code LIKE 'customer:%:wallet'"
            )
            or 0
        )
        standing.deposits = [
            DepositsCredited(row["method"], row["count"], row["amount"])
            for row in await self._db.fetch_all(
                "SELECT method, COUNT(*) AS count, SUM(credited) AS amount FROM payments"
                " WHERE credited IS NOT NULL GROUP BY method ORDER BY method"
            )
        ]
        return standing
