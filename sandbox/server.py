"""Running one simulator app on loopback, the same way for every upstream."""

from __future__ import annotations

import socket

from aiohttp import web

from sandbox.faults import FaultPlan, fault_middleware
from sandbox.same_origin import same_origin_only


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server started later by another process."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


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
