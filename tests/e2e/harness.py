"""Runs the real bot (`python -m bot run`, real polling, or on its webhook with `webhook=True`)
against the Telegram emulator.

The bot is a separate process, configured only through its environment, exactly as an operator runs
it. Tests talk to it as Telegram users through the emulator's driver and look at the shop's database
with the shop's own storage classes (SQLite in WAL mode lets both processes use it at once). Given a
`database_url`, the bot and the test's view both use that database instead (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from bot.services.config import without_settings
from sandbox.bot_process import QUICK_FOLLOW_UPS, BotProcess, run_bot_command
from sandbox.server import free_port
from sandbox.telegram import ChatDriver, TelegramEmulator
from sandbox.upstreams import Upstreams
from storage.database import Database
from storage.engines import database_for
from storage.ledger import Ledger
from storage.users import CustomerStore
from tests.e2e.secrets_watch import WATCH

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "4242424242:TEST-token-never-logged"
ADMIN_CHAT_ID = -1001234567890
ADMIN_ID = 900_001
SECOND_ADMIN_ID = 900_002
WEBHOOK_SECRET = "TEST-webhook_secret-never-logged"

_user_ids = itertools.count(100_001)


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait until `condition` holds; fails the test naming `what` if it does not in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


class Shop:
    """A running shop: emulator, bot process and a view on its database. With `webhook`, the bot
    runs in webhook mode: the emulator posts each update to it, as Telegram does. With
    `database_url` (`postgresql://...`), the shop runs on that database rather than on SQLite in
    `workdir`."""

    def __init__(
        self,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        *,
        open_files: int | None = None,
        webhook: bool = False,
        database_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.webhook = webhook
        self._open_files = open_files
        self.db_path = workdir / "shop.sqlite3"
        self.emulator = TelegramEmulator()
        self.emulator.add_bot(token=BOT_TOKEN, username="storefront_test_bot", first_name="Shop")
        self._extra_env = extra_env or {}
        self.bot: BotProcess | None = None
        self.database_url = database_url
        self.db: Database = database_for(database_url, self.db_path)
        self.ledger = Ledger(self.db)
        self.customers = CustomerStore(self.db)
        self.admin_group = self.emulator.group(chat_id=ADMIN_CHAT_ID, title="Shop operators")
        # Every upstream, simulated; each product line is configured against its simulator.
        self.upstreams = Upstreams()
        self.cloud = self.upstreams.cloud
        self.energy = self.upstreams.energy
        self.topup = self.upstreams.topup
        self.accounts = self.upstreams.accounts
        self.acedata = self.upstreams.acedata
        self.tron = self.upstreams.tron  # USDT deposits to DEPOSIT_ADDRESS
        self.web_port = free_port()  # the bot's own server, where upstream callbacks arrive

    def _env(self) -> dict[str, str]:
        env = without_settings(os.environ)  # nothing of the operator's own configuration
        env.update(
            BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE=self.emulator.base_url,
            DATABASE_PATH=str(self.db_path),
            ADMIN_CHAT_ID=str(ADMIN_CHAT_ID),
            ADMIN_IDS=f"{ADMIN_ID},{SECOND_ADMIN_ID}",
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(self.web_port),
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.web_port}",
            **self.upstreams.bot_environment(),
            **QUICK_FOLLOW_UPS,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if self.database_url is not None:
            env.update(DATABASE_URL=self.database_url)
        if self.webhook:
            env.update(BOT_MODE="webhook", WEBHOOK_SECRET=WEBHOOK_SECRET)
        env.update(self._extra_env)
        return env

    @property
    def webhook_url(self) -> str:
        """Where the bot takes updates in webhook mode (PUBLIC_BASE_URL + the default path)."""
        return f"http://127.0.0.1:{self.web_port}/telegram/webhook"

    async def start(self) -> None:
        await self.emulator.start(host="127.0.0.1", port=0)
        await self.upstreams.start()
        await self.start_bot()
        await self.db.open()

    async def stop_upstream(self, name: str) -> None:
        """Take an upstream's simulator off the network: connections to it are refused."""
        await self.upstreams.take_offline(name)

    async def restart_upstream(self, name: str) -> None:
        """Bring a stopped upstream back at the address the bot knows."""
        await self.upstreams.bring_back(name)

    async def start_bot(self) -> None:
        env = self._env()
        self.bot = BotProcess(env, self.workdir, open_files=self._open_files)
        WATCH.watch("the bot (python -m bot run)", env, self.bot.log_lines)
        await self.bot.start()

    async def restart_bot(self, sig: int = signal.SIGTERM) -> None:
        assert self.bot is not None
        await self.bot.stop(sig)
        await self.start_bot()

    async def check_ledger(self) -> str:
        """`python -m bot check`, as an operator runs it; fails the test unless it passes."""
        returncode, report = await self.run_check()
        assert returncode == 0, report
        return report

    async def run_check(self) -> tuple[int, str]:
        """`python -m bot check`: its exit code and what it printed."""
        return await self.run_command("check")

    async def run_command(self, *args: str) -> tuple[int, str]:
        """`python -m bot ARGS` beside the running bot, with its configuration: the exit code and
        what it printed. One that does not end by itself (a second shop polling) fails the test."""
        env = self._env()
        code, output = await run_bot_command(env, self.workdir, *args)
        WATCH.watch(f"python -m bot {' '.join(args)}", env, output.splitlines())
        return code, output

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        await self.db.close()
        await self.upstreams.stop()
        await self.emulator.stop()

    def customer(
        self,
        first_name: str = "Alice",
        *,
        language_code: str | None = "en",
        username: str | None = None,
    ) -> ChatDriver:
        """A new Telegram user, never seen by the shop, in a private chat with the bot."""
        user_id = next(_user_ids)
        return self.emulator.private_chat(
            user_id=user_id,
            first_name=first_name,
            username=username or f"user{user_id}",
            language_code=language_code,
        )

    def admin(self, user_id: int = ADMIN_ID, username: str = "boss") -> ChatDriver:
        """An operator (one of ADMIN_IDS) in the operators' group."""
        return self.admin_group.as_user(user_id=user_id, first_name="Operator", username=username)

    def group_visitor(self) -> ChatDriver:
        """A member of the operators' group who is not one of ADMIN_IDS."""
        return self.admin_group.as_user(user_id=900_999, first_name="Visitor", username="visitor")

    async def deposit(self, chat: ChatDriver, amount: int, key: str) -> None:
        """Money in for a customer the bot already knows, written straight to the ledger."""
        await self.ledger.credit(chat.user_id, amount, key=key, memo="test deposit")
