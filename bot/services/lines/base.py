"""What every product line shares: how it is built from the configuration, how it tells whether
its upstream answers (`health`), and the optional parts the shop wires for it (closing its client,
web routes for upstream callbacks, a catalogue that is refreshed in the background)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from aiohttp import web

from bot.services.config import Settings
from bot.services.orders import Find, ProductLine, Report
from bot.services.pricing import Pricing
from providers.http import Timeouts
from providers.outcomes import (
    DISCONNECTED,
    HTTP_ERROR,
    TIMEOUT,
    UNREACHABLE,
    UNREADABLE,
    Outcome,
    Reply,
)


@dataclass(frozen=True)
class LineSetup:
    """What a line's `from_config(setup)` gets to build itself."""

    config: Settings
    pricing: Pricing
    timeouts: Timeouts  # for its upstream client: UPSTREAM_TIMEOUT_SECONDS

    def public_url(self, path: str) -> str | None:
        """Where upstream reaches the bot's own web server at `path` (None: no PUBLIC_BASE_URL)."""
        base = self.config.public_base_url
        return None if base is None else str(base).rstrip("/") + path


@dataclass(frozen=True)
class UpstreamHealth:
    """What one cheap, read-only call says about a line's upstream.

    `answers`: the upstream itself answered (False: no connection, no answer in time, a dropped
    connection or a gateway's error page). An upstream can answer and still refuse the shop
    (`refuses_credentials`: its key, signature or address is refused) or answer with an error:
    `problem` says what is wrong in plain words, never with a secret in it ("" when all is well).
    `balance` is the shop's money with the upstream, where its API tells it, in `currency`."""

    answers: bool
    problem: str = ""
    refuses_credentials: bool = False
    balance: Decimal | None = None
    currency: str = ""

    @property
    def ok(self) -> bool:
        return self.answers and not self.problem


_SILENCE = {
    UNREACHABLE: "cannot connect",
    TIMEOUT: "timed out",
    DISCONNECTED: "dropped the connection",
}


def health_of(reply: Reply[Any], refusing: Collection[str]) -> UpstreamHealth:
    """The health a call's reply shows; `refusing` are the reasons (from the client's error table)
    that mean the upstream refuses the shop's credentials. Only our own words and the upstream's
    reason and code are used: an upstream's message could echo what we sent."""
    if reply.outcome == Outcome.SUCCEEDED:
        return UpstreamHealth(answers=True)
    reason = reply.reason or reply.outcome.value
    status = f" (HTTP {reply.http_status})" if reply.http_status else ""
    if reason in _SILENCE:
        return UpstreamHealth(answers=False, problem=_SILENCE[reason])
    if reason == HTTP_ERROR:  # a gateway's error page or a broken exchange: not the upstream
        return UpstreamHealth(answers=False, problem=f"server error{status}")
    if reason == UNREADABLE:
        return UpstreamHealth(answers=True, problem=f"answers with something unreadable{status}")
    code = f" (code {reply.upstream_code})" if reply.upstream_code else status
    if reason in refusing:
        return UpstreamHealth(
            answers=True,
            problem=f"refuses our credentials: {reason}{code}",
            refuses_credentials=True,
        )
    return UpstreamHealth(answers=True, problem=f"answers with an error: {reason}{code}")


class Line(ProductLine, Protocol):
    def bind(self, report: Report, find: Find) -> None: ...

    async def health(self) -> UpstreamHealth:
        """One cheap, read-only upstream call: does it answer, and the balance where it has one."""
        ...

    async def close(self) -> None: ...

    def web_routes(self) -> list[web.RouteDef]: ...

    async def refresh_catalogue(self) -> None: ...


class LineBase:
    """Defaults for the optional parts: nothing to close, no routes, no catalogue. A line that
    takes upstream callbacks passes what they say to `self.report` (the order service's), and can
    read the order a callback names with `self.find_order`."""

    report: Report | None = None
    find_order: Find | None = None

    def bind(self, report: Report, find: Find) -> None:
        self.report, self.find_order = report, find

    async def close(self) -> None:
        return None

    def web_routes(self) -> list[web.RouteDef]:
        return []

    async def refresh_catalogue(self) -> None:
        return None
