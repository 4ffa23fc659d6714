"""What the customer's wallet screen shows: the balance and one page of its history."""

from __future__ import annotations

from dataclasses import dataclass

from storage.ledger import Balance, Ledger, WalletLine

HISTORY_PAGE_SIZE = 5


@dataclass(frozen=True)
class WalletPage:
    balance: Balance
    lines: list[WalletLine]
    page: int  # 0-based, newest first
    pages: int

    @property
    def has_newer(self) -> bool:
        return self.page > 0

    @property
    def has_older(self) -> bool:
        return self.page + 1 < self.pages


async def wallet_page(ledger: Ledger, user_id: int, page: int) -> WalletPage:
    """One page of history; a page number out of range (a stale or forged button) is clamped."""
    size = await ledger.wallet_history_size(user_id)
    pages = max(1, -(-size // HISTORY_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    lines = await ledger.wallet_history(
        user_id, limit=HISTORY_PAGE_SIZE, offset=page * HISTORY_PAGE_SIZE
    )
    return WalletPage(await ledger.balance(user_id), lines, page, pages)
