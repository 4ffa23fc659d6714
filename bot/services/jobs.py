"""The shop's background jobs: each declared with `run_every`, and stopped without cutting a run
short.

APScheduler's asyncio executor cancels the job runs under way when the scheduler shuts down: a
USDT check or a reconciliation would stop in the middle of a write and log a traceback. The shop
pauses the scheduler instead, lets the runs under way finish (for a bounded time), then shuts it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
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

from bot.services.log_context import on_its_own


def run_every(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[Any]],
    every: timedelta,
    job_id: str,
    *,
    at_start: bool = True,
) -> None:
    """Run `job` every `every`, at start-up too unless `at_start` is False; one run at a time,
    and runs missed while one was under way (or the loop was busy) folded into one. Each run's
    log lines are about no update or order but those it works on itself (see
    `bot.services.log_context`), whichever task scheduled it."""
    first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if at_start else {}

    async def run() -> Any:
        with on_its_own():
            return await job()

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
