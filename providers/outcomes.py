"""What an upstream call came to, in the four words the order engine understands.

- `SUCCEEDED`: done upstream.
- `PENDING`: accepted upstream and still running; ask again later.
- `REJECTED`: a definite failure that consumed nothing upstream (or the request never left).
- `UNKNOWN`: sent, but no definite answer (timeout, dropped connection, 5xx without a business code,
  an unreadable body, an undocumented code). Never treated as a failure: reconciliation decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reply(Generic[T]):
    """One call's result: the outcome, the parsed value when there is one, our name for what
    happened (`reason`, from the client's error table or the wire), and what the upstream said
    (its code and message, kept for operators)."""

    outcome: Outcome
    value: T | None = None
    reason: str | None = None
    upstream_code: str | None = None
    message: str = ""
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.SUCCEEDED and self.value is not None

    def unwrap(self) -> T:
        if self.value is None:
            raise UpstreamError(self)
        return self.value


def by_status(
    reply: Reply[T], statuses: Mapping[str, Outcome], status_of: Callable[[T], str]
) -> Reply[T]:
    """An answer about an order: the outcome is the order's own, read from its status."""
    if reply.value is None:
        return reply
    status = status_of(reply.value)
    return replace(reply, outcome=statuses.get(status, Outcome.UNKNOWN), reason=status.lower())


class UpstreamError(Exception):
    def __init__(self, reply: Reply[Any]) -> None:
        super().__init__(f"{reply.outcome}: {reply.reason or ''} {reply.message}".strip())
        self.reply = reply


# Reasons for what happened on the wire.
UNREACHABLE = "unreachable"  # no connection was made: nothing was sent
TIMEOUT = "timeout"
DISCONNECTED = "disconnected"
UNREADABLE = "unreadable"
HTTP_ERROR = "http_error"
UNDOCUMENTED = "undocumented"
