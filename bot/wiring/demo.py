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
import ctypes
import os
import signal
import sys
from pathlib import Path

from bot.services.config import without_settings
from bot.services.lines.registry import default_markups
from bot.services.money import MICRO
from bot.wiring.demo_offers import seed_offers
from bot.wiring.playground_view import StoredShopView
from sandbox.playground.server import Playground, Seat
from sandbox.server import free_port
from sandbox.telegram import TelegramEmulator
from sandbox.telegram.state import BotAccount
from sandbox.upstreams import Upstreams
from storage.ledger import Kind, Ledger
from storage.process_lock import LockHeld, ProcessLock
from storage.sqlite import SqliteDatabase
from storage.users import CustomerStore

ROOT = Path(__file__).resolve().parents[2]
DEMO_TOKEN = "1000000001:DEMO-offline-token"
DEMO_BOT = "storefront_demo_bot"
DEMO_ADMIN_CHAT = -1000000000001
DEMO_ADMIN = 1
ALICE, BOB = 1001, 1002
BOB_WELCOME = 100  # USDT; Alice starts with nothing and tops up
DEMO_FOLDER = Path("data/demo")
OFFLINE_DATABASE = "shop.sqlite3"  # fresh on every start
# With real Telegram, real people may have paid (Telegram Stars are real): that database is kept.
TELEGRAM_DATABASE = "telegram.sqlite3"
PR_SET_PDEATHSIG = 1
_prctl = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None
POLLING_WAIT = 30.0
STOP_WAIT = 45.0  # the bot lets a broadcast copy and job runs under way finish
# Quicker than production, so a visitor sees deposits and follow-ups happen.
UPSTREAM_TIMEOUT = 5
DEPOSIT_CHECK_SECONDS = 2


class DemoBusy(Exception):
    """Another demo runs from this folder: its database must not be touched."""


def _take_folder() -> tuple[Path, ProcessLock]:
    """The demo's folder, locked for this demo (the lock goes when the process does); its bot
    takes the database's own lock, as every `python -m bot run` does."""
    folder = DEMO_FOLDER.resolve()
    lock = ProcessLock(folder / "demo.lock")
    try:
        lock.acquire()
    except LockHeld as held:
        raise DemoBusy(f"{DEMO_FOLDER} ({held.who})") from None
    return folder, lock


def _fresh_database(folder: Path) -> Path:
    """SQLite's files of the last offline demo, gone; the lock file beside them stays (a lock
    file is never removed: see storage/process_lock)."""
    database = folder / OFFLINE_DATABASE
    for suffix in ("", "-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    return database


async def _seed(database: Path) -> None:
    async with SqliteDatabase(database) as db:
        customers = CustomerStore(db)
        await customers.register(BOB, username="bob", first_name="Bob", language="en")
        await Ledger(db).credit(
            BOB, BOB_WELCOME * MICRO, key="demo:welcome", kind=Kind.DEPOSIT, memo="demo"
        )
        await seed_offers(db, BOB, list(default_markups()))


def _die_with_the_demo() -> None:
    """In the bot's process, before it starts: end it (SIGTERM) if the demo dies, even by
    SIGKILL, rather than leave it polling on its own (Linux; elsewhere Ctrl+C still stops it)."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _bot_environment(
    upstreams: Upstreams, database: Path, telegram_base: str | None, web_port: int
) -> dict[str, str]:
    env = without_settings(os.environ)
    token = os.environ.get("BOT_TOKEN", "").strip()
    env.update(
        BOT_TOKEN=token or DEMO_TOKEN,
        DATABASE_PATH=str(database),
        WEB_HOST="127.0.0.1",
        WEB_PORT=str(web_port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
        UPSTREAM_TIMEOUT_SECONDS=str(UPSTREAM_TIMEOUT),
        RECONCILE_EVERY_SECONDS="3",
        REFERRAL_RELEASE_EVERY_SECONDS="5",
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
        Seat(
            "operators",
            "Shop operators",
            "Admin group · you are the operator",
            operator.chat,
            operator.user,
        ),
    ]
    return emulator, account, seats


async def _wait_for_polling(
    account: BotAccount, bot: asyncio.subprocess.Process, stop: asyncio.Event
) -> bool:
    """Until the bot asks for updates (True), or it dies, takes too long or Ctrl+C (False)."""
    deadline = asyncio.get_running_loop().time() + POLLING_WAIT
    while account.get_updates_calls == 0:
        if bot.returncode is not None or stop.is_set():
            return False
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _banner(page: str, real_telegram: bool) -> str:
    if real_telegram:
        return "\n".join(
            [
                "",
                "Storefront demo with your bot in real Telegram (BOT_TOKEN is set); every upstream",
                "is simulated.",
                f"  Playground  {page} (the sandbox panel: USDT transfers, upstream trouble)",
                f"  Database    {DEMO_FOLDER / TELEGRAM_DATABASE} (kept between starts)",
                "Use a test bot from @BotFather, not your shop's: two programs polling one bot",
                "share its updates. Telegram Stars paid to the bot are real Stars; refund them",
                "with /refundstars. Never send real USDT to the demo's deposit address: nobody",
                "owns it.",
                "Stop with Ctrl+C.",
                "",
            ]
        )
    lines = [
        "",
        "Storefront demo: the whole shop on this machine, nothing leaves it.",
        f"  Playground  {page}",
        f"  Database    {DEMO_FOLDER / OFFLINE_DATABASE} (fresh on every start)",
    ]
    lines += [
        f"  Customers   Alice (empty wallet) and Bob ({BOB_WELCOME} USDT)",
        "  Operators   the 'Shop operators' group; you are its operator",
        "Open the playground in a browser. Stop with Ctrl+C.",
        "",
    ]
    return "\n".join(lines)


async def run_demo(host: str = "127.0.0.1", port: int = 8080) -> int:
    real_telegram = bool(os.environ.get("BOT_TOKEN", "").strip())
    try:
        folder, lock = _take_folder()
    except DemoBusy as busy:
        print(f"another demo is running from {busy}; stop it first", file=sys.stderr)
        return 2
    with lock:
        return await _run(folder, host, port, real_telegram)


async def _run(folder: Path, host: str, port: int, real_telegram: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    upstreams = Upstreams()
    emulator: TelegramEmulator | None = None
    account: BotAccount | None = None
    seats: list[Seat] = []
    if real_telegram:
        database = folder / TELEGRAM_DATABASE
        async with SqliteDatabase(database):  # migrated here, before the bot and the page share it
            pass
    else:
        emulator, account, seats = _emulated_telegram()
        database = _fresh_database(folder)
        await _seed(database)
    shop_view = StoredShopView(database)
    playground = Playground(
        upstreams,
        shop_view,
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
        # Started before the playground's view opens the database: no thread runs yet to trouble
        # the fork, and the bot is told to end with the demo.
        bot = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=folder,  # no operator's .env is read from here
            env=_bot_environment(upstreams, database, telegram_base, free_port()),
            stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=_die_with_the_demo,
        )
        await shop_view.open()
        try:
            page = await playground.start(host, port) + "/"
        except OSError as busy:
            print(
                f"cannot serve the playground on {host}:{port}: {busy.strerror}; "
                "choose another with --port",
                file=sys.stderr,
            )
            return 2
        if account is not None and not await _wait_for_polling(account, bot, stop):
            if stop.is_set():
                return 0
            print("the demo bot did not start; its log is above", file=sys.stderr)
            return 1
        print(_banner(page, real_telegram), flush=True)
        bot_exit = asyncio.create_task(bot.wait())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({bot_exit, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if bot_exit.done() and not stop.is_set():
            print(
                f"the demo bot stopped (exit {bot.returncode}); its log is above", file=sys.stderr
            )
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
        await shop_view.close()
        if emulator is not None:
            await emulator.stop()
        await upstreams.stop()
