"""Stopping the scheduler lets a job run under way finish, within a bound."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.jobs import JobRuns


async def test_a_run_under_way_finishes_and_no_new_one_starts() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    runs = JobRuns(scheduler)
    started, finished = asyncio.Event(), []

    async def write_slowly() -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(datetime.now(UTC))

    scheduler.add_job(
        write_slowly,
        "interval",
        seconds=0.05,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)
    assert runs.under_way == 1

    await runs.stop(within=5)

    assert len(finished) == 1 and runs.under_way == 0
    await asyncio.sleep(0.2)  # the shutdown happens on the loop's next turn
    assert not scheduler.running
    assert len(finished) == 1  # nothing ran after the stop


async def test_a_run_that_outlasts_the_bound_is_cut_short() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    runs = JobRuns(scheduler)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hang() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    scheduler.add_job(hang, "date", run_date=datetime.now(UTC))
    scheduler.start()
    await asyncio.wait_for(started.wait(), 5)

    loop = asyncio.get_running_loop()
    began = loop.time()
    await runs.stop(within=0.2)
    await asyncio.wait_for(cancelled.wait(), 5)
    assert loop.time() - began < 5


async def test_stopping_a_scheduler_that_never_started_does_nothing() -> None:
    runs = JobRuns(AsyncIOScheduler(timezone=UTC))
    await runs.stop(within=1)
    assert runs.under_way == 0
