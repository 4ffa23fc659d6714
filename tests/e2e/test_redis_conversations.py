"""Conversations in Redis (REDIS_URL), through the real bot process: a conversation started
through one bot process goes on through the next one, which shares only the Redis; and a shop that
adds Redis keeps the conversation its database held.

Both bot processes run one after the other: on SQLite one shop runs per database at a time (the
process lock), so the second one is given a database of its own, and only Redis carries the
conversation across. Each test writes under a key prefix of its own and deletes its keys.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from sandbox.telegram import ChatDriver
from tests.e2e.harness import Shop
from tests.servers import need_redis


@pytest_asyncio.fixture
async def redis_env() -> AsyncIterator[dict[str, str]]:
    url = need_redis()
    prefix = f"e2e-{uuid.uuid4().hex[:12]}"
    yield {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def _ask_support(customer: ChatDriver) -> None:
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("💬 Contact support")
    assert "Write your question" in (await customer.wait_for_bot()).text


async def _question_reaches_the_operators(shop: Shop, customer: ChatDriver, text: str) -> None:
    await customer.send(text)
    card = await shop.admin().wait_for_bot()
    assert text in card.text
    assert "went to the shop's operators" in (await customer.wait_for_bot()).text


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_conversation_goes_on_through_another_bot_process_on_the_same_redis(
    tmp_path: Path, redis_env: dict[str, str], webhook: bool
) -> None:
    shop = Shop(tmp_path, extra_env=dict(redis_env), webhook=webhook)
    await shop.start()
    try:
        customer = shop.customer("Linh")
        await _ask_support(customer)

        # Another process, another database: only Redis knows the conversation.
        assert shop.bot is not None
        await shop.bot.stop()
        shop._extra_env["DATABASE_PATH"] = str(tmp_path / "second.sqlite3")
        await shop.start_bot()

        await _question_reaches_the_operators(
            shop, customer, "asked on the first, sent on the second"
        )
        assert not await shop.db.fetch_all("SELECT key FROM conversation_state")
        assert shop.bot is not None and "Traceback" not in shop.bot.log
    finally:
        await shop.stop()


async def test_a_shop_adding_redis_keeps_the_conversation_its_database_held(
    own_shop: Shop, redis_env: dict[str, str]
) -> None:
    customer = own_shop.customer("Duc")
    await _ask_support(customer)
    assert len(await own_shop.db.fetch_all("SELECT key FROM conversation_state")) == 1

    own_shop._extra_env.update(redis_env)
    await own_shop.restart_bot()

    await _question_reaches_the_operators(own_shop, customer, "asked before Redis, sent after")
    assert not await own_shop.db.fetch_all("SELECT key FROM conversation_state")
    assert own_shop.bot is not None
    assert "moved 1 conversations from the database into Redis" in own_shop.bot.log
    assert "Traceback" not in own_shop.bot.log
