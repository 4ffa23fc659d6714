"""Whose an order, a deposit request or a payment is: the one rule every customer's action on one
goes through.

The id of what a customer acts on rides in callback data, which anyone can forge. Something of
another customer's is treated exactly as something that does not exist: the customer is told the
same, so a forged id tells nothing about whether it names anything, and nothing changes."""

from __future__ import annotations

from typing import Protocol, TypeVar


class Owned(Protocol):
    """Anything a customer owns: an order, a deposit request, a payment (whose customer may be
    unknown yet: None)."""

    @property
    def user_id(self) -> int | None: ...


T = TypeVar("T", bound=Owned)


def owned_by(customer_id: int, thing: Owned | None) -> bool:
    """Whether `thing` exists and is `customer_id`'s."""
    return thing is not None and thing.user_id is not None and thing.user_id == customer_id


def own(customer_id: int, thing: T | None) -> T | None:
    """`thing` if it is `customer_id`'s; otherwise None, as if there were none."""
    return thing if owned_by(customer_id, thing) else None
