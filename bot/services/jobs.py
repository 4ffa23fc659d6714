"""The shop's background jobs: each declared with `run_every`, and stopped without cutting a run
short.

Each job says where it runs when several shop processes share one database (`Runs`): a singleton
(the USDT watch, backups, ...) only on the leader (`bot.services.leadership`), a shared
queue (the outbox, following up orders) on every process, each claiming the items it works on. On
a scheduler that knows no leadership (SQLite's one process, tests) every job runs.

APScheduler's asyncio executor cancels the job runs under way when the scheduler shuts down: a
USDT check or a reconciliation would stop in the middle of a write and log a traceback. The shop
pauses the scheduler instead, lets the runs under way finish (for a bounded time), then shuts it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.services.leadership import Leadership
from bot.services.log_context import on_its_own


class Runs(Enum):
    """Where a job runs when several shop processes share the database."""

    ON_LEADER = "on the leader"  # a singleton: one process at a time
    EVERYWHERE = "on every process"  # a shared queue: each process claims its items


class ShopScheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler has no types
    """The shop's scheduler: it knows this process's leadership, and skips the runs of
    singleton jobs while this process is not the leader."""

    def __init__(self, leadership: Leadership, **options: Any) -> None:
        super().__init__(**options)
        self.leadership = leadership


def leadership_of(scheduler: AsyncIOScheduler) -> Leadership | None:
    return scheduler.leadership if isinstance(scheduler, ShopScheduler) else None


def on_leader(
    scheduler: AsyncIOScheduler, job: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[Any]]:
    """`job` as a singleton of `scheduler`'s: a run on a process that is not the leader does
    nothing."""
    leadership = leadership_of(scheduler)
    if leadership is None:
        return job

    async def if_leading() -> Any:
        if not leadership.is_leader:
            return None
        return await job()

    return if_leading


def run_every(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[Any]],
    every: timedelta,
    job_id: str,
    *,
    runs: Runs,
    at_start: bool = True,
) -> None:
    """Run `job` every `every`, at start-up too unless `at_start` is False; one run at a time,
    and runs missed while one was under way (or the loop was busy) folded into one; `runs`: on
    the leader only, or on every process. Each run's log lines are about no update or order but
    those it works on itself (see `bot.services.log_context`), whichever task scheduled it."""
    first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if at_start else {}
    work = on_leader(scheduler, job) if runs is Runs.ON_LEADER else job

    async def run() -> Any:
        with on_its_own():
            return await work()

    scheduler.add_job(
        run,
        "interval",
        seconds=every.total_seconds(),
        id=job_id,
        name=job_id,  # what APScheduler's own lines call it
        max_instances=1,
        coalesce=True,
        replace_existing=True,
        **first,  # none: APScheduler's own default, the first interval from now
    )


class JobRuns:
    """Counts the job runs under way. A submission carries one or more run times; each ends in
    exactly one executed, error or missed event."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self._scheduler = scheduler
        self._under_way = 0
        self._idle = asyncio.Event()
        self._idle.set()
        scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        scheduler.add_listener(self._ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    @property
    def under_way(self) -> int:
        return self._under_way

    def _submitted(self, event: JobSubmissionEvent) -> None:
        self._under_way += len(event.scheduled_run_times)
        self._idle.clear()

    def _ended(self, event: JobEvent) -> None:
        self._under_way = max(0, self._under_way - 1)
        if self._under_way == 0:
            self._idle.set()

    async def stop(self, within: float) -> None:
        """No new runs; the runs under way get `within` seconds to finish; then shut down."""
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within)
        self._scheduler.shutdown(wait=False)
