"""What every upstream client promises, shown once for all of them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from providers.accounts_shop import AccountShopClient
from providers.acedata import AceDataClient
from providers.cloud import CloudChannel, CloudRechargeClient
from providers.energy import EnergyClient
from providers.kumquat import KumquatClient
from providers.outcomes import Outcome, Reply
from providers.trongrid import USDT_CONTRACT, TronGridClient
from sandbox import accounts_shop, acedata, cloud, energy, kumquat, trongrid
from tests.contract.conftest import FAST, NO_WAIT, closed_port_url, serving

SECRET = "a-long-secret-that-must-stay-secret"


@dataclass(frozen=True)
class Upstream:
    name: str
    simulator: Callable[[], Any]
    client: Callable[[str, str], Any]  # (base URL, secret) → client
    read: Callable[[Any], Awaitable[Reply[Any]]]  # a call the client may retry
    read_path: str


UPSTREAMS = [
    Upstream(
        "cloud",
        lambda: cloud.CloudSimulator(app_secret=SECRET),
        lambda base, secret: CloudRechargeClient(
            base, cloud.DEMO_APP_ID, secret, timeouts=FAST, retry=NO_WAIT
        ),
        lambda client: client.lookup_account(CloudChannel.TENCENT, "200000000000"),
        "/api/uid",
    ),
    Upstream(
        "energy",
        lambda: energy.EnergySimulator(api_secret=SECRET),
        lambda base, secret: EnergyClient(
            base, energy.DEMO_API_KEY, secret, timeouts=FAST, retry=NO_WAIT
        ),
        lambda client: client.balance(),
        "/v1/balance",
    ),
    Upstream(
        "account shop",
        lambda: accounts_shop.AccountShopSimulator(api_key=SECRET),
        lambda base, secret: AccountShopClient(base, secret, timeouts=FAST, retry=NO_WAIT),
        lambda client: client.buy(1, 1, "S-secret"),
        "/user/api/order.php",
    ),
    Upstream(
        "acedata",
        lambda: acedata.AceDataSimulator(token=SECRET),
        lambda base, secret: AceDataClient(base, secret, timeouts=FAST, retry=NO_WAIT),
        lambda client: client.services(),
        "/api/v1/services/",
    ),
    Upstream(
        "kumquat",
        lambda: kumquat.KumquatSimulator(sign_key=SECRET),
        lambda base, secret: KumquatClient(
            base, kumquat.DEMO_PARTNER, secret, timeouts=FAST, retry=NO_WAIT
        ),
        lambda client: client.balance(),
        "/api/code/2.0/balance",
    ),
    Upstream(
        "trongrid",
        lambda: trongrid.TronGridSimulator(api_key=SECRET),
        lambda base, secret: TronGridClient(base, secret, timeouts=FAST, retry=NO_WAIT),
        lambda client: client.incoming(trongrid.DEMO_DEPOSIT_ADDRESS, USDT_CONTRACT, 0),
        f"/v1/accounts/{trongrid.DEMO_DEPOSIT_ADDRESS}/transactions/trc20",
    ),
]


@pytest.mark.parametrize("upstream", UPSTREAMS, ids=lambda u: u.name)
async def test_a_closed_port_fails_fast_and_clearly(upstream: Upstream) -> None:
    client = upstream.client(closed_port_url(), SECRET)
    try:
        reply = await asyncio.wait_for(upstream.read(client), 5)
    finally:
        await client.close()
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, "unreachable")
    assert "unreachable" in reply.message


@pytest.mark.parametrize("upstream", UPSTREAMS, ids=lambda u: u.name)
async def test_reads_are_retried_and_the_secret_never_reaches_the_log(
    upstream: Upstream, caplog: pytest.LogCaptureFixture
) -> None:
    simulator = upstream.simulator()
    simulator.plan.add("5xx", path=upstream.read_path, times=2)
    async with serving(simulator) as base:
        client = upstream.client(base, SECRET)
        try:
            with caplog.at_level(logging.DEBUG):
                reply = await upstream.read(client)
        finally:
            await client.close()
    assert reply.outcome == Outcome.SUCCEEDED, reply
    assert "retrying" in caplog.text
    assert SECRET not in caplog.text
