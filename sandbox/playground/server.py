"""The playground: the demo shop in a browser tab.

A page that looks like a Telegram chat (the emulator's chats, as a customer or as an operator in
the admin group) and a sandbox panel where the visitor is the outside world: a USDT transfer to
the deposit address, an upstream's next order failing or slow, a KUMQUAT success-then-fail, an
AceData order paid. Changes reach the page as server-sent events.

With real Telegram (`BOT_TOKEN` set) there is no emulator: the page has the sandbox panel only.

What the panel shows of the shop itself (the USDT deposit requests waiting to be paid) comes
through the `ShopView` it is handed (see `shop_view`): the sandbox imports nothing of the shop.

JSON routes (errors are `{"error": "..."}` with a 4xx status):

    GET  /api/setup                             the seats, the bot, the upstreams
    GET  /api/chats/{seat}                      a seat's chat: messages, command menu
    POST /api/chats/{seat}/send   {text, reply_to?}
    POST /api/chats/{seat}/press  {message_id, data}      → the callback answer, if any
    POST /api/chats/{seat}/pay    {message_id}            → how the Stars payment went
    GET  /api/files/{file_id}                   a document or photo the bot sent
    GET  /api/events                            server-sent events: `chat` {seat}, `sandbox`
    GET  /api/sandbox                           what the panel shows
    POST /api/sandbox/usdt        {amount}      a confirmed USDT transfer to the deposit address
    POST /api/sandbox/faults      {upstream, kind: fail|slow|hang}
    DELETE /api/sandbox/faults
    POST /api/sandbox/topups/{serial}/reverse   a KUMQUAT success turns failed, called back
    POST /api/sandbox/acedata/{order_id}/pay    an AceData order paid by the customer
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from sandbox.playground.shop_view import ShopView
from sandbox.same_origin import Refusals, same_origin_only
from sandbox.server import SimulatorServer
from sandbox.telegram.payments import pay_invoice
from sandbox.telegram.routes import message_json
from sandbox.telegram.state import BotAccount, Chat, UserInfo
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from sandbox.upstreams import SAMPLES, Upstreams

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 4096  # Telegram's limit for a message
# A message of MAX_TEXT characters fits even when each is sent as a six-character JSON escape.
MAX_BODY = 64 * 1024
MAX_USDT = Decimal(1_000_000)
USDT_UNITS = Decimal(1_000_000)  # USDT-TRC20 has 6 decimals
USDT_AMOUNT = re.compile(r"[0-9]{1,7}(?:\.[0-9]{1,6})?")  # ASCII digits only, no exponent
CALLBACK_ANSWER_WAIT = 3.0  # how long a press waits for the bot's toast
KEEPALIVE_SECONDS = 15.0
LISTED = 8  # rows per list on the panel
PANEL_EVERY = 2.0  # seconds between looks at what changed on its own
CONTENT_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
    " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Only this page may use the playground: another site open in the visitor's browser must not send
# transfers or speak as the operator (see sandbox.same_origin).
ONLY_THIS_PAGE = Refusals(
    wrong_host="Open the playground at the address the demo printed.",
    other_site="Only the playground page can do that.",
)


@dataclass(frozen=True)
class Seat:
    """Someone the visitor can be: a customer in a private chat, or an operator in the group."""

    key: str
    title: str
    role: str
    chat: Chat
    user: UserInfo


class BadInput(web.HTTPBadRequest):
    def __init__(self, reason: str) -> None:
        super().__init__(text=json.dumps({"error": reason}), content_type="application/json")


class NotFound(web.HTTPNotFound):
    def __init__(self, reason: str) -> None:
        super().__init__(text=json.dumps({"error": reason}), content_type="application/json")


class TooLarge(web.HTTPClientError):
    status_code = 413

    def __init__(self, reason: str) -> None:
        super().__init__(text=json.dumps({"error": reason}), content_type="application/json")


class Playground:
    def __init__(
        self,
        upstreams: Upstreams,
        shop: ShopView,
        *,
        bot: BotAccount | None,
        seats: list[Seat],
        bot_name: str,
        late_answer_seconds: float,
        deposit_check_seconds: float,
    ) -> None:
        self.upstreams = upstreams
        self.bot = bot  # None with real Telegram
        self.seats = {seat.key: seat for seat in seats}
        self.bot_name = bot_name
        self.late_answer_seconds = late_answer_seconds  # a "slow" or "hung" upstream call
        self.deposit_check_seconds = deposit_check_seconds
        self.shop = shop  # opened and closed by whoever started the playground
        self._listeners: set[asyncio.Queue[tuple[str, dict[str, Any]]]] = set()
        self._server: SimulatorServer | None = None
        self._watching: asyncio.Task[None] | None = None
        for seat in seats:
            seat.chat.watchers.append(self._chat_changed)

    # -- serving ---------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY,
            middlewares=[same_origin_only(None, ONLY_THIS_PAGE), _page_headers, _json_errors],
        )
        app.add_routes(
            [
                web.get("/", self._index),
                web.static("/static", STATIC),
                web.get("/api/setup", self._setup),
                web.get("/api/chats/{seat}", self._chat),
                web.post("/api/chats/{seat}/send", self._send),
                web.post("/api/chats/{seat}/press", self._press),
                web.post("/api/chats/{seat}/pay", self._pay),
                web.get("/api/files/{file_id}", self._file),
                web.get("/api/events", self._events),
                web.get("/api/sandbox", self._sandbox),
                web.post("/api/sandbox/usdt", self._usdt),
                web.post("/api/sandbox/faults", self._add_fault),
                web.delete("/api/sandbox/faults", self._clear_faults),
                web.post("/api/sandbox/topups/{serial}/reverse", self._reverse_topup),
                web.post("/api/sandbox/acedata/{order_id}/pay", self._pay_acedata),
            ]
        )
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 8080) -> str:
        self._server = SimulatorServer(self.app())
        base = await self._server.start(host, port)
        self._watching = asyncio.create_task(self._watch_the_panel())
        return base

    async def stop(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
        for queue in self._listeners:
            queue.put_nowait(("bye", {}))
        if self._server is not None:
            await self._server.stop()

    async def _watch_the_panel(self) -> None:
        """What the bot or the simulators change on their own (a deposit request made in real
        Telegram, an order going through) reaches open pages within PANEL_EVERY seconds."""
        shown = await self._panel_text()
        while True:
            await asyncio.sleep(PANEL_EVERY)
            if not self._listeners:
                continue
            now = await self._panel_text()
            if now is not None and now != shown:
                shown = now
                self._publish("sandbox", {})

    async def _panel_text(self) -> str | None:
        try:
            return json.dumps(await self._panel(), sort_keys=True)
        except Exception:  # the database busy for a moment: next time
            log.exception("reading the sandbox panel failed")
            return None

    # -- live updates ----------------------------------------------------------------------

    def _publish(self, event: str, data: dict[str, Any]) -> None:
        for queue in self._listeners:
            queue.put_nowait((event, data))

    def _chat_changed(self, chat: Chat) -> None:
        for seat in self.seats.values():
            if seat.chat is chat:
                self._publish("chat", {"seat": seat.key})
        self._publish("sandbox", {})  # a new deposit request or order shows on the panel

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._listeners.add(queue)
        try:
            await response.write(b"event: hello\ndata: {}\n\n")
            while True:
                try:
                    event, data = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event == "bye":
                    break
                await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        except ConnectionResetError:  # the page went away
            pass
        finally:
            self._listeners.discard(queue)
        return response

    # -- the page and the chats --------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _setup(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mode": "emulator" if self.bot is not None else "telegram",
                "bot": self.bot_name,
                "seats": [
                    {
                        "key": seat.key,
                        "title": seat.title,
                        "role": seat.role,
                        "group": seat.chat.type != "private",
                    }
                    for seat in self.seats.values()
                ],
                "upstreams": [
                    {"name": upstream.name, "title": upstream.title}
                    for upstream in self.upstreams.all
                ],
                "samples": [
                    {"what": s.what, "value": s.value} for s in (*SAMPLES, *self.shop.try_these())
                ],
                "deposit_address": DEMO_DEPOSIT_ADDRESS,
                "deposit_check_seconds": self.deposit_check_seconds,
            }
        )

    def _seat(self, request: web.Request) -> tuple[BotAccount, Seat]:
        seat = self.seats.get(request.match_info["seat"])
        if seat is None or self.bot is None:
            raise NotFound("no such chat")
        return self.bot, seat

    def _commands(self, bot: BotAccount, seat: Seat) -> list[dict[str, Any]]:
        """The command menu Telegram would show this user in this chat: the narrowest scope
        the bot set for them."""
        if seat.chat.type == "private":
            scopes = ["chat:" + str(seat.chat.id), "all_private_chats", "default"]
        else:
            scopes = [
                f"chat_member:{seat.chat.id}:{seat.user.id}",
                f"chat:{seat.chat.id}",
                "all_group_chats",
                "default",
            ]
        for scope in scopes:
            if bot.commands.get(scope):
                return bot.commands[scope]
        return []

    async def _chat(self, request: web.Request) -> web.Response:
        bot, seat = self._seat(request)
        messages = []
        for message in seat.chat.messages.values():
            if message.deleted:
                continue
            shown = message_json(message)
            shown["mine"] = message.sender.id == seat.user.id
            shown["paid"] = message.invoice is not None and bot.stars.is_paid(
                seat.chat.id, message.message_id
            )
            messages.append(shown)
        return web.json_response(
            {
                "seat": seat.key,
                "title": seat.title,
                "messages": messages,
                "commands": self._commands(bot, seat),
            }
        )

    async def _send(self, request: web.Request) -> web.Response:
        bot, seat = self._seat(request)
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadInput("Type a message first.")
        if len(text) > MAX_TEXT:
            raise BadInput(f"A message holds at most {MAX_TEXT} characters.")
        reply_to = _optional_id(body.get("reply_to"))
        if reply_to is not None and reply_to not in seat.chat.messages:
            raise BadInput("The message you reply to is gone.")
        message, _ = await bot.user_sends(seat.chat, seat.user, text, reply_to=reply_to)
        return web.json_response({"message_id": message.message_id})

    async def _press(self, request: web.Request) -> web.Response:
        bot, seat = self._seat(request)
        body = await _body(request)
        message = seat.chat.messages.get(_required_id(body.get("message_id")))
        data = body.get("data")
        if message is None or message.deleted or not isinstance(data, str):
            raise BadInput("That button is gone.")
        if data not in {b.callback_data for row in message.buttons for b in row}:
            raise BadInput("That message has no such button.")
        record, _ = await bot.user_presses(seat.chat, seat.user, message, data)
        with contextlib.suppress(TimeoutError):  # the bot may answer without a toast, or late
            await asyncio.wait_for(record.answered_now.wait(), CALLBACK_ANSWER_WAIT)
        answer = record.answer or {}
        return web.json_response(
            {"text": answer.get("text") or "", "show_alert": bool(answer.get("show_alert"))}
        )

    async def _pay(self, request: web.Request) -> web.Response:
        bot, seat = self._seat(request)
        body = await _body(request)
        message_id = _required_id(body.get("message_id"))
        try:
            result = await pay_invoice(bot, seat.chat, seat.user, message_id)
        except AssertionError as refused:  # not an invoice, paid already, deleted
            raise BadInput(str(refused)) from None
        self._publish("chat", {"seat": seat.key})
        return web.json_response(result.to_json())

    async def _file(self, request: web.Request) -> web.Response:
        stored = None if self.bot is None else self.bot.files.get(request.match_info["file_id"])
        if stored is None:
            raise NotFound("no such file")
        # Only pictures open in the page; anything else the bot sent is a download.
        shown = stored.mime_type.startswith("image/") and "download" not in request.query
        disposition = "inline" if shown else "attachment"
        name = quote(stored.file_name, safe="")
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type,
            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{name}"},
        )

    # -- the sandbox panel -----------------------------------------------------------------

    async def _sandbox(self, request: web.Request) -> web.Response:
        return web.json_response(await self._panel())

    async def _panel(self) -> dict[str, Any]:
        waiting = [
            {
                "id": deposit.id,
                "customer": deposit.customer,
                "amount": _usdt(deposit.pay_amount),
                "expires_at": deposit.expires_at,
            }
            for deposit in await self.shop.waiting_deposits(LISTED)
        ]
        tron = self.upstreams.tron
        transfers = sorted(tron.events.values(), key=lambda event: event.seq)[-LISTED:]
        topups = list(self.upstreams.topup.orders.values())[-LISTED:]
        ace = self.upstreams.acedata
        ace_orders = list(ace.orders.values())[-LISTED:]
        return {
            "deposit_requests": waiting,
            "transfers": [
                {
                    "txid": event.transaction_id,
                    "amount": _usdt(event.value),
                    "confirmed": event.confirmed,
                }
                for event in reversed(transfers)
                if event.to == DEMO_DEPOSIT_ADDRESS
            ],
            "faults": [
                {"upstream": upstream.name, "kind": fault.kind}
                for upstream in self.upstreams.all
                for fault in upstream.plan.faults
            ],
            "topups": [
                {
                    "serial": order.serial_no,
                    "product": order.product.name,
                    "account": order.account,
                    "status": order.status,
                }
                for order in reversed(topups)
            ],
            "acedata": [
                {
                    "id": order.id,
                    "package": order.package.title,
                    "price": str(order.price),
                    "state": ace.state(order),
                }
                for order in reversed(ace_orders)
            ],
        }

    async def _usdt(self, request: web.Request) -> web.Response:
        body = await _body(request)
        raw = body.get("amount")
        text = raw.strip() if isinstance(raw, str) else ""  # a JSON number could be 1e3
        amount = Decimal(text) if USDT_AMOUNT.fullmatch(text) else Decimal(0)
        if not 0 < amount <= MAX_USDT:
            raise BadInput(
                "Give the amount in USDT: above 0, at most 1,000,000, with up to 6 decimals,"
                " like 25.000317."
            )
        txid = self.upstreams.tron.transfer(DEMO_DEPOSIT_ADDRESS, int(amount * USDT_UNITS))
        self._publish("sandbox", {})
        return web.json_response({"txid": txid, "amount": _usdt(int(amount * USDT_UNITS))})

    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await _body(request)
        upstream = next((u for u in self.upstreams.all if u.name == body.get("upstream")), None)
        if upstream is None:
            raise BadInput("Choose an upstream.")
        kind = body.get("kind")
        if kind == "fail":  # a gateway's error page: nothing happened upstream
            upstream.plan.add("5xx", upstream.money_call)
        elif kind == "slow":  # done upstream, but the answer comes after the shop gave up
            upstream.plan.add("slow", upstream.money_call, seconds=self.late_answer_seconds)
        elif kind == "hang":  # no answer at all, nothing done
            upstream.plan.add("hang", upstream.money_call, seconds=self.late_answer_seconds)
        else:
            raise BadInput("The kind is fail, slow or hang.")
        self._publish("sandbox", {})
        return web.json_response({"upstream": upstream.name, "kind": kind})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        for upstream in self.upstreams.all:
            upstream.plan.faults.clear()
        self._publish("sandbox", {})
        return web.json_response({"faults": 0})

    async def _reverse_topup(self, request: web.Request) -> web.Response:
        serial = request.match_info["serial"]
        topups = self.upstreams.topup
        order = next((o for o in topups.orders.values() if o.serial_no == serial), None)
        if order is None:
            raise NotFound("no such top-up")
        if order.status != "SUCCESS":
            raise BadInput("Only a successful top-up can turn failed.")
        topups.reverse(serial)
        self._publish("sandbox", {})
        return web.json_response({"serial": serial, "status": "FAIL"})

    async def _pay_acedata(self, request: web.Request) -> web.Response:
        ace = self.upstreams.acedata
        order = ace.orders.get(request.match_info["order_id"])
        if order is None:
            raise NotFound("no such AceData order")
        state = ace.state(order)
        if state != "Pending":
            raise BadInput(f"That order is {state.lower()}, not waiting for payment.")
        ace.pay(order.id)
        self._publish("sandbox", {})
        return web.json_response({"id": order.id, "state": ace.state(order)})


@web.middleware
async def _page_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CONTENT_POLICY
    return response


@web.middleware
async def _json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Anything unexpected is logged and answered in a sentence, never with a traceback."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPRequestEntityTooLarge:  # aiohttp's, in plain text
        raise TooLarge("That is more than the playground takes at once.") from None
    except web.HTTPException:
        raise
    except Exception:
        log.exception("playground request %s %s failed", request.method, request.path)
        return web.json_response({"error": "Something went wrong; see the log."}, status=500)


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadInput("Send a JSON object.")
    with contextlib.suppress(ValueError, RecursionError):  # nested too deep to read
        body = json.loads(await request.read())
        if isinstance(body, dict):
            return body
    raise BadInput("Send a JSON object.")


def _optional_id(value: object) -> int | None:
    return None if value is None else _required_id(value)


def _required_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        raise BadInput("That message is gone.")
    return value


def _usdt(units: int) -> str:
    return f"{Decimal(units) / USDT_UNITS:.6f}"
