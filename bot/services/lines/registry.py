"""The product lines the shop knows, each declared once by its own module as a `LineUnit`.

A line module ends with `register(LineUnit(...))`: its key, the operators' name for its upstream,
its own settings, how it is built and its upstream's balance facts. Every module of this package
is imported (walked with `pkgutil`, no hand-kept list) the first time the lines are asked for, so
a new line is a new module here and nothing else in this layer. The lists derived from it:
`build_lines`, the upstreams of `/providers`, the daily report and the upstream watch
(`bot.services.upstreams`), and the variables `load_settings` reads and validates.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from bot.services.config import LineSettings, Settings
from bot.services.lines.base import Line, LineSetup

S = TypeVar("S", bound=LineSettings)

_NOT_LINES = frozenset({"base", "registry"})


@dataclass(frozen=True)
class LineUnit(Generic[S]):
    """One product line as the shop wires it.

    `build(setup)` gives the line (a `bot.services.lines.base.Line`) or None when its credentials
    are not set; the built line's `health()` is its upstream's check. `low_balance(settings)` is
    the threshold under which the operators are alerted, for an upstream with a balance."""

    key: str  # the product, as orders and prices name it
    upstream: str  # the operators' name for its upstream
    rank: int  # its place in every list: the menu, /providers, the daily report
    settings: type[S]
    build: Callable[[LineSetup], Line | None]
    has_balance: bool = False  # its upstream's API tells the shop's balance there
    currency: str = ""  # of that balance, when it is always the same
    low_balance: Callable[[S], Decimal] | None = None
    markup: Decimal = Decimal(0)  # percent added to the converted cost, until operators set one

    def threshold(self, config: Settings) -> Decimal | None:
        """Under this balance the operators are alerted (None: the upstream has no balance)."""
        if self.low_balance is None:
            return None
        return self.low_balance(config.line(self.settings))


_units: dict[str, LineUnit[Any]] = {}
_walked = False


def register(unit: LineUnit[S]) -> LineUnit[S]:
    """Make a line known to the shop; a key is registered once."""
    known = _units.get(unit.key)
    if known is not None and known is not unit:
        raise ValueError(f"a product line {unit.key!r} is registered already")
    _units[unit.key] = unit
    return unit


def unregister(key: str) -> None:
    _units.pop(key, None)


@contextmanager
def registered(unit: LineUnit[S]) -> Iterator[LineUnit[S]]:
    """A line known to the shop for the length of a `with` (a test's own line)."""
    line_units()  # the built-in lines first, as at start-up
    register(unit)
    try:
        yield unit
    finally:
        unregister(unit.key)


def _walk() -> None:
    global _walked
    if _walked:
        return
    package = importlib.import_module("bot.services.lines")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_LINES:
            importlib.import_module(f"{package.__name__}.{module.name}")
    _walked = True


def line_units() -> list[LineUnit[Any]]:
    """Every line the shop knows, in their order."""
    _walk()
    return sorted(_units.values(), key=lambda unit: (unit.rank, unit.key))


def default_markups() -> dict[str, Decimal]:
    """Each line's markup until operators set one: what `/prices` lists, `/setmarkup` accepts."""
    return {unit.key: unit.markup for unit in line_units()}


def line_unit(key: str) -> LineUnit[Any] | None:
    _walk()
    return _units.get(key)
