"""TronGrid's TRC20 transfer history: the confirmed USDT payments that reached the deposit address.

`incoming` reads `GET /v1/accounts/{address}/transactions/trc20` with `only_confirmed`, `only_to`,
`contract_address` and `min_timestamp`, oldest first, and follows `meta.fingerprint` page by page
(at most `max_pages`). Only the fingerprint is taken from an answer: the next request is built from
our own base URL and parameters, never from `meta.links.next`, so the API key is sent nowhere else.

What comes back is checked again on our side (the recipient, the contract, `type == "Transfer"`,
the time), because a deposit credited from an answer that ignored a filter would be money given
away. TronGrid's items carry no confirmation flag: that one filter is the upstream's alone.

Reads are safe to retry. A page we cannot read makes the whole answer UNKNOWN (a partial list
taken for the whole could let the caller move past a payment); 401 is REJECTED `unauthorized`, 429
(and any answer with TronGrid's "frequency limit" message) REJECTED `rate_limited`, 400 (an invalid
address or parameter) REJECTED `bad_request`. An answer cut short by the page bound is SUCCEEDED
with reason `truncated`: it holds the oldest transfers, and asking again from the last
`block_timestamp_ms` continues it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from providers.http import Exchange, HttpTransport, RetryPolicy, Timeouts, unreadable
from providers.outcomes import HTTP_ERROR, UNDOCUMENTED, Outcome, Reply

log = logging.getLogger(__name__)

USDT_CONTRACT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # Tether USD on TRON mainnet, 6 decimals
USDT_DECIMALS = 6
PAGE_SIZE = 200  # TronGrid's largest page
MAX_PAGES = 50

# Reasons.
UNAUTHORIZED = "unauthorized"
RATE_LIMITED = "rate_limited"
BAD_REQUEST = "bad_request"
FORBIDDEN = "forbidden"
TRUNCATED = "truncated"  # succeeded, but more pages remain
PAGING_LOOP = "paging_loop"  # the upstream handed back a fingerprint it had already given

# HTTP status → outcome and our reason. Any status whose message speaks of the frequency limit
# (TronGrid has used 403 and 503 for it) is `rate_limited` too.
ERRORS: dict[int, tuple[Outcome, str]] = {
    400: (Outcome.REJECTED, BAD_REQUEST),
    401: (Outcome.REJECTED, UNAUTHORIZED),
    403: (Outcome.REJECTED, FORBIDDEN),
    429: (Outcome.REJECTED, RATE_LIMITED),
}


@dataclass(frozen=True)
class Trc20Transfer:
    """One TRC20 transfer. `amount` is in the token's smallest unit (`decimals` places): for USDT,
    exactly micro-USDT. A transaction id normally names one transfer; a contract that makes
    several transfers in one transaction repeats it."""

    txid: str
    sender: str
    to: str
    amount: int
    contract: str
    decimals: int
    block_timestamp_ms: int


def _whole_number(value: Any) -> int:
    """A token amount: TronGrid sends an integer string; anything else is not read as one."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise ValueError(f"not a whole number of smallest units: {value!r}")


class _TokenInfo(BaseModel):
    address: str
    decimals: int


class _Item(BaseModel):
    transaction_id: str
    token_info: _TokenInfo
    block_timestamp: int
    sender: str = Field(validation_alias="from")
    to: str
    type: str
    value: Annotated[int, BeforeValidator(_whole_number)]


class _Meta(BaseModel):
    fingerprint: str | None = None


class _Page(BaseModel):
    data: list[_Item]
    meta: _Meta = Field(default_factory=_Meta)


class TronGridClient:
    name = "trongrid"

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_pages: int = MAX_PAGES,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._http = HttpTransport(base_url, name=self.name, timeouts=timeouts, retry=retry)
        self._headers = {"accept": "application/json"}
        if api_key:
            self._headers["TRON-PRO-API-KEY"] = api_key
        self._max_pages = max_pages
        self._page_size = page_size

    async def close(self) -> None:
        await self._http.close()

    async def incoming(
        self, address: str, contract: str, since_ms: int
    ) -> Reply[list[Trc20Transfer]]:
        """Confirmed transfers of token `contract` to `address` with `block_timestamp >= since_ms`,
        oldest first (ties in the upstream's order). Both addresses in base58check (`T...`), the
        form TronGrid answers in."""
        path = f"/v1/accounts/{quote(address, safe='')}/transactions/trc20"
        params = {
            "only_confirmed": "true",
            "only_to": "true",
            "contract_address": contract,
            "min_timestamp": str(since_ms),
            "order_by": "block_timestamp,asc",
            "limit": str(self._page_size),
        }
        transfers: list[Trc20Transfer] = []
        seen: set[str] = set()
        fingerprint: str | None = None
        for _ in range(self._max_pages):
            page_params = params if fingerprint is None else {**params, "fingerprint": fingerprint}
            result = await self._http.request(
                "GET", path, safe_to_retry=True, params=page_params, headers=self._headers
            )
            if isinstance(result, Reply):
                return result
            page = self._page(result)
            if isinstance(page, Reply):
                return page
            transfers += [
                _transfer(item)
                for item in page.data
                if item.to == address
                and item.token_info.address == contract
                and item.type == "Transfer"
                and item.block_timestamp >= since_ms
            ]
            fingerprint = page.meta.fingerprint
            if not fingerprint:
                return _listing(transfers)
            if fingerprint in seen:
                return Reply(
                    Outcome.UNKNOWN,
                    reason=PAGING_LOOP,
                    message=f"{self.name} repeated a page fingerprint",
                    http_status=result.status,
                )
            seen.add(fingerprint)
        return _listing(
            transfers,
            reason=TRUNCATED,
            message=f"stopped after {self._max_pages} pages; more transfers remain",
        )

    def _page(self, exchange: Exchange) -> _Page | Reply[Any]:
        if exchange.status >= 300:
            return _refusal(exchange)
        payload = exchange.payload
        if not isinstance(payload, dict) or payload.get("success") is not True:
            return unreadable(exchange, self.name)
        try:
            return _Page.model_validate(payload)
        except ValidationError as exc:
            log.warning("%s: unexpected data: %s", self.name, exc.errors()[:1])
            return unreadable(exchange, self.name)


def _refusal(exchange: Exchange) -> Reply[Any]:
    """TronGrid answers errors as `{"Error": ...}` (gateway: key, rate limits) or
    `{"success": false, "error": ..., "statusCode": ...}` (the API: parameters)."""
    payload = exchange.payload if isinstance(exchange.payload, dict) else {}
    said = str(payload.get("error") or payload.get("Error") or exchange.text[:200])
    default = (Outcome.UNKNOWN, HTTP_ERROR if exchange.status >= 500 else UNDOCUMENTED)
    outcome, reason = ERRORS.get(exchange.status, default)
    if "frequency limit" in said:
        outcome, reason = Outcome.REJECTED, RATE_LIMITED
    return Reply(
        outcome,
        reason=reason,
        upstream_code=str(exchange.status),
        message=said,
        http_status=exchange.status,
    )


def _transfer(item: _Item) -> Trc20Transfer:
    return Trc20Transfer(
        txid=item.transaction_id,
        sender=item.sender,
        to=item.to,
        amount=item.value,
        contract=item.token_info.address,
        decimals=item.token_info.decimals,
        block_timestamp_ms=item.block_timestamp,
    )


def _listing(
    transfers: list[Trc20Transfer], *, reason: str | None = None, message: str = ""
) -> Reply[list[Trc20Transfer]]:
    ordered = sorted(transfers, key=lambda transfer: transfer.block_timestamp_ms)  # stable
    return Reply(Outcome.SUCCEEDED, ordered, reason=reason, message=message, http_status=200)
