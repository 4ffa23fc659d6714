"""Callback data of the shop's own customer buttons: parsed, never trusted; handlers re-check it.
Each product line declares its buttons with its conversation (its entry among them)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Screen(StrEnum):
    """The shop's own screens. Each product line opens on a button of its own, declared with its
    conversation (`handlers.lines.Conversation.entry`)."""

    HOME = "home"
    WALLET = "wallet"
    DEPOSIT = "deposit"
    LANGUAGE = "language"
    HELP = "help"
    SUPPORT = "support"
    ORDERS = "orders"
    REFERRALS = "referrals"


class Open(CallbackData, prefix="open"):
    screen: Screen


class WalletPageButton(CallbackData, prefix="wallet"):
    page: int


class LanguageButton(CallbackData, prefix="lang"):
    code: str


class JoinedChannel(CallbackData, prefix="joined"):
    """ "✅ I've joined" under the request to join the shop's channel: check again now."""

    @classmethod
    def is_it(cls, data: str | None) -> bool:
        return data == cls().pack()


class CancelFlow(CallbackData, prefix="cancel"):
    """Cancel whatever conversation is in progress and return to the main menu."""


class TopUpFor(CallbackData, prefix="topupfor"):
    """Top up what an order's confirmation is short of, then come back to it."""

    order_id: str


class BackToOrder(CallbackData, prefix="backord"):
    """After a top-up: the confirmation of the order it was for, again."""

    order_id: str
