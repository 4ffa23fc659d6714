"""A TronGrid-style TRC20 transfer history, written from TronGrid's public v1 API description.

`GET /v1/accounts/{address}/transactions/trc20` lists the TRC20 events (`Transfer`, and `Approval`
as TronGrid also lists them) of an account, newest first unless `order_by=block_timestamp,asc`,
`limit` per page (default 20, at most 200). Filters: `only_confirmed`, `only_unconfirmed`,
`only_to`, `only_from` (`true`/`false`), `min_timestamp`, `max_timestamp` (milliseconds, both
inclusive), `contract_address`. Parameters are also accepted in camelCase, and the address in
base58check or hex (`41…`, `0x…`), as TronGrid accepts them. When a page is not the last one,
`meta.fingerprint` is an opaque cursor for the next page and `meta.links.next` the full URL of it.
A page may hold fewer items than `limit` and still not be the last (`short_pages`, a fault): only
a missing fingerprint ends the listing.

The fingerprint names the last event of the page, not an offset, so events that arrive between two
page reads neither repeat nor vanish from the listing. An event's `block_timestamp` is its block's
and does not change when the block is confirmed (`confirm`), which happens later.

Errors, in TronGrid's own two shapes: a wrong or missing `TRON-PRO-API-KEY` (when the simulator
has a key) answers 401 `{"Error": "ApiKey not exists"}`; an invalid address or parameter answers
400 `{"success": false, "error": "...", "statusCode": 400}`. Rate limits (429, or 403 with
`{"Error": "The key exceeds the frequency limit..."}`) are made with the `answer` fault.

Driver, in-process: `transfer(to, amount, ...)` → transaction id, `confirm(txid)`, `approve(...)`.
Over HTTP, for other processes: `POST /_sim/transfers {"to", "amount", "token"?, "confirmed"?,
"from"?, "at_ms"?}` → `{"transaction_id"}`, `POST /_sim/transfers/{txid}/confirm`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_API_KEY = "6f1d2c4e-8a3b-4b7e-9c15-3d2a7e9f0b41"
DEMO_DEPOSIT_ADDRESS = "TRj2zPHiSXWAz5kvf5ox95B1CfmJNbSbhJ"  # a valid address nobody owns
CUSTOMER_ADDRESS = "TLzcb7m9YRuYwFqG31XqpigCXyecMgChtV"  # the default sender
OTHER_ADDRESS = "TWgsaZdFSuvnCPVwexYiEaQqcLmkgZUvs8"  # someone else's account
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
UNAUTHORIZED = {"Error": "ApiKey not exists"}
RATE_LIMITED = {
    "Error": "The key exceeds the frequency limit(15), and the query server is suspended for 30s"
}
_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_DIGITS = {char: value for value, char in enumerate(_ALPHABET)}
_HEX_ADDRESS = re.compile(r"(?:0x|41)([0-9a-fA-F]{40})")
_CAMEL = re.compile(r"(?<!^)([A-Z])")


@dataclass(frozen=True)
class Token:
    symbol: str
    address: str  # the TRC20 contract
    decimals: int
    name: str

    def info(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "address": self.address,
            "decimals": self.decimals,
            "name": self.name,
        }


USDT = Token("USDT", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", 6, "Tether USD")
USDC = Token("USDC", "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8", 6, "USD Coin")
TOKENS = {token.symbol: token for token in (USDT, USDC)}


@dataclass
class Trc20Event:
    transaction_id: str
    token: Token
    sender: str
    to: str
    value: int  # in the token's smallest unit
    block_timestamp: int  # ms
    confirmed: bool
    seq: int  # the order events were made in, to break timestamp ties
    type: str = "Transfer"

    def item(self) -> dict[str, Any]:
        return {
            "transaction_id": self.transaction_id,
            "token_info": self.token.info(),
            "block_timestamp": self.block_timestamp,
            "from": self.sender,
            "to": self.to,
            "type": self.type,
            "value": str(self.value),
        }


def _checksum(payload: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]


def _base58check(payload: bytes) -> str:
    number = int.from_bytes(payload + _checksum(payload), "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _ALPHABET[digit] + text
    return text


def account(text: str) -> str | None:
    """The base58check form of a TRON address given in base58check or hex; None if it is not one."""
    hex_match = _HEX_ADDRESS.fullmatch(text)
    if hex_match:
        payload = b"\x41" + bytes.fromhex(hex_match.group(1))
        return _base58check(payload)
    if len(text) != 34 or any(char not in _DIGITS for char in text):
        return None
    number = 0
    for char in text:
        number = number * 58 + _DIGITS[char]
    raw = number.to_bytes(25, "big")
    payload, checksum = raw[:21], raw[21:]
    if payload[0] != 0x41 or _checksum(payload) != checksum:
        return None
    return text


def _bad_request(error: str) -> web.Response:
    return web.json_response({"success": False, "error": error, "statusCode": 400}, status=400)


def _key(event: Trc20Event) -> tuple[int, int]:
    return event.block_timestamp, event.seq


def _fingerprint(event: Trc20Event) -> str:
    return base64.urlsafe_b64encode(f"{event.block_timestamp}:{event.seq}".encode()).decode()


def _position(fingerprint: str) -> tuple[int, int] | None:
    try:
        timestamp, seq = base64.urlsafe_b64decode(fingerprint.encode()).decode().split(":")
        return int(timestamp), int(seq)
    except ValueError:  # includes binascii.Error and UnicodeDecodeError
        return None


class TronGridSimulator:
    def __init__(self, api_key: str | None = DEMO_API_KEY) -> None:
        self.api_key = api_key  # None: no key needed
        self.plan = FaultPlan()
        self.events: dict[str, Trc20Event] = {}
        # Sizes of the next pages to end early (a fault: fewer items than the limit, while more
        # exist); a listing with fewer than two events leaves the next size waiting.
        self.short_pages: list[int] = []
        self._seq = itertools.count(1)

    # The driver: what happens on chain.

    def transfer(
        self,
        to: str,
        amount: int,
        *,
        token: str = "USDT",
        confirmed: bool = True,
        sender: str = CUSTOMER_ADDRESS,
        at_ms: int | None = None,
    ) -> str:
        """A TRC20 transfer of `amount` smallest units of `token` (a symbol of `TOKENS`); its id."""
        return self._record("Transfer", sender, to, amount, token, confirmed, at_ms)

    def approve(
        self,
        owner: str,
        spender: str,
        amount: int,
        *,
        token: str = "USDT",
        at_ms: int | None = None,
    ) -> str:
        """An `Approval` event (owner lets spender move `amount`): listed, but it moves nothing."""
        return self._record("Approval", owner, spender, amount, token, True, at_ms)

    def confirm(self, txid: str) -> None:
        """The transfer's block is now confirmed (solidified); its block_timestamp stays."""
        self.events[txid].confirmed = True

    def _record(
        self,
        kind: str,
        sender: str,
        to: str,
        amount: int,
        token: str,
        confirmed: bool,
        at_ms: int | None,
    ) -> str:
        if account(sender) != sender or account(to) != to:
            raise ValueError(f"not base58check TRON addresses: {sender!r}, {to!r}")
        if token not in TOKENS:
            raise ValueError(f"unknown token {token!r}; one of {sorted(TOKENS)}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            # Zero is allowed: zero-value transfers (address poisoning) are common on TRON.
            raise ValueError(f"amount must be a whole number of smallest units: {amount!r}")
        event = Trc20Event(
            transaction_id=secrets.token_hex(32),
            token=TOKENS[token],
            sender=sender,
            to=to,
            value=amount,
            block_timestamp=int(time.time() * 1000) if at_ms is None else at_ms,
            confirmed=confirmed,
            seq=next(self._seq),
            type=kind,
        )
        self.events[event.transaction_id] = event
        return event.transaction_id

    # The API.

    async def trc20_transactions(self, request: web.Request) -> web.Response:
        if self.api_key is not None and request.headers.get("TRON-PRO-API-KEY") != self.api_key:
            return web.json_response(UNAUTHORIZED, status=401)
        address = account(request.match_info["address"])
        if address is None:
            return _bad_request("A valid account address is required.")
        query = {_CAMEL.sub(r"_\1", name).lower(): value for name, value in request.query.items()}
        try:
            only = {
                name: _flag(query.get(f"only_{name}"))
                for name in ("confirmed", "unconfirmed", "to", "from")
            }
            limit = _number(query.get("limit"), DEFAULT_LIMIT)
            low = _number(query.get("min_timestamp"), 0)
            high = _number(query.get("max_timestamp"), 2**63)
        except ValueError as exc:
            return _bad_request(str(exc))
        if not 1 <= limit <= MAX_LIMIT:
            return _bad_request(f"limit must be between 1 and {MAX_LIMIT}")
        order_by = query.get("order_by", "block_timestamp,desc")
        if order_by not in ("block_timestamp,desc", "block_timestamp,asc"):
            return _bad_request(f"Invalid order_by: {order_by}")
        contract = None
        if "contract_address" in query:
            contract = account(query["contract_address"])
            if contract is None:
                return _bad_request("A valid contract address is required.")

        def wanted(event: Trc20Event) -> bool:
            if only["to"] or only["from"]:
                involved = (not only["to"] or event.to == address) and (
                    not only["from"] or event.sender == address
                )
            else:
                involved = address in (event.to, event.sender)
            return (
                involved
                and not (only["confirmed"] and not event.confirmed)
                and not (only["unconfirmed"] and event.confirmed)
                and (contract is None or event.token.address == contract)
                and low <= event.block_timestamp <= high
            )

        descending = order_by.endswith("desc")
        listed = sorted(
            (event for event in self.events.values() if wanted(event)),
            key=_key,
            reverse=descending,
        )
        if "fingerprint" in query:
            after = _position(query["fingerprint"])
            if after is None:
                return _bad_request("Invalid fingerprint")
            listed = [e for e in listed if (_key(e) < after if descending else _key(e) > after)]
        page = listed[: self._page_size(limit, len(listed))]
        meta: dict[str, Any] = {"at": int(time.time() * 1000), "page_size": len(page)}
        if len(listed) > len(page):
            fingerprint = _fingerprint(page[-1])
            meta["fingerprint"] = fingerprint
            meta["links"] = {"next": str(request.url.update_query(fingerprint=fingerprint))}
        return web.json_response(
            {"data": [event.item() for event in page], "success": True, "meta": meta}
        )

    def _page_size(self, limit: int, listed: int) -> int:
        """`limit`, or fewer while more exist when a short page is due (a page shorter than
        the limit is not the last one: only a missing fingerprint says that)."""
        if not self.short_pages or limit < 2 or listed < 2:
            return limit
        return max(1, min(self.short_pages.pop(0), limit - 1, listed - 1))

    # The driver over HTTP.

    async def _transfer(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict) or not isinstance(body.get("confirmed", True), bool):
                raise ValueError('a JSON object with "to", "amount" and a boolean "confirmed"')
            at_ms = body.get("at_ms")
            txid = self.transfer(
                str(body["to"]),
                body["amount"],
                token=str(body.get("token", "USDT")),
                confirmed=body.get("confirmed", True),
                sender=str(body.get("from", CUSTOMER_ADDRESS)),
                at_ms=None if at_ms is None else int(at_ms),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"transaction_id": txid})

    async def _confirm(self, request: web.Request) -> web.Response:
        txid = request.match_info["txid"]
        if txid not in self.events:
            raise web.HTTPNotFound(text=f"no transfer {txid}")
        self.confirm(txid)
        return web.json_response({"transaction_id": txid, "confirmed": True})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        app.add_routes(
            [
                web.get("/v1/accounts/{address}/transactions/trc20", self.trc20_transactions),
                web.post("/_sim/transfers", self._transfer),
                web.post("/_sim/transfers/{txid}/confirm", self._confirm),
                *fault_routes(self.plan),
            ]
        )
        return app


def _flag(value: str | None) -> bool:
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise ValueError(f"Invalid boolean: {value}")


def _number(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"Invalid number: {value}")
    return int(value)
