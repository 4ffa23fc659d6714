"""The shop on PostgreSQL (`DATABASE_URL`), end to end: it keeps everything there, none of it in a
SQLite file, and the operator's commands read it.

The flows themselves run on both databases where they are written: the tests that take `any_shop`
or `any_own_shop` (a purchase on each product line, USDT and Stars deposits, an operator's refund
and credit, a refund two operators press at once, a purchase killed midway) run once on SQLite and
once on PostgreSQL.
"""

from __future__ import annotations

from storage.postgres import describe_url
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, wallet_of
from tests.e2e.harness import Shop
from tests.servers import POSTGRES_URL


async def test_the_shop_keeps_its_customers_and_orders_in_postgresql(pg_shop: Shop) -> None:
    cleo, _ = await cloud_confirmation(pg_shop, 20 * USDT)
    await cleo.press(CONFIRM)
    await cleo.wait_until(lambda m: "Done!" in m.text)

    assert not pg_shop.db_path.exists()  # nothing went to the SQLite default
    assert pg_shop.db.is_server
    assert await wallet_of(pg_shop, cleo) == (9_500_000, 0)
    orders = await pg_shop.db.fetch_value(
        "SELECT count(*) FROM orders WHERE user_id = ? AND status = 'succeeded'", (cleo.user_id,)
    )
    assert orders == 1

    code, migrated = await pg_shop.run_command("migrate")
    assert code == 0, migrated
    assert f"database {describe_url(POSTGRES_URL)} is at schema version" in migrated
    assert "ledger OK" in await pg_shop.check_ledger()
