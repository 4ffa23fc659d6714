"""One page of a list a customer pages through, newest first (wallet history, My orders)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
PAGE_SIZE = 5


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int  # 0-based, newest first
    pages: int

    @property
    def has_newer(self) -> bool:
        return self.page > 0

    @property
    def has_older(self) -> bool:
        return self.page + 1 < self.pages


async def page_of(
    count: Callable[[], Awaitable[int]],
    fetch: Callable[[int, int], Awaitable[list[T]]],
    page: int,
    size: int = PAGE_SIZE,
) -> Page[T]:
    """`fetch(limit, offset)` one page; a page number out of range (a stale or forged button)
    is clamped."""
    pages = max(1, -(-(await count()) // size))
    page = min(max(page, 0), pages - 1)
    return Page(await fetch(size, page * size), page, pages)
