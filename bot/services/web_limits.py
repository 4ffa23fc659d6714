"""How the bot's HTTP server holds up against hostile traffic: it is public (upstream callbacks
reach it), so anyone can open connections to it and send it anything.

aiohttp alone serves any number of connections and waits as long as a client likes for a request
to arrive; a few hundred half-sent requests then hold every file the process may open, and the
bot can reach neither Telegram nor its database nor its upstreams. Here:

- a connection has `read_timeout` seconds to deliver a whole request, headers and body (and as
  long again after each answer); then it is closed;
- at most `limit` connections are open. At the limit, the one that has waited longest without
  delivering a request is closed to make room for the newcomer (one being answered is never
  cut); when every one is being answered, the newcomer is closed at once;
- a body is at most `MAX_BODY` bytes (413 beyond), except on a `LargeBodyRoute`, which takes
  up to its own limit and answers a larger one its own way (Telegram's webhook: an update can
  be larger than any callback, and a 413 would have Telegram post it again forever);
- `flat_json_object` and `multipart_fields` read a callback's body: a JSON object of plain
  values, or a multipart form of plain fields, or nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from aiohttp import web

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # an upstream callback is a few hundred bytes
MAX_BACKLOG = 128  # connections the kernel holds before they are accepted
Plain = str | int | float | bool | None
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class LargeBodyRoute(web.AbstractRouteDef):
    """A POST route taking bodies of up to `limit` bytes, past MAX_BODY; `past_it` answers a
    request whose body is larger still, unread (instead of 413)."""

    path: str
    handler: Handler
    limit: int
    past_it: Handler

    def register(self, router: web.UrlDispatcher) -> list[web.AbstractRoute]:
        return [router.add_post(self.path, self.handler)]


# The app's large-body routes, by the route aiohttp registered for each.
LARGE_BODY_ROUTES = web.AppKey("large_body_routes", Mapping[web.AbstractRoute, LargeBodyRoute])


def connection_limit(wanted: int) -> int:
    """`wanted`, but at most a quarter of the files this process may open (`ulimit -n`): as many
    again can be in the middle of being accepted, and the rest is the bot's own (its database,
    Telegram, the upstreams)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft // 4))


class Connection(web.RequestHandler):
    """One client's connection: waiting for its next request (since `waiting_since`), or being
    answered (`waiting_since` None)."""

    __slots__ = ("_deadline", "_limits", "waiting_since")

    def __init__(
        self, limits: Connections, server: web.Server, loop: asyncio.AbstractEventLoop
    ) -> None:
        # No access log (None, as `AppRunner(access_log=None)` passes it, though typed Logger).
        super().__init__(
            server,
            loop=loop,
            keepalive_timeout=limits.read_timeout,
            access_log=None,  # type: ignore[arg-type]
        )
        self._limits = limits
        self._deadline: asyncio.TimerHandle | None = None
        self.waiting_since: float | None = None
        self.wait_for_request()

    @property
    def open(self) -> bool:
        return self.transport is not None

    def wait_for_request(self) -> None:
        self._stop_deadline()
        loop = asyncio.get_running_loop()
        self.waiting_since = loop.time()
        self._deadline = loop.call_later(self._limits.read_timeout, self.cut)

    def answering(self) -> None:
        """The whole request arrived: no deadline while it is answered."""
        self.waiting_since = None
        self._stop_deadline()

    def cut(self) -> None:
        self._limits.forget(self)
        self._stop_deadline()
        if self.open:
            self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        super().connection_lost(exc)
        self._limits.forget(self)
        self._stop_deadline()

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class _Refused(asyncio.Protocol):
    """A connection over the limit while every other one is being answered."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class Connections:
    """The server's open connections; called for each new one (a protocol factory)."""

    def __init__(self, server: web.Server, *, limit: int, read_timeout: float) -> None:
        self._server = server
        self.limit = limit
        self.read_timeout = read_timeout
        self._open: dict[Connection, None] = {}  # counted from their acceptance

    def __call__(self) -> asyncio.Protocol:
        if len(self._open) >= self.limit and not self._make_room():
            log.warning(
                "web server: all %d connections are being answered; a new one was closed",
                self.limit,
            )
            return _Refused()
        connection = Connection(self, self._server, asyncio.get_running_loop())
        self._open[connection] = None
        return connection

    def forget(self, connection: Connection) -> None:
        self._open.pop(connection, None)

    def _make_room(self) -> bool:
        waiting = [c for c in self._open if c.open and c.waiting_since is not None]
        if not waiting:
            return False
        longest = min(waiting, key=lambda c: c.waiting_since or 0.0)
        longest.cut()
        log.warning(
            "web server: %d connections open, its limit; closed the one that waited longest "
            "without sending a request",
            self.limit,
        )
        return True


@web.middleware
async def within_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The whole body arrives (before the connection's deadline, and at most MAX_BODY bytes, or
    a large-body route's limit) before any route sees the request; meanwhile the connection
    counts as waiting."""
    large = request.app.get(LARGE_BODY_ROUTES, {}).get(request.match_info.route)
    if large is not None:
        request = request.clone(client_max_size=large.limit)
    limit = MAX_BODY if large is None else large.limit
    try:
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(limit, request.content_length)
        await request.read()  # kept: the route's own read gets it at once
    except web.HTTPRequestEntityTooLarge:  # said by its length, or found while reading
        if large is None:
            raise
        return await large.past_it(request)
    except ConnectionError:  # closed by its deadline, or by the client: nobody to answer
        return web.Response(status=408)
    connection = request.protocol
    if not isinstance(connection, Connection):
        return await handler(request)
    connection.answering()
    try:
        return await handler(request)
    finally:
        if connection.open:
            connection.wait_for_request()


class GuardedSite(web.BaseSite):
    """Listens on `host`:`port`, each accepted connection going through `connections`."""

    __slots__ = ("_connections", "_host", "_port")

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, connections: Connections
    ) -> None:
        super().__init__(runner, backlog=min(MAX_BACKLOG, connections.limit))
        self._host, self._port = host, port
        self._connections = connections

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        self._server = await asyncio.get_running_loop().create_server(
            self._connections, self._host, self._port, backlog=self._backlog, reuse_address=True
        )


def flat_json_object(raw: bytes) -> dict[str, Plain] | None:
    """A JSON object whose values are plain (strings, numbers, booleans, null), as an upstream
    callback is; None for anything else: not JSON, another shape, nested (however deep)."""
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(found, dict):
        return None
    if not all(isinstance(value, Plain) for value in found.values()):
        return None
    return found


def multipart_fields(raw: bytes, content_type: str) -> dict[str, str] | None:
    """The fields of a `multipart/form-data` body (`content_type` is the request's header, with
    its boundary), each plain text; None for anything else: broken, not multipart, a file."""
    try:
        head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
        message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
        if not message.is_multipart():
            return None
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str) or part.get_filename() is not None:
                return None
            value = part.get_content()
            if not isinstance(value, str):
                return None
            fields[name] = value
    except Exception:  # whatever a broken body makes the parser raise: unreadable
        return None
    return fields or None
