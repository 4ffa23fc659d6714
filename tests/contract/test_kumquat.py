"""The KUMQUAT client against its simulator over real HTTP, callbacks included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from providers.kumquat import KumquatClient, KumquatOrder, KumquatProduct, sign
from providers.outcomes import Outcome, Reply
from sandbox.kumquat import (
    DEMO_PARTNER,
    DEMO_SIGN_KEY,
    MOCK_FAILS_SHORT,
    MOCK_SIGNATURE_REFUSED,
    MOCK_SUCCEEDS,
    KumquatSimulator,
)
from sandbox.server import SimulatorServer
from tests.contract.conftest import FAST, NO_WAIT, serving


class CallbackReceiver:
    """Our side of the callbacks: answers SUCCESS, or something else for the first few."""

    def __init__(self, client: KumquatClient) -> None:
        self.client = client
        self.received: list[dict[str, Any]] = []
        self.refuse_first = 0
        self.arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/kumquat/callback", self.handle)
        self.server = SimulatorServer(app)

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.json()
        self.received.append(payload)
        self.arrived.set()
        if len(self.received) <= self.refuse_first:
            return web.Response(text="FAIL")
        return web.Response(text="SUCCESS")

    async def next(self, count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received


@pytest_asyncio.fixture
async def upstream() -> AsyncIterator[tuple[KumquatSimulator, str]]:
    simulator = KumquatSimulator()
    simulator.process_seconds, simulator.callback_delay = 0.05, 0.01
    async with serving(simulator) as base:
        yield simulator, base


@pytest_asyncio.fixture
async def kumquat(upstream: tuple[KumquatSimulator, str]) -> AsyncIterator[KumquatClient]:
    client = KumquatClient(upstream[1], DEMO_PARTNER, DEMO_SIGN_KEY, timeouts=FAST, retry=NO_WAIT)
    yield client
    await client.close()


@pytest_asyncio.fixture
async def receiver(kumquat: KumquatClient) -> AsyncIterator[CallbackReceiver]:
    running = CallbackReceiver(kumquat)
    await running.server.start()
    yield running
    await running.server.stop()


async def _top_up(
    kumquat: KumquatClient, receiver: CallbackReceiver, account: str, request_no: str
) -> Reply[KumquatOrder]:
    return await kumquat.place_order(
        request_no=request_no,
        product_id=19_401,
        account=account,
        callback_url=f"{receiver.server.base_url}/kumquat/callback",
    )


async def test_countries_and_carriers(kumquat: KumquatClient) -> None:
    countries = (await kumquat.countries()).unwrap()
    assert {"CN", "ID", "KE", "VN", "PH"} <= {c.country_code for c in countries}
    assert (await kumquat.country("ke")).unwrap().name == "Kenya"
    assert (await kumquat.country("ZZ")).reason == "invalid_parameters"

    first = (await kumquat.carriers(page=1, page_size=3)).unwrap()
    assert (len(first.items), first.page, first.pages, first.total, first.next_page) == (
        3,
        1,
        3,
        7,
        2,
    )
    last = (await kumquat.carriers(page=3, page_size=3)).unwrap()
    assert (len(last.items), last.next_page) == (1, None)
    vietnam = (await kumquat.country_carriers("VN")).unwrap()
    assert [c.name for c in vietnam] == ["Viettel", "Vinaphone"]


async def test_products_filtered_and_paged(kumquat: KumquatClient) -> None:
    data = (await kumquat.products(country_code="VN", carrier_id="4001", kind="LL")).unwrap()
    assert data.items and all(
        (p.type, p.carrier_id, p.country_code) == ("LL", "4001", "VN") for p in data.items
    )
    one = data.items[0]
    assert (one.face_value, one.unit, one.price_currency) == (Decimal("50000"), "VND", "USD")
    assert one.price > 0 and one.price % 10_000 == 0  # USD cents as micro-units
    assert (await kumquat.product(one.id)).unwrap() == one
    assert (await kumquat.product(1)).reason == "product_not_found"
    paged = (await kumquat.products(page=2, page_size=5)).unwrap()
    assert (len(paged.items), paged.page) == (5, 2) and paged.total > 10


async def test_a_product_answer_uses_the_documents_names(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient
) -> None:
    """The document names a top-up's face value `base_value` and its `unit` (the auto-order call);
    the price comes with its own `currency`. Data is sold by size, not by money."""
    body: dict[str, Any] = {"partner_no": DEMO_PARTNER, "country_code": "KE", "type": "LL"}
    body["datetime"] = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y%m%d%H%M%S")
    body["sign"] = sign(body, DEMO_SIGN_KEY)
    url = f"{upstream[1]}/api/code/2.0/products"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as answer:
        raw = (await answer.json())["result"]
    bundle = next(p for p in raw if p["unit"] == "GB")
    assert {"base_value", "unit", "price", "currency"} <= set(bundle)
    assert "face_value" not in bundle and bundle["currency"] == "USD"

    data = (await kumquat.products(country_code="KE", kind="LL")).unwrap().items
    read = next(p for p in data if p.id == bundle["id"])
    assert (read.face_value, read.unit, read.price_currency) == (Decimal(1), "GB", "USD")
    assert read.price == int(Decimal(bundle["price"]) * 1_000_000)
    airtime = (await kumquat.products(carrier_id="3001", kind="HF")).unwrap().items
    assert [(p.face_value, p.unit, p.price_currency) for p in airtime] == [
        (Decimal(100), "KES", "USD"),
        (Decimal(500), "KES", "USD"),
    ]


@pytest.mark.parametrize(
    ("answer", "face", "unit", "price"),
    [
        ({"base_value": 10, "unit": "KES", "price": "0.08", "currency": "USD"}, 10, "KES", "USD"),
        ({"base_value": "1.5", "unit": "GB", "price": "2", "currency": "EUR"}, 1.5, "GB", "EUR"),
        ({"base_value": 10, "unit": "KES", "price": "0.08"}, 10, "KES", "USD"),
        # As this shop's simulator first answered: face_value and currency, price_currency.
        ({"face_value": "10", "currency": "KES", "price": "0.08"}, 10, "KES", "USD"),
        (
            {"face_value": 10, "currency": "KES", "price": "0.08", "price_currency": "EUR"},
            10,
            "KES",
            "EUR",
        ),
    ],
)
def test_both_namings_of_a_product_are_read(
    answer: dict[str, Any], face: float, unit: str, price: str
) -> None:
    fields = {"id": 1, "name": "Airtime", "type": "HF", "carrier_id": "3001", "country_code": "KE"}
    product = KumquatProduct.model_validate({**fields, **answer})
    assert (product.face_value, product.unit, product.price_currency) == (
        Decimal(str(face)),
        unit,
        price,
    )


@pytest.mark.parametrize(
    ("number", "country", "carrier"),
    [
        (MOCK_SUCCEEDS, "KE", "Safaricom"),
        (MOCK_FAILS_SHORT, "CN", "China Mobile"),
        ("84981234567", "VN", "Viettel"),
    ],
)
async def test_number_lookup(
    kumquat: KumquatClient, number: str, country: str, carrier: str
) -> None:
    found = (await kumquat.lookup_number(number)).unwrap()
    assert (found.country_code, found.carrier_name) == (country, carrier)


@pytest.mark.parametrize(
    ("number", "country", "reason"),
    [
        ("12345", None, "bad_number_length"),
        ("999999999", None, "carrier_unknown"),
        (MOCK_SUCCEEDS, "VN", "carrier_unknown"),
    ],
)
async def test_number_lookup_refusals(
    kumquat: KumquatClient, number: str, country: str | None, reason: str
) -> None:
    reply = await kumquat.lookup_number(number, country)
    assert (reply.outcome, reply.reason) == (Outcome.REJECTED, reason)


async def test_the_succeeding_mock_number_is_called_back_with_success(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    placed = await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-ok")
    assert (placed.outcome, placed.reason) == (Outcome.PENDING, "accept")
    [payload] = await receiver.next()
    callback = kumquat.verify_callback(payload)
    assert callback is not None and callback.succeeded
    assert (callback.request_no, callback.serial_no) == ("T-ok", placed.unwrap().serial_no)
    settled = await kumquat.query(request_no="T-ok")
    assert (settled.outcome, settled.reason) == (Outcome.SUCCEEDED, "success")
    assert len(simulator.orders["T-ok"].callbacks) == 1


@pytest.mark.parametrize(
    ("account", "result"), [(MOCK_FAILS_SHORT, "账号金额不足"), ("639171234567", "充值失败")]
)
async def test_failing_mock_numbers_are_called_back_with_error(
    kumquat: KumquatClient, receiver: CallbackReceiver, account: str, result: str
) -> None:
    await _top_up(kumquat, receiver, account, f"T-{account}")
    [payload] = await receiver.next()
    callback = kumquat.verify_callback(payload)
    assert callback is not None and not callback.succeeded and callback.result == result
    assert (await kumquat.query(request_no=f"T-{account}")).outcome == Outcome.REJECTED


async def test_the_signature_refused_mock_number_is_never_called_back(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    reply = await _top_up(kumquat, receiver, MOCK_SIGNATURE_REFUSED, "T-sig")
    assert (reply.outcome, reply.reason, reply.upstream_code, reply.http_status) == (
        Outcome.REJECTED,
        "bad_signature",
        "JU9994",
        511,
    )
    await asyncio.sleep(0.2)
    assert receiver.received == [] and simulator.orders == {}


async def test_callbacks_are_retried_until_answered_success(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    receiver.refuse_first = 2
    await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-retry")
    received = await receiver.next(3)
    assert len({p["serial_no"] for p in received}) == 1
    await asyncio.sleep(0.2)
    assert [c["answer"] for c in simulator.orders["T-retry"].callbacks] == [
        "FAIL",
        "FAIL",
        "SUCCESS",
    ]


async def test_an_unanswered_callback_stops_after_five_tries(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    receiver.refuse_first = 99
    await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-deaf")
    await receiver.next(5, timeout=10)
    await asyncio.sleep(0.5)
    assert len(simulator.orders["T-deaf"].callbacks) == 5


async def test_success_then_fail(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    placed = (await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-reverse")).unwrap()
    first = kumquat.verify_callback((await receiver.next())[0])
    assert first is not None and first.succeeded
    simulator.reverse(placed.serial_no)
    second = kumquat.verify_callback((await receiver.next(2))[1])
    assert second is not None and not second.succeeded
    assert (await kumquat.query(serial_no=placed.serial_no)).outcome == Outcome.REJECTED


async def test_forged_callbacks_are_refused(
    kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-forge")
    [genuine] = await receiver.next()
    assert kumquat.verify_callback(genuine) is not None
    assert kumquat.verify_callback({**genuine, "status": "error"}) is None
    assert kumquat.verify_callback({**genuine, "sign": "0" * 32}) is None
    assert kumquat.verify_callback({k: v for k, v in genuine.items() if k != "sign"}) is None
    for odd in ("签名" * 16, "é" * 32, genuine["sign"] + "\u00a0"):  # refused, not an error
        assert kumquat.verify_callback({**genuine, "sign": odd}) is None


async def test_a_retried_order_is_read_back_not_bought_twice(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    simulator, _ = upstream
    simulator.plan.add("drop", path="/api/code/2.0/orders")
    reply = await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-drop")
    assert reply.outcome in (Outcome.PENDING, Outcome.SUCCEEDED)
    assert reply.value is not None and reply.value.request_no == "T-drop"
    assert list(simulator.orders) == ["T-drop"]
    again = await _top_up(kumquat, receiver, MOCK_SUCCEEDS, "T-drop")
    assert again.value is not None and again.value.serial_no == reply.value.serial_no
    assert list(simulator.orders) == ["T-drop"]


async def test_documented_serial_numbers_and_an_invalid_product(
    kumquat: KumquatClient, receiver: CallbackReceiver
) -> None:
    success = await kumquat.query(serial_no="0577228903e14f23030c3c5e496033ef")
    assert (success.outcome, success.reason) == (Outcome.SUCCEEDED, "success")
    rejected = await kumquat.query(serial_no="0557978903e14f23030c3c5e496033ef")
    assert (rejected.outcome, rejected.reason) == (Outcome.REJECTED, "reject")
    invalid = await kumquat.place_order(
        request_no="T-legacy", product_id=19_402, account=MOCK_SUCCEEDS, callback_url=None
    )
    assert (invalid.outcome, invalid.reason) == (Outcome.REJECTED, "product_invalid")


async def test_the_balance_follows_the_documented_rule(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient
) -> None:
    simulator, _ = upstream
    assert (await kumquat.balance()).unwrap().available == 1_000_000_000
    simulator.balance, simulator.credit = Decimal("-5"), Decimal("20")
    account = (await kumquat.balance()).unwrap()
    assert (account.balance, account.available) == (-5_000_000, 20_000_000)


async def test_identity_signature_and_clock_are_checked(
    upstream: tuple[KumquatSimulator, str],
) -> None:
    simulator, base = upstream
    skewed = datetime.now(UTC) - timedelta(hours=2)
    cases = [
        (KumquatClient(base, "someone", DEMO_SIGN_KEY, timeouts=FAST), "unknown_partner"),
        (KumquatClient(base, DEMO_PARTNER, "wrong", timeouts=FAST), "bad_signature"),
        (
            KumquatClient(base, DEMO_PARTNER, DEMO_SIGN_KEY, timeouts=FAST, clock=lambda: skewed),
            "bad_timestamp",
        ),
    ]
    for client, reason in cases:
        try:
            assert (await client.balance()).reason == reason
        finally:
            await client.close()
    simulator.allowed_ips = {"10.1.1.1"}
    client = KumquatClient(base, DEMO_PARTNER, DEMO_SIGN_KEY, timeouts=FAST)
    try:
        assert (await client.balance()).reason == "ip_not_allowed"
    finally:
        await client.close()


@pytest.mark.parametrize(("kind", "reason"), [("5xx", "http_error"), ("garbage", "unreadable")])
async def test_faults_are_unknown(
    upstream: tuple[KumquatSimulator, str], kumquat: KumquatClient, kind: str, reason: str
) -> None:
    simulator, _ = upstream
    simulator.plan.add(kind, path="/api/code/2.0/balance", times=3)
    reply = await kumquat.balance()
    assert (reply.outcome, reply.reason) == (Outcome.UNKNOWN, reason)
