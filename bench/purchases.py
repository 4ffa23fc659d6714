"""Purchase concurrency: 500 customers press "Confirm and pay" at once, every upstream 200 ms away.

The shop runs as in the end-to-end tests (the Telegram emulator, every upstream simulator and the
real bot as `python -m bot run`), with production timings: upstream timeout, reconciliation and
the other follow-ups at their defaults, not the tests' seconds. Each simulator adds 200 ms to
every call it gets.

Each run brings 500 new customers, with money credited straight to the ledger, to the
confirmation screen of a Tencent Cloud recharge (not timed), then presses their Confirm buttons
together. Per customer the time runs from the press to the result on the screen, noted by the
emulator the moment the bot changes the message (a "still processing" answer is no result: the
customer waits on for the news). Printed: the wall time of the 500, the serial lower bound (the
calls the simulators got meanwhile × 200 ms; a background USDT deposit check can add one), their
ratio, upstream calls per purchase, purchases per second, p50 and p99 from Confirm to the result,
and, each run, what `python -m bot check` says.

The run fails (exit 1) if any purchase did not end "Done!", any wallet is off by a cent, a
recharge happened upstream other than once, or `python -m bot check` fails; never on a slow figure.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from bench.common import RUNS, Figure, check, figure, header, machine, ratio, run_main, show
from sandbox.telegram import ChatDriver
from sandbox.telegram.state import Chat
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, orders_of, wallet_of
from tests.e2e.harness import ROOT, Shop

CUSTOMERS = 500
LATENCY = 0.2  # seconds every simulator adds to every call
BALANCE = 20 * USDT  # each customer's wallet before buying
CHARGE = 10_500_000  # 10 USD at rate 1.00, 5 % markup: 10.50 USDT, as the confirmation says
CHARGE_SHOWN = "You pay 10.50 USDT"
SETUP_AT_ONCE = 100  # customers walking to their confirmation screen together (not timed)
RESULT_WITHIN = 120.0  # seconds; a purchase not ended by then is a failure
PROCESSING = "⏳"  # "processing…" after Confirm, or "still being processed": no result yet
# What the e2e harness shortens for tests, back to production values (the settings' defaults).
PRODUCTION_TIMINGS = {
    "UPSTREAM_TIMEOUT_SECONDS": "20",
    "RECONCILE_EVERY_SECONDS": "15",
    "CLOUDRUBY_REPAY_AFTER_SECONDS": "60",
    "DEPOSIT_CHECK_EVERY_SECONDS": "30",
    "STARS_REFUND_RETRY_SECONDS": "60",
    "OUTBOX_RETRY_SECONDS": "3",
}

T = TypeVar("T")


@dataclass
class Purchase:
    """One customer's Confirm press and the result the bot showed for it."""

    customer: ChatDriver
    pressed_at: float = 0.0
    result_at: float = 0.0
    result: str = ""
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    _seen: int = 0  # how many of the chat's changes were looked at

    async def press(self) -> None:
        chat = self.customer.chat
        self._seen = len(chat.events)
        chat.watchers.append(self._look)
        self.pressed_at = time.monotonic()
        await self.customer.press(CONFIRM)

    def _look(self, chat: Chat) -> None:
        """Called by the emulator right after each change to the chat: the first change after
        the press that is not the processing state is the result."""
        while self._seen < len(chat.events) and not self.ended.is_set():
            text = chat.messages[chat.events[self._seen]].text
            self._seen += 1
            if not text.startswith(PROCESSING):
                self.result_at, self.result = time.monotonic(), text
                self.ended.set()

    def forget(self) -> None:
        self.customer.chat.watchers.remove(self._look)

    @property
    def seconds(self) -> float:
        return self.result_at - self.pressed_at


@dataclass(frozen=True)
class Run:
    wall: float  # seconds from the first press to the last result
    calls: int  # upstream calls the simulators got meanwhile
    p50: float
    p99: float

    @property
    def serial_bound(self) -> float:
        return self.calls * LATENCY

    @property
    def throughput(self) -> float:
        return CUSTOMERS / self.wall


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value at least `share` of the values are not above."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def bounded(awaitables: list[Awaitable[T]], at_once: int) -> list[T]:
    gate = asyncio.Semaphore(at_once)

    async def one(awaitable: Awaitable[T]) -> T:
        async with gate:
            return await awaitable

    return await asyncio.gather(*(one(awaitable) for awaitable in awaitables))


def upstream_calls(shop: Shop) -> int:
    return sum(upstream.plan.requests for upstream in shop.upstreams.all)


def recharged_upstream(shop: Shop) -> int:
    return sum(1 for order in shop.cloud.orders.values() if order.status == "paid")


def prepare(shop: Shop, runs: int) -> None:
    """Every upstream `LATENCY` away, and the cloud agent funded for every purchase of `runs`."""
    for upstream in shop.upstreams.all:
        upstream.plan.latency = LATENCY
    shop.cloud.agent_balance = Decimal(runs * CUSTOMERS * 10 * 2)  # never the limit


async def one_run(shop: Shop, number: int, label: str = "") -> Run:
    """`CUSTOMERS` new customers to their confirmation (not timed), then all press Confirm at
    once; checked (`verify`, `python -m bot check`) before its figures are returned. `label` names
    the shop in the printed line."""
    ready = await bounded(
        [cloud_confirmation(shop, BALANCE) for _ in range(CUSTOMERS)], SETUP_AT_ONCE
    )
    for _, confirmation in ready:
        check(
            CONFIRM in confirmation.labels and CHARGE_SHOWN in confirmation.text,
            f"not the confirmation expected: {confirmation.text!r} {confirmation.labels}",
        )
    purchases = [Purchase(customer) for customer, _ in ready]
    calls_before, paid_before = upstream_calls(shop), recharged_upstream(shop)

    started = time.monotonic()
    await asyncio.gather(*(purchase.press() for purchase in purchases))
    waiting = [asyncio.create_task(purchase.ended.wait()) for purchase in purchases]
    await asyncio.wait(waiting, timeout=RESULT_WITHIN)
    for task in waiting:
        task.cancel()
    for purchase in purchases:
        purchase.forget()
    unanswered = [p for p in purchases if not p.ended.is_set()]
    check(
        not unanswered,
        f"{len(unanswered)} purchases without a result in {RESULT_WITHIN:g} s; the first:\n"
        + (unanswered[0].customer.describe() if unanswered else ""),
    )
    wall = max(purchase.result_at for purchase in purchases) - started
    calls = upstream_calls(shop) - calls_before

    await verify(shop, purchases, paid_before)
    code, report = await shop.run_check()
    check(code == 0, f"python -m bot check exited {code}:\n{report}")
    summary = "; ".join(line.strip() for line in report.strip().splitlines())
    times = [purchase.seconds for purchase in purchases]
    print(
        f"  run {number}{label}: {CUSTOMERS} purchases in {wall:.2f} s, {calls} upstream calls; "
        f"python -m bot check: exit {code} ({summary})",
        flush=True,
    )
    return Run(wall, calls, percentile(times, 0.5), percentile(times, 0.99))


async def verify(shop: Shop, purchases: list[Purchase], paid_before: int) -> None:
    """Every purchase delivered, each customer charged exactly once, each recharge made once."""
    for purchase in purchases:
        check("Done!" in purchase.result, f"a purchase ended otherwise: {purchase.result!r}")
        user_id = purchase.customer.user_id
        orders = await orders_of(shop, user_id)
        check(
            [status for _, status in orders] == [OrderStatus.SUCCEEDED],
            f"customer {user_id}: orders {orders}, expected one succeeded",
        )
        wallet = await wallet_of(shop, purchase.customer)
        check(
            wallet == (BALANCE - CHARGE, 0),
            f"customer {user_id}: wallet (available, held) {wallet}, "
            f"expected ({BALANCE - CHARGE}, 0)",
        )
    recharged = recharged_upstream(shop) - paid_before
    check(recharged == len(purchases), f"{recharged} recharges upstream for {len(purchases)}")


async def main() -> None:
    header(
        f"Purchase concurrency: {CUSTOMERS} customers confirm at once, {LATENCY * 1000:.0f} ms "
        "upstream latency"
    )
    print(f"  machine: {machine()}", flush=True)
    (ROOT / "data").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "data", prefix="bench-purchases-") as workdir:
        shop = Shop(Path(workdir), extra_env=PRODUCTION_TIMINGS)
        await shop.start()
        try:
            prepare(shop, RUNS)
            runs = [await one_run(shop, number) for number in range(1, RUNS + 1)]
        finally:
            await shop.stop()
    show(*figures(runs))


def figures(runs: list[Run]) -> list[Figure]:
    """What a benchmark of purchases prints for one shop."""
    walls, bounds = [run.wall for run in runs], [run.serial_bound for run in runs]
    return [
        figure(f"wall time of {CUSTOMERS} purchases", "s", walls),
        figure(f"serial lower bound (calls × {LATENCY * 1000:.0f} ms)", "s", bounds),
        ratio("wall time / serial bound", walls, bounds),
        figure("upstream calls per purchase", "calls", [run.calls / CUSTOMERS for run in runs]),
        figure("throughput", "purchases/s", [run.throughput for run in runs]),
        figure("Confirm → result, p50", "ms", [run.p50 * 1000 for run in runs]),
        figure("Confirm → result, p99", "ms", [run.p99 * 1000 for run in runs]),
    ]


if __name__ == "__main__":
    run_main(main)
