"""What a supervisor and Prometheus ask the shop: `/healthz` and `/readyz` (`bot.wiring.health`)
and `/metrics` (`bot.wiring.metrics`), assembled once for the dispatcher."""

from __future__ import annotations

from aiohttp import web
from apscheduler.schedulers.base import BaseScheduler

from bot.services.metrics import JobMeasures
from bot.shop import Shop
from bot.wiring.health import Readiness, health_routes
from bot.wiring.metrics import LoopbackMetricsServer, MetricsExporter, public_metrics_routes


class Monitoring:
    def __init__(self, shop: Shop, scheduler: BaseScheduler) -> None:
        JobMeasures(scheduler)
        readiness = Readiness(shop.db, scheduler)
        exporter = MetricsExporter(shop, readiness)
        config = shop.config
        token = None if config.metrics_token is None else config.metrics_token.get_secret_value()
        # The public web server's own routes.
        self.routes: list[web.RouteDef] = [
            *health_routes(readiness),
            *public_metrics_routes(exporter, token),
        ]
        self._loopback = (
            None
            if config.metrics_port is None
            else LoopbackMetricsServer(exporter, config.metrics_host, config.metrics_port)
        )

    async def start(self) -> None:
        if self._loopback is not None:
            await self._loopback.start()

    async def stop(self) -> None:
        if self._loopback is not None:
            await self._loopback.stop()
