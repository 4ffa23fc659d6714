"""The bot's own HTTP server (`WEB_HOST`:`WEB_PORT`): upstream callbacks and a health check.

Each product line brings its routes (`web_routes()`); upstream reaches them at `PUBLIC_BASE_URL` +
the route's path.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.shop import Shop

log = logging.getLogger(__name__)


def web_app(shop: Shop) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "lines": sorted(shop.lines)})

    app.add_routes([web.get("/health", health)])
    for line in shop.lines.values():
        app.add_routes(line.web_routes())
    return app


class WebServer:
    """Started only when a configured line takes callbacks: nothing else needs a listening port."""

    def __init__(self, shop: Shop) -> None:
        self._shop = shop
        self._runner: web.AppRunner | None = None

    @property
    def needed(self) -> bool:
        return any(line.web_routes() for line in self._shop.lines.values())

    async def start(self) -> None:
        if not self.needed:
            return
        config = self._shop.config
        self._runner = web.AppRunner(web_app(self._shop), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.web_host, config.web_port)
        await site.start()
        log.info("web server on http://%s:%s", config.web_host, config.web_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
