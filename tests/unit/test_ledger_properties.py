"""Random sequences of credits, debits, holds, posts, voids and replays never break the ledger.

Each example runs against a fresh database and an in-memory model of what every wallet must hold;
after every step the ledger must agree with the model, and at the end the audit must pass.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.audit import audit_ledger
from storage.ledger import (
    HoldAlreadySettled,
    HoldStatus,
    IdempotencyConflict,
    InsufficientFunds,
    Kind,
)
from storage.orders import OrderStatus
from storage.sqlite import SqliteDatabase
from tests.unit.conftest import Books

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = (1, 2, 3)
CENT = 10_000
amounts = st.integers(min_value=1, max_value=5_000).map(lambda cents: cents * CENT)
customer = st.sampled_from(CUSTOMERS)
index = st.integers(min_value=0, max_value=1_000)

operation = st.one_of(
    st.tuples(st.just("deposit"), customer, amounts),
    st.tuples(st.just("correction"), customer, amounts),
    st.tuples(st.just("debit"), customer, amounts),
    st.tuples(st.just("hold"), customer, amounts),
    st.tuples(st.just("post"), index),
    st.tuples(st.just("void"), index),
    st.tuples(st.just("replay"), index, st.booleans()),
)


def run_isolated(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on a loop of its own in a thread of its own, away from the test session's loop."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


@dataclass
class Model:
    available: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CUSTOMERS, 0))
    held: dict[int, int] = field(default_factory=lambda: dict.fromkeys(CUSTOMERS, 0))
    holds: list[tuple[int, int, int, str]] = field(default_factory=list)  # id, user, amount, order
    settled: dict[int, HoldStatus] = field(default_factory=dict)
    credits: list[tuple[str, int, int, Kind]] = field(default_factory=list)  # key, user, amount


async def apply(books: Books, model: Model, step: int, op: tuple[Any, ...]) -> None:
    ledger = books.ledger
    match op:
        case ("deposit" | "correction", user, amount):
            kind = Kind.DEPOSIT if op[0] == "deposit" else Kind.ADJUSTMENT
            key = f"credit-{step}"
            txn = await ledger.credit(user, amount, key=key, kind=kind)
            assert not txn.replayed
            model.available[user] += amount
            model.credits.append((key, user, amount, kind))
        case ("debit", user, amount):
            if model.available[user] >= amount:
                await ledger.debit(user, amount, key=f"debit-{step}")
                model.available[user] -= amount
            else:
                try:
                    await ledger.debit(user, amount, key=f"debit-{step}")
                except InsufficientFunds:
                    pass
                else:
                    raise AssertionError("a debit beyond the balance went through")
        case ("hold", user, amount):
            order_id = await books.order(f"order-{step}", user, amount)
            if model.available[user] >= amount:
                hold = await ledger.hold(user, amount, order_id=order_id)
                model.available[user] -= amount
                model.held[user] += amount
                model.holds.append((hold.id, user, amount, order_id))
            else:
                try:
                    await ledger.hold(user, amount, order_id=order_id)
                except InsufficientFunds:
                    await books.orders.move(
                        order_id, OrderStatus.QUOTED, OrderStatus.CANCELLED, reason="no funds"
                    )
                else:
                    raise AssertionError("a hold beyond the balance went through")
        case ("post" | "void", position) if model.holds:
            hold_id, user, amount, order_id = model.holds[position % len(model.holds)]
            wanted = HoldStatus.POSTED if op[0] == "post" else HoldStatus.VOIDED
            settle = ledger.post if wanted == HoldStatus.POSTED else ledger.void
            already = model.settled.get(hold_id)
            if already is None:
                await settle(hold_id)
                model.settled[hold_id] = wanted
                model.held[user] -= amount
                if wanted == HoldStatus.VOIDED:
                    model.available[user] += amount
                final = OrderStatus.SUCCEEDED if wanted == HoldStatus.POSTED else OrderStatus.FAILED
                await books.orders.move(order_id, OrderStatus.QUOTED, final, reason="settled")
            elif already == wanted:
                assert (await settle(hold_id)).status == wanted
            else:
                try:
                    await settle(hold_id)
                except HoldAlreadySettled:
                    pass
                else:
                    raise AssertionError("a hold was settled twice")
        case ("replay", position, same) if model.credits:
            key, user, amount, kind = model.credits[position % len(model.credits)]
            if same:
                assert (await ledger.credit(user, amount, key=key, kind=kind)).replayed
            else:
                try:
                    await ledger.credit(user, amount + CENT, key=key, kind=kind)
                except IdempotencyConflict:
                    pass
                else:
                    raise AssertionError("a key was reused for a different amount")
        case _:
            return  # nothing to settle or replay yet


async def check_sequence(path: Path, operations: list[tuple[Any, ...]]) -> None:
    async with SqliteDatabase(path) as db:
        books = Books(db)
        for user in CUSTOMERS:
            await books.customer(user)
        model = Model()
        for step, op in enumerate(operations):
            await apply(books, model, step, op)
            for user in CUSTOMERS:
                balance = await books.ledger.balance(user)
                assert (balance.available, balance.held) == (
                    model.available[user],
                    model.held[user],
                ), f"after step {step} {op}"
                assert balance.available >= 0 and balance.held >= 0
        report = await audit_ledger(db)
        assert report.ok, report.problems


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(operation, min_size=1, max_size=25))
def test_random_sequences_keep_every_invariant(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        run_isolated(check_sequence(Path(folder) / "ledger.sqlite3", operations))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=5, max_size=25))
def test_the_check_command_agrees_on_random_ledgers(operations: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.sqlite3"
        run_isolated(check_sequence(path, operations))
        env = {**os.environ, "DATABASE_PATH": str(path), "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-m", "bot", "check"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ledger OK: every invariant holds" in result.stdout
