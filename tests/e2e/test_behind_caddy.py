"""The production shape of webhook mode: Telegram (the emulator) posts updates to Caddy, on the
shipped `deploy/Caddyfile`, which passes them on to the real bot process; KUMQUAT's callbacks take
the same way. Caddy runs as in `tests/test_deploy.py`: plain HTTP on a free loopback port for
SHOP_DOMAIN, the bot's port for `bot:8088`, loopback only and no admin endpoint."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from sandbox.server import free_port
from storage.orders import OrderStatus
from tests.e2e.flows import orders_of
from tests.e2e.harness import WEBHOOK_SECRET, Shop
from tests.e2e.test_topup import bought, callbacks_answered

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy not installed here")
async def test_a_webhook_shop_behind_caddy_serves_a_customer_and_takes_callbacks(
    tmp_path: Path,
) -> None:
    caddy_port = free_port()
    public = f"http://127.0.0.1:{caddy_port}"
    shop = Shop(tmp_path, {"PUBLIC_BASE_URL": public}, webhook=True)
    shop.topup.process_seconds = shop.topup.callback_delay = 0.02
    shipped = (ROOT / "deploy" / "Caddyfile").read_text("utf-8")
    config = tmp_path / "Caddyfile"
    config.write_text(
        "{\n\tadmin off\n\tdefault_bind 127.0.0.1\n}\n\n"
        + re.sub(r"reverse_proxy \S+", f"reverse_proxy 127.0.0.1:{shop.web_port}", shipped),
        "utf-8",
    )
    caddy = await asyncio.create_subprocess_exec(
        *("caddy", "run", "--config", str(config), "--adapter", "caddyfile"),
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "SHOP_DOMAIN": public,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await shop.start()
        account = shop.emulator.bot()
        assert account.webhook.url == f"{public}/telegram/webhook"

        alice = shop.customer("Alice")
        await alice.send("/start")
        assert "Welcome to the shop, Alice!" in (await alice.wait_for_bot()).text

        customer, order_id = await bought(shop, "+254771114118", "100 KES · 0.79 USDT")
        assert await orders_of(shop, customer.user_id) == [(order_id, OrderStatus.SUCCEEDED)]
        assert shop.topup.orders[order_id].callback_url == f"{public}/callbacks/kumquat"
        assert [c["answer"] for c in await callbacks_answered(shop, order_id)] == ["SUCCESS"]
        assert set(account.webhook.deliveries.values()) == {1}  # each update posted once
        await shop.check_ledger()
    finally:
        await shop.stop()
        caddy.terminate()
        _, errors = await caddy.communicate()
    log = errors.decode()
    assert '"uri":"/telegram/webhook"' in log and '"uri":"/callbacks/kumquat"' in log
    assert WEBHOOK_SECRET not in log
