"""What the customer's wallet screen shows: the balance and one page of its history."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bot.services.paging import Page, page_of
from storage.ledger import Balance, Ledger, WalletLine


@dataclass(frozen=True)
class WalletPage:
    balance: Balance
    history: Page[WalletLine]


async def wallet_page(ledger: Ledger, user_id: int, page: int) -> WalletPage:
    async def fetch(limit: int, offset: int) -> list[WalletLine]:
        return await ledger.wallet_history(user_id, limit=limit, offset=offset)

    history = await page_of(partial(ledger.wallet_history_size, user_id), fetch, page)
    return WalletPage(await ledger.balance(user_id), history)
