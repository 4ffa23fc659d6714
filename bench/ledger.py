"""Ledger: hold+post pairs per second through the shop's ledger, against raw sqlite3 commits.

Each run opens a fresh database with the shop's `Database` (its pragmas, its one writer behind a
lock, `BEGIN IMMEDIATE`) and makes the ledger calls a purchase makes: a hold of the charge for an
order, then the post of that hold, each its own write transaction, order after order, for a customer
with enough balance. Beside it, on the same disk, the standard library's `sqlite3` (synchronous)
commits single-row INSERTs to a file with the same pragmas. The two take turns in short slices, so a
disk that is busier for a moment slows both; the ratio pairs/commits is taken run by run. The
target (docs/benchmarks.md) is at least 0.5: a pair is two commits, so 0.5 means the
ledger costs little beyond its fsyncs.

After each run the customer's wallet, held money and the shop's sales and deposits must be exact,
and `storage.audit.audit_ledger` must report nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import RUNS, check, figure, header, machine, ratio, run_main, show
from storage.audit import audit_ledger
from storage.database import Database
from storage.ledger import DEPOSITS, SALES, Ledger
from storage.sqlite import _PRAGMAS, SqliteDatabase
from storage.users import CustomerStore

SLICES = 20  # turns each side takes per run
PAIRS = 50  # hold+post pairs per slice
COMMITS = 100  # raw single-row commits per slice (as many commits as the pairs make)
WARM_UP = 20  # untimed, on both sides first: the WAL files and caches settle
CUSTOMER = 4242
CHARGE = 1_230_000  # 1.23 USDT per order
DATA = Path(__file__).resolve().parents[1] / "data"  # git-ignored, on the real disk


class RawCommits:
    """Single-row INSERT commits with the shop's pragmas, as plain synchronous sqlite3."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)
        for pragma in _PRAGMAS:
            self._conn.execute(pragma)
        self._conn.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        self.made = 0

    def commit(self, count: int) -> float:
        """Seconds `count` commits took."""
        started = time.perf_counter()
        for _ in range(count):
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute("INSERT INTO rows (value) VALUES (?)", (self.made,))
            self._conn.execute("COMMIT")
            self.made += 1
        return time.perf_counter() - started

    def close(self) -> None:
        kept = self._conn.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        self._conn.close()
        check(kept == self.made, f"raw sqlite3 kept {kept} rows of {self.made}")


class Purchases:
    """Hold then post, order after order, through `Ledger` on `Database`."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ledger = Ledger(db)
        self.deposit = CHARGE * (WARM_UP + SLICES * PAIRS)
        self.made = 0

    async def open(self) -> None:
        await CustomerStore(self._db).register(
            CUSTOMER, username=None, first_name="Bench", language="en"
        )
        await self._ledger.credit(CUSTOMER, self.deposit, key="bench-deposit", memo="bench")

    async def buy(self, count: int) -> float:
        """Seconds `count` hold+post pairs took."""
        started = time.perf_counter()
        for _ in range(count):
            order_id = f"bench-{self.made:06d}"
            hold = await self._ledger.hold(CUSTOMER, CHARGE, order_id=order_id)
            await self._ledger.post(hold.id, memo=f"order {order_id}")
            self.made += 1
        return time.perf_counter() - started

    async def check_books(self) -> None:
        sold = CHARGE * self.made
        balance = await self._ledger.balance(CUSTOMER)
        left = self.deposit - sold
        check(balance.available == left, f"wallet holds {balance.available}, not {left}")
        check(balance.held == 0, f"{balance.held} still held")
        sales = await self._ledger.account_balance(SALES)
        check(sales == sold, f"sales are {sales}, not {sold}")
        deposits = await self._ledger.account_balance(DEPOSITS)
        check(deposits == -self.deposit, f"deposits are {deposits}, not {-self.deposit}")
        posted = await self._db.fetch_value(
            "SELECT COUNT(*) FROM ledger_holds WHERE status = 'posted'"
        )
        check(posted == self.made, f"{posted} holds posted, not {self.made}")
        report = await audit_ledger(self._db)
        check(report.ok, "the audit found: " + "; ".join(report.problems))


async def one_run(folder: Path) -> tuple[float, float]:
    """(pairs per second, raw commits per second), measured in alternating slices."""
    raw = RawCommits(folder / "raw.sqlite3")
    try:
        async with SqliteDatabase(folder / "ledger.sqlite3") as db:
            purchases = Purchases(db)
            await purchases.open()
            raw.commit(WARM_UP)
            await purchases.buy(WARM_UP)
            raw_seconds = pair_seconds = 0.0
            for _ in range(SLICES):
                raw_seconds += raw.commit(COMMITS)
                pair_seconds += await purchases.buy(PAIRS)
            await purchases.check_books()
    finally:
        raw.close()
    return SLICES * PAIRS / pair_seconds, SLICES * COMMITS / raw_seconds


async def compare(raw_name: str, one_run: Callable[[int], Awaitable[tuple[float, float]]]) -> None:
    """RUNS runs of `one_run(number)` (pairs per second, raw commits per second), each printed,
    then the figures and their ratio: one home for both databases' ledger benchmarks."""
    pairs: list[float] = []
    commits: list[float] = []
    for run in range(RUNS):
        pair_rate, commit_rate = await one_run(run + 1)
        pairs.append(pair_rate)
        commits.append(commit_rate)
        print(
            f"  run {run + 1}: {pair_rate:,.0f} pairs/s, {commit_rate:,.0f} commits/s,"
            f" ratio {pair_rate / commit_rate:.2f}; books exact, audit clean",
            flush=True,
        )
    show(
        figure(f"raw {raw_name} single-row commits", "commits/s", commits),
        figure("ledger hold+post pairs", "pairs/s", pairs),
        ratio("pairs / commits (target ≥ 0.5)", pairs, commits),
    )


async def main() -> None:
    header(
        f"Ledger: {SLICES * PAIRS} hold+post pairs vs {SLICES * COMMITS} raw sqlite3 commits"
        f" per run, in {SLICES} alternating slices — {machine()}"
    )
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-ledger-", dir=DATA) as scratch:

        async def in_a_folder(number: int) -> tuple[float, float]:
            folder = Path(scratch) / f"run-{number}"
            folder.mkdir()
            return await one_run(folder)

        await compare("sqlite3", in_a_folder)


if __name__ == "__main__":
    run_main(main)
