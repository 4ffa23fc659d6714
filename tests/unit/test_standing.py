"""Where the books stand, as `/metrics` reads them on each scrape: orders by line and status, the
open holds, what customers can spend, and the deposits credited by method; and the figures
`/metrics` shows of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.wiring.metrics import standing_families
from storage.database import as_stored, utc_now
from storage.deposits import DepositStore, Method, PaymentStatus
from storage.figures import DepositsCredited, OrderCount, Standing, StandingStore
from storage.orders import OrderStatus
from tests.unit.conftest import Books

USDT = 1_000_000


async def test_the_standing_of_the_books(books: Books) -> None:
    empty = await StandingStore(books.db).now()
    assert (empty.orders, empty.open_holds, empty.held, empty.wallets, empty.deposits) == (
        [],
        0,
        0,
        0,
        [],
    )
    assert empty.oldest_open_hold is None

    ann, bob = await books.customer(1), await books.customer(2)
    await books.ledger.credit(ann, 10 * USDT, key="in:ann")
    await books.ledger.credit(bob, 5 * USDT, key="in:bob")
    for order_id, user, product, status in (
        ("o-sold", ann, "cloud", OrderStatus.SUBMITTED),
        ("o-held", ann, "cloud", OrderStatus.SUBMITTED),
        ("o-review", bob, "energy", OrderStatus.NEEDS_REVIEW),
        ("o-quote", bob, "energy", OrderStatus.QUOTED),
    ):
        await books.orders.create(order_id, user_id=user, product=product, charge=0, status=status)
    sold = await books.ledger.hold(ann, 3 * USDT, order_id="o-sold")
    await books.ledger.post(sold.id)
    await books.orders.move("o-sold", OrderStatus.SUBMITTED, OrderStatus.SUCCEEDED, reason="done")
    first_hold = await books.ledger.hold(ann, 2 * USDT, order_id="o-held")
    await books.ledger.hold(bob, 1_500_000, order_id="o-review")

    deposits = DepositStore(books.db)
    now = utc_now()
    async with books.db.write() as tx:
        for reference, method, paid_status, credited in (
            ("usdt:a", Method.USDT, PaymentStatus.CREDITED, 4 * USDT),
            ("usdt:b", Method.USDT, PaymentStatus.CREDITED, 1 * USDT),
            ("stars:c", Method.STARS, PaymentStatus.REFUNDED, 650_000),  # credited, then refunded
            ("usdt:d", Method.USDT, PaymentStatus.UNMATCHED, None),  # nobody's yet: not credited
        ):
            payment = await deposits.insert_payment(
                tx,
                reference=reference,
                method=method,
                paid=1,
                status=paid_status,
                paid_at=now,
                now=now,
            )
            if credited is not None:
                await deposits.settle_payment(tx, payment, paid_status, now, credited=credited)

    standing = await StandingStore(books.db).now()

    assert standing.orders == [
        OrderCount("cloud", "submitted", 1, standing.orders[0].oldest_change),
        OrderCount("cloud", "succeeded", 1, standing.orders[1].oldest_change),
        OrderCount("energy", "needs_review", 1, standing.orders[2].oldest_change),
        OrderCount("energy", "quoted", 1, standing.orders[3].oldest_change),
    ]
    assert (standing.open_holds, standing.held) == (2, 3_500_000)
    stored_hold = await books.db.fetch_value(
        "SELECT created_at FROM ledger_holds WHERE id = ?", (first_hold.id,)
    )
    assert standing.oldest_open_hold == stored_hold
    # Ann: 10 in, 3 sold, 2 held; Bob: 5 in, 1.5 held.
    assert standing.wallets == (10 - 3 - 2) * USDT + 5 * USDT - 1_500_000
    assert standing.deposits == [
        DepositsCredited("stars", 1, 650_000),
        DepositsCredited("usdt", 2, 5 * USDT),
    ]


def test_the_figures_in_the_shop_s_currency_with_the_backlog_and_the_review_queue() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def ago(seconds: int) -> str:
        return as_stored(now - timedelta(seconds=seconds))

    standing = Standing(
        orders=[
            OrderCount("cloud", "confirmed", 1, ago(100)),
            OrderCount("cloud", "succeeded", 5, ago(9000)),
            OrderCount("cloud", "unknown", 2, ago(300)),
            OrderCount("energy", "needs_review", 3, ago(7200)),
            OrderCount("energy", "submitted", 1, ago(20)),
        ],
        open_holds=2,
        held=3_500_000,
        oldest_open_hold=ago(60),
        wallets=12_340_000,
        deposits=[DepositsCredited("usdt", 2, 5 * USDT)],
    )
    shown = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in standing_families(standing, "USDT", now).values()
        for sample in family.samples
    }

    assert shown[("storefront_orders", (("line", "cloud"), ("status", "succeeded")))] == 5
    assert shown[("storefront_orders", (("line", "energy"), ("status", "needs_review")))] == 3
    assert shown[("storefront_reconciliation_backlog", ())] == 4  # confirmed, unknown, submitted
    assert shown[("storefront_reconciliation_oldest_age_seconds", ())] == 300
    assert shown[("storefront_review_queue", ())] == 3
    assert shown[("storefront_review_oldest_age_seconds", ())] == 7200
    assert shown[("storefront_open_holds", ())] == 2
    assert shown[("storefront_open_holds_amount", ())] == 3.5
    assert shown[("storefront_open_hold_oldest_age_seconds", ())] == 60
    assert shown[("storefront_customer_balances", ())] == 12.34
    assert shown[("storefront_deposits_credited_total", (("method", "usdt"),))] == 2
    assert shown[("storefront_deposits_credited_amount_total", (("method", "usdt"),))] == 5.0

    nothing = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in standing_families(Standing(), "USDT", now).values()
        for sample in family.samples
    }
    assert nothing[("storefront_reconciliation_oldest_age_seconds", ())] == 0
    assert nothing[("storefront_review_queue", ())] == 0
    assert nothing[("storefront_open_hold_oldest_age_seconds", ())] == 0
