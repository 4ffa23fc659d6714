"""`/healthz` and `/readyz` of the real bot process, as a supervisor asks them."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.flows import new_customer
from tests.e2e.harness import Shop

CHECKS = ["database", "migrations", "telegram", "scheduler"]


async def ask(shop: Shop, path: str) -> tuple[int, dict[str, Any]]:
    url = f"http://127.0.0.1:{shop.web_port}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.json()


async def readiness_turns(shop: Shop, status: int) -> dict[str, Any]:
    """/readyz asked as a supervisor does, once or twice a second, until it answers `status`
    (a result stands for a second); its last answer."""
    for _ in range(40):
        answered, body = await ask(shop, "/readyz")
        if answered == status:
            return body
        await asyncio.sleep(0.25)
    raise AssertionError(f"/readyz still answers {answered}, not {status}: {body}")


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """The file made immutable (`chattr +i`): nobody may open it for writing, root included
    (`chmod` does not stop root). Undone however the test ends."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_a_running_shop_is_alive_and_ready(shop: Shop) -> None:
    assert await ask(shop, "/healthz") == (200, {"alive": True})
    status, body = await ask(shop, "/readyz")
    assert status == 200, body
    assert body["ready"] is True
    assert list(body["checks"]) == CHECKS
    assert all(check["ok"] for check in body["checks"].values()), body
    assert body["checks"]["database"]["detail"] == "takes a write"
    assert body["checks"]["scheduler"]["detail"] == "running"


async def test_ready_turns_503_while_the_database_file_is_read_only_and_back(
    own_shop: Shop,
) -> None:
    await readiness_turns(own_shop, 200)

    with immutable(own_shop.db_path):
        body = await readiness_turns(own_shop, 503)
        assert body["ready"] is False
        database = body["checks"]["database"]
        assert database["ok"] is False
        assert "read-only or immutable" in database["detail"]
        assert str(own_shop.db_path) not in database["detail"]  # no path on a public page
        assert body["checks"]["telegram"]["ok"] and body["checks"]["scheduler"]["ok"]
        # Still alive: the supervisor should not restart it for this, an operator must act.
        assert await ask(own_shop, "/healthz") == (200, {"alive": True})

    body = await readiness_turns(own_shop, 200)
    assert body["checks"]["database"] == {"ok": True, "detail": "takes a write"}
    # and the shop goes on serving: a new customer's /start is answered and recorded
    customer = await new_customer(own_shop, 0)
    assert customer.bot_messages
    assert await own_shop.customers.get(customer.user_id) is not None
    await own_shop.check_ledger()
