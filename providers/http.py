"""The wire under every upstream client: one aiohttp session, timeouts, and safe retries.

A transport failure becomes a `Reply` rather than an exception: a connection that was never made is
REJECTED (`unreachable`, nothing was sent); anything after the request may have left is UNKNOWN.
Retries happen only where the caller says the call is safe to repeat (a read, or a write carrying an
idempotency key the upstream honours), with bounded backoff, and only after an UNKNOWN or
unreachable result.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, TypeVar

import aiohttp
from pydantic import TypeAdapter, ValidationError

from providers.outcomes import (
    DISCONNECTED,
    HTTP_ERROR,
    TIMEOUT,
    UNREACHABLE,
    UNREADABLE,
    Outcome,
    Reply,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    total: float = 20.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3
    first_delay: float = 0.2
    max_delay: float = 2.0

    def delays(self) -> list[float]:
        return [
            min(self.first_delay * 2**attempt, self.max_delay)
            for attempt in range(self.attempts - 1)
        ]


@dataclass(frozen=True)
class Exchange:
    """An HTTP answer that arrived: its status, headers, raw text and the JSON in it (or None)."""

    status: int
    text: str
    payload: Any
    headers: Mapping[str, str]
    # An earlier attempt of the same request got no answer: it may have been carried out.
    after_lost_answer: bool = False


class HttpTransport:
    """Owns the aiohttp session of one upstream client."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=self.timeouts.total,
                    connect=self.timeouts.connect,
                    sock_connect=self.timeouts.connect,
                ),
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        safe_to_retry: bool,
        json_body: Any = None,
        body: bytes | None = None,
        form: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Exchange | Reply[Any]:
        """The upstream's answer, or a Reply saying why there is none. `body` sends exact bytes
        (for a signature computed over them); `json_body` and `form` are encoded here."""
        delays = self.retry.delays() if safe_to_retry else []
        attempt = 0
        lost = False  # an earlier attempt may have been carried out without our hearing it
        while True:
            result = await self._once(method, path, json_body, body or form, params, headers)
            retryable = isinstance(result, Reply) and (
                result.outcome == Outcome.UNKNOWN or result.reason == UNREACHABLE
            )
            if isinstance(result, Exchange):
                return replace(result, after_lost_answer=lost)
            if lost and result.reason == UNREACHABLE:  # proves nothing about the earlier attempt
                result = replace(result, outcome=Outcome.UNKNOWN)
            lost = lost or result.outcome == Outcome.UNKNOWN
            if not retryable or attempt >= len(delays):
                log.warning("%s %s %s: %s", self.name, method, path, result.reason)
                return result
            log.info("%s %s %s: %s, retrying", self.name, method, path, result.reason)
            await asyncio.sleep(delays[attempt])
            attempt += 1

    async def _once(
        self,
        method: str,
        path: str,
        json_body: Any,
        data: bytes | Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> Exchange | Reply[Any]:
        url = f"{self.base_url}{path}"
        try:
            async with self._client().request(
                method, url, json=json_body, data=data, params=params, headers=headers
            ) as response:
                text = await response.text(errors="replace")
                try:
                    # Numbers with a fraction become Decimal, never float: they may be money.
                    payload = json.loads(text, parse_float=Decimal) if text.strip() else None
                except ValueError:
                    payload = None
                if response.status >= 500 and payload is None:
                    # A gateway's error page, not the upstream's answer: nothing definite.
                    return Reply(
                        Outcome.UNKNOWN,
                        reason=HTTP_ERROR,
                        message=f"{self.name} answered HTTP {response.status} without a body",
                        http_status=response.status,
                    )
                return Exchange(response.status, text, payload, dict(response.headers))
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            return Reply(
                Outcome.REJECTED, reason=UNREACHABLE, message=f"{self.name} unreachable: {exc}"
            )
        except (TimeoutError, aiohttp.ServerTimeoutError):
            return Reply(
                Outcome.UNKNOWN, reason=TIMEOUT, message=f"{self.name} did not answer in time"
            )
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return Reply(
                Outcome.UNKNOWN, reason=DISCONNECTED, message=f"{self.name} dropped the connection"
            )
        except aiohttp.ClientError as exc:
            return Reply(Outcome.UNKNOWN, reason=HTTP_ERROR, message=f"{self.name}: {exc}")


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def decode(
    exchange: Exchange,
    kind: Any,
    data: Any,
    name: str,
    *,
    upstream_code: str | None = None,
    message: str = "",
) -> Reply[Any]:
    """A successful answer's data as `kind` (a model, or e.g. `list[Model]`); unknown if it does
    not fit, because an answer we cannot read is no answer."""
    if kind not in _ADAPTERS:
        _ADAPTERS[kind] = TypeAdapter(kind)
    try:
        value = _ADAPTERS[kind].validate_python(data)
    except ValidationError as exc:
        log.warning("%s: unexpected data: %s", name, exc.errors()[:1])
        return unreadable(exchange, name)
    return Reply(
        Outcome.SUCCEEDED,
        value,
        upstream_code=upstream_code,
        message=message,
        http_status=exchange.status,
    )


def refusal(exchange: Exchange, reply: Reply[T]) -> Reply[T]:
    """An upstream's refusal, as far as it proves anything: one that follows a lost answer to the
    same request (a retry) may concern a request that was carried out, so it is unknown."""
    if exchange.after_lost_answer and reply.outcome == Outcome.REJECTED:
        return replace(
            reply, outcome=Outcome.UNKNOWN, message=f"{reply.message} (after a lost answer)"
        )
    return reply


def unreadable(exchange: Exchange, name: str) -> Reply[Any]:
    """An answer we cannot read is no answer: UNKNOWN, with what came back kept short."""
    return Reply(
        Outcome.UNKNOWN,
        reason=UNREADABLE if exchange.status < 500 else HTTP_ERROR,
        message=f"{name} answered HTTP {exchange.status}: {exchange.text[:200]!r}",
        http_status=exchange.status,
    )
