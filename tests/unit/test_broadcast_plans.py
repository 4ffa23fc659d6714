"""What an operator's /broadcast terms ask for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.broadcast_plans import BroadcastPlan, Button, PlanRefused, read_plan

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def plan(terms: str) -> BroadcastPlan:
    return read_plan(
        terms,
        languages=["en", "zh", "vi"],
        lines=["cloud", "energy"],
        groups=["retail", "wholesale"],
        places=["menu", "wallet", "cloud"],
        now=NOW,
    )


def test_every_part_of_a_segment_with_buttons_and_a_time() -> None:
    read = plan(
        'lang=ZH bought=cloud group=wholesale deposited=no inactive=30 button="Shop now|Cloud"'
        ' button="News|https://t.me/shop_news" at=2026-12-24T09:00'
    )
    assert (read.language, read.bought, read.group, read.deposited, read.inactive_days) == (
        "zh",
        "cloud",
        "wholesale",
        False,
        30,
    )
    assert read.buttons == [Button("Shop now", "cloud"), Button("News", "https://t.me/shop_news")]
    assert read.send_at == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    assert read.described == (
        "language zh · bought cloud · group wholesale · never deposited · inactive 30 days"
    )
    assert read.inactive_since(NOW) == "2026-11-03T12:00:00.000000Z"


def test_no_terms_is_every_customer_now() -> None:
    read = plan("")
    assert (read.described, read.buttons, read.send_at) == ("", [], None)
    assert plan("in=90m").send_at == datetime(2026, 12, 3, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("terms", "problem"),
    [
        ("lang=fr", "lang is one of en, vi, zh"),
        ("group=vip", "group is one of retail, wholesale"),
        ("inactive=٣", "inactive is a number of days"),
        ('button="a|javascript:alert(1)"', "a button opens an https:// address"),
        ('button="a|https://x y"', "a button's address is one word"),
        (f'button="{"x" * 41}|menu"', "its label 1 to 40 characters"),
        ("at=2026-12-24T09:00+02:00", "at is in UTC"),
        ("in=5w", "in is a wait like"),
        ("in=-5m", "in is a wait like"),
        ("at=2026-12-03T11:59", "that time is past"),
    ],
)
def test_terms_that_cannot_be_a_broadcast_say_what_to_fix(terms: str, problem: str) -> None:
    with pytest.raises(PlanRefused) as refused:
        plan(terms)
    assert problem in str(refused.value)
