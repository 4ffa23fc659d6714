"""Footprint: how long the bot takes to start, and how much memory it holds once idle.

The end-to-end harness's `Shop` runs the Telegram emulator and every upstream simulator in this
process, with every product line configured against them. Each run spawns a new `python -m bot run`
(the database already migrated, as when an operator restarts the shop) and measures:

- start-up: from spawning the process to its first `getUpdates` call on the emulator;
- idle memory: VmRSS from /proc/PID/status, a few seconds after that first call.

Then a new customer sends /start and the bot must answer with the main menu, every line in it.
The target (docs/benchmarks.md): start-up under 2 s and idle memory under 100 MB.

For scale, each run also spawns a bare `python -c "from aiogram import Bot, Dispatcher"`: the time
until it exits and its VmRSS are the floor any aiogram bot on this machine starts from.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.common import RUNS, CheckFailed, check, figure, header, machine, run_main, show
from tests.e2e.harness import Shop

SETTLE_SECONDS = 3.0  # how long after its first getUpdates the bot idles before we read its memory
MENU = (
    "☁️ Cloud recharge",
    "⚡ TRON energy",
    "📱 Mobile top-up",
    "🛒 Accounts",
    "🤖 AceData credits",
    "💰 Wallet",
)
DATA = Path(__file__).resolve().parents[1] / "data"  # git-ignored, on the real disk
BARE_AIOGRAM = (
    "from aiogram import Bot, Dispatcher\n"
    "from pathlib import Path\n"
    "print(next(line for line in Path('/proc/self/status').read_text().splitlines()"
    " if line.startswith('VmRSS:')).split()[1])"
)


async def bare_aiogram() -> tuple[float, float]:
    """(seconds from spawn to exit, MB resident) of a process that only imports aiogram."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BARE_AIOGRAM, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"importing aiogram failed ({process.returncode})")
    return elapsed, int(output) * 1024 / 1_000_000


async def first_get_updates(shop: Shop, before: int) -> float:
    """The moment (perf_counter) the emulator sees the bot's next getUpdates call."""
    account = shop.emulator.bot()
    # The emulator only counts the calls; a 1 ms look at the count is precise enough.
    while account.get_updates_calls == before:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def one_run(shop: Shop) -> tuple[float, float]:
    """(seconds to the first getUpdates, idle MB) of a freshly spawned bot."""
    before = shop.emulator.bot().get_updates_calls
    watch = asyncio.create_task(first_get_updates(shop, before))
    spawned = time.perf_counter()
    try:
        await shop.start_bot()
        polling = await asyncio.wait_for(watch, timeout=10)
    except (AssertionError, TimeoutError) as failed:
        watch.cancel()
        raise CheckFailed(f"the bot did not start polling: {failed}") from None
    assert shop.bot is not None
    await asyncio.sleep(SETTLE_SECONDS)
    idle = shop.bot.resident_megabytes()

    customer = shop.customer("Footprint")
    await customer.send("/start")
    try:
        answer = await customer.wait_for_bot()
    except AssertionError as silent:
        raise CheckFailed(f"/start was not answered after start-up: {silent}") from None
    missing = [label for label in MENU if label not in answer.labels]
    check(not missing, f"the main menu lacks {missing}; it shows {answer.labels}")
    code = await shop.bot.stop()
    check(code == 0, f"the bot exited with {code} on SIGTERM:\n{shop.bot.log}")
    return polling - spawned, idle


async def main() -> None:
    header(f"Footprint: `python -m bot run`, every line configured — {machine()}")
    DATA.mkdir(exist_ok=True)
    startups: list[float] = []
    memory: list[float] = []
    floor_times: list[float] = []
    floor_memory: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-footprint-", dir=DATA) as scratch:
        shop = Shop(Path(scratch))
        await shop.emulator.start(host="127.0.0.1", port=0)
        await shop.upstreams.start()
        await shop.db.open()  # creates and migrates the database, as `python -m bot migrate`
        try:
            for run in range(RUNS):
                startup, idle = await one_run(shop)
                startups.append(startup)
                memory.append(idle)
                floor_time, floor_rss = await bare_aiogram()
                floor_times.append(floor_time)
                floor_memory.append(floor_rss)
                print(
                    f"  run {run + 1}: first getUpdates after {startup:.2f} s,"
                    f" {idle:.1f} MB resident when idle; /start answered"
                    f" (bare aiogram: {floor_time:.2f} s, {floor_rss:.1f} MB)",
                    flush=True,
                )
        finally:
            await shop.stop()
    show(
        figure("start-up to first getUpdates (target < 2 s)", "s", startups),
        figure("idle resident memory (target < 100 MB)", "MB", memory),
        figure("floor: bare `import aiogram`, spawn to exit", "s", floor_times),
        figure("floor: bare `import aiogram`, resident", "MB", floor_memory),
    )


if __name__ == "__main__":
    run_main(main)
