"""The bot's own HTTP server (`WEB_HOST`:`WEB_PORT`): upstream callbacks and a health check.

Each product line brings its routes (`web_routes()`); upstream reaches them at `PUBLIC_BASE_URL` +
the route's path. The wiring adds its own (`extra_routes`). The server always runs: a supervisor
asks it whether the shop is alive. It is public: `bot.services.web_limits` bounds what a client
can make it hold.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Iterable

from aiohttp import web

from bot.services.config import ConfigError
from bot.services.web_limits import (
    LARGE_BODY_ROUTES,
    MAX_BODY,
    Connections,
    GuardedSite,
    LargeBodyRoute,
    connection_limit,
    within_limits,
)
from bot.shop import Shop

log = logging.getLogger(__name__)


async def listen_or_refuse(start: Awaitable[None], variable: str, host: str, port: int) -> None:
    """Await `start`, a server beginning to listen: a port it cannot take (in use, not allowed)
    is the operator's setting to change, said in one line naming `variable`, not a traceback."""
    try:
        await start
    except OSError as refused:
        why = os.strerror(refused.errno).lower() if refused.errno else str(refused)
        raise ConfigError(
            f"{variable} is invalid: cannot listen on {host}:{port} ({why})"
        ) from None


def web_app(shop: Shop, extra_routes: Iterable[web.AbstractRouteDef] = ()) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[within_limits])

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "lines": sorted(shop.lines)})

    app.add_routes([web.get("/health", health)])
    for line in shop.lines.values():
        app.add_routes(line.web_routes())
    extra = list(extra_routes)
    large: dict[web.AbstractRoute, LargeBodyRoute] = {}
    for route in extra:
        registered = app.add_routes([route])
        if isinstance(route, LargeBodyRoute):
            large.update(dict.fromkeys(registered, route))
    app[LARGE_BODY_ROUTES] = large
    return app


class WebServer:
    def __init__(self, shop: Shop, extra_routes: Iterable[web.AbstractRouteDef] = ()) -> None:
        self._shop = shop
        self._extra_routes = list(extra_routes)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        config = self._shop.config
        self._runner = web.AppRunner(web_app(self._shop, self._extra_routes), access_log=None)
        await self._runner.setup()
        assert self._runner.server is not None
        connections = Connections(
            self._runner.server,
            limit=connection_limit(config.web_max_connections),
            read_timeout=config.web_read_timeout_seconds,
        )
        try:
            await listen_or_refuse(
                GuardedSite(self._runner, config.web_host, config.web_port, connections).start(),
                "WEB_PORT",
                config.web_host,
                config.web_port,
            )
        except ConfigError:
            await self.stop()
            raise
        log.info(
            "web server on http://%s:%s (at most %d connections, %g s to send a request)",
            config.web_host,
            config.web_port,
            connections.limit,
            connections.read_timeout,
        )

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
