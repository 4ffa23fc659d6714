"""The database and cache servers some tests need: PostgreSQL and Redis on 127.0.0.1.

A machine without them (a contributor's laptop) still passes `make test`: those tests are skipped
and say which server was missing. CI sets `STOREFRONT_REQUIRE_SERVERS=1`, and there a missing
server fails the test instead, so a skipped backend can never pass for a tested one.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from urllib.parse import urlsplit

import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVERS = "STOREFRONT_REQUIRE_SERVERS"


@cache
def _listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return True
    except OSError:
        return False


def _missing(name: str, url: str) -> None:
    reason = f"{name} is not running at {urlsplit(url).netloc} (set TEST_{name.upper()}_URL)"
    if os.environ.get(REQUIRE_SERVERS) == "1":
        pytest.fail(f"{reason}; {REQUIRE_SERVERS}=1 requires it", pytrace=False)
    pytest.skip(reason)


def need_postgres() -> str:
    """The test PostgreSQL's URL, or skip (fail under STOREFRONT_REQUIRE_SERVERS=1)."""
    if not _listening(POSTGRES_URL):
        _missing("postgres", POSTGRES_URL)
    return POSTGRES_URL


def need_redis() -> str:
    """The test Redis's URL, or skip (fail under STOREFRONT_REQUIRE_SERVERS=1)."""
    if not _listening(REDIS_URL):
        _missing("redis", REDIS_URL)
    return REDIS_URL


def need_program(name: str, found: bool, installed_by: str) -> None:
    """Skip (fail under STOREFRONT_REQUIRE_SERVERS=1) when a program a test drives is missing."""
    if not found:
        reason = f"{name} is not installed here ({installed_by})"
        if os.environ.get(REQUIRE_SERVERS) == "1":
            pytest.fail(f"{reason}; {REQUIRE_SERVERS}=1 requires it", pytrace=False)
        pytest.skip(reason)
