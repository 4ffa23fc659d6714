"""`python -m bot demo` over HTTP: the playground's routes and live events on the offline shop,
and the demo with a real bot token, where Telegram is someone else's (here an emulator the test
runs, standing in for api.telegram.org) and the playground is the sandbox panel."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.services.config import without_settings
from sandbox.telegram import BotAccount, TelegramEmulator
from tests.e2e.demo import running_demo
from tests.e2e.flows import top_up_way
from tests.e2e.harness import ROOT

BOT_WAIT = 15.0
START_WAIT = 40.0


@asynccontextmanager
async def events(http: aiohttp.ClientSession, base: str) -> AsyncIterator[asyncio.Queue[str]]:
    """The playground's server-sent events after its `hello`, as `name data` strings."""
    seen: asyncio.Queue[str] = asyncio.Queue()
    connected = asyncio.Event()

    async def read() -> None:
        async with http.get(f"{base}api/events") as stream:
            name = ""
            async for raw in stream.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif name == "hello":
                    connected.set()
                elif line.startswith("data: "):
                    await seen.put(f"{name} {line.removeprefix('data: ')}")

    reader = asyncio.create_task(read())
    await asyncio.wait_for(connected.wait(), BOT_WAIT)
    try:
        yield seen
    finally:
        reader.cancel()


async def until_polled(account: BotAccount) -> None:
    deadline = asyncio.get_running_loop().time() + START_WAIT
    while True:
        if account.get_updates_calls:
            return
        assert asyncio.get_running_loop().time() < deadline, "the demo's bot never polled"
        await asyncio.sleep(0.1)


async def next_chat_event(live: asyncio.Queue[str]) -> str:
    while not (event := await live.get()).startswith("chat "):
        pass
    return event


async def chat_until(
    http: aiohttp.ClientSession, base: str, seat: str, done: Callable[[list[Any]], bool]
) -> list[dict[str, Any]]:
    deadline = asyncio.get_running_loop().time() + BOT_WAIT
    while True:
        async with http.get(f"{base}api/chats/{seat}") as response:
            assert response.status == 200, await response.text()
            messages: list[dict[str, Any]] = (await response.json())["messages"]
        if done(messages):
            return messages
        assert asyncio.get_running_loop().time() < deadline, messages
        await asyncio.sleep(0.1)


async def test_the_offline_demo_serves_the_page_and_its_chats(tmp_path: Path) -> None:
    # The operator's own configuration is in the environment: the demo uses none of it.
    operators_own = {
        "DATABASE_PATH": str(tmp_path / "operators-shop.sqlite3"),
        "TELEGRAM_API_BASE": "http://127.0.0.1:9",
        "CLOUDRUBY_BASE_URL": "http://127.0.0.1:9",
        "ADMIN_IDS": "5",
    }
    async with (
        running_demo(tmp_path, operators_own) as base,
        aiohttp.ClientSession() as http,
    ):
        async with http.get(base) as page:
            assert page.status == 200
            assert "Storefront playground" in await page.text()
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        async with http.get(f"{base}static/playground.js") as script:
            assert script.status == 200
        async with http.get(f"{base}api/setup") as response:
            setup = await response.json()
        assert setup["mode"] == "emulator"
        assert [seat["title"] for seat in setup["seats"]] == ["Alice", "Bob", "Shop operators"]

        async with events(http, base) as live:
            async with http.post(f"{base}api/chats/bob/send", json={"text": "/start"}) as sent:
                assert sent.status == 200, await sent.text()
            messages = await chat_until(
                http, base, "bob", lambda ms: any(m["from_bot"] for m in ms)
            )
            first_chat_event = await asyncio.wait_for(next_chat_event(live), BOT_WAIT)
            assert first_chat_event == 'chat {"seat": "bob"}'
        [mine, menu] = messages
        assert mine["mine"] and mine["text"] == "/start"
        assert "Balance: 100.00 USDT" in menu["text"]  # Bob's welcome balance
        before = menu["text"][: menu["text"].index("100.00")]
        offset = len(before.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units
        assert {"type": "bold", "offset": offset, "length": 11} in menu["entities"]

        wallet = next(b for row in menu["buttons"] for b in row if b["text"] == "💰 Wallet")
        async with http.post(
            f"{base}api/chats/bob/press",
            json={"message_id": menu["message_id"], "data": wallet["callback_data"]},
        ) as pressed:
            assert pressed.status == 200, await pressed.text()
        await chat_until(http, base, "bob", lambda ms: "Available: 100.00 USDT" in ms[-1]["text"])

        # "Try these": the demo's promo codes and Bob's invitation, which work as they say.
        samples = {sample["value"] for sample in setup["samples"]}
        assert {"WELCOME10", "/promo DEMOGIFT5", "/start r_bbshare2"} <= samples
        for text in ("/start r_bbshare2", "/promo DEMOGIFT5"):
            async with http.post(f"{base}api/chats/alice/send", json={"text": text}) as sent:
                assert sent.status == 200, await sent.text()
            await chat_until(http, base, "alice", lambda ms: ms[-1]["from_bot"])
        await chat_until(
            http, base, "alice", lambda ms: "DEMOGIFT5: 5.00 USDT added" in ms[-1]["text"]
        )
        async with http.post(f"{base}api/chats/bob/send", json={"text": "/start"}) as sent:
            assert sent.status == 200, await sent.text()
        again = (await chat_until(http, base, "bob", lambda ms: "Main menu" in ms[-1]["text"]))[-1]
        invite = next(
            b for row in again["buttons"] for b in row if b["text"] == "👥 Invite friends"
        )
        async with http.post(
            f"{base}api/chats/bob/press",
            json={"message_id": again["message_id"], "data": invite["callback_data"]},
        ) as pressed:
            assert pressed.status == 200, await pressed.text()
        await chat_until(http, base, "bob", lambda ms: "Friends who joined: 1" in ms[-1]["text"])

        async with http.get(f"{base}api/chats/operators") as response:
            commands = [c["command"] for c in (await response.json())["commands"]]
        assert {"stats", "refund", "broadcast"} <= set(commands)  # the operator's own menu
    assert not (tmp_path / "operators-shop.sqlite3").exists()
    assert (tmp_path / "data" / "demo" / "shop.sqlite3").exists()


async def test_with_a_bot_token_the_demo_uses_that_telegram(tmp_path: Path) -> None:
    telegram = TelegramEmulator()  # Telegram as the operator's bot would see it
    token = telegram.add_bot("7000000001:operator-own-token", username="operators_shop_bot")
    await telegram.start()
    customer = telegram.private_chat(user_id=555, first_name="Dana", language_code="en")
    environment = {
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": telegram.base_url,
        "ADMIN_CHAT_ID": "-1009999",
        "ADMIN_IDS": "42",
    }
    try:
        async with running_demo(tmp_path, environment) as base, aiohttp.ClientSession() as http:
            async with http.get(f"{base}api/setup") as response:
                setup = await response.json()
            assert (setup["mode"], setup["seats"]) == ("telegram", [])
            async with http.get(f"{base}api/chats/alice") as response:
                assert response.status == 404
            # The demo cannot see real Telegram, so it does not wait for its bot to poll: the
            # customer waits for that here (the bot's start-up is slow on a busy machine).
            await until_polled(telegram.bot(token))

            async with events(http, base) as live:
                await top_up_way(customer, "💵 USDT (TRC20)")
                await customer.press("10 USDT")
                request = await customer.wait_until(lambda m: "Send exactly" in m.text)
                # The panel of an open page learns of the request by itself.
                assert await asyncio.wait_for(live.get(), BOT_WAIT) == "sandbox {}"
            asked = request.text.split("Send exactly ")[1].split(" USDT")[0]

            async with http.get(f"{base}api/sandbox") as response:
                [waiting] = (await response.json())["deposit_requests"]
            assert (waiting["customer"], waiting["amount"]) == ("Dana", asked)
            async with http.post(f"{base}api/sandbox/usdt", json={"amount": asked}) as sent:
                assert sent.status == 200, await sent.text()
            credited = await customer.wait_until(lambda m: "added to your balance" in m.text)
            assert f"{asked} USDT added to your balance" in credited.text
            assert telegram.bot(token).get_updates_calls > 0
    finally:
        await telegram.stop()
    # Real people may have paid: that database is kept for the next start.
    assert (tmp_path / "data" / "demo" / "telegram.sqlite3").exists()


async def _second_demo(folder: Path, port: str) -> tuple[int | None, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        port,
        cwd=folder,
        env=without_settings(os.environ) | {"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, output.decode()


async def test_a_second_demo_leaves_the_first_alone(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    database = tmp_path / "data" / "demo" / "shop.sqlite3"
    async with running_demo(tmp_path) as base, aiohttp.ClientSession() as http:
        first_database = database.stat().st_ino
        port = base.rstrip("/").rsplit(":", 1)[1]

        # From the same folder: refused before anything of the first one is touched.
        code, output = await _second_demo(tmp_path, "0")
        assert code == 2 and "another demo is running from data/demo" in output, output
        # From another folder, on the same port: refused in a sentence.
        code, output = await _second_demo(tmp_path / "elsewhere", port)
        assert code == 2, output
        assert f"cannot serve the playground on 127.0.0.1:{port}" in output
        assert "choose another with --port" in output
        assert "Traceback" not in output

        assert database.stat().st_ino == first_database
        async with http.post(f"{base}api/chats/bob/send", json={"text": "/start"}) as sent:
            assert sent.status == 200
        await chat_until(http, base, "bob", lambda ms: "Balance: 100.00 USDT" in ms[-1]["text"])


async def test_the_bot_ends_with_a_killed_demo(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "demo",
        "--port",
        "0",
        cwd=tmp_path,
        env=without_settings(os.environ) | {"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    while b"Playground" not in await asyncio.wait_for(process.stdout.readline(), 40):
        pass
    [bot] = _children(process.pid)
    assert _command(bot)[1:4] == ["-m", "bot", "run"]

    process.kill()  # no Ctrl+C, no cleanup: the kernel tells the bot
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while _running(bot):
            assert asyncio.get_running_loop().time() < deadline, "the bot outlived the demo"
            await asyncio.sleep(0.1)
    finally:
        if _running(bot):
            os.kill(bot, signal.SIGKILL)
        await process.wait()  # its output pipe closes once nothing holds it


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _command(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status
