"""Whom a targeted broadcast reaches, on SQLite and PostgreSQL: each part of a segment alone and
together, price groups by an operator's hand and by spend."""

from __future__ import annotations

from pathlib import Path

from storage.admin_log import AdminLog
from storage.broadcasts import Audience, BroadcastStore, GroupBand
from storage.ledger import Ledger
from storage.orders import OrderStatus, OrderStore
from storage.price_groups import PriceGroupStore
from storage.users import CustomerStore
from tests.databases import fresh_database

USD = 1_000_000
EN, ZH, ZH_BUYER, BANNED = 801, 802, 803, 804
LONG_AGO = "2020-01-01T00:00:00.000000Z"


async def test_each_part_of_a_segment_narrows_the_audience(tmp_path: Path, backend: str) -> None:
    async with fresh_database(backend, tmp_path) as db:
        customers, orders, ledger = CustomerStore(db), OrderStore(db), Ledger(db)
        for user, language in ((EN, "en"), (ZH, "zh"), (ZH_BUYER, "zh"), (BANNED, "zh")):
            await customers.register(user, username=None, first_name="C", language=language)
        await customers.set_banned(BANNED, True)
        await ledger.credit(ZH_BUYER, 100 * USD, key="deposit-buyer")
        await orders.create(
            "O1", user_id=ZH_BUYER, product="cloud", charge=60 * USD, status=OrderStatus.SUCCEEDED
        )
        async with db.write() as tx:
            await tx.execute("UPDATE users SET created_at = ? WHERE id = ?", (LONG_AGO, EN))
        groups = PriceGroupStore(db)
        await groups.ensure("vip", "admin:1")
        await groups.ensure("big", "admin:1")
        await groups.assign(EN, "vip", "admin:1")
        store = BroadcastStore(db, AdminLog(db))

        async def reached(audience: Audience) -> int:
            return await store.recipients(audience)

        assert await reached(Audience()) == 3  # never the banned one
        assert await reached(Audience(language="zh")) == 2
        assert await reached(Audience(bought="cloud")) == 1
        assert await reached(Audience(bought="energy")) == 0
        assert await reached(Audience(deposited=True)) == 1
        assert await reached(Audience(deposited=False, language="zh")) == 1
        assert await reached(Audience(inactive_since="2026-01-01T00:00:00.000000Z")) == 1
        since = "2000-01-01T00:00:00.000000Z"
        assert await reached(Audience(group=GroupBand("vip", None, None, since))) == 1
        # "big" takes customers from 50 spent: the buyer, not the ones put in vip by hand.
        assert await reached(Audience(group=GroupBand("big", 50 * USD, None, since))) == 1
        assert await reached(Audience(group=GroupBand("big", 70 * USD, None, since))) == 0
        retail = GroupBand("retail", 0, 50 * USD, since)  # under the lowest threshold
        assert await reached(Audience(group=retail)) == 1  # ZH, who spent nothing

        broadcast = await store.create(
            1, (-100, 1), (-100, 2), audience=Audience(language="zh"), described="language zh"
        )
        assert broadcast is not None and broadcast.audience == "language zh"
        assert sorted(await store.deliveries(broadcast.id)) == [ZH, ZH_BUYER]
