"""`GET /metrics`: the shop's measures in Prometheus's text format, never public by default.

- With `METRICS_TOKEN`, the public web server answers `/metrics` to a request carrying
  `Authorization: Bearer <METRICS_TOKEN>` (the scheme in any case, the token compared in
  constant time) and 401 to any other;
- with `METRICS_PORT`, a server of its own answers `/metrics` on `METRICS_HOST` (a loopback
  address: the configuration refuses any other) without a token, for a Prometheus on the same
  machine;
- with neither, nothing answers `/metrics` (404 on the public server).

What the process counts as it runs is `bot.services.metrics`. What lives in the database (orders,
holds, balances, deposits, the reconciliation backlog, the review queue) is read through the
shop's services on each scrape (`ShopFigures`), so a restart resets none of it. Money is in
decimal units of the shop's currency.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Collection, Iterator
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry

from bot.services.config import ConfigError
from bot.services.metrics import PREFIX, PROCESS_WIDE, sample_names
from bot.services.money import MICRO
from bot.services.orders import UNSETTLED
from bot.shop import Shop
from bot.wiring.health import Readiness
from bot.wiring.web import listen_or_refuse
from storage.figures import Standing
from storage.orders import OrderStatus

log = logging.getLogger(__name__)

Family = GaugeMetricFamily | CounterMetricFamily

# Orders the reconciliation job follows up until upstream settles them (review aside).
BACKLOG = frozenset({OrderStatus.CONFIRMED, *UNSETTLED})


class ShopFigures(Collector):
    """The figures read at scrape time: `refresh()` reads them, `collect()` hands them over."""

    def __init__(self, shop: Shop, readiness: Readiness) -> None:
        self._shop = shop
        self._readiness = readiness
        self._families: list[Metric] = []

    async def refresh(self) -> None:
        standing = await self._shop.figures.standing()
        checks = await self._readiness.checks()
        families = standing_families(standing, self._shop.currency, datetime.now(UTC))
        for name, check in checks.items():
            families["ready"].add_metric([name], 1 if check.ok else 0)
        watch = self._shop.usdt_watch
        if watch is not None:
            families["usdt_lag"].add_metric([], watch.lag().total_seconds())
        self._families = list(families.values())

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)

    def describe(self) -> Iterator[Metric]:
        return iter(_families("").values())


def _families(currency: str) -> dict[str, Family]:
    unit = f" in {currency}" if currency else ""
    return {
        "orders": GaugeMetricFamily(
            f"{PREFIX}_orders",
            "Orders by product line and status, as the database holds them now.",
            labels=["line", "status"],
        ),
        "open_holds": GaugeMetricFamily(
            f"{PREFIX}_open_holds", "Holds placed for orders and not yet posted or voided."
        ),
        "held": GaugeMetricFamily(
            f"{PREFIX}_open_holds_amount",
            f"Money set aside by the open holds{unit}.",
        ),
        "oldest_hold": GaugeMetricFamily(
            f"{PREFIX}_open_hold_oldest_age_seconds",
            "Age of the oldest open hold (0 when none is open).",
        ),
        "balances": GaugeMetricFamily(
            f"{PREFIX}_customer_balances",
            f"What customers can spend, all wallets together: what the shop owes them{unit} "
            "(money held for their orders aside).",
        ),
        "deposits": CounterMetricFamily(
            f"{PREFIX}_deposits_credited",
            "Deposits credited to wallets, by method (usdt, stars, manual), ever.",
            labels=["method"],
        ),
        "deposited": CounterMetricFamily(
            f"{PREFIX}_deposits_credited_amount",
            f"Money credited to wallets by deposits{unit}, by method, ever.",
            labels=["method"],
        ),
        "backlog": GaugeMetricFamily(
            f"{PREFIX}_reconciliation_backlog",
            "Orders confirmed whose upstream outcome is not known yet (confirmed, submitted, "
            "unknown): the reconciliation job follows them up.",
        ),
        "backlog_age": GaugeMetricFamily(
            f"{PREFIX}_reconciliation_oldest_age_seconds",
            "Time since the longest-waiting order of the backlog last changed (0 when none).",
        ),
        "review": GaugeMetricFamily(
            f"{PREFIX}_review_queue", "Orders waiting for an operator's decision (needs_review)."
        ),
        "review_age": GaugeMetricFamily(
            f"{PREFIX}_review_oldest_age_seconds",
            "Time since the longest-waiting order in review last changed (0 when none).",
        ),
        "usdt_lag": GaugeMetricFamily(
            f"{PREFIX}_usdt_watch_lag_seconds",
            "How far behind the chain the USDT watch is: time since it last read the deposit "
            "address's transfers to their end (since the start, before its first read). Only "
            "with DEPOSIT_ADDRESS.",
        ),
        "ready": GaugeMetricFamily(
            f"{PREFIX}_ready",
            "Each of /readyz's checks: 1 passing, 0 failing.",
            labels=["check"],
        ),
    }


def standing_families(standing: Standing, currency: str, now: datetime) -> dict[str, Family]:
    """The metric families of where the books stand at `now` (the readiness checks and the
    USDT watch's lag are left for the caller to add)."""
    families = _families(currency)

    def age(stored: str | None) -> float:
        if stored is None:
            return 0.0
        then = datetime.fromisoformat(stored.replace("Z", "+00:00"))
        return max(0.0, (now - then).total_seconds())

    for count in standing.orders:
        families["orders"].add_metric([count.product, count.status], count.count)
    backlog, backlog_oldest = _waiting(standing, BACKLOG)
    review, review_oldest = _waiting(standing, {OrderStatus.NEEDS_REVIEW})
    families["open_holds"].add_metric([], standing.open_holds)
    families["held"].add_metric([], standing.held / MICRO)
    families["oldest_hold"].add_metric([], age(standing.oldest_open_hold))
    families["balances"].add_metric([], standing.wallets / MICRO)
    for deposits in standing.deposits:
        families["deposits"].add_metric([deposits.method], deposits.count)
        families["deposited"].add_metric([deposits.method], deposits.amount / MICRO)
    families["backlog"].add_metric([], backlog)
    families["backlog_age"].add_metric([], age(backlog_oldest))
    families["review"].add_metric([], review)
    families["review_age"].add_metric([], age(review_oldest))
    return families


def _waiting(standing: Standing, statuses: Collection[str]) -> tuple[int, str | None]:
    """How many orders are in one of `statuses`, and when the longest-unchanged last changed."""
    counts = [count for count in standing.orders if count.status in statuses]
    oldest = min((count.oldest_change for count in counts), default=None)
    return sum(count.count for count in counts), oldest


class MetricsExporter:
    """The registry `/metrics` answers from: the process's own measures, the shop's figures and
    the process's memory and CPU."""

    def __init__(self, shop: Shop, readiness: Readiness) -> None:
        self._figures = ShopFigures(shop, readiness)
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (*PROCESS_WIDE, self._figures):
            self.registry.register(collector)
        ProcessCollector(namespace=PREFIX, registry=self.registry)

    async def page(self, request: web.Request) -> web.Response:
        await self._figures.refresh()
        # No await between the refresh and the rendering: a scrape never shows another's figures.
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def public_metrics_routes(exporter: MetricsExporter, token: str | None) -> list[web.RouteDef]:
    """`/metrics` for the public server: only with a token, and only to a request bearing it."""
    if token is None:
        return []
    expected = token.encode()

    async def guarded(request: web.Request) -> web.Response:
        scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
        # The scheme's name is case-insensitive (RFC 7235); the token is compared in constant
        # time whatever the scheme, so a wrong one takes as long as a wrong token.
        right_token = hmac.compare_digest(offered.lstrip(" ").encode(), expected)
        if scheme.lower() != "bearer" or not right_token:
            return web.json_response(
                {"error": "a bearer token is required"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return await exporter.page(request)

    return [web.get("/metrics", guarded)]


class LoopbackMetricsServer:
    """`/metrics` without a token on METRICS_HOST:METRICS_PORT, a loopback address only."""

    def __init__(self, exporter: MetricsExporter, host: str, port: int) -> None:
        self._exporter = exporter
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.add_routes([web.get("/metrics", self._exporter.page)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        try:
            await listen_or_refuse(
                web.TCPSite(self._runner, self._host, self._port).start(),
                "METRICS_PORT",
                self._host,
                self._port,
            )
        except ConfigError:
            await self.stop()
            raise
        log.info("metrics on http://%s:%s/metrics", self._host, self._port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def metrics_series() -> set[str]:
    """Every series name `/metrics` can show, from the registry's own descriptions (what the
    dashboard and the alert rules may refer to)."""
    return set(metrics_labels())


def metrics_labels() -> dict[str, frozenset[str]]:
    """The label names of every series `/metrics` can show, by series name (a histogram's
    `_bucket` carries `le` besides its own), from the registry's own descriptions: what a
    dashboard's legend or an alert's text may name."""
    described: list[tuple[Metric, frozenset[str]]] = [
        (family, _label_names(collector))
        for collector in PROCESS_WIDE
        for family in collector.describe()
    ]
    described += [(family, _label_names(family)) for family in _families("").values()]
    process = CollectorRegistry()
    ProcessCollector(namespace=PREFIX, registry=process)
    described += [(family, _label_names(family)) for family in process.collect()]
    return {
        series: labels | {"le"} if series.endswith("_bucket") else labels
        for family, labels in described
        for series in sample_names([family])
    }


def _label_names(described: MetricWrapperBase | Metric) -> frozenset[str]:
    # prometheus_client keeps the label names a metric was declared with in `_labelnames` (a
    # family read from a collector has none: its samples carry theirs).
    return frozenset(getattr(described, "_labelnames", ()))
