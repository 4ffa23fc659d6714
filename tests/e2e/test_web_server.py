"""The bot's own HTTP server (where upstream callbacks arrive) under hostile traffic: the real bot
process, limited to the open files of a small server, and real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from sandbox import kumquat
from sandbox.server import free_port
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, orders_of, wallet_of
from tests.e2e.harness import Shop
from tests.e2e.test_topup import bought, callback_sent, callbacks_answered, confirmation

HALF_OPEN = 500
BOT_OPEN_FILES = 256  # a small server's `ulimit -n`: fewer than the half-open connections
READ_TIMEOUT = 3  # WEB_READ_TIMEOUT_SECONDS of this shop
CONNECT_WITHIN = 20.0  # a bound on each connection attempt, so the test cannot hang
CLOSED_WITHIN = READ_TIMEOUT + 20.0  # a bound on waiting for the server to close one
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ")

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@pytest_asyncio.fixture
async def small_server(tmp_path: Path) -> AsyncIterator[Shop]:
    """A shop whose bot may hold only BOT_OPEN_FILES files and sockets open."""
    running = Shop(
        tmp_path, {"WEB_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT)}, open_files=BOT_OPEN_FILES
    )
    running.topup.process_seconds = 0.02
    running.topup.callback_delay = 0.02
    await running.start()
    yield running
    await running.stop()


def room_for(sockets: int) -> None:
    """This test process needs a file descriptor per connection it holds open."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


async def half_sent_request(port: int) -> Connection | None:
    """A connection that sends half a request line, then nothing more (None: the server closed
    it before the half line was sent)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /callbacks/kum")
        await writer.drain()
    except ConnectionError:
        writer.close()
        return None
    return reader, writer


async def open_half_sent(port: int, count: int) -> list[Connection]:
    """`count` half-sent requests, all connected (none timed out or was refused)."""
    attempts = await asyncio.gather(
        *(asyncio.wait_for(half_sent_request(port), CONNECT_WITHIN) for _ in range(count)),
        return_exceptions=True,
    )
    held = [attempt for attempt in attempts if isinstance(attempt, tuple)]
    failed = [attempt for attempt in attempts if isinstance(attempt, BaseException)]
    if failed:
        for _, writer in held:
            writer.close()
    assert not failed, f"{len(failed)} of {count} connections failed: {failed[0]!r}"
    return held


async def closed_by_server(connection: Connection) -> bool:
    reader, _ = connection
    try:
        await asyncio.wait_for(reader.read(), CLOSED_WITHIN)
    except ConnectionError:
        return True  # reset: closed as well
    except TimeoutError:
        return False
    return True  # end of stream


def most_repeated(log_lines: list[str]) -> tuple[str, int]:
    """The log line (its time stamp aside) written most often, and how often."""
    counts = Counter(TIMESTAMP.sub("", line) for line in log_lines if line.strip())
    return counts.most_common(1)[0]


async def test_half_sent_requests_do_not_stop_the_shop(small_server: Shop) -> None:
    shop = small_server
    room_for(HALF_OPEN)
    cleo, _ = await confirmation(shop, "254771114118", "100 KES · 0.79 USDT")

    held = await open_half_sent(shop.web_port, HALF_OPEN)
    try:
        # Meanwhile a customer buys, and KUMQUAT's callback comes through a new connection.
        await cleo.press(CONFIRM)
        done = await cleo.wait_until(lambda m: "Done!" in m.text)
        assert "📶 Airtime 100 KES sent to +254771114118" in done.text
        [(order_id, status)] = await orders_of(shop, cleo.user_id)
        assert status == OrderStatus.SUCCEEDED
        callbacks = await callbacks_answered(shop, order_id)
        assert [c["answer"] for c in callbacks] == ["SUCCESS"]
        # and a new customer opens the shop.
        mia = shop.customer("Mia")
        await mia.send("/start")
        assert "💰 Wallet" in (await mia.wait_for_bot()).labels

        # Every half-sent request is closed by the server: none is left to hold a socket.
        closed = await asyncio.gather(*(closed_by_server(c) for c in held))
        assert all(closed), f"{closed.count(False)} of {len(held)} are still open"
    finally:
        for _, writer in held:
            writer.close()
        for _, writer in held:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    assert shop.bot is not None and shop.bot.running
    log = shop.bot.log
    assert "Too many open files" not in log and "Traceback" not in log
    line, times = most_repeated(shop.bot.log_lines)
    assert times <= 3, (times, line)
    assert await wallet_of(shop, cleo) == (10 * USDT - 790_000, 0)
    await shop.check_ledger()


def signed(payload: dict[str, object]) -> dict[str, object]:
    return {**payload, "sign": kumquat.sign(payload, kumquat.DEMO_SIGN_KEY)}


def hostile_bodies(genuine: dict[str, object]) -> dict[str, tuple[bytes, str]]:
    """Bodies for the KUMQUAT callback route, each with its content type, by what they are."""
    reversal = {k: v for k, v in genuine.items() if k != "sign"} | {"status": "error"}
    deep = "[" * 100_000 + "]" * 100_000
    deep_within_the_limit = "[" * 30_000 + "]" * 30_000
    nested_field = json.dumps(signed(reversal))[:-1] + ', "result": ' + "[" * 990 + "]" * 990 + "}"
    as_json = "application/json"
    return {
        "100,000 nested lists": (deep.encode(), as_json),
        "30,000 nested lists": (deep_within_the_limit.encode(), as_json),
        "a field nested 990 deep": (nested_field.encode(), as_json),
        "a sign in Chinese": (json.dumps({**reversal, "sign": "签名" * 16}).encode(), as_json),
        "a sign in Latin-1": (json.dumps({**reversal, "sign": "é" * 32}).encode(), as_json),
        "a sign that is a list": (json.dumps({**reversal, "sign": ["a"]}).encode(), as_json),
        "not JSON": (b"status=error&sign=", as_json),
        "not UTF-8": (b'{"status": "\xff\xfe"}', as_json),
        "a JSON list": (json.dumps([signed(reversal)]).encode(), as_json),
        "100 KB of JSON": (
            json.dumps({**signed(reversal), "pad": "x" * 100_000}).encode(),
            as_json,
        ),
        "a broken form": (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data"),
    }


async def post_raw(shop: Shop, body: bytes, content_type: str, *, chunked: bool = False) -> int:
    url = f"http://127.0.0.1:{shop.web_port}/callbacks/kumquat"

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    data = pieces() if chunked else body
    headers = {"Content-Type": content_type}
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(url, data=data, headers=headers) as answer:
                assert (await answer.text()) != "SUCCESS"
                return answer.status
        except aiohttp.ClientOSError:  # closed while the rest was on its way: refused as well
            return 413


async def test_hostile_callback_bodies_are_refused_and_change_nothing(small_server: Shop) -> None:
    shop = small_server
    cleo, order_id = await bought(shop, "254771114118", "100 KES · 0.79 USDT")
    genuine = await callback_sent(shop, order_id)

    answers = {
        what: await post_raw(shop, body, content_type)
        for what, (body, content_type) in hostile_bodies(genuine).items()
    }
    huge = json.dumps({**genuine, "pad": "x" * 200_000}).encode()
    answers["200 KB sent in chunks"] = await post_raw(shop, huge, "application/json", chunked=True)
    assert answers == {
        "100,000 nested lists": 413,
        "30,000 nested lists": 400,
        "a field nested 990 deep": 400,
        "a sign in Chinese": 401,
        "a sign in Latin-1": 401,
        "a sign that is a list": 400,
        "not JSON": 400,
        "not UTF-8": 400,
        "a JSON list": 400,
        "100 KB of JSON": 413,
        "a broken form": 400,
        "200 KB sent in chunks": 413,
    }

    # The genuine callback again, as a form and as multipart: taken (and, a replay, it changes
    # nothing).
    fields = {k: str(v) for k, v in genuine.items()}
    multipart = aiohttp.FormData(fields, default_to_multipart=True)
    url = f"http://127.0.0.1:{shop.web_port}/callbacks/kumquat"
    async with aiohttp.ClientSession() as session:
        for form in (aiohttp.FormData(fields), multipart):
            async with session.post(url, data=form) as answer:
                assert (answer.status, await answer.text()) == (200, "SUCCESS")

    # A body that never arrives whole: the connection is closed after the read timeout.
    reader, writer = await asyncio.open_connection("127.0.0.1", shop.web_port)
    writer.write(
        b"POST /callbacks/kumquat HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"status": '
    )
    await writer.drain()
    assert await closed_by_server((reader, writer))
    writer.close()

    assert await wallet_of(shop, cleo) == (10 * USDT - 790_000, 0)
    assert await orders_of(shop, cleo.user_id) == [(order_id, OrderStatus.SUCCEEDED)]
    assert shop.bot is not None
    assert "Traceback" not in shop.bot.log
    assert not any("签名" in line or "é" * 32 in line for line in shop.bot.log_lines)
    await shop.check_ledger()


@pytest.mark.parametrize(
    ("variable", "mode"),
    [("WEB_PORT", "polling"), ("WEB_PORT", "webhook"), ("METRICS_PORT", "polling")],
)
async def test_a_busy_port_stops_start_up_in_one_line(
    tmp_path: Path, variable: str, mode: str
) -> None:
    """The port is taken (another shop, a proxy): the operator reads one line naming the
    variable, and what start-up had opened (the loopback metrics server, when the web port is
    the one taken) is closed again, so the process ends instead of hanging or writing a
    traceback, and no job ran into a closed database."""
    taken = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    metrics_port = port if variable == "METRICS_PORT" else free_port()
    shop = Shop(tmp_path, {"METRICS_PORT": str(metrics_port)}, webhook=mode == "webhook")
    if variable == "WEB_PORT":
        shop.web_port = port
    await shop.emulator.start(host="127.0.0.1", port=0)
    await shop.upstreams.start()
    try:
        code, said = await shop.run_command("run")
    finally:
        taken.close()
        await taken.wait_closed()
        await shop.stop()
    assert code == 2, said
    assert said.strip().splitlines()[-1] == (
        f"configuration error: {variable} is invalid: cannot listen on 127.0.0.1:{port} "
        "(address already in use)"
    )
    assert "Traceback" not in said
