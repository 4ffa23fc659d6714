"""The control routes of the emulator and of every upstream simulator (`/_emulator/...`,
`/_sandbox/...`, `/_sim/...`) over real HTTP: a program on this machine drives them, another site
open in a browser cannot (its Origin, a name rebound to 127.0.0.1, a body sent without a
preflight), and nothing changes when it tries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sandbox.telegram import TelegramEmulator
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from sandbox.upstreams import Upstreams

EVIL = "https://evil.example"
FAULT = {"kind": "5xx", "path": "*"}


@pytest_asyncio.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    served = Upstreams()
    await served.start()
    yield served
    await served.stop()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, url: str, body: Any = None, **headers: str
) -> tuple[int, str]:
    if isinstance(body, str):
        request = http.post(url, data=body, headers=headers)
    else:
        request = http.post(url, json=body, headers=headers)
    async with request as response:
        return response.status, await response.text()


def rebound(url: str) -> dict[str, str]:
    """The Host a page at a name rebound to 127.0.0.1 sends."""
    return {"Host": f"evil.example:{url.rsplit(':', 1)[1]}"}


@pytest.mark.parametrize("name", ["cloud", "energy", "topup", "accounts", "acedata", "tron"])
async def test_another_site_cannot_add_a_fault_to_a_simulator(
    upstreams: Upstreams, http: aiohttp.ClientSession, name: str
) -> None:
    upstream = upstreams[name]
    base = upstream.server.base_url
    faults = f"{base}/_sandbox/faults"
    status, answer = await post(http, faults, FAULT, Origin=EVIL)
    assert (status, answer) == (403, '{"error": "Only this machine\'s programs can do that."}')
    assert (await post(http, faults, FAULT, **rebound(base)))[0] == 403
    # A form or text/plain needs no preflight across sites: not JSON, refused.
    assert (await post(http, faults, '{"kind": "5xx"}', **{"Content-Type": "text/plain"}))[0] == 400
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await post(http, faults, "kind=5xx", **form))[0] == 400
    assert upstream.plan.faults == []

    # A program on this machine, and a page of this very server, may.
    assert (await post(http, faults, FAULT))[0] == 200
    assert (await post(http, faults, FAULT, Origin=base))[0] == 200
    localhost = {"Host": f"localhost:{base.rsplit(':', 1)[1]}"}
    assert (await post(http, faults, FAULT, **localhost))[0] == 200
    assert len(upstream.plan.faults) == 3


async def test_another_site_cannot_send_a_usdt_transfer(
    upstreams: Upstreams, http: aiohttp.ClientSession
) -> None:
    base = upstreams["tron"].server.base_url
    transfer = {"to": DEMO_DEPOSIT_ADDRESS, "amount": 5_000_000}
    assert (await post(http, f"{base}/_sim/transfers", transfer, Origin=EVIL))[0] == 403
    assert (await post(http, f"{base}/_sim/transfers", transfer, **rebound(base)))[0] == 403
    assert upstreams.tron.events == {}
    assert (await post(http, f"{base}/_sim/transfers", transfer))[0] == 200
    assert len(upstreams.tron.events) == 1


async def test_the_simulated_api_itself_is_not_refused(
    upstreams: Upstreams, http: aiohttp.ClientSession
) -> None:
    """Only the control routes: the upstream API answers as the upstream would (here, that the
    request is not signed)."""
    base = upstreams["topup"].server.base_url
    status, _ = await post(http, f"{base}/api/code/2.0/balance", {}, Origin=EVIL)
    assert status == 401


async def test_another_site_cannot_speak_in_the_emulator(http: aiohttp.ClientSession) -> None:
    emulator = TelegramEmulator()
    emulator.add_bot(token="555001:CONTROL-test", username="control_bot")
    alice = emulator.private_chat(user_id=8201, first_name="Alice")
    base = await emulator.start()
    try:
        send = f"{base}/_emulator/chats/{alice.chat_id}/send"
        said = {"user_id": alice.user_id, "text": "/start"}
        assert (await post(http, send, said, Origin=EVIL))[0] == 403
        assert (await post(http, send, said, **rebound(base)))[0] == 403
        plain = {"Content-Type": "text/plain"}
        assert (await post(http, send, '{"user_id": 8201, "text": "/start"}', **plain))[0] == 400
        assert (await post(http, f"{base}/_emulator/flood", {"per_second": 1}, Origin=EVIL))[
            0
        ] == 403
        messages = f"{base}/_emulator/chats/{alice.chat_id}/messages"
        async with http.get(messages, headers=rebound(base)) as response:
            assert response.status == 403  # a rebound page cannot read the chat either
        assert alice.chat.messages == {} and emulator.flood_limit_per_second is None

        assert (await post(http, send, said))[0] == 200
        assert [m.text for m in alice.chat.messages.values()] == ["/start"]
    finally:
        await emulator.stop()
