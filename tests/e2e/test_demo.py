"""`python -m bot demo` runs the shop offline; it is driven over the emulator's HTTP routes."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from tests.e2e.harness import ROOT

CUSTOMER = 1001


async def _read_until_url(stream: asyncio.StreamReader, seen: list[str]) -> str:
    while True:
        line = (await stream.readline()).decode()
        if not line:
            raise AssertionError("the demo exited early:\n" + "".join(seen))
        seen.append(line)
        match = re.search(r"Telegram emulator\s+(http://127\.0\.0\.1:\d+)", line)
        if match:
            return match.group(1)


async def test_the_demo_serves_a_customer_over_http(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--port", "0",
        cwd=tmp_path, env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    seen: list[str] = []
    try:
        base = await asyncio.wait_for(_read_until_url(process.stdout, seen), 20)
        chat = f"{base}/_emulator/chats/{CUSTOMER}"
        async with aiohttp.ClientSession() as http:

            async def act(path: str, body: dict[str, object]) -> None:
                async with http.post(f"{chat}/{path}", json={"user_id": CUSTOMER, **body}) as r:
                    assert r.status == 200, await r.text()

            async def bot_text_after(version: int) -> tuple[int, str]:
                async with http.get(f"{chat}/wait", params={"after": version, "timeout": 10}) as r:
                    new_version = int((await r.json())["version"])
                assert new_version > version, "the bot did not answer"
                async with http.get(f"{chat}/messages") as r:
                    messages = (await r.json())["messages"]
                return new_version, [m for m in messages if m["from_bot"]][-1]["text"]

            await act("send", {"text": "/start"})
            version, menu = await bot_text_after(0)
            assert "Welcome back, Alice." in menu
            assert "Balance: 100.00 USDT" in menu

            await act("press", {"label": "💰 Wallet"})
            _, wallet = await bot_text_after(version)
            assert "Available: 100.00 USDT" in wallet
            assert "Deposit  +100.00 USDT" in wallet
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        rest = await asyncio.wait_for(process.stdout.read(), 15)
        await process.wait()
    log = "".join(seen) + rest.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
