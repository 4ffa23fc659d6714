"""The ledger's invariants, checked against what is stored (`python -m bot check`)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database, Dialect, Reads, as_dict
from storage.orders import TERMINAL_STATUSES


@dataclass(frozen=True)
class AuditReport:
    transactions: int
    accounts: int
    open_holds: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


_TERMINAL = ", ".join(f"'{status.value}'" for status in sorted(TERMINAL_STATUSES))

# Each check: a query whose every row is a broken invariant, and how to describe that row.
_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "SELECT t.id, t.idempotency_key, COALESCE(SUM(e.amount), 0) AS total, COUNT(e.id) AS n"
        " FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id"
        " GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) != 0 OR COUNT(e.id) < 2",
        "transaction {id} ({idempotency_key}) has {n} entries summing to {total}, not zero",
    ),
    (
        "SELECT a.code, a.balance, COALESCE(SUM(e.amount), 0) AS total"
        " FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id"
        " GROUP BY a.id HAVING a.balance != COALESCE(SUM(e.amount), 0)",
        "account {code} caches balance {balance} but its entries sum to {total}",
    ),
    (
        "SELECT code, balance FROM ledger_accounts WHERE may_go_negative = 0 AND balance < 0",
        "account {code} is negative: {balance}",
    ),
    (
        "SELECT a.code, a.balance, COALESCE(h.total, 0) AS pending FROM ledger_accounts a"
        " LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM ledger_holds"
        "            WHERE status = 'pending' GROUP BY user_id) h ON h.user_id = a.user_id"
        " WHERE a.code LIKE 'customer:%:held' AND a.balance != COALESCE(h.total, 0)",
        "account {code} holds {balance} but the customer's pending holds total {pending}",
    ),
    (
        "SELECT h.id, h.order_id, COALESCE(o.status, 'missing') AS status FROM ledger_holds h"
        " LEFT JOIN orders o ON o.id = h.order_id"
        f" WHERE h.status = 'pending' AND (o.id IS NULL OR o.status IN ({_TERMINAL}))",
        "hold {id} is still open but its order {order_id} is {status}",
    ),
    (
        "SELECT h.id, h.status FROM ledger_holds h"
        " LEFT JOIN ledger_transactions t ON t.id = h.settle_transaction_id"
        " WHERE (h.status = 'pending') != (h.settle_transaction_id IS NULL)"
        "    OR (h.status = 'posted' AND t.kind != 'post')"
        "    OR (h.status = 'voided' AND t.kind != 'void')",
        "hold {id} is {status} but its settling transaction does not match",
    ),
    (
        # Every credited payment is one deposit into its customer's wallet, of what it credited.
        "SELECT p.id, p.reference, p.credited, COALESCE(SUM(e.amount), 0) AS booked"
        " FROM payments p"
        " LEFT JOIN ledger_transactions t"
        "   ON t.idempotency_key = 'deposit:' || p.reference AND t.kind = 'deposit'"
        " LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id ="
        "   (SELECT id FROM ledger_accounts WHERE code = 'customer:' || p.user_id || ':wallet')"
        " WHERE p.status IN ('credited', 'refunding', 'refunded')"
        " GROUP BY p.id HAVING COALESCE(SUM(e.amount), 0) != COALESCE(p.credited, -1)",
        "payment {id} ({reference}) credited {credited} but the ledger has {booked}",
    ),
    (
        # And every deposit booked for a payment belongs to a payment that was credited.
        "SELECT t.id, t.idempotency_key FROM ledger_transactions t"
        " LEFT JOIN payments p ON 'deposit:' || p.reference = t.idempotency_key"
        " WHERE t.idempotency_key LIKE 'deposit:%'"
        "   AND (p.id IS NULL OR p.status NOT IN ('credited', 'refunding', 'refunded'))",
        "deposit transaction {id} ({idempotency_key}) has no credited payment",
    ),
    (
        # A refunded payment (or one being refunded) took back from the wallet exactly what it
        # credited; any other payment took nothing back (a refused refund was credited again).
        # Its refund transactions are keyed `deposit-refund:<payment id>:...`.
        "SELECT p.id, p.status, -COALESCE(SUM(e.amount), 0) AS taken,"
        " CASE WHEN p.status IN ('refunding', 'refunded') THEN p.credited ELSE 0 END AS expected"
        " FROM payments p"
        " LEFT JOIN ledger_transactions t"
        "   ON t.idempotency_key >= 'deposit-refund:' || p.id || ':'"
        "  AND t.idempotency_key < 'deposit-refund:' || p.id || ';'"
        " LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id ="
        "   (SELECT id FROM ledger_accounts WHERE code = 'customer:' || p.user_id || ':wallet')"
        " GROUP BY p.id HAVING -COALESCE(SUM(e.amount), 0) !="
        " CASE WHEN p.status IN ('refunding', 'refunded') THEN p.credited ELSE 0 END",
        "payment {id} is {status} and its refunds took {taken} from the wallet, not {expected}",
    ),
    (
        # And every refund of a deposit names a payment of that customer.
        "SELECT t.id, t.idempotency_key FROM ledger_transactions t"
        " LEFT JOIN payments p ON t.idempotency_key LIKE 'deposit-refund:%'"
        "  AND p.id = CAST(substr(t.idempotency_key, 16,"
        "                         {position} - 1) AS INTEGER)"
        "  AND p.user_id = t.user_id"
        " WHERE t.kind IN ('deposit_refund', 'deposit_refund_cancelled') AND p.id IS NULL",
        "deposit refund transaction {id} ({idempotency_key}) names no payment of its customer",
    ),
    (
        # A promo use on an order: reserved, nothing paid yet; used, marketing paid its discount
        # to sales (`order:<id>:discount`); released, nothing paid, or all of it given back.
        "SELECT * FROM (SELECT u.id, u.code, u.order_id, u.status, u.amount,"
        + "".join(
            f" COALESCE((SELECT SUM(e.amount) FROM ledger_transactions t"
            f"  JOIN ledger_entries e ON e.transaction_id = t.id"
            f"  JOIN ledger_accounts a ON a.id = e.account_id"
            f"  WHERE t.idempotency_key = 'order:' || u.order_id || ':{key}'"
            f"  AND a.code = 'shop:marketing'), 0) AS {name}{comma}"
            for key, name, comma in (("discount", "paid", ","), ("discount-returned", "back", ""))
        )
        + " FROM promo_uses u WHERE u.order_id IS NOT NULL) x"
        " WHERE NOT ((x.status = 'reserved' AND x.paid = 0 AND x.back = 0)"
        "         OR (x.status = 'used' AND x.paid = -x.amount)"
        "         OR (x.status = 'released' AND x.paid + x.back = 0))",
        "promo use {id} of {code} on order {order_id} is {status} ({amount}) but marketing"
        " paid {paid} and got back {back}",
    ),
    (
        # A promo gift is one credit of its amount from marketing to its customer's wallet.
        "SELECT u.id, u.code, u.amount, COALESCE(SUM(e.amount), 0) AS booked FROM promo_uses u"
        " LEFT JOIN ledger_transactions t"
        "   ON t.idempotency_key = 'promo:' || u.code || ':gift:' || u.id AND t.kind = 'gift'"
        " LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id ="
        "   (SELECT id FROM ledger_accounts WHERE code = 'customer:' || u.user_id || ':wallet')"
        " WHERE u.order_id IS NULL GROUP BY u.id HAVING COALESCE(SUM(e.amount), 0) != u.amount",
        "promo gift {id} of {code} is {amount} but the wallet got {booked}",
    ),
    (
        # A referral reward released is one credit of its amount to the referrer's wallet; one
        # pending or voided has none.
        "SELECT r.id, r.order_id, r.status, r.amount, COALESCE(SUM(e.amount), 0) AS booked"
        " FROM referral_rewards r"
        " LEFT JOIN ledger_transactions t"
        "   ON t.idempotency_key = 'referral:' || r.order_id AND t.kind = 'referral_reward'"
        " LEFT JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id ="
        "   (SELECT id FROM ledger_accounts WHERE code = 'customer:' || r.referrer_id || ':wallet')"
        " GROUP BY r.id HAVING COALESCE(SUM(e.amount), 0) !="
        " CASE WHEN r.status = 'released' THEN r.amount ELSE 0 END",
        "referral reward {id} for order {order_id} is {status} ({amount}) but the wallet got"
        " {booked}",
    ),
)


async def audit_ledger(db: Database) -> AuditReport:
    """Run every check inside one read transaction, so they all see the same moment."""
    async with db.snapshot() as reads:
        return await audit_reads(reads, db.dialect)


async def audit_reads(reads: Reads, dialect: Dialect) -> AuditReport:
    """The checks, through reads that already see one moment (a snapshot a backup dumps)."""
    problems: list[str] = []
    for sql, description in _checks(dialect):
        for row in await reads.fetch_all(sql):
            problems.append(description.format(**as_dict(row)))
    counts = [
        int(await reads.fetch_value(sql) or 0)
        for sql in (
            "SELECT COUNT(*) FROM ledger_transactions",
            "SELECT COUNT(*) FROM ledger_accounts",
            "SELECT COUNT(*) FROM ledger_holds WHERE status = 'pending'",
        )
    ]
    return AuditReport(counts[0], counts[1], counts[2], problems)


def _checks(dialect: Dialect) -> list[tuple[str, str]]:
    colon = dialect.position("':'", "substr(t.idempotency_key, 16)")
    return [(sql.replace("{position}", colon), description) for sql, description in _CHECKS]
