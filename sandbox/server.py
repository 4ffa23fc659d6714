"""Running one simulator app on loopback, the same way for every upstream."""

from __future__ import annotations

import itertools
import os
import socket

from aiohttp import web

from sandbox.faults import FaultPlan, fault_middleware
from sandbox.same_origin import same_origin_only

# Ports below the system's ephemeral range (32768 and up on Linux), so that no connection a test
# makes and no server bound to port 0 can take one between our probe and the server's bind.
_RANGE_START = 20000
_RANGE_SIZE = 1500
_WORKER_RANGES = 8
# Each process walks its worker's range from its own place, so a bot started by a test (it inherits
# the worker's name) does not hand out the ports its parent just did.
_walk = itertools.count((os.getpid() * 7919) % _RANGE_SIZE)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server started later by another process.

    Under pytest-xdist each worker takes its ports from its own range (`gw0` from 20000, `gw1`
    from 21500, ... up to eight), so a port one worker was told is free is never the one the
    other worker's bot binds first. Outside xdist the system picks, as before.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        with socket.socket() as probe:
            probe.bind((host, 0))
            port: int = probe.getsockname()[1]
        return port
    low = _RANGE_START + (int(worker[2:] or 0) % _WORKER_RANGES) * _RANGE_SIZE
    for _ in range(_RANGE_SIZE):
        candidate = low + next(_walk) % _RANGE_SIZE
        with socket.socket() as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
        return candidate
    raise OSError(f"no free port between {low} and {low + _RANGE_SIZE - 1}")


def simulator_app(plan: FaultPlan) -> web.Application:
    """An upstream simulator's application: its API subject to the faults in `plan`, its control
    routes for this machine's programs only (see `sandbox.same_origin`)."""
    return web.Application(middlewares=[same_origin_only(), fault_middleware(plan)])


class SimulatorServer:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        await web.SockSite(self._runner, sock).start()
        self._base_url = f"http://{host}:{sock.getsockname()[1]}"
        return self._base_url

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
