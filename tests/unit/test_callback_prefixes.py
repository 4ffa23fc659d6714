"""Every button's data names what it is for by its prefix: two kinds of button with one prefix
would each be read as the other, and Telegram refuses data over 64 bytes. Each product line opens
on a button of its own, declared with its conversation."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter

from aiogram.filters.callback_data import CallbackData

import handlers
from handlers.callbacks import Open, Screen
from handlers.lines import conversations
from tests.e2e.giftcard.conversation import CONVERSATION as GIFTCARD

TELEGRAM_LIMIT = 64  # bytes of a button's callback data


def _every_callback_data() -> list[type[CallbackData]]:
    """Every kind of button of the bot (its handlers and operators' handlers) and of the tests'
    gift card line, which a shop may run beside its own lines."""
    for module in pkgutil.walk_packages(handlers.__path__, f"{handlers.__name__}."):
        importlib.import_module(module.name)
    found: list[type[CallbackData]] = []
    pending = list(CallbackData.__subclasses__())
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return [kind for kind in found if kind.__module__.startswith(("handlers.", "tests."))]


def test_every_prefix_is_used_by_one_kind_of_button() -> None:
    kinds = _every_callback_data()
    assert GIFTCARD.entry.__class__ in kinds
    counts = Counter(kind.__prefix__ for kind in kinds)
    assert [prefix for prefix, count in counts.items() if count > 1] == []


def test_each_line_opens_on_a_button_of_its_own() -> None:
    entries = [conversation.entry for conversation in [*conversations(), GIFTCARD]]
    assert not [entry for entry in entries if isinstance(entry, Open)]
    assert len({type(entry) for entry in entries}) == len(entries)
    for entry in entries:
        packed = entry.pack()
        assert type(entry).unpack(packed) == entry
        assert len(packed.encode()) <= TELEGRAM_LIMIT // 4  # room to spare


def test_open_names_only_the_shops_own_screens() -> None:
    lines = {conversation.key for conversation in conversations()}
    assert lines and not lines & {screen.value for screen in Screen}
