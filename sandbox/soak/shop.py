"""The shop under soak: the Telegram emulator, every upstream simulator and the real bot process,
which can be killed with SIGKILL and started again on the same database."""

from __future__ import annotations

import itertools
import os
import signal
from decimal import Decimal
from pathlib import Path

from sandbox.bot_process import QUICK_FOLLOW_UPS, BotProcess, run_bot_command
from sandbox.server import free_port
from sandbox.soak.handled_once import BotRun
from sandbox.telegram import ChatDriver, TelegramEmulator
from sandbox.upstreams import Upstreams

ROOT = Path(__file__).resolve().parents[2]
BOT_TOKEN = "5151515151:SOAK-token-never-logged"
WEBHOOK_SECRET = "SOAK-webhook_secret-never-logged"
ADMIN_CHAT_ID = -1005151515151
ADMIN_ID = 950_001
WELL_FUNDED_SUN = 10**12  # a million TRX
WELL_FUNDED = Decimal(10**9)  # in each supplier's own currency
STARS_RATE = "0.013"  # USDT a Star credits
MICRO_PER_STAR = int(Decimal(STARS_RATE) * 1_000_000)
ACEDATA_LINK_SECONDS = 30.0
ACCOUNTS_RESTOCKED = (1, 4)  # Clone US, Outlook fresh
# Only what a process needs to run; nothing of the operator's own configuration reaches the bot.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


class Surroundings:
    """What a run's shop talks to, set up for a long run (the Telegram emulator with the shop's
    bot, the upstream simulators well funded), and the people in it: customers and the operator.
    `nickname` starts their usernames (`soak300001`, `soakboss`)."""

    def __init__(self, nickname: str) -> None:
        self._nickname = nickname
        self.emulator = TelegramEmulator()
        self.emulator.add_bot(token=BOT_TOKEN, username="storefront_soak_bot", first_name="Shop")
        self.upstreams = Upstreams()
        # Supplier accounts funded for thousands of orders: running dry is not what this tests
        # (an 11-minute run spends more than the simulators' demo balances).
        self.upstreams.energy.balance = WELL_FUNDED_SUN
        self.upstreams.cloud.agent_balance = WELL_FUNDED
        self.upstreams.topup.balance = WELL_FUNDED
        self.upstreams.accounts.balance = int(WELL_FUNDED)
        # KUMQUAT retries a callback with factorial delays (1, 2, 6, 24 s): a restart is outlived.
        self.upstreams.topup.callback_delay = 1.0
        # An unpaid AceData pay link expires while the run still watches it.
        self.upstreams.acedata.expire_seconds = ACEDATA_LINK_SECONDS
        for service_id in ACCOUNTS_RESTOCKED:  # the others are sold out, or soon will be
            self.upstreams.accounts.services[service_id].available = 1_000_000
        self._user_ids = itertools.count(300_001)

    def customer(self, name: str) -> ChatDriver:
        user_id = next(self._user_ids)
        return self.emulator.private_chat(
            user_id=user_id,
            first_name=name,
            username=f"{self._nickname}{user_id}",
            language_code="en",
        )

    def operator(self) -> ChatDriver:
        """ADMIN_ID in the operators' group."""
        group = self.emulator.group(ADMIN_CHAT_ID, "Shop operators")
        return group.as_user(
            user_id=ADMIN_ID, first_name="Operator", username=f"{self._nickname}boss"
        )


class SoakShop(Surroundings):
    """With `webhook`, the bot runs in webhook mode (`BOT_MODE=webhook`): the emulator posts each
    update to PUBLIC_BASE_URL + the default path, as Telegram does, and keeps it until answered."""

    def __init__(self, workdir: Path, *, webhook: bool = False) -> None:
        super().__init__("soak")
        self.workdir = workdir
        self.webhook = webhook
        self.db_path = workdir / "shop.sqlite3"
        self.web_port = free_port()
        self.bot: BotProcess | None = None
        self.logs: list[str] = []  # every bot process's log, the killed ones' too
        self.runs: list[BotRun] = []  # each bot process's log and how it ended, in order

    def environment(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(
            BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE=self.emulator.base_url,
            DATABASE_PATH=str(self.db_path),
            ADMIN_CHAT_ID=str(ADMIN_CHAT_ID),
            ADMIN_IDS=str(ADMIN_ID),
            WEB_HOST="127.0.0.1",
            WEB_PORT=str(self.web_port),
            PUBLIC_BASE_URL=f"http://127.0.0.1:{self.web_port}",
            **self.upstreams.bot_environment(),
            **QUICK_FOLLOW_UPS,
            STARS_RATE=STARS_RATE,
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        if self.webhook:
            env.update(BOT_MODE="webhook", WEBHOOK_SECRET=WEBHOOK_SECRET)
        return env

    async def start(self) -> None:
        await self.emulator.start(host="127.0.0.1", port=0)
        await self.upstreams.start()
        await self.start_bot()

    async def start_bot(self) -> None:
        self.bot = BotProcess(self.environment(), self.workdir)
        try:
            await self.bot.start()
        except AssertionError:  # it stopped itself: its log is kept, and there is no bot
            bot, self.bot = self.bot, None
            self._keep_log(bot, None)
            raise

    async def restart_bot(self) -> None:
        """Stopped as a service manager stops it (SIGTERM), and started again."""
        await self._stop_bot(signal.SIGTERM)
        await self.start_bot()

    async def kill_bot(self) -> None:
        """SIGKILL: the bot dies wherever it is, as on a power cut."""
        await self._stop_bot(signal.SIGKILL)

    async def _stop_bot(self, sig: int) -> None:
        if self.bot is None:
            return
        bot, self.bot = self.bot, None
        await bot.stop(sig)
        self._keep_log(bot, sig)

    def _keep_log(self, bot: BotProcess, ended_by: int | None) -> None:
        self.logs.extend(bot.log_lines)
        self.runs.append(BotRun(bot.log_lines, ended_by))

    async def check(self) -> tuple[int, str]:
        """`python -m bot check` beside the running bot: its exit code and report."""
        return await run_bot_command(self.environment(), self.workdir, "check")

    async def stop(self) -> None:
        await self._stop_bot(signal.SIGTERM)
        await self.upstreams.stop()
        await self.emulator.stop()
