"""Catalogue data that changes slowly (shop services, top-up products, energy prices), kept in
memory so browsing does not call upstream on every tap.

A `Catalogue` loads on first use, serves what it has while it is fresh, and is reloaded by the
refresh job (`refresh()`); when upstream cannot answer, the last good copy keeps serving, so a
short upstream outage does not empty the shop's shelves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Catalogue(Generic[T]):
    def __init__(
        self, name: str, load: Callable[[], Awaitable[T | None]], *, fresh_for: timedelta
    ) -> None:
        """`load` returns the data, or None when upstream could not give it."""
        self.name = name
        self._load = load
        self._fresh_for = fresh_for
        self._value: T | None = None
        self._loaded_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> T | None:
        """The data, loading it if it is missing or stale; None only if never loaded."""
        if self._value is None or self._stale():
            await self.refresh()
        return self._value

    async def refresh(self) -> None:
        async with self._lock:
            value = await self._load()
            if value is None:
                log.warning("catalogue %s: upstream gave nothing; keeping the last copy", self.name)
                return
            self._value, self._loaded_at = value, datetime.now(UTC)

    def forget(self) -> None:
        """Drop the copy (e.g. when upstream says it no longer holds): the next get reloads."""
        self._value, self._loaded_at = None, None

    def _stale(self) -> bool:
        return self._loaded_at is None or datetime.now(UTC) - self._loaded_at >= self._fresh_for
