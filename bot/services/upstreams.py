"""The upstreams as the operators see them, one per product line the shop knows (in the lines'
registry): configured or not, answering or not, the balance where the API has one and its
low-balance threshold. Checked concurrently, each check bounded by UPSTREAM_TIMEOUT_SECONDS; shown
by `/providers`, the daily report and the upstream watch."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.services.config import Settings
from bot.services.lines.base import Line, UpstreamHealth
from bot.services.lines.registry import LineUnit, line_unit, line_units

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upstream:
    product: str  # the product line it serves
    name: str
    has_balance: bool  # its API tells the shop's balance
    currency: str = ""  # of that balance, when it is always the same

    @classmethod
    def of(cls, unit: LineUnit[Any]) -> Upstream:
        return cls(unit.key, unit.upstream, unit.has_balance, unit.currency)


def upstreams() -> tuple[Upstream, ...]:
    """Every product line's upstream, in the lines' order."""
    return tuple(Upstream.of(unit) for unit in line_units())


def low_balance_threshold(config: Settings, product: str) -> Decimal | None:
    """Under this balance the operators are alerted (None: the upstream has no balance)."""
    unit = line_unit(product)
    return None if unit is None else unit.threshold(config)


@dataclass(frozen=True)
class UpstreamState:
    upstream: Upstream
    health: UpstreamHealth | None  # None: not configured
    threshold: Decimal | None

    @property
    def low(self) -> bool:
        """The balance is known and under its threshold."""
        balance = self.health.balance if self.health else None
        return balance is not None and self.threshold is not None and balance < self.threshold


async def check_upstreams(lines: Mapping[str, Line], config: Settings) -> list[UpstreamState]:
    """Every upstream, in the lines' order; the configured ones checked at once."""
    wait = config.upstream_timeout_seconds

    async def check(upstream: Upstream) -> UpstreamState:
        threshold = low_balance_threshold(config, upstream.product)
        line = lines.get(upstream.product)
        if line is None:
            return UpstreamState(upstream, None, threshold)
        try:
            health = await _within(line.health(), wait)
        except TimeoutError:
            health = UpstreamHealth(answers=False, problem=f"timed out after {wait:g} s")
        except Exception:  # one upstream's trouble must not hide the others
            log.exception("checking %s failed", upstream.name)
            health = UpstreamHealth(answers=False, problem="the check failed (see the bot's log)")
        return UpstreamState(upstream, health, threshold)

    return list(await asyncio.gather(*(check(upstream) for upstream in upstreams())))


async def _within(check: Coroutine[Any, Any, UpstreamHealth], wait: float) -> UpstreamHealth:
    """The check's result, or TimeoutError after `wait` seconds, once the check is stopped.

    Not `asyncio.timeout` alone: when aiohttp's own timer fires at the same moment (the client's
    total timeout is the same UPSTREAM_TIMEOUT_SECONDS), the cancellation comes out as the
    client's timeout, which the transport answers by trying again. So the check is cancelled
    until it stops, which its next wait (a retry's pause, the next request) always allows."""
    task = asyncio.ensure_future(check)
    try:
        done, _ = await asyncio.wait({task}, timeout=wait)
        if task in done:
            return task.result()
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=0.1)
    finally:
        task.cancel()  # our own caller gave up: so does the check
    if not task.cancelled():
        task.exception()  # ended anyway: whatever it says is too late
    raise TimeoutError


def amount_text(amount: Decimal) -> str:
    """An exact amount without trailing zeros: 86.52, 100, 0.000001."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def health_words(health: UpstreamHealth) -> str:
    """How an upstream is, in plain words: answers; answers, but refuses our credentials: …;
    answers with an error: …; no answer: …"""
    if health.ok:
        return "answers"
    if not health.answers:
        return f"no answer: {health.problem}"
    return f"answers, but {health.problem}" if health.refuses_credentials else health.problem


def _icon(health: UpstreamHealth) -> str:
    if health.ok:
        return "✅"
    if health.refuses_credentials:
        return "⛔"
    return "⚠️" if health.answers else "❌"


def state_line(state: UpstreamState) -> str:
    """One upstream in one line of HTML."""
    upstream, health = state.upstream, state.health
    name = f"<b>{html.escape(upstream.name)}</b>"
    if health is None:
        return f"{name}: ⚪ not configured"
    parts = [f"{name}: {_icon(health)} {html.escape(health_words(health))}"]
    currency = health.currency or upstream.currency
    currency = f" {html.escape(currency)}" if currency else ""
    if health.balance is not None:
        parts.append(f"balance {amount_text(health.balance)}{currency}")
    elif not upstream.has_balance:
        parts.append("no balance in its API")
    if state.threshold is not None:
        threshold = f"alert under {amount_text(state.threshold)}{currency}"
        parts.append(f"⚠️ low: {threshold}" if state.low else threshold)
    return " · ".join(parts)
