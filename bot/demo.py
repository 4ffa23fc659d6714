"""`python -m bot demo`: the whole shop offline, in a browser tab.

On loopback: the Telegram emulator, every upstream simulator with demo credentials, the bot
(`python -m bot run`, exactly as an operator runs it) configured against them with a fresh demo
database, and the playground page. Two customers and an operator are ready to go.

With `BOT_TOKEN` in the environment the bot talks to real Telegram instead of the emulator (with
`TELEGRAM_API_BASE`, `ADMIN_CHAT_ID` and `ADMIN_IDS` from the environment, if given); the upstreams
are still the simulators and the playground is the sandbox panel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

from bot.config import without_settings
from bot.money import MICRO
from sandbox.playground.server import Playground, Seat
from sandbox.telegram import TelegramEmulator
from sandbox.telegram.state import BotAccount
from sandbox.upstreams import Upstreams
from storage.database import Database
from storage.ledger import Kind, Ledger
from storage.users import CustomerStore

ROOT = Path(__file__).resolve().parents[1]
DEMO_TOKEN = "1000000001:DEMO-offline-token"
DEMO_BOT = "storefront_demo_bot"
DEMO_ADMIN_CHAT = -1000000000001
DEMO_ADMIN = 1
ALICE, BOB = 1001, 1002
BOB_WELCOME = 100  # USDT; Alice starts with nothing and tops up
DEMO_FOLDER = Path("data/demo")
POLLING_WAIT = 30.0
STOP_WAIT = 15.0
# Quicker than production, so a visitor sees deposits and follow-ups happen.
UPSTREAM_TIMEOUT = 5
DEPOSIT_CHECK_SECONDS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _fresh_folder() -> Path:
    folder = DEMO_FOLDER.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("shop.sqlite3*"):
        leftover.unlink()
    return folder


async def _seed(database: Path) -> None:
    async with Database(database) as db:
        customers = CustomerStore(db)
        await customers.register(BOB, username="bob", first_name="Bob", language="en")
        await Ledger(db).credit(
            BOB, BOB_WELCOME * MICRO, key="demo:welcome", kind=Kind.DEPOSIT, memo="demo"
        )


def _bot_environment(
    upstreams: Upstreams, folder: Path, telegram_base: str | None, web_port: int
) -> dict[str, str]:
    env = without_settings(os.environ)
    token = os.environ.get("BOT_TOKEN", "").strip()
    env.update(
        BOT_TOKEN=token or DEMO_TOKEN,
        DATABASE_PATH=str(folder / "shop.sqlite3"),
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(web_port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
        UPSTREAM_TIMEOUT_SECONDS=str(UPSTREAM_TIMEOUT),
        RECONCILE_EVERY_SECONDS="3",
        CLOUDRUBY_REPAY_AFTER_SECONDS="10",
        DEPOSIT_CHECK_EVERY_SECONDS=str(DEPOSIT_CHECK_SECONDS),
        STARS_REFUND_RETRY_SECONDS="10",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        **upstreams.bot_environment(),
    )
    if telegram_base is not None:
        env.update(
            TELEGRAM_API_BASE=telegram_base,
            ADMIN_CHAT_ID=str(DEMO_ADMIN_CHAT),
            ADMIN_IDS=str(DEMO_ADMIN),
        )
    else:  # real Telegram: the operator's bot, group and (say, a local Bot API server) address
        for name in ("TELEGRAM_API_BASE", "ADMIN_CHAT_ID", "ADMIN_IDS"):
            if os.environ.get(name):
                env[name] = os.environ[name]
    return env


def _emulated_telegram() -> tuple[TelegramEmulator, BotAccount, list[Seat]]:
    emulator = TelegramEmulator()
    emulator.add_bot(token=DEMO_TOKEN, username=DEMO_BOT, first_name="Storefront")
    account = emulator.bot()
    alice = emulator.private_chat(ALICE, "Alice", "alice", "en")
    bob = emulator.private_chat(BOB, "Bob", "bob", "en")
    operator = emulator.group(DEMO_ADMIN_CHAT, "Shop operators").as_user(
        DEMO_ADMIN, "Operator", "operator"
    )
    seats = [
        Seat("alice", "Alice", "Customer · starts with an empty wallet", alice.chat, alice.user),
        Seat("bob", "Bob", f"Customer · {BOB_WELCOME} USDT to spend", bob.chat, bob.user),
        Seat("operators", "Shop operators", "Admin group · you are the operator", operator.chat,
             operator.user),
    ]  # fmt: skip
    return emulator, account, seats


async def _wait_for_polling(account: BotAccount, bot: asyncio.subprocess.Process) -> bool:
    deadline = asyncio.get_running_loop().time() + POLLING_WAIT
    while account.get_updates_calls == 0:
        if bot.returncode is not None or asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _banner(page: str, real_telegram: bool) -> str:
    lines = [
        "",
        "Storefront demo: the whole shop on this machine, nothing leaves it.",
        f"  Playground  {page}",
        f"  Database    {DEMO_FOLDER / 'shop.sqlite3'} (fresh on every start)",
    ]
    if real_telegram:
        lines += [
            "  Telegram    the real one, with BOT_TOKEN from the environment; every upstream is",
            "              simulated, so no real money moves. Top up from the playground's panel.",
        ]
    else:
        lines += [
            f"  Customers   Alice (empty wallet) and Bob ({BOB_WELCOME} USDT)",
            "  Operators   the 'Shop operators' group; you are its operator",
        ]
    lines += ["Open the playground in a browser. Stop with Ctrl+C.", ""]
    return "\n".join(lines)


async def run_demo(host: str = "127.0.0.1", port: int = 8080) -> int:
    real_telegram = bool(os.environ.get("BOT_TOKEN", "").strip())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    upstreams = Upstreams()
    emulator: TelegramEmulator | None = None
    account: BotAccount | None = None
    seats: list[Seat] = []
    if not real_telegram:
        emulator, account, seats = _emulated_telegram()
    folder = _fresh_folder()
    await _seed(folder / "shop.sqlite3")
    playground = Playground(
        upstreams,
        folder / "shop.sqlite3",
        bot=account,
        seats=seats,
        bot_name="your bot in Telegram" if real_telegram else f"@{DEMO_BOT}",
        late_answer_seconds=UPSTREAM_TIMEOUT + 3,
        deposit_check_seconds=DEPOSIT_CHECK_SECONDS,
    )
    bot: asyncio.subprocess.Process | None = None
    try:
        await upstreams.start()
        telegram_base = None if emulator is None else await emulator.start()
        try:
            page = await playground.start(host, port) + "/"
        except OSError as busy:
            print(f"cannot serve the playground on {host}:{port}: {busy.strerror}; "
                  "choose another with --port", file=sys.stderr)  # fmt: skip
            return 2
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=folder,  # no operator's .env is read from here
            env=_bot_environment(upstreams, folder, telegram_base, _free_port()),
            stdin=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if account is not None and not await _wait_for_polling(account, bot):
            print("the demo bot did not start; its log is above", file=sys.stderr)
            return 1
        print(_banner(page, real_telegram), flush=True)
        bot_exit = asyncio.create_task(bot.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({bot_exit, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if bot_exit.done() and not stop.is_set():
            print(f"the demo bot stopped (exit {bot.returncode}); its log is above",
                  file=sys.stderr)  # fmt: skip
            return 1
        return 0
    finally:
        if bot is not None and bot.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                bot.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(bot.wait(), STOP_WAIT)
            except TimeoutError:
                bot.kill()
                await bot.wait()
        await playground.stop()
        if emulator is not None:
            await emulator.stop()
        await upstreams.stop()
