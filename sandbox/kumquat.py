"""KUMQUAT mobile top-up API simulator (docs/upstreams/kumquat.md), written from the document alone.

Every request is JSON with `partner_no`, `datetime` (yyyyMMddHHmmss, Beijing time) and `sign` =
md5(stringA + sign_key), stringA being the sorted `k=v` pairs of all non-empty parameters but
`sign`.
The document gives no exact paths; this simulator serves the shop's default table (`PATHS`).
The `result` objects are elided in the document; their fields here are the ones the shop uses,
under the document's names where it has them: a product's face value is `base_value` and its
`unit` (as in the auto-order call), its `price` comes with that price's `currency`.

Mock behaviour from the document: account 8615180624622 is accepted and fails by callback
(insufficient amount); 6208566322867 is refused with a signature error and never called back;
254771114118 is accepted and succeeds by callback; any other number is accepted and fails by
callback. Serial numbers 0577228903e14f23030c3c5e496033ef (SUCCESS) and
0557978903e14f23030c3c5e496033ef (REJECT) can be queried. Callbacks are signed the same way with
`callback_sign_key` (the mock key 123456789), and are retried up to five times with growing delays
until answered `SUCCESS`. `reverse(serial_no)` sends the rare success-then-fail callback. Over HTTP:
`POST /_sandbox/orders/{serial_no}/reverse`, `POST /_sandbox/balance {"balance"}`.

`callback_plan` makes the next callbacks misbehave, one fault each (none armed: every callback is
sent once, in order, as above): `duplicate` (sent again once answered), `delay` (sent `seconds`
late), `reorder` (held until the next order's callback went first, at most `seconds`), `forge`
(a forger posts lies about the order first: a wrong signature, an unknown serial, another order's
serial; what the shop answered is in `forgeries`), `reverse` (a success is reversed `seconds`
after it was answered) and `stale success` (reversed, and then the success comes once more, as
a retry overtaken by the reversal); a succeeding order's callback takes the last two.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.faults import FaultPlan, fault_routes
from sandbox.server import simulator_app

DEMO_PARTNER = "test"
DEMO_SIGN_KEY = "123456789"
BEIJING = timedelta(hours=8)
PATHS = {
    "countries": "/api/code/2.0/countries",
    "country": "/api/code/2.0/countries/{code}",
    "carriers": "/api/code/2.0/carriers",
    "country_carriers": "/api/code/2.0/countries/{code}/carriers",
    "products": "/api/code/2.0/products",
    "product": "/api/code/2.0/products/{id}",
    "number": "/api/code/2.0/numbers/{number}",
    "order": "/api/code/2.0/orders",
    "query": "/api/code/2.0/orders/query",
    "balance": "/api/code/2.0/balance",
}
PRICE_CURRENCY = "USD"
MOCK_FAILS_SHORT = "8615180624622"
MOCK_SIGNATURE_REFUSED = "6208566322867"
MOCK_SUCCEEDS = "254771114118"
MOCK_SERIALS = {
    "0577228903e14f23030c3c5e496033ef": "SUCCESS",
    "0557978903e14f23030c3c5e496033ef": "REJECT",
}
ERRORS = {
    "JU9998": (405, "请求格式错误"),
    "JU9997": (400, "参数错误"),
    "JU9996": (511, "ip错误"),
    "JU9995": (511, "时间戳校验失败"),
    "JU9994": (511, "签名错误"),
    "JU9993": (400, "该订单已经存在"),
    "JU9992": (400, "该产品不存在"),
    "JU9991": (401, "未知身份信息"),
    "JU9989": (503, "请求过于频繁"),
    "JU9980": (400, "没有接口权限"),
    "JU9983": (400, "该产品无效"),
    "JU9978": (400, "无法识别该号码的运营商信息"),
    "JU9972": (400, "号码长度有误"),
}


def _number(value: Decimal) -> int | float:
    """A JSON number, as the document types `base_value` (number <double>)."""
    return int(value) if value == value.to_integral_value() else float(value)


def sign(params: dict[str, Any], key: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "sign" and v not in (None, ""))
    string_a = "&".join(f"{k}={v}" for k, v in pairs)
    return hashlib.md5(f"{string_a}{key}".encode()).hexdigest()


@dataclass(frozen=True)
class Carrier:
    id: str
    name: str
    country_code: str
    prefix: str  # international prefix of its numbers, country code included


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    type: str  # HF (airtime) or LL (data)
    carrier_id: str
    country_code: str
    base_value: Decimal  # the face value
    unit: str  # of the face value: a currency, or a data size (GB)
    price: Decimal  # what the partner pays, in PRICE_CURRENCY
    valid: bool = True


@dataclass
class TopUp:
    request_no: str
    serial_no: str
    product: Product
    account: str
    status: str
    callback_url: str | None
    created_at: str
    ending: str  # SUCCESS or FAIL
    fail_reason: str = "充值失败"
    charged: bool = True
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    reversed: bool = False  # succeeded, then failed (`reverse`)


CALLBACK_FAULTS = ("duplicate", "delay", "reorder", "forge", "reverse", "stale success")
REVERSALS = ("reverse", "stale success")  # faults only a succeeding order's callback takes
FORGER_KEY = "not-the-callback-key"


@dataclass(frozen=True)
class CallbackFault:
    kind: str
    seconds: float = 1.0


@dataclass
class CallbackPlan:
    """Faults for the next callbacks, taken in the order they were added."""

    faults: list[CallbackFault] = field(default_factory=list)

    def add(self, kind: str, seconds: float = 1.0) -> None:
        if kind not in CALLBACK_FAULTS:
            raise ValueError(f"unknown callback fault {kind!r}; one of {CALLBACK_FAULTS}")
        self.faults.append(CallbackFault(kind, seconds))

    def take(self, succeeding: bool) -> CallbackFault | None:
        for fault in self.faults:
            if fault.kind not in REVERSALS or succeeding:
                self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()


@dataclass(frozen=True)
class Forgery:
    """A callback the shop must refuse: what was posted (`lie`) and what the shop answered."""

    lie: str  # wrong signature, unknown serial, another order's serial
    request_no: str
    status: int | None  # None: the shop could not be reached
    answer: str


COUNTRIES = {
    "CN": "China",
    "ID": "Indonesia",
    "KE": "Kenya",
    "VN": "Viet Nam",
    "PH": "Philippines",
}
CARRIERS = [
    Carrier("1001", "China Mobile", "CN", "86151"),
    Carrier("1002", "China Unicom", "CN", "86130"),
    Carrier("2001", "Telkomsel", "ID", "62"),
    Carrier("3001", "Safaricom", "KE", "254"),
    Carrier("4001", "Viettel", "VN", "8498"),
    Carrier("4002", "Vinaphone", "VN", "8491"),
    Carrier("5001", "Globe", "PH", "63"),
]


def _catalogue() -> list[Product]:
    products: list[Product] = []
    number = 19_400
    currencies = {"CN": "CNY", "ID": "IDR", "KE": "KES", "VN": "VND", "PH": "PHP"}
    usd_per_unit = {
        "CNY": "0.1385",
        "IDR": "0.0000625",
        "KES": "0.0077",
        "VND": "0.0000395",
        "PHP": "0.0172",
    }
    faces = {
        "CNY": (20, 50, 100),
        "IDR": (10_000, 50_000),
        "KES": (100, 500),
        "VND": (50_000, 100_000, 200_000),
        "PHP": (100, 300),
    }
    for carrier in CARRIERS:
        currency = currencies[carrier.country_code]
        for kind in ("HF", "LL"):
            for face in faces[currency]:
                number += 1
                usd = (Decimal(face) * Decimal(usd_per_unit[currency]) * Decimal("0.97")).quantize(
                    Decimal("0.01")
                )
                label = "Airtime" if kind == "HF" else "Data"
                name = f"{carrier.name} {label} {face} {currency}"
                price = max(usd, Decimal("0.01"))
                products.append(
                    Product(
                        number,
                        name,
                        kind,
                        carrier.id,
                        carrier.country_code,
                        Decimal(face),
                        currency,
                        price,
                    )
                )
    products.append(
        Product(
            19_402,
            "China Mobile Airtime 20 CNY (legacy)",
            "HF",
            "1001",
            "CN",
            Decimal(20),
            "CNY",
            Decimal("2.70"),
            valid=False,
        )
    )
    # Data sold by size: its unit is not a currency.
    products.append(
        Product(
            19_500, "Safaricom Data 1 GB", "LL", "3001", "KE", Decimal(1), "GB", Decimal("1.20")
        )
    )
    return products


class KumquatSimulator:
    def __init__(
        self,
        partner_no: str = DEMO_PARTNER,
        sign_key: str = DEMO_SIGN_KEY,
        callback_sign_key: str = DEMO_SIGN_KEY,
    ) -> None:
        self.partner_no = partner_no
        self.sign_key = sign_key
        self.callback_sign_key = callback_sign_key
        self.balance = Decimal("1000.00")
        self.credit = Decimal("0")
        self.allowed_ips: set[str] | None = None
        self.clock_skew_seconds = 600
        self.process_seconds = 0.2
        self.callback_delay = 0.05  # the n-th retry waits callback_delay × n!
        self.plan = FaultPlan()
        self.callback_plan = CallbackPlan()
        self.forgeries: list[Forgery] = []
        self._callback_sent = asyncio.Event()  # a reordered callback waits for the next one
        self.products = {p.id: p for p in _catalogue()}
        self.orders: dict[str, TopUp] = {}  # by request_no
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- helpers --

    @staticmethod
    def _answer(result: Any, headers: dict[str, str] | None = None) -> web.Response:
        body = {
            "returnCode": "SUCCESS",
            "returnMsg": "请求成功",
            "errorCode": None,
            "result": result,
        }
        return web.json_response(body, headers=headers)

    @staticmethod
    def _error(code: str) -> web.Response:
        status, message = ERRORS[code]
        body = {"returnCode": "FAIL", "errorCode": code, "returnMsg": message, "result": None}
        return web.json_response(body, status=status)

    async def _verified(self, request: web.Request) -> dict[str, Any] | web.Response:
        try:
            params = await request.json()
        except ValueError:
            return self._error("JU9998")
        if not isinstance(params, dict):
            return self._error("JU9998")
        if params.get("partner_no") != self.partner_no:
            return self._error("JU9991")
        if self.allowed_ips is not None and request.remote not in self.allowed_ips:
            return self._error("JU9996")
        try:
            sent = datetime.strptime(str(params.get("datetime")), "%Y%m%d%H%M%S")
        except ValueError:
            return self._error("JU9995")
        beijing_now = datetime.now(UTC).replace(tzinfo=None) + BEIJING
        if abs((beijing_now - sent).total_seconds()) > self.clock_skew_seconds:
            return self._error("JU9995")
        if str(params.get("sign", "")).lower() != sign(params, self.sign_key):
            return self._error("JU9994")
        return params

    @staticmethod
    def _paged(items: list[dict[str, Any]], params: dict[str, Any]) -> web.Response:
        page = max(1, int(params.get("currentPage") or 1))
        size = min(100, max(1, int(params.get("pageSize") or 20)))
        pages = max(1, math.ceil(len(items) / size))
        headers = {
            "X-Total": str(len(items)),
            "X-Total-Pages": str(pages),
            "X-Per-Page": str(size),
            "X-Page": str(page),
        }
        if page < pages:
            headers["X-Next-Page"] = str(page + 1)
        if page > 1:
            headers["X-Prev-Page"] = str(page - 1)
        return KumquatSimulator._answer(items[(page - 1) * size : page * size], headers)

    @staticmethod
    def _product_json(product: Product) -> dict[str, Any]:
        return {
            "id": product.id,
            "name": product.name,
            "type": product.type,
            "carrier_id": product.carrier_id,
            "country_code": product.country_code,
            "base_value": _number(product.base_value),
            "unit": product.unit,
            "price": str(product.price),
            "currency": PRICE_CURRENCY,  # the price's
            "status": "VALID" if product.valid else "INVALID",
        }

    @staticmethod
    def _carrier_json(carrier: Carrier) -> dict[str, Any]:
        return {"id": carrier.id, "name": carrier.name, "country_code": carrier.country_code}

    def _order_json(self, order: TopUp) -> dict[str, Any]:
        return {
            "request_no": order.request_no,
            "serial_no": order.serial_no,
            "status": order.status,
            "product_id": order.product.id,
            "account": order.account,
            "price": str(order.product.price),
            "created_at": order.created_at,
        }

    # -- basic information --

    async def countries(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        return self._answer([{"country_code": c, "name": n} for c, n in COUNTRIES.items()])

    async def country(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        code = request.match_info["code"].upper()
        if code not in COUNTRIES:
            return self._error("JU9997")
        return self._answer({"country_code": code, "name": COUNTRIES[code]})

    async def carriers(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        return self._paged([self._carrier_json(c) for c in CARRIERS], params)

    async def country_carriers(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        code = request.match_info["code"].upper()
        return self._answer([self._carrier_json(c) for c in CARRIERS if c.country_code == code])

    async def products_list(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        chosen = [
            p
            for p in self.products.values()
            if p.valid
            and (not params.get("country_code") or p.country_code == params["country_code"])
            and (not params.get("carrier") or p.carrier_id == str(params["carrier"]))
            and (not params.get("type") or p.type == params["type"])
        ]
        return self._paged([self._product_json(p) for p in chosen], params)

    async def product(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        raw = request.match_info["id"]
        found = self.products.get(int(raw)) if raw.isdigit() else None
        if found is None:
            return self._error("JU9992")
        return self._answer(self._product_json(found))

    def _carrier_of(self, number: str) -> Carrier | None:
        matches = [c for c in CARRIERS if number.startswith(c.prefix)]
        return max(matches, key=lambda c: len(c.prefix)) if matches else None

    async def number(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        number = request.match_info["number"]
        if not number.isdigit():
            return self._error("JU9997")
        if not 6 <= len(number) <= 15:
            return self._error("JU9972")
        carrier = self._carrier_of(number)
        if carrier is None or (
            params.get("country_code") and params["country_code"] != carrier.country_code
        ):
            return self._error("JU9978")
        return self._answer(
            {
                "account": number,
                "country_code": carrier.country_code,
                "carrier_id": carrier.id,
                "carrier_name": carrier.name,
            }
        )

    # -- orders --

    async def place(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        account = str(params.get("account") or "")
        if account == MOCK_SIGNATURE_REFUSED:
            return self._error("JU9994")
        request_no = str(params.get("request_no") or "")
        if not request_no or len(request_no) > 32 or not account.isdigit():
            return self._error("JU9997")
        if not 6 <= len(account) <= 15:
            return self._error("JU9972")
        if request_no in self.orders:
            return self._error("JU9993")
        product = (
            self.products.get(int(params["product_id"]))
            if str(params.get("product_id", "")).isdigit()
            else None
        )
        if product is None:
            return self._error("JU9992")
        if not product.valid:
            return self._error("JU9983")
        # The document names no error for a short balance: the order is taken and fails.
        affordable = self.balance + max(self.credit, Decimal(0)) >= product.price
        if affordable:
            self.balance -= product.price
        ending = "SUCCESS" if account == MOCK_SUCCEEDS and affordable else "FAIL"
        order = TopUp(
            request_no=request_no,
            serial_no=secrets.token_hex(16),
            product=product,
            account=account,
            status="ACCEPT",
            callback_url=str(params.get("callback_url") or "") or None,
            created_at=(datetime.now(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            ending=ending,
            charged=affordable,
            fail_reason="账号金额不足"
            if account == MOCK_FAILS_SHORT
            else "余额不足"
            if not affordable
            else "充值失败",
        )
        self.orders[request_no] = order
        self._spawn(self._process(order))
        return self._answer(self._order_json(order))

    async def query(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        serial, request_no = str(params.get("serial_no") or ""), str(params.get("request_no") or "")
        if serial in MOCK_SERIALS:
            return self._answer(
                {
                    "serial_no": serial,
                    "request_no": request_no or None,
                    "status": MOCK_SERIALS[serial],
                }
            )
        found = self.orders.get(request_no) if request_no else None
        if found is None and serial:
            found = next((o for o in self.orders.values() if o.serial_no == serial), None)
        if found is None:
            return self._error("JU9997")
        return self._answer(self._order_json(found))

    async def balance_info(self, request: web.Request) -> web.Response:
        params = await self._verified(request)
        if isinstance(params, web.Response):
            return params
        return self._answer(
            {"balance": str(self.balance), "credit": str(self.credit), "currency": PRICE_CURRENCY}
        )

    # -- the life of an order and its callbacks --

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, order: TopUp) -> None:
        order.status = "PROCESSING"
        await asyncio.sleep(self.process_seconds)
        order.status = order.ending
        if order.ending == "FAIL" and order.charged:
            self.balance += order.product.price
        fault = self.callback_plan.take(succeeding=order.status == "SUCCESS")
        kind = fault.kind if fault else None
        if fault is not None and kind == "delay":
            await asyncio.sleep(fault.seconds)
        if fault is not None and kind == "reorder":
            self._callback_sent.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._callback_sent.wait(), fault.seconds)
        if kind == "forge":
            await self._forge(order)
        answered = await self._call_back(order)
        if kind == "duplicate":
            await self._call_back(order, attempts=1)
        if fault is not None and kind in REVERSALS and answered:
            success = self._payload(order)
            await asyncio.sleep(fault.seconds)
            self._turn_failed(order)
            await self._call_back(order)
            if kind == "stale success" and order.callback_url:
                success["sign"] = sign(success, self.callback_sign_key).upper()
                _, answer = await self._post(order.callback_url, success)
                order.callbacks.append({**success, "attempt": 1, "answer": answer})

    def reverse(self, serial_no: str) -> None:
        """The rare success-then-fail: a succeeded order turns failed and is called back again."""
        order = next(o for o in self.orders.values() if o.serial_no == serial_no)
        self._turn_failed(order)
        self._spawn(self._call_back(order))

    def _turn_failed(self, order: TopUp) -> None:
        order.status = "FAIL"
        order.fail_reason = "充值失败(运营商冲正)"
        order.reversed = True
        self.balance += order.product.price

    def _payload(self, order: TopUp) -> dict[str, Any]:
        return {
            "result": "充值成功" if order.status == "SUCCESS" else order.fail_reason,
            "price": str(order.product.price),
            "request_no": order.request_no,
            "serial_no": order.serial_no,
            "status": "success" if order.status == "SUCCESS" else "error",
        }

    async def _post(self, url: str, payload: dict[str, Any]) -> tuple[int | None, str]:
        session = self._session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        self._session = session
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.post(url, json=payload) as response:
                return response.status, (await response.text()).strip()
        return None, ""

    async def _call_back(self, order: TopUp, attempts: int = 5) -> bool:
        """Send the order's callback until it is answered `SUCCESS` (True) or given up."""
        if not order.callback_url:
            return False
        payload = self._payload(order)
        payload["sign"] = sign(payload, self.callback_sign_key).upper()
        for attempt in range(1, attempts + 1):
            _, answer = await self._post(order.callback_url, payload)
            order.callbacks.append({**payload, "attempt": attempt, "answer": answer})
            self._callback_sent.set()
            if answer == "SUCCESS":
                return True
            if attempt < attempts:
                await asyncio.sleep(self.callback_delay * math.factorial(attempt))
        return False

    async def _forge(self, order: TopUp) -> None:
        """Lies about `order` from someone without the callback key, and one signed with it
        that names an order nobody placed: the shop must refuse each and change nothing."""
        if not order.callback_url:
            return
        flipped = "error" if order.status == "SUCCESS" else "success"
        other = next((o for o in self.orders.values() if o is not order), order)
        unknown = secrets.token_hex(16)
        lies = {
            "wrong signature": ({**self._payload(order), "status": flipped}, FORGER_KEY),
            "unknown serial": (
                {**self._payload(order), "request_no": unknown[:18], "serial_no": unknown},
                self.callback_sign_key,
            ),
            "another order's serial": (
                {**self._payload(order), "status": flipped, "serial_no": other.serial_no},
                FORGER_KEY,
            ),
        }
        for lie, (payload, key) in lies.items():
            payload["sign"] = sign(payload, key).upper()
            status, answer = await self._post(order.callback_url, payload)
            self.forgeries.append(Forgery(lie, order.request_no, status, answer))

    async def _cleanup(self, app: web.Application) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- knobs over HTTP --

    async def _reverse(self, request: web.Request) -> web.Response:
        serial = request.match_info["serial_no"]
        if not any(o.serial_no == serial for o in self.orders.values()):
            raise web.HTTPNotFound(text="no such order")
        self.reverse(serial)
        return web.json_response({"serial_no": serial, "status": "FAIL"})

    async def _set_balance(self, request: web.Request) -> web.Response:
        self.balance = Decimal(str((await request.json())["balance"]))
        return web.json_response({"balance": str(self.balance)})

    def app(self) -> web.Application:
        app = simulator_app(self.plan)
        handlers = {
            "countries": self.countries,
            "country": self.country,
            "carriers": self.carriers,
            "country_carriers": self.country_carriers,
            "products": self.products_list,
            "product": self.product,
            "number": self.number,
            "order": self.place,
            "query": self.query,
            "balance": self.balance_info,
        }
        for name, path in PATHS.items():
            app.router.add_route("*", path, handlers[name])
        app.add_routes(
            [
                web.post("/_sandbox/orders/{serial_no}/reverse", self._reverse),
                web.post("/_sandbox/balance", self._set_balance),
                *fault_routes(self.plan),
            ]
        )
        app.on_cleanup.append(self._cleanup)
        return app
