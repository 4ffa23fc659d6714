"""Faults every upstream simulator can be told to produce, from tests or over HTTP.

Kinds, each applying to the next matching request(s):

- `hang`: hold the request for `seconds` without doing anything, then drop the connection
  (the upstream never committed: a timeout where nothing happened).
- `drop`: do the operation (commit), then drop the connection without answering.
- `slow`: do the operation (commit), then answer only after `seconds` (a caller that gives up, or
  dies, meanwhile never learns that it happened).
- `5xx`: answer 502 with an HTML page, without doing anything.
- `garbage`: do the operation, then answer 200 with a body that is not JSON.
- `answer`: answer `status` with the JSON `body` given, without doing anything (to make an
  upstream say any of its documented errors).

Plus `latency`: seconds added to every request (e.g. 0.2 for purchase-concurrency benchmarks), and
`requests`: how many requests the simulator got (driver routes aside), for counting upstream calls.

Driver routes (`/_sandbox/...`, `/_sim/...`) are never faulted. Over HTTP, on every simulator:
`POST /_sandbox/faults {"kind", "path"?, "times"?, "seconds"?, "status"?, "body"?}`,
`DELETE /_sandbox/faults`, `POST /_sandbox/latency {"seconds"}`.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = ("hang", "drop", "slow", "5xx", "garbage", "answer")


@dataclass
class Fault:
    kind: str
    path: str = "*"  # a glob over the request path, e.g. "/api/orders/*/pay"
    times: int = 1
    seconds: float = 30.0
    status: int = 200
    body: Any = None


@dataclass
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0
    requests: int = 0  # API requests received so far; `clear()` leaves it alone

    def add(
        self,
        kind: str,
        path: str = "*",
        times: int = 1,
        seconds: float = 30.0,
        status: int = 200,
        body: Any = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {KINDS}")
        self.faults.append(Fault(kind, path, times, seconds, status, body))

    def clear(self) -> None:
        self.faults.clear()
        self.latency = 0.0

    def take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fnmatch.fnmatchcase(path, fault.path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None


def _drop_connection(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


def fault_middleware(plan: FaultPlan) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(("/_sandbox/", "/_sim/")):
            return await handler(request)
        plan.requests += 1
        if plan.latency:
            await asyncio.sleep(plan.latency)
        fault = plan.take(request.path)
        if fault is None:
            return await handler(request)
        if fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
            _drop_connection(request)
            raise web.HTTPServiceUnavailable()
        if fault.kind == "answer":
            return web.json_response(fault.body, status=fault.status)
        if fault.kind == "5xx":
            return web.Response(
                status=502,
                text="<html><body>502 Bad Gateway</body></html>",
                content_type="text/html",
            )
        if fault.kind == "slow":
            response = await handler(request)
            await asyncio.sleep(fault.seconds)
            return response
        await handler(request)  # the operation happens upstream either way
        if fault.kind == "drop":
            _drop_connection(request)
            raise web.HTTPServiceUnavailable()
        return web.Response(status=200, text="<!DOCTYPE html><p>upstream error</p>")

    return middleware


def fault_routes(plan: FaultPlan) -> list[web.RouteDef]:
    async def add(request: web.Request) -> web.Response:
        body = await request.json()
        try:
            plan.add(
                str(body["kind"]),
                str(body.get("path", "*")),
                int(body.get("times", 1)),
                float(body.get("seconds", 30.0)),
                int(body.get("status", 200)),
                body.get("body"),
            )
        except (KeyError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"faults": len(plan.faults)})

    async def clear(request: web.Request) -> web.Response:
        plan.clear()
        return web.json_response({"faults": 0})

    async def latency(request: web.Request) -> web.Response:
        plan.latency = max(0.0, float((await request.json()).get("seconds", 0.0)))
        return web.json_response({"latency": plan.latency})

    return [
        web.post("/_sandbox/faults", add),
        web.delete("/_sandbox/faults", clear),
        web.post("/_sandbox/latency", latency),
    ]
