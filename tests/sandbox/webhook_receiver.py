"""A webhook on 127.0.0.1 for the emulator's delivery tests: it records every post and answers
each as the test tells it to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from sandbox.server import SimulatorServer

PATH = "/telegram/webhook"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: dict[str, Any] | None = field(default_factory=dict)
    form: dict[str, str] | None = None  # answered form-encoded instead of JSON
    delay: float = 0.0
    gate: asyncio.Event | None = None  # answered only once the test sets it
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Post:
    update: dict[str, Any]
    secret: str | None  # the X-Telegram-Bot-Api-Secret-Token header
    content_type: str
    at: float
    answered_at: float

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def text(self) -> str | None:
        message = self.update.get("message")
        return None if message is None else message.get("text")


class Receiver:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.in_flight = 0
        self.most_in_flight = 0
        # What to answer to an update; the default is 200 with `{}`.
        self.reply: Callable[[dict[str, Any]], Reply] = lambda update: Reply()
        self._server: SimulatorServer | None = None
        self.url = ""

    def replies(self, *queued: Reply) -> None:
        """Answer the next posts with these, in order, then 200 `{}`."""
        waiting = list(queued)
        self.reply = lambda update: waiting.pop(0) if waiting else Reply()

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post(PATH, self._handle)
        self._server = SimulatorServer(app)
        self.url = await self._server.start("127.0.0.1", port) + PATH
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        update = await request.json()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            reply = self.reply(update)
            if reply.delay:
                await asyncio.sleep(reply.delay)
            if reply.gate is not None:
                await reply.gate.wait()
        finally:
            self.in_flight -= 1
        self.posts.append(
            Post(
                update,
                request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                request.content_type,
                at,
                time.monotonic(),
            )
        )
        if reply.form is not None:
            return web.Response(
                status=reply.status,
                body=urlencode(reply.form).encode(),
                content_type="application/x-www-form-urlencoded",
                headers=reply.headers,
            )
        return web.json_response(reply.json, status=reply.status, headers=reply.headers)

    def update_ids(self) -> list[int]:
        return [post.update_id for post in self.posts]
