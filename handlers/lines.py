"""The product lines' conversations, each declared once by its own handler module.

A product handler module ends with `register_conversation(Conversation(...))`: the line's key, its
router, its presenter (how its orders read on the shared purchase screens) and its entry in the
main menu. Every module of the `handlers` package is imported (walked with `pkgutil`, no
hand-kept list) the first time the conversations are asked for. Derived from them: the customers'
routers (`handlers.customer_router`), `handlers.presenters()` and the main menu's product buttons
(`handlers.screens.main_menu`), in the order of the lines' registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram_i18n import I18nContext

from bot.services.lines.registry import line_unit

if TYPE_CHECKING:  # the purchase screens build the main menu, which lists the conversations
    from handlers.purchase import Presenter


@dataclass(frozen=True)
class Conversation:
    """How a customer buys from one product line."""

    key: str  # the product line's key (its `LineUnit`'s)
    router: Router
    presenter: Presenter
    # The menu button's text, in the customer's language (usually the presenter's `name`; the
    # locale check of the tests wants every `i18n.get` key written out in the code).
    label: Callable[[I18nContext], str]
    entry: CallbackData  # what the menu button sends; the line's router opens the line on it


_conversations: dict[str, Conversation] = {}
_walked = False


def register_conversation(conversation: Conversation) -> Conversation:
    """Make a line's conversation known to the bot; a key is registered once."""
    known = _conversations.get(conversation.key)
    if known is not None and known is not conversation:
        raise ValueError(f"a conversation for {conversation.key!r} is registered already")
    _conversations[conversation.key] = conversation
    return conversation


def unregister_conversation(key: str) -> None:
    _conversations.pop(key, None)


@contextmanager
def registered_conversation(conversation: Conversation) -> Iterator[Conversation]:
    """A conversation known to the bot for the length of a `with` (a test's own line)."""
    conversations()  # the built-in ones first, as at start-up
    register_conversation(conversation)
    try:
        yield conversation
    finally:
        unregister_conversation(conversation.key)


def _walk() -> None:
    global _walked
    if _walked:
        return
    package = importlib.import_module("handlers")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _walked = True


def _rank(conversation: Conversation) -> tuple[int, str]:
    unit = line_unit(conversation.key)
    return (unit.rank if unit is not None else 1_000_000, conversation.key)


def conversations() -> list[Conversation]:
    """Every product line's conversation, in the lines' order."""
    _walk()
    return sorted(_conversations.values(), key=_rank)
