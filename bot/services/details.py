"""What an order's details say, as typed records.

An order's details are one JSON object in storage. Several parts share it, each reading the keys
it knows and leaving the others alone: the product line's part (what was bought, and what its
upstream said about it: a `Details` model in the line's own module) and the order service's
settlement facts (`bot.services.orders.Settlement`). The stored keys are the models' field names,
exactly as they always were: rows written before these models read into them unchanged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from storage.orders import Order


class Details(BaseModel):
    """One part of an order's details. Reading ignores the keys of the other parts; dumping
    gives only the fields that were given (as stored: enums as their values, decimals as
    strings), so a part written at the quote and facts noted later merge into one object."""

    # An order's details can hold the customer's secrets (delivered accounts): never in an error.
    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    @classmethod
    def of(cls, order: Order) -> Self:
        return cls.read(order.details)

    @classmethod
    def read(cls, stored: Mapping[str, Any]) -> Self:
        return cls.model_validate(stored)

    def dump(self) -> dict[str, Any]:
        """The fields given, as stored."""
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def facts(cls, **facts: Any) -> dict[str, Any]:
        """Some of the fields, as stored: what is noted of an order as it is learned, merged into
        its details. Only the model's own fields: a misspelt one is a mistake, not a new key."""
        unknown = sorted(facts.keys() - cls.model_fields.keys())
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        return cls.model_construct(**facts).model_dump(mode="json", include=set(facts))


class NoDetails(Details):
    """The details of an order of a product line that is not configured here: none it knows."""
