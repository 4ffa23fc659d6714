from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.databases import BACKENDS, postgres_schema
from tests.e2e.harness import Shop
from tests.e2e.secrets_watch import WATCH


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_any_log_to_the_end() -> Iterator[None]:
    """What the bots logged after the last test (the shared shop's shutdown) is read too."""
    yield
    leaks = WATCH.leaks()
    assert not leaks, "a secret reached the log:\n" + "\n".join(leaks)


@pytest.fixture(autouse=True)
def no_secret_in_any_log() -> Iterator[None]:
    """Every line any bot process logged during the test, the shared shop's included, holds
    none of the secrets it was configured with (see secrets_watch.py)."""
    yield
    leaks = WATCH.leaks()
    assert not leaks, "a secret reached the log:\n" + "\n".join(leaks)


@pytest_asyncio.fixture(scope="session")
async def shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shop]:
    """One running shop shared by the tests that do not restart it; each test brings new users."""
    running = Shop(tmp_path_factory.mktemp("shop"))
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def own_shop(tmp_path: Path) -> AsyncIterator[Shop]:
    """A shop of the test's own, for tests that restart or reconfigure it."""
    running = Shop(tmp_path)
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture(scope="session")
async def webhook_shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shop]:
    """One shop running on its webhook, shared like `shop`."""
    running = Shop(tmp_path_factory.mktemp("webhook-shop"), webhook=True)
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture
async def own_webhook_shop(tmp_path: Path) -> AsyncIterator[Shop]:
    """A shop of the test's own on its webhook, for tests that restart it."""
    running = Shop(tmp_path, webhook=True)
    await running.start()
    yield running
    await running.stop()


@pytest_asyncio.fixture(scope="session")
async def pg_shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shop]:
    """One running shop on PostgreSQL (a schema of its own on the test server), shared like
    `shop`; skipped, or failed under STOREFRONT_REQUIRE_SERVERS=1, without the server."""
    async with postgres_schema() as url:
        running = Shop(tmp_path_factory.mktemp("pg-shop"), database_url=url)
        await running.start()
        yield running
        await running.stop()


@pytest_asyncio.fixture
async def own_pg_shop(tmp_path: Path) -> AsyncIterator[Shop]:
    """A shop of the test's own on PostgreSQL, in a fresh schema, for tests that restart it."""
    async with postgres_schema() as url:
        running = Shop(tmp_path, database_url=url)
        await running.start()
        yield running
        await running.stop()


# The tests that must hold on both databases take `any_shop` (or `any_own_shop`) rather than
# `shop`: each runs twice, as [sqlite] on `shop` and as [postgresql] on `pg_shop`.
@pytest.fixture(params=BACKENDS)
def any_shop(request: pytest.FixtureRequest) -> Shop:
    """The shared shop on SQLite, then the shared one on PostgreSQL."""
    running: Shop = request.getfixturevalue("shop" if request.param == "sqlite" else "pg_shop")
    return running


@pytest.fixture(params=BACKENDS)
def any_own_shop(request: pytest.FixtureRequest) -> Shop:
    """A shop of the test's own on SQLite, then one on PostgreSQL."""
    name = "own_shop" if request.param == "sqlite" else "own_pg_shop"
    running: Shop = request.getfixturevalue(name)
    return running
