"""The leader's lease: one holder at a time, on either database, and the leader moves when its
holder stops renewing it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services.jobs import Runs, ShopScheduler, on_leader, run_every
from bot.services.leadership import Leadership
from storage.leases import LEADER, Leases
from tests.databases import both_backends, fresh_database


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@both_backends
async def test_two_contenders_at_once_give_exactly_one_holder(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as db:
        contenders = [Leases(db, f"replica-{n}") for n in range(5)]
        taken = await asyncio.gather(*(c.take(LEADER, 15) for c in contenders))
        holders = {lease.holder for lease in taken if lease is not None}
        assert len(holders) == 1
        stored = await contenders[0].held(LEADER)
        assert stored is not None and stored.holder in holders


@both_backends
async def test_a_lease_is_renewed_by_its_holder_and_taken_by_another_only_once_expired(
    backend: str, tmp_path: Path
) -> None:
    clock = Clock()
    async with fresh_database(backend, tmp_path) as db:
        first, second = Leases(db, "a", clock=clock), Leases(db, "b", clock=clock)
        lease = await first.take(LEADER, 15)
        assert lease is not None and lease.term == 1

        clock.now += 10
        assert await second.take(LEADER, 15) is None  # not expired: still a's
        renewed = await first.take(LEADER, 15)  # a renews: 15 more seconds from now
        assert renewed is not None and renewed.expires_at == clock.now + 15 and renewed.term == 1

        clock.now += 14
        assert await second.take(LEADER, 15) is None
        clock.now += 1  # a stopped renewing 15 s ago: expired
        taken = await second.take(LEADER, 15)
        assert taken is not None and taken.holder == "b" and taken.term == 2
        assert await first.take(LEADER, 15) is None  # the old holder cannot take it back


@both_backends
async def test_a_released_lease_is_taken_at_once(backend: str, tmp_path: Path) -> None:
    clock = Clock()
    async with fresh_database(backend, tmp_path) as db:
        first, second = Leases(db, "a", clock=clock), Leases(db, "b", clock=clock)
        assert await first.take(LEADER, 15) is not None
        assert not await second.release(LEADER)  # not b's to give up
        assert await first.release(LEADER)
        taken = await second.take(LEADER, 15)
        assert taken is not None and taken.holder == "b"


class Monotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_leader_moves_to_the_other_replica_within_the_bound_when_it_stops_renewing(
    tmp_path: Path,
) -> None:
    """Two replicas on PostgreSQL: exactly one leads; the leader stops renewing (it died), and the
    other leads once the lease has run out, not before."""
    clock, local = Clock(), Monotonic()
    async with fresh_database("postgresql", tmp_path) as db:
        one = Leadership(Leases(db, "one", clock=clock), lease_seconds=15, monotonic=local)
        two = Leadership(Leases(db, "two", clock=clock), lease_seconds=15, monotonic=local)
        assert one.failover_bound == 20
        first, second = await asyncio.gather(one.ask(), two.ask())
        assert sorted([first, second]) == [False, True]
        leader, other = (one, two) if first else (two, one)

        # The leader renews every 5 s; the other keeps asking and is refused.
        for _ in range(3):
            clock.now += 5
            local.now += 5
            assert await leader.ask() and not await other.ask()
        # The leader dies: it asks no more. The other asks every 5 s.
        asked = 0.0
        while not await other.ask():
            clock.now += 5
            local.now += 5
            asked += 5
        assert 15 <= asked <= leader.failover_bound
        assert other.is_leader
        # Had the old leader only stalled, it no longer counts itself the leader either.
        assert not leader.is_leader


async def test_a_leader_that_cannot_renew_stops_leading_when_its_lease_runs_out(
    tmp_path: Path,
) -> None:
    local = Monotonic()
    async with fresh_database("postgresql", tmp_path) as db:
        leadership = Leadership(Leases(db, "one"), lease_seconds=15, monotonic=local)
        assert await leadership.ask()
    # The database is gone (closed): renewing fails.
    local.now += 10
    assert await leadership.ask()  # what it holds has 5 s left
    local.now += 5
    assert not await leadership.ask()
    assert not leadership.is_leader


async def test_on_sqlite_the_only_process_is_the_leader(tmp_path: Path) -> None:
    async with fresh_database("sqlite", tmp_path) as db:
        leadership = Leadership.of(db, lease_seconds=15)
        await leadership.start()
        assert leadership.is_leader and await leadership.ask()
        await leadership.stop()


@pytest.mark.parametrize("leading", [True, False])
async def test_singleton_jobs_run_only_on_the_leader_and_shared_ones_everywhere(
    tmp_path: Path, leading: bool
) -> None:
    clock = Clock()
    async with fresh_database("postgresql", tmp_path) as db:
        if not leading:  # another replica leads
            assert await Leases(db, "elsewhere", clock=clock).take(LEADER, 15) is not None
        leadership = Leadership(Leases(db, "here", clock=clock), lease_seconds=15)
        assert await leadership.ask() is leading
        scheduler = ShopScheduler(leadership)
        ran: list[str] = []

        async def singleton() -> None:
            ran.append("singleton")

        async def shared() -> None:
            ran.append("shared")

        run_every(scheduler, singleton, timedelta(hours=1), "one", runs=Runs.ON_LEADER)
        run_every(scheduler, shared, timedelta(hours=1), "all", runs=Runs.EVERYWHERE)
        for job_id in ("one", "all"):
            await scheduler.get_job(job_id).func()
        assert ran == (["singleton", "shared"] if leading else ["shared"])


async def test_a_leader_that_stops_cleanly_hands_over_at_once(tmp_path: Path) -> None:
    clock = Clock()
    async with fresh_database("postgresql", tmp_path) as db:
        one = Leadership(Leases(db, "one", clock=clock), lease_seconds=15)
        two = Leadership(Leases(db, "two", clock=clock), lease_seconds=15)
        await one.start()
        assert one.is_leader and not await two.ask()
        await one.stop()  # the lease is given up: nobody waits for it to run out
        assert not one.is_leader
        assert await two.ask()


async def test_a_singleton_on_a_schedule_of_its_own_runs_only_on_the_leader(
    tmp_path: Path,
) -> None:
    """The daily report is a cron job, not `run_every`: `on_leader` gates it the same way."""
    clock = Clock()
    async with fresh_database("postgresql", tmp_path) as db:
        one = Leadership(Leases(db, "one", clock=clock), lease_seconds=15)
        two = Leadership(Leases(db, "two", clock=clock), lease_seconds=15)
        assert await one.ask() and not await two.ask()
        sent: list[str] = []

        def report(replica: str) -> Callable[[], Awaitable[None]]:
            async def send() -> None:
                sent.append(replica)

            return send

        for replica, leadership in (("one", one), ("two", two)):
            await on_leader(ShopScheduler(leadership), report(replica))()
        assert sent == ["one"]


async def test_the_leader_removes_claims_that_ran_out_and_only_those(tmp_path: Path) -> None:
    clock = Clock()
    async with fresh_database("postgresql", tmp_path) as db:
        dead, alive = Leases(db, "dead", clock=clock), Leases(db, "alive", clock=clock)
        assert await dead.take("order:1", 30) is not None  # its process dies holding it
        clock.now += 31
        assert await alive.take("order:2", 30) is not None
        leadership = Leadership(Leases(db, "leader", clock=clock), lease_seconds=15)
        assert await leadership.ask()
        assert await alive.held("order:1") is None
        kept = await alive.held("order:2")
        assert kept is not None and kept.holder == "alive"
        assert (await alive.held(LEADER)) is not None


@both_backends
async def test_a_claim_of_a_process_of_this_machine_that_is_gone_is_taken_at_once(
    backend: str, tmp_path: Path
) -> None:
    """A shop killed while it followed up an order, restarted on the same machine: it takes the
    order back at once, not when the dead process's claim runs out. A live process's claim, or
    another machine's, still waits for its end."""
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()  # ended and reaped: its pid names no process now
    dead_pid = gone.pid
    here = socket.gethostname()
    async with fresh_database(backend, tmp_path) as db:
        assert await Leases(db, f"{here}:{dead_pid}:0a0a").take("order:1", 30) is not None
        assert await Leases(db, f"{here}:{os.getppid()}:0b0b").take("order:2", 30) is not None
        assert await Leases(db, f"elsewhere:{dead_pid}:0c0c").take("order:3", 30) is not None
        restarted = Leases(db)
        taken = await restarted.take("order:1", 30)
        assert taken is not None and taken.holder == restarted.holder
        assert await restarted.take("order:2", 30) is None  # its holder lives
        assert await restarted.take("order:3", 30) is None  # another machine's: its end waits
