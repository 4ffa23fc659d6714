"""KUMQUAT mobile top-up API (docs/upstreams/kumquat.md): airtime (HF) and data (LL) in 220+
countries.

Every request is JSON carrying `partner_no`, `datetime` (yyyyMMddHHmmss, Beijing time) and `sign` =
md5(stringA + sign_key) over the sorted non-empty parameters. The document names the operations
but not their paths: they live in `KumquatPaths`, with defaults under `/api/code/2.0/`. Its
`result` objects are elided: the fields this shop reads are defined by the models below, in one
place. `request_no` (our order id) is the upstream's unique reference: a retried order meets
JU9993, which is resolved by querying that `request_no`, so nothing is ever bought twice.
Callbacks to us are signed the same way and answered `SUCCESS` (see `verify_callback`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from providers.amounts import Micro
from providers.http import (
    Exchange,
    HttpTransport,
    RetryPolicy,
    Timeouts,
    decode,
    refusal,
    unreadable,
)
from providers.outcomes import UNDOCUMENTED, Outcome, Reply, by_status

T = TypeVar("T")
BEIJING = timedelta(hours=8)


@dataclass(frozen=True)
class KumquatPaths:
    """Where each operation lives; the document gives only the version prefix."""

    countries: str = "/api/code/2.0/countries"
    country: str = "/api/code/2.0/countries/{code}"
    carriers: str = "/api/code/2.0/carriers"
    country_carriers: str = "/api/code/2.0/countries/{code}/carriers"
    products: str = "/api/code/2.0/products"
    product: str = "/api/code/2.0/products/{id}"
    number: str = "/api/code/2.0/numbers/{number}"
    order: str = "/api/code/2.0/orders"
    query: str = "/api/code/2.0/orders/query"
    balance: str = "/api/code/2.0/balance"


class _Result(BaseModel):
    model_config = ConfigDict(coerce_numbers_to_str=True, extra="ignore")


class KumquatCountry(_Result):
    country_code: str
    name: str = ""


class KumquatCarrier(_Result):
    id: str
    name: str
    country_code: str = ""


class KumquatProduct(_Result):
    """A product. The document elides this answer but names, in its auto-order call, a top-up's
    face value `base_value` and its `unit` (a currency for airtime, a size such as GB for data);
    the `price` the shop pays comes with its own `currency`. An answer that says `face_value`
    and `currency` for the face value (and `price_currency` for the price) is read too."""

    id: int
    name: str
    type: str  # HF airtime, LL data
    carrier_id: str
    country_code: str
    face_value: Decimal
    unit: str  # of the face value
    price: Micro  # what the shop pays, in price_currency
    price_currency: str = "USD"

    @model_validator(mode="before")
    @classmethod
    def _documents_names(cls, answer: Any) -> Any:
        if not isinstance(answer, dict):
            return answer
        read = {k: v for k, v in answer.items() if k not in ("base_value", "currency")}
        if "base_value" in answer:
            read["face_value"] = answer["base_value"]
        if "unit" in answer:  # the document's names: `currency` is the price's
            read.setdefault("price_currency", answer.get("currency") or "USD")
        else:  # `currency` is the face value's
            read["unit"] = answer.get("currency")
        return read


class KumquatNumber(_Result):
    account: str
    country_code: str
    carrier_id: str
    carrier_name: str = ""


class KumquatOrder(_Result):
    request_no: str | None = None
    serial_no: str
    status: str
    product_id: int | None = None
    account: str | None = None
    price: Micro | None = None
    created_at: str | None = None


class KumquatBalance(_Result):
    balance: Micro
    credit: Micro = 0
    currency: str = "USD"

    @property
    def available(self) -> int:
        """As the document says: balance + credit while the balance is positive, else credit."""
        return self.balance + self.credit if self.balance > 0 else self.credit


class KumquatCallback(_Result):
    request_no: str
    serial_no: str
    status: str  # success or error
    result: str = ""
    price: str | None = None
    pin: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status.lower() == "success"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int
    next_page: int | None = None


# Every documented error code → outcome and our reason.
ERRORS: dict[str, tuple[Outcome, str]] = {
    "JU9998": (Outcome.REJECTED, "bad_format"),
    "JU9997": (Outcome.REJECTED, "invalid_parameters"),
    "JU9996": (Outcome.REJECTED, "ip_not_allowed"),
    "JU9995": (Outcome.REJECTED, "bad_timestamp"),
    "JU9994": (Outcome.REJECTED, "bad_signature"),
    "JU9993": (Outcome.UNKNOWN, "order_exists"),
    "JU9992": (Outcome.REJECTED, "product_not_found"),
    "JU9991": (Outcome.REJECTED, "unknown_partner"),
    "JU9989": (Outcome.REJECTED, "too_many_requests"),
    "JU9980": (Outcome.REJECTED, "no_permission"),
    "JU9983": (Outcome.REJECTED, "product_invalid"),
    "JU9978": (Outcome.REJECTED, "carrier_unknown"),
    "JU9972": (Outcome.REJECTED, "bad_number_length"),
}

ORDER_STATUSES: dict[str, Outcome] = {
    "ACCEPT": Outcome.PENDING,
    "PROCESSING": Outcome.PENDING,
    "SUBMIT": Outcome.PENDING,
    "SUCCESS": Outcome.SUCCEEDED,
    "FAIL": Outcome.REJECTED,
    "REJECT": Outcome.REJECTED,
}


def sign(params: Mapping[str, Any], sign_key: str) -> str:
    """md5 over `k=v` pairs of the non-empty parameters but `sign`, sorted by name, + the key."""
    pairs = sorted(
        (name, value)
        for name, value in params.items()
        if name != "sign" and value not in (None, "")
    )
    string_a = "&".join(f"{name}={value}" for name, value in pairs)
    return hashlib.md5(f"{string_a}{sign_key}".encode()).hexdigest()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class KumquatClient:
    name = "kumquat"

    def __init__(
        self,
        base_url: str,
        partner_no: str,
        sign_key: str,
        *,
        paths: KumquatPaths | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self.partner_no = partner_no
        self.sign_key = sign_key
        self.paths = paths or KumquatPaths()
        self.clock = clock

    async def close(self) -> None:
        await self._http.close()

    # -- basic information --

    async def countries(self) -> Reply[list[KumquatCountry]]:
        return await self._call(self.paths.countries, {}, list[KumquatCountry])

    async def country(self, country_code: str) -> Reply[KumquatCountry]:
        path = self.paths.country.format(code=country_code.upper())
        return await self._call(path, {}, KumquatCountry)

    async def carriers(self, *, page: int = 1, page_size: int = 20) -> Reply[Page[KumquatCarrier]]:
        paging = {"currentPage": page, "pageSize": page_size}
        return await self._paged(self.paths.carriers, paging, KumquatCarrier)

    async def country_carriers(self, country_code: str) -> Reply[list[KumquatCarrier]]:
        path = self.paths.country_carriers.format(code=country_code.upper())
        return await self._call(path, {}, list[KumquatCarrier])

    async def products(
        self,
        *,
        country_code: str | None = None,
        carrier_id: str | None = None,
        kind: str | None = None,
        page: int = 1,
        page_size: int = 100,
    ) -> Reply[Page[KumquatProduct]]:
        """Products, filtered by country, carrier and type (HF airtime, LL data)."""
        params = {
            "country_code": country_code,
            "carrier": carrier_id,
            "type": kind,
            "currentPage": page,
            "pageSize": page_size,
        }
        return await self._paged(self.paths.products, params, KumquatProduct)

    async def product(self, product_id: int) -> Reply[KumquatProduct]:
        return await self._call(self.paths.product.format(id=product_id), {}, KumquatProduct)

    async def lookup_number(
        self, number: str, country_code: str | None = None
    ) -> Reply[KumquatNumber]:
        """The carrier (and country) of a phone number given with its country code."""
        path = self.paths.number.format(number=number)
        return await self._call(path, {"country_code": country_code}, KumquatNumber)

    # -- orders and money --

    async def place_order(
        self, *, request_no: str, product_id: int, account: str, callback_url: str | None
    ) -> Reply[KumquatOrder]:
        params = {
            "request_no": request_no,
            "product_id": product_id,
            "account": account,
            "callback_url": callback_url,
        }
        reply = await self._call(self.paths.order, params, KumquatOrder)
        if reply.reason == "order_exists":  # an earlier attempt placed it: read it instead
            placed = await self.query(request_no=request_no)
            if placed.value is None:  # it exists: a refused or lost read says nothing more
                return replace(placed, outcome=Outcome.UNKNOWN, reason="order_exists")
            return placed
        return self._by_status(reply)

    async def query(
        self, *, request_no: str | None = None, serial_no: str | None = None
    ) -> Reply[KumquatOrder]:
        params = {"request_no": request_no, "serial_no": serial_no}
        return self._by_status(await self._call(self.paths.query, params, KumquatOrder))

    async def balance(self) -> Reply[KumquatBalance]:
        return await self._call(self.paths.balance, {}, KumquatBalance)

    def verify_callback(self, payload: Mapping[str, Any]) -> KumquatCallback | None:
        """The callback if its signature is ours and its fields are readable, else None."""
        given = str(payload.get("sign") or "").lower().encode()  # bytes: any text compares
        if not given or not hmac.compare_digest(given, sign(payload, self.sign_key).encode()):
            return None
        try:
            return KumquatCallback.model_validate(dict(payload))
        except ValidationError:
            return None

    # -- the wire --

    @staticmethod
    def _by_status(reply: Reply[KumquatOrder]) -> Reply[KumquatOrder]:
        return by_status(reply, ORDER_STATUSES, lambda order: order.status)

    def _signed(self, params: Mapping[str, Any]) -> dict[str, Any]:
        beijing = self.clock().astimezone(UTC).replace(tzinfo=None) + BEIJING
        body = {name: value for name, value in params.items() if value not in (None, "")}
        body.update(partner_no=self.partner_no, datetime=beijing.strftime("%Y%m%d%H%M%S"))
        body["sign"] = sign(body, self.sign_key)
        return body

    async def _exchange(self, path: str, params: Mapping[str, Any]) -> Exchange | Reply[Any]:
        # Signed once: the transport's retries take seconds, the upstream's clock check minutes.
        result = await self._http.request(
            "POST", path, safe_to_retry=True, json_body=self._signed(params)
        )
        return result

    async def _call(self, path: str, params: Mapping[str, Any], kind: Any) -> Reply[Any]:
        result = await self._exchange(path, params)
        return result if isinstance(result, Reply) else self._read(result, kind)

    def _read(self, exchange: Exchange, kind: Any) -> Reply[Any]:
        payload = exchange.payload
        if not isinstance(payload, dict) or "returnCode" not in payload:
            return unreadable(exchange, self.name)
        message = str(payload.get("returnMsg") or "")
        if payload["returnCode"] != "SUCCESS":
            code = str(payload.get("errorCode") or "")
            outcome, reason = ERRORS.get(code, (Outcome.UNKNOWN, UNDOCUMENTED))
            refused: Reply[Any] = Reply(
                outcome,
                reason=reason,
                upstream_code=code,
                message=message,
                http_status=exchange.status,
            )
            return refusal(exchange, refused)
        return decode(
            exchange,
            kind,
            payload.get("result"),
            self.name,
            upstream_code="SUCCESS",
            message=message,
        )

    async def _paged(self, path: str, params: Mapping[str, Any], item: Any) -> Reply[Page[Any]]:
        """A page of items, its position read from the X-* headers the document describes."""
        result = await self._exchange(path, params)
        if isinstance(result, Reply):
            return result
        reply = self._read(result, list[item])
        if reply.value is None:
            return reply
        headers = result.headers

        def number(name: str, default: int) -> int:
            raw = headers.get(name, "")
            return int(raw) if raw.isdigit() else default

        page = Page(
            items=reply.value,
            page=number("X-Page", int(params.get("currentPage") or 1)),
            pages=number("X-Total-Pages", 1),
            total=number("X-Total", len(reply.value)),
            next_page=number("X-Next-Page", 0) or None,
        )
        return Reply(Outcome.SUCCEEDED, page, upstream_code=reply.upstream_code)
