"""Who may drive a sandbox server: programs on this machine and the server's own pages, never
another site open in the same browser.

The control routes (`/_sandbox/...`, `/_sim/...`, `/_emulator/...`) and the playground change
what the simulated world did: a transfer arrives, an order fails, a user speaks. Any page the
visitor has open can send requests to 127.0.0.1 as well; a browser marks them, and so:

- a request that changes something and carries another page's `Origin` is refused;
- a name rebound to 127.0.0.1 (DNS rebinding) arrives with its own `Host`: refused unless the
  Host names the address the connection came to, or localhost;
- a body must be JSON. A page may send a form or text/plain to any site without asking; JSON it
  sends elsewhere only after a preflight that these servers never answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

CONTROL_PATHS = ("/_sandbox/", "/_sim/", "/_emulator/")
READS = ("GET", "HEAD")  # what a page of another site can send but never read the answer of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Refusals:
    """What a refused caller is told (`{"error": ...}`), by why."""

    wrong_host: str = "Use the address this sandbox server was started at."
    other_site: str = "Only this machine's programs can do that."
    not_json: str = "Send a JSON object."


def _error(status: type[web.HTTPError], reason: str) -> web.HTTPError:
    return status(text=json.dumps({"error": reason}), content_type="application/json")


def names_this_server(request: web.Request) -> bool:
    """Whether the request's Host is the address its connection reached, or localhost."""
    transport = request.transport
    reached = None if transport is None else transport.get_extra_info("sockname")
    if not isinstance(reached, tuple) or len(reached) < 2:
        return False
    address, port = str(reached[0]), int(reached[1])
    name = f"[{address}]" if ":" in address else address
    own = {f"{name}:{port}", f"localhost:{port}"}
    if port == 80:
        own |= {name, "localhost"}
    return request.host.lower() in own


def same_origin_only(
    paths: tuple[str, ...] | None = CONTROL_PATHS, refusals: Refusals = Refusals()
) -> Middleware:
    """Refuses other sites on the routes under `paths` (None: on every route)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if paths is not None and not request.path.startswith(paths):
            return await handler(request)
        if not names_this_server(request):
            raise _error(web.HTTPForbidden, refusals.wrong_host)
        if request.method not in READS:
            origin = request.headers.get("Origin")
            if origin not in (None, f"http://{request.host}"):
                raise _error(web.HTTPForbidden, refusals.other_site)
            if request.body_exists and request.content_type != "application/json":
                raise _error(web.HTTPBadRequest, refusals.not_json)
        return await handler(request)

    return middleware
