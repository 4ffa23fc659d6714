"""The end of a deposit request that was never paid, whatever its method: the customer cancels
it, or its window passes."""

from __future__ import annotations

from bot.services.deposits.books import DepositBooks
from bot.services.ownership import own
from storage.database import as_stored
from storage.deposits import RequestStatus


class DepositRequests:
    def __init__(self, books: DepositBooks) -> None:
        self._books = books

    async def cancel(self, request_id: str, user_id: int) -> bool:
        """The customer gives up a request of theirs; False if it was not open."""
        books = self._books
        async with books.db.write() as tx:
            request = own(user_id, await books.store.request(request_id, tx))
            if request is None:
                return False
            if request.status != RequestStatus.OPEN:
                return False
            return await books.store.close_request(
                tx, request_id, RequestStatus.CANCELLED, as_stored(books.clock())
            )

    async def expire_overdue(self) -> int:
        return await self._books.store.expire_overdue(as_stored(self._books.clock()))
