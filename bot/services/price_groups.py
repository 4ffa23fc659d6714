"""Price groups: named groups of customers (reseller, wholesale, ...) who pay their group's
markup per product line instead of the retail one.

A customer is in the group an operator put them in (`/group`), else in the group with the highest
spend threshold their delivered orders over the window reach, else retail. Only the markups the
operators set for a group differ from retail; a line without one is priced at retail for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.services.money import MICRO, AmountError, parse_amount, parse_percent
from bot.services.operators import MAX_MARKUP
from bot.services.pricing import Pricing, markup_key
from storage.admin_log import AdminLog
from storage.broadcasts import GroupBand
from storage.database import as_stored
from storage.price_groups import PriceGroup, PriceGroupStore
from storage.settings import SettingsStore

RETAIL = "retail"
AUTO = "auto"  # `/group USER auto`: spend decides again
NAME = re.compile(r"[a-z][a-z0-9_-]{1,19}")
WINDOW_KEY = "groups:window-days"
DEFAULT_WINDOW_DAYS = 30
MAX_MIN_SPEND = 10_000_000 * MICRO


class GroupRefused(ValueError):
    """Something an operator asked of the price groups that cannot be done; says why."""


@dataclass(frozen=True)
class GroupTerms:
    """A group as operators see it: its threshold, its markups and who is in it by hand."""

    name: str
    min_spend: int | None
    markups: dict[str, Decimal]  # the lines it has its own markup for
    assigned: int


class PriceGroups:
    def __init__(
        self, store: PriceGroupStore, settings: SettingsStore, admin_log: AdminLog
    ) -> None:
        self._store = store
        self._settings = settings
        self._admin_log = admin_log

    async def group_of(self, user_id: int) -> str | None:
        """The customer's group (None: retail)."""
        assigned = await self._store.assignment(user_id)
        if assigned is not None:
            return None if assigned.name == RETAIL else assigned.name
        automatic = [group for group in await self._store.groups() if group.min_spend]
        if not automatic:
            return None
        since = datetime.now(UTC) - timedelta(days=await self.window_days())
        spent = await self._store.spent_since(user_id, as_stored(since))
        reached = [g for g in automatic if g.min_spend is not None and spent >= g.min_spend]
        return max(reached, key=lambda g: g.min_spend or 0).name if reached else None

    async def names(self) -> list[str]:
        """Every group's name, and "retail"."""
        return [RETAIL, *(group.name for group in await self._store.groups())]

    async def band(self, name: str) -> GroupBand:
        """Who is in group `name` (or on retail prices) now, as a broadcast's audience reads it:
        the same rule as `group_of`, for every customer at once."""
        since = as_stored(datetime.now(UTC) - timedelta(days=await self.window_days()))
        thresholds = sorted(g.min_spend for g in await self._store.groups() if g.min_spend)
        if name == RETAIL:
            return GroupBand(RETAIL, 0, thresholds[0] if thresholds else None, since)
        group = await self._existing(name)
        if not group.min_spend:
            return GroupBand(group.name, None, None, since)
        higher = [t for t in thresholds if t > group.min_spend]
        return GroupBand(group.name, group.min_spend, higher[0] if higher else None, since)

    async def window_days(self) -> int:
        stored = await self._settings.get(WINDOW_KEY)
        return DEFAULT_WINDOW_DAYS if stored is None else int(stored)

    # -- the operators' side --

    async def overview(self, pricing: Pricing) -> list[GroupTerms]:
        assigned = await self._store.members()
        terms = []
        for group in await self._store.groups():
            markups = {}
            for line in pricing.lines:
                stored = await self._settings.get(markup_key(line, group.name))
                if stored is not None:
                    markups[line] = Decimal(stored)
            terms.append(
                GroupTerms(group.name, group.min_spend, markups, assigned.get(group.name, 0))
            )
        return terms

    async def set_markup(
        self, operator: int, name: str, line: str, percent: str, lines: list[str]
    ) -> None:
        """The group's own markup for a line (creating the group); `-` takes it away."""
        group = _name(name)
        if line not in lines:
            raise GroupRefused(f"no product line {line!r}; one of {', '.join(lines)}")
        if percent == "-":
            after = None
        else:
            value = parse_percent(percent, maximum=MAX_MARKUP)
            if value is None:
                raise GroupRefused(f"a markup is a percent from 0 to {MAX_MARKUP}, like 7.5")
            after = f"{value.normalize():f}"
        await self._store.ensure(group, f"admin:{operator}")
        await self._settings.change(
            markup_key(line, group), after, operator=operator, log=self._admin_log
        )

    async def set_min_spend(self, operator: int, name: str, amount: str) -> None:
        """Customers spending this much over the window join the group by themselves; `off`:
        only operators put them in."""
        group = await self._existing(name)
        if amount == "off":
            value = None
        else:
            try:
                value = parse_amount(amount, places=2, maximum=MAX_MIN_SPEND)
            except AmountError:
                raise GroupRefused(
                    f"a spend is a sum with at most 2 decimals, not {amount!r}"
                ) from None
        await self._store.set_min_spend(group.name, value)
        await self._admin_log.record(
            operator,
            "set",
            "price_group",
            group.name,
            before=None if group.min_spend is None else str(group.min_spend),
            after=None if value is None else str(value),
        )

    async def set_window(self, operator: int, days: str) -> None:
        if not (days.isascii() and days.isdigit()) or not 1 <= int(days) <= 365:
            raise GroupRefused("the window is 1 to 365 days")
        await self._settings.change(
            WINDOW_KEY, str(int(days)), operator=operator, log=self._admin_log
        )

    async def assign(self, operator: int, user_id: int, name: str) -> str | None:
        """Put the customer in a group, on retail prices (`retail`) or back to what their spend
        says (`auto`); their group from now on (None: retail)."""
        before = await self._store.assignment(user_id)
        if name == AUTO:
            await self._store.assign(user_id, None, f"admin:{operator}")
        elif name == RETAIL:
            await self._store.assign(user_id, RETAIL, f"admin:{operator}")
        else:
            group = await self._existing(name)
            await self._store.assign(user_id, group.name, f"admin:{operator}")
        await self._admin_log.record(
            operator,
            "group",
            "customer",
            str(user_id),
            before=None if before is None else before.name,
            after=None if name == AUTO else name,
        )
        return await self.group_of(user_id)

    async def _existing(self, name: str) -> PriceGroup:
        group = await self._store.get(_name(name))
        if group is None:
            known = ", ".join(g.name for g in await self._store.groups()) or "none yet"
            raise GroupRefused(f"no price group {name!r} (groups: {known})")
        return group


def _name(text: str) -> str:
    name = text.lower()
    if not (name.isascii() and NAME.fullmatch(name)) or name in {RETAIL, AUTO}:
        raise GroupRefused(
            "a group's name is 2 to 20 letters a-z, digits, _ or -, and not retail or auto"
        )
    return name
