"""What the shop measures as it runs, for Prometheus: the counters and histograms its parts add
to while they work (updates, Bot API calls, upstream calls, background jobs).

They count from the start of the process: Prometheus's `rate()` and `increase()` take a restart in
their stride. What lives in the database (orders, holds, balances, deposits, the review queue) is
not counted here but read when Prometheus scrapes (`bot.wiring.metrics`), so a restart cannot
reset it.

Each metric belongs to no registry of its own: the wiring registers them, with the figures read
at scrape time, in the registry `/metrics` answers from. Names start with `storefront_`; durations
are in seconds.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from apscheduler.events import (
    EVENT_JOB_ADDED,
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.schedulers.base import BaseScheduler
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

from providers.outcomes import Reply

PREFIX = "storefront"

# A handler answers in milliseconds; one that buys waits on its upstream (up to
# UPSTREAM_TIMEOUT_SECONDS, twice for a create and a pay).
HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80)
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80)

UPDATES = Counter(
    f"{PREFIX}_updates",
    "Telegram updates taken in, by type (message, callback_query, ...) and outcome: handled, "
    "unhandled (no handler took it), failed (its handler raised) or skipped (its chat already "
    "had as many in hand as one chat may).",
    ["type", "outcome"],
    registry=None,
)
HANDLER_SECONDS = Histogram(
    f"{PREFIX}_handler_seconds",
    "How long an update took from the dispatcher taking it to its handler's end, by type.",
    ["type"],
    buckets=HANDLER_BUCKETS,
    registry=None,
)
BOT_API_CALLS = Counter(
    f"{PREFIX}_bot_api_calls",
    "Bot API calls, by method and outcome: ok, flood (refused with 429 and a retry_after, "
    "counted apart), refused (another error Telegram answered with) or failed (no answer: the "
    "network, a timeout, a server error).",
    ["method", "outcome"],
    registry=None,
)
UPSTREAM_CALLS = Counter(
    f"{PREFIX}_upstream_calls",
    "Upstream API calls, by product line (usdt: the USDT watch's TronGrid), operation (the "
    "client's call) and outcome: succeeded, pending, rejected, unknown (no definite answer), "
    "or error (the call raised) and cancelled.",
    ["line", "operation", "outcome"],
    registry=None,
)
UPSTREAM_SECONDS = Histogram(
    f"{PREFIX}_upstream_call_seconds",
    "How long an upstream API call took, retries included, by product line and operation.",
    ["line", "operation"],
    buckets=UPSTREAM_BUCKETS,
    registry=None,
)
UPSTREAM_UP = Gauge(
    f"{PREFIX}_upstream_up",
    "Whether each configured product line's upstream answered the upstream watch's last check "
    "and took the shop's credentials (1) or not (0); absent until the first check.",
    ["line"],
    registry=None,
)
JOB_LAST_SUCCESS = Gauge(
    f"{PREFIX}_job_last_success_timestamp_seconds",
    "When each background job (the task label: `job` is Prometheus's own) last ran to its end "
    "without an error (Unix time); absent until its first run ends.",
    ["task"],
    registry=None,
)
JOB_FAILURES = Counter(
    f"{PREFIX}_job_failures",
    "Runs of each background job that ended with an error, or that failed and said so (a "
    "backup that could not be taken).",
    ["task"],
    registry=None,
)

LEADER = Gauge(
    f"{PREFIX}_leader",
    "Whether this process is the leader (1), the one that runs the singleton jobs (the USDT "
    "watch, the upstream watch, the daily report, ...), or not (0). On SQLite always 1.",
    registry=None,
)

PROCESS_WIDE: tuple[MetricWrapperBase, ...] = (
    UPDATES,
    HANDLER_SECONDS,
    BOT_API_CALLS,
    UPSTREAM_CALLS,
    UPSTREAM_SECONDS,
    UPSTREAM_UP,
    JOB_LAST_SUCCESS,
    JOB_FAILURES,
    LEADER,
)

C = TypeVar("C")


def metered(line: str, client: C) -> C:
    """`client` (an upstream client) with each of its public calls counted and timed in
    `storefront_upstream_calls` and `storefront_upstream_call_seconds`: the operation is the
    call's name, the outcome the `Reply`'s. Everything else of the client is its own."""
    return cast(C, _Metered(line, client))


class _Metered:
    def __init__(self, line: str, client: Any) -> None:
        self._line = line
        self._client = client

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if name.startswith("_") or name == "close" or not inspect.iscoroutinefunction(found):
            return found
        return _timed(self._line, name, found)


def _timed(
    line: str, operation: str, call: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(call)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await call(*args, **kwargs)
            outcome = result.outcome.value if isinstance(result, Reply) else "succeeded"
            return result
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            UPSTREAM_CALLS.labels(line, operation, outcome).inc()
            UPSTREAM_SECONDS.labels(line, operation).observe(time.perf_counter() - started)

    return timed


@dataclass(frozen=True)
class FailedRun:
    """What a background job returns from a run that failed and was dealt with (logged in one
    line, the operators alerted) rather than raising, which would have APScheduler log a
    traceback: the run counts as a failure, and the job's last success time stays as it was."""

    why: str


class JobMeasures:
    """Follows the scheduler's events: each job's last success and its failures (a run that
    raised, or returned a `FailedRun`). A job's failure count is there (at 0) from the moment it
    is scheduled, so an alert can ask for its increase."""

    def __init__(self, scheduler: BaseScheduler) -> None:
        scheduler.add_listener(self._added, EVENT_JOB_ADDED)
        scheduler.add_listener(self._ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    @staticmethod
    def _added(event: JobEvent) -> None:
        JOB_FAILURES.labels(event.job_id)

    @staticmethod
    def _ended(event: JobExecutionEvent) -> None:
        if event.exception is not None or isinstance(event.retval, FailedRun):
            JOB_FAILURES.labels(event.job_id).inc()
        else:
            JOB_LAST_SUCCESS.labels(event.job_id).set(time.time())


def sample_names(families: Iterable[Metric]) -> set[str]:
    """Every series name the metric families show (`_total` of a counter, `_bucket`, `_sum` and
    `_count` of a histogram, ...): what dashboards and alert rules may refer to."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("_sum", "_count", "_created"),
        "info": ("_info",),
    }
    return {
        family.name + suffix for family in families for suffix in suffixes.get(family.type, ("",))
    }
