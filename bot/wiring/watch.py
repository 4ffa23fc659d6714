"""The job that watches the upstreams for the operators, and the daily report.

Every PROVIDER_CHECK_EVERY_SECONDS each configured upstream is checked (`bot.services.upstreams`),
and the admin group hears, one message per event:

- a balance that went under its low-balance threshold: once, when it goes under; a later drop
  alerts again only after a check saw it back at or over the threshold;
- an upstream in trouble (no answer, or answering but refusing the shop) on every check for
  UPSTREAM_DOWN_ALERT_MINUTES, counted from the first check that found it so: once, and once more
  when it works again.

What was said lives in memory: after a restart, a balance still low is reported once more.
At DAILY_REPORT_AT (UTC) the daily report goes to the group: the last 24 hours' figures per product
line, the review queue and every upstream. With several shop processes every one of them makes it
at that time, and the first to record it in the outbox (keyed by the day) sends it: a singleton
job on the leader alone would drop the day's report when the leader fails over in that second.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.services.jobs import Runs, run_every
from bot.services.metrics import UPSTREAM_UP
from bot.services.reports import daily_report
from bot.services.upstreams import UpstreamState, amount_text, check_upstreams, health_words
from bot.shop import Shop

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Trouble:
    since: datetime
    alerted: bool = False


class UpstreamWatch:
    def __init__(self, shop: Shop, *, clock: Callable[[], datetime] = _now) -> None:
        self._shop = shop
        self._clock = clock
        config = shop.config
        self._every = timedelta(seconds=config.provider_check_every_seconds)
        self._down_after = timedelta(minutes=config.upstream_down_alert_minutes)
        self._low: set[str] = set()  # products alerted as under their threshold
        self._trouble: dict[str, _Trouble] = {}  # products whose last check found trouble

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        run_every(
            scheduler,
            self.check,
            self._every,
            "watch-upstreams",
            runs=Runs.ON_LEADER,
            at_start=False,
        )
        at = self._shop.config.daily_report_at
        if at is not None:
            scheduler.add_job(
                self.send_daily_report,  # on every process: the outbox keeps one per day
                CronTrigger(hour=at.hour, minute=at.minute, second=at.second, timezone=UTC),
                id="daily-report",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=3600,  # a busy moment delays the report, never drops it
                replace_existing=True,
            )

    async def check(self) -> None:
        """Check every configured upstream once and tell the operators what changed."""
        states = await check_upstreams(self._shop.lines, self._shop.config)
        moment = self._clock()
        for state in states:
            if state.health is None:
                continue
            UPSTREAM_UP.labels(state.upstream.product).set(1 if state.health.ok else 0)
            try:
                await self._follow_balance(state)
                await self._follow_trouble(state, moment)
            except Exception:  # one upstream's news must not hold back the others'
                log.exception("watching %s failed", state.upstream.name)

    async def _follow_balance(self, state: UpstreamState) -> None:
        health, product = state.health, state.upstream.product
        if health is None or health.balance is None or state.threshold is None:
            return  # unknown now: whatever was said stands
        if not state.low:
            self._low.discard(product)
            return
        if product in self._low:
            return
        self._low.add(product)
        currency = f" {health.currency}" if health.currency else ""
        await self._shop.messenger.alert_operators(
            f"{state.upstream.name} balance is low: {amount_text(health.balance)}{currency}, "
            f"under the {amount_text(state.threshold)}{currency} threshold. Top it up before "
            "orders start failing."
        )

    async def _follow_trouble(self, state: UpstreamState, moment: datetime) -> None:
        health, product, name = state.health, state.upstream.product, state.upstream.name
        if health is None:
            return
        trouble = self._trouble.get(product)
        if health.ok:
            if trouble is not None:
                del self._trouble[product]
                if trouble.alerted:
                    await self._shop.messenger.tell_operators(
                        f"✅ <b>{html.escape(name)}</b> works again (in trouble since "
                        f"{trouble.since:%Y-%m-%d %H:%M:%S} UTC)."
                    )
            return
        if trouble is None:
            self._trouble[product] = trouble = _Trouble(moment)
        if trouble.alerted or moment - trouble.since < self._down_after:
            return
        trouble.alerted = True
        await self._shop.messenger.alert_operators(
            f"{name}: {health_words(health)}, since {trouble.since:%Y-%m-%d %H:%M:%S} UTC (over "
            f"{_minutes(self._down_after)}). Its orders fail or wait meanwhile; "
            "/providers shows every upstream."
        )

    async def send_daily_report(self) -> None:
        shop = self._shop
        upstreams = await check_upstreams(shop.lines, shop.config)
        in_review = len(await shop.sales.in_review())
        moment = self._clock()
        text = await daily_report(shop.figures, shop.currency, moment, in_review, upstreams)
        # One a day at each time: an operator who moves DAILY_REPORT_AT to later today gets
        # that one too.
        at = shop.config.daily_report_at
        await shop.messenger.tell_operators(text, key=f"daily-report:{moment:%Y-%m-%d}:{at}")


def _minutes(length: timedelta) -> str:
    minutes = length.total_seconds() / 60
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"
