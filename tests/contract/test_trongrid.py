"""The TronGrid client against its simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.services.tron import is_tron_address
from providers.outcomes import Outcome
from providers.trongrid import USDT_CONTRACT, Trc20Transfer, TronGridClient
from sandbox.trongrid import (
    CUSTOMER_ADDRESS,
    DEMO_API_KEY,
    DEMO_DEPOSIT_ADDRESS,
    OTHER_ADDRESS,
    RATE_LIMITED,
    USDC,
    USDT,
    TronGridSimulator,
)
from tests.contract.conftest import FAST, NO_WAIT, serving

SHOP = DEMO_DEPOSIT_ADDRESS
PATH = f"/v1/accounts/{SHOP}/transactions/trc20"
T0 = 1_750_000_000_000  # ms


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[TronGridSimulator, str]]:
    simulator = TronGridSimulator()
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def trongrid(upstream: tuple[TronGridSimulator, str]) -> AsyncIterator[TronGridClient]:
    client = TronGridClient(upstream[1], DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT)
    yield client
    await client.close()


async def _incoming(client: TronGridClient, since_ms: int = T0) -> list[Trc20Transfer]:
    return (await client.incoming(SHOP, USDT_CONTRACT, since_ms)).unwrap()


def _item(
    txid: str,
    *,
    to: str = SHOP,
    token: Any = USDT,
    kind: str = "Transfer",
    value: Any = "1000000",
    at: int = T0,
) -> dict[str, Any]:
    return {
        "transaction_id": txid,
        "token_info": token.info(),
        "block_timestamp": at,
        "from": CUSTOMER_ADDRESS,
        "to": to,
        "type": kind,
        "value": value,
    }


def _page(*items: dict[str, Any], fingerprint: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"at": T0, "page_size": len(items)}
    if fingerprint is not None:
        meta["fingerprint"] = fingerprint
    return {"data": list(items), "success": True, "meta": meta}


def test_the_demo_addresses_and_token_contracts_are_valid_tron_addresses() -> None:
    for address in (SHOP, CUSTOMER_ADDRESS, OTHER_ADDRESS, USDT.address, USDC.address):
        assert is_tron_address(address), address
    assert USDT.address == USDT_CONTRACT


async def test_confirmed_usdt_transfers_to_the_address_come_oldest_first(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    late = simulator.transfer(SHOP, 3_000_000, at_ms=T0 + 3_000)
    early = simulator.transfer(SHOP, 1_000_000, at_ms=T0 + 1_000)
    middle = simulator.transfer(SHOP, 2_500_001, at_ms=T0 + 2_000, sender=OTHER_ADDRESS)

    transfers = await _incoming(trongrid)

    assert [t.txid for t in transfers] == [early, middle, late]
    assert transfers[1] == Trc20Transfer(
        txid=middle,
        sender=OTHER_ADDRESS,
        to=SHOP,
        amount=2_500_001,
        contract=USDT_CONTRACT,
        decimals=6,
        block_timestamp_ms=T0 + 2_000,
    )


async def test_an_unconfirmed_transfer_is_listed_only_once_confirmed(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    txid = simulator.transfer(SHOP, 7_000_000, confirmed=False, at_ms=T0 + 500)
    assert await _incoming(trongrid) == []

    simulator.confirm(txid)

    [transfer] = await _incoming(trongrid)
    assert (transfer.txid, transfer.amount, transfer.block_timestamp_ms) == (
        txid,
        7_000_000,
        T0 + 500,
    )


async def test_other_tokens_other_addresses_outgoing_transfers_and_approvals_are_left_out(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    simulator.transfer(SHOP, 5_000_000, token="USDC", at_ms=T0)
    simulator.transfer(OTHER_ADDRESS, 5_000_000, at_ms=T0)
    simulator.transfer(OTHER_ADDRESS, 5_000_000, sender=SHOP, at_ms=T0)
    simulator.approve(CUSTOMER_ADDRESS, SHOP, 5_000_000, at_ms=T0)
    ours = simulator.transfer(SHOP, 5_000_000, at_ms=T0)

    assert [t.txid for t in await _incoming(trongrid)] == [ours]


async def test_min_timestamp_is_inclusive(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    simulator.transfer(SHOP, 1_000_000, at_ms=T0 - 1)
    at_start = simulator.transfer(SHOP, 2_000_000, at_ms=T0)
    after = simulator.transfer(SHOP, 3_000_000, at_ms=T0 + 1)

    assert [t.txid for t in await _incoming(trongrid, since_ms=T0)] == [at_start, after]
    assert [t.txid for t in await _incoming(trongrid, since_ms=T0 + 2)] == []


async def test_every_page_is_followed(upstream: tuple[TronGridSimulator, str]) -> None:
    simulator, base = upstream
    made = [simulator.transfer(SHOP, 1_000_000 + n, at_ms=T0 + n * 1_000) for n in range(7)]
    for n in range(5):  # interleaved, and filtered out upstream before paging
        simulator.transfer(SHOP, 9, confirmed=False, at_ms=T0 + n * 1_000 + 1)
        simulator.transfer(OTHER_ADDRESS, 9, at_ms=T0 + n * 1_000 + 2)
    client = TronGridClient(base, DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT, page_size=2)
    try:
        reply = await client.incoming(SHOP, USDT_CONTRACT, T0)
    finally:
        await client.close()
    assert (reply.outcome, reply.reason) == (Outcome.SUCCEEDED, None)
    assert [t.txid for t in reply.unwrap()] == made  # four pages of two
    assert [t.amount for t in reply.unwrap()] == [1_000_000 + n for n in range(7)]


async def test_paging_stops_at_the_bound_and_continues_from_the_last_timestamp(
    upstream: tuple[TronGridSimulator, str],
) -> None:
    simulator, base = upstream
    made = [simulator.transfer(SHOP, 1_000_000, at_ms=T0 + n * 1_000) for n in range(5)]
    client = TronGridClient(
        base, DEMO_API_KEY, timeouts=FAST, retry=NO_WAIT, page_size=2, max_pages=2
    )
    try:
        first = await client.incoming(SHOP, USDT_CONTRACT, T0)
        assert (first.outcome, first.reason) == (Outcome.SUCCEEDED, "truncated")
        assert "2 pages" in first.message
        assert [t.txid for t in first.unwrap()] == made[:4]
        rest = await client.incoming(SHOP, USDT_CONTRACT, first.unwrap()[-1].block_timestamp_ms)
    finally:
        await client.close()
    assert (rest.outcome, rest.reason) == (Outcome.SUCCEEDED, None)
    assert [t.txid for t in rest.unwrap()] == made[3:]


async def test_transfers_made_over_http_by_another_process(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, base = upstream
    simulator.plan.add("5xx", times=5)  # faults are for the API, not the driver
    async with aiohttp.ClientSession() as http:

        async def post(path: str, body: Any = None) -> tuple[int, str]:
            async with http.post(f"{base}{path}", json=body) as response:
                return response.status, await response.text()

        status, made = await post(
            "/_sim/transfers", {"to": SHOP, "amount": 12_340_000, "confirmed": False}
        )
        assert status == 200
        txid = json.loads(made)["transaction_id"]
        assert (await post(f"/_sim/transfers/{txid}/confirm"))[0] == 200
        assert (await post(f"/_sim/transfers/{'0' * 64}/confirm"))[0] == 404
        assert (await post("/_sim/transfers", {"to": "TNotAnAddress", "amount": 1}))[0] == 400
        assert (await post("/_sim/transfers", {"to": SHOP, "amount": "1"}))[0] == 400
    simulator.plan.clear()
    [transfer] = await _incoming(trongrid, since_ms=0)
    assert (transfer.txid, transfer.amount) == (txid, 12_340_000)
    assert simulator.events[txid].confirmed


async def test_a_wrong_or_missing_key_is_unauthorized_and_never_logged(
    upstream: tuple[TronGridSimulator, str], caplog: pytest.LogCaptureFixture
) -> None:
    _, base = upstream
    for key in ("not-the-key-at-all", None):
        client = TronGridClient(base, key, timeouts=FAST, retry=NO_WAIT)
        try:
            with caplog.at_level(logging.DEBUG):
                reply = await client.incoming(SHOP, USDT_CONTRACT, T0)
        finally:
            await client.close()
        assert (reply.outcome, reply.reason, reply.http_status) == (
            Outcome.REJECTED,
            "unauthorized",
            401,
        )
        assert reply.message == "ApiKey not exists"
    assert "not-the-key-at-all" not in caplog.text


@pytest.mark.parametrize("status", [429, 403])
async def test_rate_limits_are_refusals_of_their_own(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient, status: int
) -> None:
    simulator, _ = upstream
    simulator.plan.add("answer", path=PATH, status=status, body=RATE_LIMITED)
    reply = await trongrid.incoming(SHOP, USDT_CONTRACT, T0)
    assert (reply.outcome, reply.reason, reply.upstream_code) == (
        Outcome.REJECTED,
        "rate_limited",
        str(status),
    )
    assert "frequency limit" in reply.message


async def test_an_invalid_address_is_a_bad_request(trongrid: TronGridClient) -> None:
    reply = await trongrid.incoming("TNotAnAddress", USDT_CONTRACT, T0)
    assert (reply.outcome, reply.reason, reply.http_status) == (
        Outcome.REJECTED,
        "bad_request",
        400,
    )
    assert reply.message == "A valid account address is required."


async def test_a_dropped_answer_is_read_again(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    txid = simulator.transfer(SHOP, 1_000_000, at_ms=T0)
    simulator.plan.add("drop", path=PATH)
    assert [t.txid for t in await _incoming(trongrid)] == [txid]


async def test_latency_within_the_timeout_only_slows_the_answer(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    txid = simulator.transfer(SHOP, 1_000_000, at_ms=T0)
    simulator.plan.latency = 0.3
    assert [t.txid for t in await _incoming(trongrid)] == [txid]


@pytest.mark.parametrize(
    ("kind", "reason"), [("hang", "timeout"), ("5xx", "http_error"), ("garbage", "unreadable")]
)
async def test_faults_are_unknown_after_retries(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    simulator.transfer(SHOP, 1_000_000, at_ms=T0)
    simulator.plan.add(kind, path=PATH, times=3, seconds=3)
    reply = await trongrid.incoming(SHOP, USDT_CONTRACT, T0)
    assert (reply.outcome, reply.reason, reply.value) == (Outcome.UNKNOWN, reason, None)


async def test_an_unreadable_later_page_makes_the_whole_answer_unknown(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    simulator.plan.add("answer", path=PATH, body=_page(_item("a" * 64), fingerprint="next"))
    simulator.plan.add("answer", path=PATH, body=_page(_item("b" * 64, value="1.5")))
    reply = await trongrid.incoming(SHOP, USDT_CONTRACT, T0)
    assert (reply.outcome, reply.reason, reply.value) == (Outcome.UNKNOWN, "unreadable", None)


async def test_a_repeated_fingerprint_is_unknown_instead_of_endless(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    same = _page(_item("a" * 64), fingerprint="again")
    simulator.plan.add("answer", path=PATH, body=same, times=3)
    reply = await trongrid.incoming(SHOP, USDT_CONTRACT, T0)
    assert (reply.outcome, reply.reason, reply.value) == (Outcome.UNKNOWN, "paging_loop", None)


async def test_an_upstream_that_ignores_the_filters_credits_nothing_wrong(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    everything = _page(
        _item("1" * 64, token=USDC),
        _item("2" * 64, to=OTHER_ADDRESS),
        _item("3" * 64, kind="Approval"),
        _item("4" * 64, at=T0 - 1),
        _item("5" * 64, value="2500000", at=T0 + 10),
        _item("6" * 64, at=T0 + 5),
    )
    simulator.plan.add("answer", path=PATH, body=everything)
    transfers = await _incoming(trongrid)
    assert [(t.txid[0], t.amount) for t in transfers] == [("6", 1_000_000), ("5", 2_500_000)]


# The simulator's side of TronGrid's API, as other clients (and the demo) see it.


async def _get(
    base: str, query: dict[str, str], key: str | None = DEMO_API_KEY, address: str = SHOP
) -> tuple[int, Any]:
    headers = {"TRON-PRO-API-KEY": key} if key else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{base}/v1/accounts/{address}/transactions/trc20", params=query, headers=headers
        ) as response,
    ):
        return response.status, await response.json()


async def test_the_listing_is_newest_first_in_pages_of_twenty_with_a_next_link(
    upstream: tuple[TronGridSimulator, str],
) -> None:
    simulator, base = upstream
    made = [simulator.transfer(SHOP, 1 + n, at_ms=T0 + n) for n in range(25)]
    status, first = await _get(base, {})
    assert status == 200 and first["success"] is True
    assert [item["transaction_id"] for item in first["data"]] == made[::-1][:20]
    assert first["meta"]["page_size"] == 20
    assert first["data"][0] == {
        "transaction_id": made[-1],
        "token_info": {
            "symbol": "USDT",
            "address": USDT_CONTRACT,
            "decimals": 6,
            "name": "Tether USD",
        },
        "block_timestamp": T0 + 24,
        "from": CUSTOMER_ADDRESS,
        "to": SHOP,
        "type": "Transfer",
        "value": "25",
    }
    next_url = first["meta"]["links"]["next"]
    assert next_url.startswith(f"{base}/v1/accounts/{SHOP}/transactions/trc20?")
    assert f"fingerprint={first['meta']['fingerprint']}" in next_url
    late = simulator.transfer(SHOP, 99, at_ms=T0 + 100)  # arrives between the two reads
    async with (
        aiohttp.ClientSession() as http,
        http.get(next_url, headers={"TRON-PRO-API-KEY": DEMO_API_KEY}) as response,
    ):
        second = await response.json()
    assert [item["transaction_id"] for item in second["data"]] == made[::-1][20:]
    assert late not in [item["transaction_id"] for item in second["data"]]
    assert "fingerprint" not in second["meta"] and "links" not in second["meta"]


async def test_the_listing_filters(upstream: tuple[TronGridSimulator, str]) -> None:
    simulator, base = upstream
    incoming = simulator.transfer(SHOP, 1, at_ms=T0)
    pending = simulator.transfer(SHOP, 2, confirmed=False, at_ms=T0 + 1)
    outgoing = simulator.transfer(OTHER_ADDRESS, 3, sender=SHOP, at_ms=T0 + 2)
    usdc = simulator.transfer(SHOP, 4, token="USDC", at_ms=T0 + 3)
    simulator.transfer(OTHER_ADDRESS, 5, at_ms=T0 + 4)  # not ours at all

    async def ids(**query: str) -> list[str]:
        status, body = await _get(base, {"order_by": "block_timestamp,asc", **query})
        assert status == 200, body
        return [item["transaction_id"] for item in body["data"]]

    assert await ids() == [incoming, pending, outgoing, usdc]
    assert await ids(only_confirmed="true") == [incoming, outgoing, usdc]
    assert await ids(onlyUnconfirmed="true") == [pending]
    assert await ids(only_to="true") == [incoming, pending, usdc]
    assert await ids(only_from="true") == [outgoing]
    assert await ids(contract_address=USDC.address) == [usdc]
    assert await ids(min_timestamp=str(T0 + 1), max_timestamp=str(T0 + 2)) == [pending, outgoing]
    assert await ids(limit="2") == [incoming, pending]
    usdt_in_hex = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
    assert await ids(contract_address=usdt_in_hex) == [incoming, pending, outgoing]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "201"},
        {"limit": "0"},
        {"only_confirmed": "True"},
        {"min_timestamp": "-1"},
        {"order_by": "value,desc"},
        {"contract_address": "TNotAContract"},
        {"fingerprint": "not a fingerprint"},
    ],
)
async def test_the_listing_refuses_bad_parameters_as_tron_grid_does(
    upstream: tuple[TronGridSimulator, str], query: dict[str, str]
) -> None:
    _, base = upstream
    status, body = await _get(base, query)
    assert status == 400
    assert body["success"] is False and body["statusCode"] == 400 and body["error"]


async def test_a_simulator_without_a_key_answers_anyone() -> None:
    simulator = TronGridSimulator(api_key=None)
    simulator.transfer(SHOP, 1_000_000, at_ms=T0)
    async with serving(simulator) as base:
        status, body = await _get(base, {}, key=None)
    assert status == 200 and len(body["data"]) == 1


async def test_a_short_page_is_not_the_last_while_it_has_a_fingerprint(
    upstream: tuple[TronGridSimulator, str],
) -> None:
    simulator, base = upstream
    made = [simulator.transfer(SHOP, 1 + n, at_ms=T0 + n) for n in range(5)]
    simulator.short_pages = [2, 1]
    query = {"order_by": "block_timestamp,asc"}

    _, first = await _get(base, query)
    _, second = await _get(base, {**query, "fingerprint": first["meta"]["fingerprint"]})
    _, rest = await _get(base, {**query, "fingerprint": second["meta"]["fingerprint"]})

    pages = [[item["transaction_id"] for item in page["data"]] for page in (first, second, rest)]
    assert pages == [made[:2], made[2:3], made[3:]]  # 2 and 1 of a limit of 20, then the rest
    assert "fingerprint" not in rest["meta"]
    assert simulator.short_pages == []


async def test_a_listing_of_one_leaves_the_short_page_for_a_longer_one(
    upstream: tuple[TronGridSimulator, str],
) -> None:
    simulator, base = upstream
    only = simulator.transfer(SHOP, 1, at_ms=T0)
    simulator.short_pages = [1]
    _, page = await _get(base, {})
    assert [item["transaction_id"] for item in page["data"]] == [only]
    assert "fingerprint" not in page["meta"]
    assert simulator.short_pages == [1]  # a page of one cannot end early: still due


async def test_transfers_on_short_pages_are_all_read(
    upstream: tuple[TronGridSimulator, str], trongrid: TronGridClient
) -> None:
    simulator, _ = upstream
    made = [simulator.transfer(SHOP, 1_000_000 + n, at_ms=T0 + n * 1_000) for n in range(6)]
    simulator.short_pages = [1, 3, 1]
    assert [t.txid for t in await _incoming(trongrid)] == made
