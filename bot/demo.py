"""`python -m bot demo`: the shop running offline against the Telegram emulator, no token needed.

A fresh demo database, a customer with a welcome balance, and an operators' group are set up; the
printed commands talk to the bot through the emulator's HTTP driver.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from bot.app import build_bot, build_dispatcher
from bot.config import Settings
from bot.money import MICRO
from bot.shop import Shop
from sandbox.telegram import TelegramEmulator
from storage.ledger import Kind

DEMO_TOKEN = "1000000001:DEMO-offline-token"
DEMO_ADMIN_CHAT = -1000000000001
DEMO_ADMIN = 1
DEMO_CUSTOMER = 1001
DEMO_DATABASE = Path("data/demo.sqlite3")


def _instructions(base: str) -> str:
    chat = f"{base}/_emulator/chats/{DEMO_CUSTOMER}"
    json = "-H 'content-type: application/json'"
    return "\n".join(
        [
            "",
            "Storefront demo: running offline.",
            f"  Telegram emulator  {base}",
            f"  database           {DEMO_DATABASE} (fresh on every start)",
            f"  customer           Alice, user {DEMO_CUSTOMER}, with a 100.00 USDT welcome balance",
            f"  operators' group   chat {DEMO_ADMIN_CHAT}, admin user {DEMO_ADMIN}",
            "",
            "Talk to the bot as Alice:",
            f'  curl -s -X POST {chat}/send {json} -d \'{{"user_id": {DEMO_CUSTOMER},'
            ' "text": "/start"}\'',
            f"  curl -s {chat}/messages",
            f'  curl -s -X POST {chat}/press {json} -d \'{{"user_id": {DEMO_CUSTOMER},'
            ' "label": "💰 Wallet"}\'',
            f"Operators' group: curl -s {base}/_emulator/chats/{DEMO_ADMIN_CHAT}/messages",
            "Stop with Ctrl+C.",
            "",
        ]
    )


async def run_demo(host: str = "127.0.0.1", port: int = 8081) -> int:
    emulator = TelegramEmulator()
    emulator.add_bot(token=DEMO_TOKEN, username="storefront_demo_bot", first_name="Storefront")
    base = await emulator.start(host, port)
    emulator.private_chat(DEMO_CUSTOMER, "Alice", "alice", "en")
    emulator.group(DEMO_ADMIN_CHAT, "Shop operators").as_user(DEMO_ADMIN, "Operator", "operator")

    for leftover in (DEMO_DATABASE, *DEMO_DATABASE.parent.glob(DEMO_DATABASE.name + "-*")):
        leftover.unlink(missing_ok=True)
    config = Settings(
        _env_file=None,
        bot_token=DEMO_TOKEN,
        telegram_api_base=base,
        database_path=DEMO_DATABASE,
        admin_chat_id=DEMO_ADMIN_CHAT,
        admin_ids=frozenset({DEMO_ADMIN}),
    )
    shop = await Shop.open(config)
    bot = build_bot(config)
    try:
        await shop.customers.register(
            DEMO_CUSTOMER, username="alice", first_name="Alice", language="en"
        )
        await shop.ledger.credit(
            DEMO_CUSTOMER, 100 * MICRO, key="demo:welcome", kind=Kind.DEPOSIT, memo="demo"
        )
        print(_instructions(base), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            await build_dispatcher(shop).start_polling(bot, polling_timeout=25)
    finally:
        await bot.session.close()
        await shop.close()
        await emulator.stop()
    return 0
