"""Each line's health check against its simulator over real HTTP: an upstream that answers (with
its balance where the API has one), one that refuses the shop's credentials, one that is not there,
one that answers with a gateway's error page, and the check bounded by UPSTREAM_TIMEOUT_SECONDS."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.services.config import Settings, load_settings
from bot.services.lines import build_lines
from bot.services.lines.base import Line, LineSetup, UpstreamHealth
from bot.services.lines.registry import default_markups
from bot.services.pricing import Pricing
from bot.services.upstreams import check_upstreams, state_line
from providers.http import Timeouts
from sandbox import accounts_shop, acedata, cloud, energy, kumquat
from storage.settings import SettingsStore
from storage.sqlite import SqliteDatabase
from tests.contract.conftest import closed_port_url, serving

SIMULATORS = {
    "cloud": cloud.CloudSimulator,
    "energy": energy.EnergySimulator,
    "topup": kumquat.KumquatSimulator,
    "accounts": accounts_shop.AccountShopSimulator,
    "acedata": acedata.AceDataSimulator,
}
QUICK = Timeouts(connect=1.0, total=2.0)
SECRETS = (
    cloud.DEMO_APP_SECRET,
    energy.DEMO_API_SECRET,
    energy.DEMO_API_KEY,
    kumquat.DEMO_SIGN_KEY,
    accounts_shop.DEMO_API_KEY,
    acedata.DEMO_TOKEN,
)


def settings(urls: Mapping[str, str], **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "cloudruby_base_url": urls["cloud"],
        "cloudruby_app_id": cloud.DEMO_APP_ID,
        "cloudruby_app_secret": cloud.DEMO_APP_SECRET,
        "energy_base_url": urls["energy"],
        "energy_api_key": energy.DEMO_API_KEY,
        "energy_api_secret": energy.DEMO_API_SECRET,
        "kumquat_base_url": urls["topup"],
        "kumquat_partner_no": kumquat.DEMO_PARTNER,
        "kumquat_sign_key": kumquat.DEMO_SIGN_KEY,
        "shop_base_url": urls["accounts"],
        "shop_api_key": accounts_shop.DEMO_API_KEY,
        "acedata_base_url": urls["acedata"],
        "acedata_token": acedata.DEMO_TOKEN,
        "upstream_timeout_seconds": 2,
    }
    values.update(overrides)
    return load_settings(_env_file=None, **values)


@asynccontextmanager
async def lines_for(
    folder: Path, config: Settings, timeouts: Timeouts = QUICK
) -> AsyncIterator[dict[str, Line]]:
    async with SqliteDatabase(folder / "shop.sqlite3") as db:
        lines = build_lines(
            LineSetup(config, Pricing(SettingsStore(db), default_markups()), timeouts)
        )
        try:
            yield lines
        finally:
            for line in lines.values():
                await line.close()


@asynccontextmanager
async def upstreams() -> AsyncIterator[tuple[dict[str, Any], dict[str, str]]]:
    """Every simulator, serving; with their URLs by product."""
    simulators = {product: make() for product, make in SIMULATORS.items()}
    async with AsyncExitStack() as stack:
        urls = {
            product: await stack.enter_async_context(serving(simulator))
            for product, simulator in simulators.items()
        }
        yield simulators, urls


async def healths(lines: Mapping[str, Line]) -> dict[str, UpstreamHealth]:
    return {product: await line.health() for product, line in lines.items()}


async def test_every_upstream_answers_with_its_balance_where_it_has_one(tmp_path: Path) -> None:
    async with upstreams() as (_, urls), lines_for(tmp_path, settings(urls)) as lines:
        found = await healths(lines)
    assert found == {
        "cloud": UpstreamHealth(answers=True),
        "energy": UpstreamHealth(answers=True, balance=Decimal("86.52"), currency="TRX"),
        "topup": UpstreamHealth(answers=True, balance=Decimal("1000"), currency="USD"),
        "accounts": UpstreamHealth(answers=True),
        "acedata": UpstreamHealth(answers=True),
    }


async def test_kumquat_counts_credit_as_the_document_says(tmp_path: Path) -> None:
    async with upstreams() as (simulators, urls), lines_for(tmp_path, settings(urls)) as lines:
        simulators["topup"].balance, simulators["topup"].credit = Decimal("-5"), Decimal("20")
        negative = await lines["topup"].health()
        simulators["topup"].balance = Decimal("12.5")
        positive = await lines["topup"].health()
    assert (negative.balance, positive.balance) == (Decimal(20), Decimal("32.5"))


async def test_refused_credentials_are_an_answer_that_refuses(tmp_path: Path) -> None:
    wrong = {
        "cloudruby_app_secret": "not-the-secret",
        "energy_api_key": "not-the-key",
        "kumquat_sign_key": "not-the-sign-key",
        "acedata_token": "not-the-token",
    }
    async with upstreams() as (_, urls), lines_for(tmp_path, settings(urls, **wrong)) as lines:
        found = await healths(lines)
    refused = {
        product: health.problem
        for product, health in found.items()
        if health.answers and health.refuses_credentials
    }
    assert refused == {
        "cloud": "refuses our credentials: auth_failed (code 401)",
        "energy": "refuses our credentials: bad_api_key (code 600001)",
        "topup": "refuses our credentials: bad_signature (code JU9994)",
    }
    # The shop and AceData listings need no key: their refusal shows only when an order is placed.
    assert found["accounts"].ok and found["acedata"].ok
    assert all(found[product].balance is None for product in refused)


async def test_an_upstream_not_there_does_not_answer(tmp_path: Path) -> None:
    urls = {product: closed_port_url() for product in SIMULATORS}
    async with lines_for(tmp_path, settings(urls)) as lines:
        found = await healths(lines)
    assert set(found.values()) == {UpstreamHealth(answers=False, problem="cannot connect")}


async def test_a_gateway_error_is_no_answer_and_garbage_an_unreadable_one(tmp_path: Path) -> None:
    async with upstreams() as (simulators, urls), lines_for(tmp_path, settings(urls)) as lines:
        simulators["energy"].plan.add("5xx", path="/v1/balance", times=3)
        simulators["cloud"].plan.add("garbage", path="/api/orders/*", times=3)
        gateway, garbage = await lines["energy"].health(), await lines["cloud"].health()
    assert gateway == UpstreamHealth(answers=False, problem="server error (HTTP 502)")
    assert garbage == UpstreamHealth(
        answers=True, problem="answers with something unreadable (HTTP 200)"
    )


@pytest.mark.parametrize("client_timeout", [2.0, 30.0])
async def test_the_check_of_all_is_bounded_and_never_shows_a_secret(
    tmp_path: Path, client_timeout: float
) -> None:
    """Bounded by UPSTREAM_TIMEOUT_SECONDS (2 here) however long the client would go on: when
    its own timeout is the same (as in the shop) and would make it try again, and when longer."""
    async with upstreams() as (simulators, urls):
        config = settings(urls, acedata_token=None)
        simulators["energy"].plan.add("hang", path="/v1/balance", times=3, seconds=30)
        simulators["cloud"].plan.add(
            "answer",
            path="/api/orders/*",
            times=3,
            status=401,
            body={"code": 401, "message": f"Agent authentication failed: {cloud.DEMO_APP_SECRET}"},
        )
        client = Timeouts(connect=1.0, total=client_timeout)
        async with lines_for(tmp_path, config, client) as lines:
            started = time.monotonic()
            states = await check_upstreams(lines, config)
            took = time.monotonic() - started
    assert took < 5, took  # three tries of 2 s each, or one of 30 s, without the bound
    shown = [state_line(state) for state in states]
    assert shown[1] == "<b>TRON energy</b>: ❌ no answer: timed out after 2 s · alert under 100 TRX"
    assert shown[0] == (
        "<b>Cloud recharge</b>: ⛔ answers, but refuses our credentials: auth_failed "
        "(code 401) · no balance in its API"
    )
    assert shown[2] == "<b>KUMQUAT top-up</b>: ✅ answers · balance 1000 USD · alert under 50 USD"
    assert shown[3] == "<b>Account shop</b>: ✅ answers · no balance in its API"
    assert shown[4] == "<b>AceData</b>: ⚪ not configured"
    assert not any(secret in line for line in shown for secret in SECRETS)
