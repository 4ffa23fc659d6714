"""What every product line shares: how it is built from the configuration, and the optional parts
the shop wires for it (closing its client, web routes for upstream callbacks, a catalogue that is
refreshed in the background)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.config import Settings
from bot.orders import Find, ProductLine, Report
from bot.pricing import Pricing
from providers.http import Timeouts


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


class Line(ProductLine, Protocol):
    def bind(self, report: Report, find: Find) -> None: ...

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
