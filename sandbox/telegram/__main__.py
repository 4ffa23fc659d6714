"""`python -m sandbox.telegram`: the emulator on its own, for a bot started separately."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.telegram import TelegramEmulator


async def serve(host: str, port: int, token: str, username: str) -> None:
    emulator = TelegramEmulator()
    emulator.add_bot(token=token, username=username)
    base = await emulator.start(host, port)
    print(f"Telegram emulator at {base} (bot @{username})", flush=True)
    print(f"point the bot at it: TELEGRAM_API_BASE={base} BOT_TOKEN={token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.telegram")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--username", default="storefront_bot")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.token, args.username))


if __name__ == "__main__":
    main()
