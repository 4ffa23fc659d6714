"""What the playground needs to know of the shop it stands beside, as plain data.

The playground is part of the sandbox, which imports nothing of the shop: whoever starts it (the
demo) hands it a `ShopView` that reads the shop's own records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sandbox.upstreams import Sample


@dataclass(frozen=True)
class WaitingDeposit:
    """A USDT deposit request the visitor can pay from the sandbox panel."""

    id: str
    customer: str  # the customer's first name, or their Telegram id if the shop has no name
    pay_amount: int  # the exact amount asked, in USDT micro-units
    expires_at: str  # ISO-8601 UTC, as the shop stores it


class ShopView(Protocol):
    async def waiting_deposits(self, limit: int) -> list[WaitingDeposit]:
        """At most `limit` USDT deposit requests that can still be paid as asked, newest first."""
        ...

    def try_these(self) -> Sequence[Sample]:
        """The shop's own things for a visitor to try (a promo code, an invitation link)."""
        ...
