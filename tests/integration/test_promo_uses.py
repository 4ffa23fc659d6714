"""A promo code's uses follow their orders' money, on SQLite and PostgreSQL: reserved with the
hold, given back when an order fails or is refunded, and the last use taken by exactly one of
two customers confirming at the same moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio

from bot.services.orders import ConfirmStatus, Discount
from bot.services.promos import PromoProblem, parse_terms
from storage.ledger import MARKETING, SALES
from storage.orders import Order, OrderStatus
from tests.integration.world import CloudShop, cloud_shop

USD = 1_000_000
ANN, BEN = 601, 602
OPERATOR = 7


class Shop(CloudShop):
    async def with_code(self, user: int, code: str, uid: str = "200000000000") -> Order:
        order = await self.quote(user, uid)
        discount = await self.world.promos.discount_for(code, order)
        assert isinstance(discount, Discount), discount
        discounted = await self.world.service.discounted(order, discount)
        assert discounted is not None
        return discounted

    async def new_code(self, terms: str, now: datetime | None = None) -> str:
        promo = parse_terms(terms, lines=["cloud", "energy"], by="admin:7", now=now)
        assert await self.world.promos.create(promo, OPERATOR)
        return promo.code

    async def account(self, code: str) -> int:
        return await self.world.ledger.account_balance(code)


@pytest_asyncio.fixture
async def shop(tmp_path: Path, backend: str) -> AsyncIterator[Shop]:
    balances = {ANN: 100 * USD, BEN: 100 * USD}
    async with cloud_shop(tmp_path, backend, balances=balances) as cloud:
        yield Shop(cloud.world, cloud.line)


async def test_the_last_use_goes_to_exactly_one_of_two_confirming_at_once(shop: Shop) -> None:
    code = await shop.new_code("LASTONE 10% uses=1")
    ann, ben = await shop.with_code(ANN, code), await shop.with_code(BEN, code)
    assert ann.charge == ben.charge == 9_450_000

    results = await asyncio.gather(
        shop.world.service.confirm(ann.id, ANN), shop.world.service.confirm(ben.id, BEN)
    )
    statuses = sorted(result.status.value for result in results)
    assert statuses == [ConfirmStatus.HELD.value, ConfirmStatus.REFUSED.value]
    [refused] = [result for result in results if result.status == ConfirmStatus.REFUSED]
    assert refused.refusal == PromoProblem.USED_UP
    loser = ANN if refused.order is not None and refused.order.user_id == ANN else BEN
    balance = await shop.world.ledger.balance(loser)
    assert (balance.available, balance.held) == (100 * USD, 0)  # nothing held for the loser


async def test_a_delivered_discount_is_paid_by_marketing_and_a_refund_gives_it_back(
    shop: Shop,
) -> None:
    code = await shop.new_code("BACKAGAIN 2.00")
    order = await shop.with_code(ANN, code)
    assert (await shop.world.service.confirm(order.id, ANN)).status == ConfirmStatus.HELD
    done = await shop.world.service.submit(order.id)
    assert done.status == OrderStatus.SUCCEEDED
    assert (await shop.account(SALES), await shop.account(MARKETING)) == (10_500_000, -2 * USD)
    assert [tally.uses for tally in await shop.world.promos.tallies()] == [1]

    refunded, _ = await shop.world.service.refund_by_operator(order.id, OPERATOR, "test")
    assert refunded == 8_500_000  # what she paid
    assert (await shop.account(SALES), await shop.account(MARKETING)) == (0, 0)
    assert (await shop.world.ledger.balance(ANN)).available == 100 * USD
    # The use no longer counts: she can take the code again.
    again = await shop.world.promos.discount_for(code, await shop.quote(ANN))
    assert again == Discount(code, 2 * USD)


async def test_a_failed_order_gives_its_use_back(shop: Shop) -> None:
    code = await shop.new_code("NOTUSED 1.00 uses=1")
    order = await shop.with_code(ANN, code, uid="200000000409")  # its recharge fails
    assert (await shop.world.service.confirm(order.id, ANN)).status == ConfirmStatus.HELD
    assert await shop.world.promos.discount_for(code, await shop.quote(BEN)) == (
        PromoProblem.USED_UP
    )
    failed = await shop.world.service.submit(order.id)
    assert failed.status == OrderStatus.FAILED
    assert await shop.account(MARKETING) == 0
    assert await shop.world.promos.discount_for(code, await shop.quote(BEN)) == Discount(code, USD)


async def test_an_expired_or_ended_code_takes_nothing_off(shop: Shop) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=3)
    expired = await shop.new_code("OLDCODE 5% days=1", now=long_ago)
    assert await shop.world.promos.discount_for(expired, await shop.quote(ANN)) == (
        PromoProblem.EXPIRED
    )
    ended = await shop.new_code("GONECODE 5%")
    order = await shop.with_code(ANN, ended)
    assert await shop.world.promos.end(ended, OPERATOR)
    confirmed = await shop.world.service.confirm(order.id, ANN)
    assert (confirmed.status, confirmed.refusal) == (ConfirmStatus.REFUSED, PromoProblem.ENDED)
    assert (await shop.world.ledger.balance(ANN)).held == 0
