"""Whose an order, a deposit request or a payment is: one rule for all."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.ownership import own, owned_by


@dataclass(frozen=True)
class Thing:
    user_id: int | None


def test_only_the_owner_owns_it() -> None:
    assert owned_by(7, Thing(7))
    assert not owned_by(8, Thing(7))


def test_nothing_and_nobodys_are_owned_by_no_one() -> None:
    assert not owned_by(7, None)
    assert not owned_by(7, Thing(None))  # a payment nobody claimed yet


def test_someone_elses_reads_as_none() -> None:
    mine = Thing(7)
    assert own(7, mine) is mine
    assert own(8, mine) is None
    assert own(8, None) is None
