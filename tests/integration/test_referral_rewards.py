"""Referral rewards follow a referred customer's orders, on SQLite and PostgreSQL: earned on
delivery as the line's terms say, voided by a refund before they are paid, paid once however
many processes release them at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from bot.services.news import Topic
from bot.services.orders import ConfirmStatus
from storage.ledger import MARKETING
from storage.orders import Order, OrderStatus
from tests.integration.world import CloudShop, cloud_shop

USD = 1_000_000
REFERRER, FRIEND = 701, 702
OPERATOR = 7


class Shop(CloudShop):
    async def bought(self, user: int, uid: str = "200000000000") -> Order:
        order = await self.quote(user, uid)
        assert (await self.world.service.confirm(order.id, user)).status == ConfirmStatus.HELD
        return await self.world.service.submit(order.id)


@pytest_asyncio.fixture
async def shop(tmp_path: Path, backend: str) -> AsyncIterator[Shop]:
    balances = {REFERRER: USD, FRIEND: 100 * USD}
    async with cloud_shop(tmp_path, backend, balances=balances) as cloud:
        referrals = cloud.world.referrals
        code = await referrals.code_for(REFERRER)
        assert await referrals.join(FRIEND, f"r_{code}")
        yield Shop(cloud.world, cloud.line)


async def test_a_share_of_the_margin_is_paid_once_settled(shop: Shop) -> None:
    referrals = shop.world.referrals
    await referrals.set_terms(OPERATOR, "cloud", "20", "margin")
    await referrals.set_settling(OPERATOR, "0")
    order = await shop.bought(FRIEND)
    assert order.status == OrderStatus.SUCCEEDED
    # 10.50 paid for 10.00 of upstream cost: 0.50 of margin, 20 % of it.
    assert (await referrals.standing(REFERRER)).pending == 100_000

    # Three processes release at once: it is paid once.
    paid = await asyncio.gather(*(referrals.release_due() for _ in range(3)))
    assert sum(paid) == 1
    assert await shop.wallet(REFERRER) == USD + 100_000
    assert await shop.world.ledger.account_balance(MARKETING) == -100_000
    standing = await referrals.standing(REFERRER)
    assert (standing.joined, standing.released, standing.pending) == (1, 100_000, 0)
    assert len(await shop.world.heard.told_of(Topic.REFERRAL_REWARD)) == 1  # told once


async def test_a_refund_before_settling_voids_the_reward(shop: Shop) -> None:
    referrals = shop.world.referrals
    await referrals.set_terms(OPERATOR, "cloud", "10", "amount")
    await referrals.set_settling(OPERATOR, "24")
    order = await shop.bought(FRIEND)
    assert (await referrals.standing(REFERRER)).pending == 1_050_000
    await shop.world.service.refund_by_operator(order.id, OPERATOR, "changed their mind")
    await referrals.set_settling(OPERATOR, "0")
    assert await referrals.release_due() == 0
    standing = await referrals.standing(REFERRER)
    assert (standing.released, standing.pending) == (0, 0)
    assert await shop.wallet(REFERRER) == USD


async def test_no_terms_and_a_failed_order_earn_nothing(shop: Shop) -> None:
    referrals = shop.world.referrals
    await shop.bought(FRIEND)  # no terms set: nothing
    await referrals.set_terms(OPERATOR, "cloud", "10", "amount")
    failed = await shop.bought(FRIEND, uid="200000000409")
    assert failed.status == OrderStatus.FAILED
    assert (await referrals.standing(REFERRER)).pending == 0
    # The referrer is set once: another code changes nothing.
    assert not await referrals.join(FRIEND, f"r_{await referrals.code_for(FRIEND)}")
