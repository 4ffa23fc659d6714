from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

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
