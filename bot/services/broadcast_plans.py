"""What an operator's `/broadcast` asks for, read from its terms: whom it goes to, the buttons under
each copy and when it goes out.

    /broadcast lang=zh bought=cloud group=wholesale deposited=yes inactive=30
               button="Shop now|cloud" button="Our channel|https://t.me/shop" at=2026-12-24T09:00

Every part is optional and they all must hold: no part, every customer. Terms are words;
a button's, with spaces, is in quotes.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storage.database import as_stored

MAX_BUTTONS = 3
MAX_LABEL = 40
MAX_URL = 256
LATEST = timedelta(days=31)  # how far ahead a broadcast can be held back
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class PlanRefused(ValueError):
    """Terms that cannot be a broadcast; says what to fix."""


@dataclass(frozen=True)
class Button:
    label: str
    target: str  # an https:// address, or a place in the shop's menu


@dataclass
class BroadcastPlan:
    language: str | None = None
    bought: str | None = None
    group: str | None = None
    deposited: bool | None = None
    inactive_days: int | None = None
    buttons: list[Button] = field(default_factory=list)
    send_at: datetime | None = None

    @property
    def described(self) -> str:
        """Whom it is for, as the operators read it ("" for every customer)."""
        parts = []
        if self.language is not None:
            parts.append(f"language {self.language}")
        if self.bought is not None:
            parts.append(f"bought {self.bought}")
        if self.group is not None:
            parts.append(f"group {self.group}")
        if self.deposited is not None:
            parts.append("deposited" if self.deposited else "never deposited")
        if self.inactive_days is not None:
            parts.append(f"inactive {self.inactive_days} days")
        return " · ".join(parts)

    def inactive_since(self, now: datetime) -> str | None:
        if self.inactive_days is None:
            return None
        return as_stored(now - timedelta(days=self.inactive_days))


def held_back(send_at: str | None, now: datetime | None = None) -> bool:
    """Whether a broadcast's time (as stored) is still ahead."""
    return send_at is not None and send_at > as_stored(now or datetime.now(UTC))


def read_plan(
    terms: str,
    *,
    languages: Collection[str],
    lines: Collection[str],
    groups: Collection[str],
    places: Collection[str],
    now: datetime | None = None,
) -> BroadcastPlan:
    """The plan `terms` describe; `groups` the price groups there are (and "retail"), `places`
    the places in the menu a button can open. Raises PlanRefused saying what is wrong."""
    moment = now or datetime.now(UTC)
    try:
        words = shlex.split(terms)
    except ValueError:
        raise PlanRefused("a quote is not closed") from None
    plan = BroadcastPlan()
    for word in words:
        name, equals, value = word.partition("=")
        if not equals or not value:
            raise PlanRefused(f"not a term: {word[:40]!r} (terms are name=value)")
        match name.lower():
            case "lang":
                plan.language = _one_of(value.lower(), languages, "lang")
            case "bought":
                plan.bought = _one_of(value.lower(), lines, "bought")
            case "group":
                plan.group = _one_of(value.lower(), groups, "group")
            case "deposited":
                plan.deposited = _one_of(value.lower(), ("yes", "no"), "deposited") == "yes"
            case "inactive":
                plan.inactive_days = _days(value)
            case "button":
                plan.buttons.append(_button(value, places))
                if len(plan.buttons) > MAX_BUTTONS:
                    raise PlanRefused(f"at most {MAX_BUTTONS} buttons")
            case "at":
                plan.send_at = _future(_at(value), moment)
            case "in":
                plan.send_at = _future(moment + _duration(value), moment)
            case _:
                raise PlanRefused(f"unknown term {name[:20]!r}")
    return plan


def _one_of(value: str, allowed: Collection[str], term: str) -> str:
    if value not in allowed:
        raise PlanRefused(f"{term} is one of {', '.join(sorted(allowed)) or 'none yet'}")
    return value


def _days(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 3650:
        raise PlanRefused("inactive is a number of days from 1 to 3650")
    return int(value)


def _button(value: str, places: Collection[str]) -> Button:
    label, bar, target = value.rpartition("|")
    label = label.strip()
    if not bar or not label or len(label) > MAX_LABEL:
        raise PlanRefused(f'a button is "LABEL|TARGET", its label 1 to {MAX_LABEL} characters')
    if target.startswith("https://") or target.startswith("http://"):
        if len(target) > MAX_URL or any(ch.isspace() for ch in target):
            raise PlanRefused("a button's address is one word of at most 256 characters")
        return Button(label, target)
    if target.lower() not in places:
        raise PlanRefused(
            f"a button opens an https:// address or one of {', '.join(sorted(places))}"
        )
    return Button(label, target.lower())


def _at(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PlanRefused("at is a UTC time like 2026-12-24T09:00") from None
    if moment.tzinfo is not None:
        raise PlanRefused("at is in UTC: give it without a zone, like 2026-12-24T09:00")
    return moment.replace(tzinfo=UTC)


def _duration(value: str) -> timedelta:
    number, unit = value[:-1], value[-1:].lower()
    if unit not in _UNITS or not (number.isascii() and number.isdigit()):
        raise PlanRefused("in is a wait like 30m, 2h or 1d")
    return timedelta(seconds=int(number) * _UNITS[unit])


def _future(moment: datetime, now: datetime) -> datetime:
    if moment <= now:
        raise PlanRefused("that time is past")
    if moment - now > LATEST:
        raise PlanRefused(f"a broadcast is held back at most {LATEST.days} days")
    return moment
