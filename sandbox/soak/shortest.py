"""The shortest action log that shows a violation: not the whole run, only the steps of the actors
involved. Those are the steps that name what the violation is about (an order id, its upstream
reference, a transfer), the steps of the customers it concerns, and the faults armed and the kills
during its life: from the customer's step before the first one about it (the action that led to
it began after that one) to the customer's last step about it; or, for a violation that names a
span of time, from the customer's step before the span began to its first step after that."""

from __future__ import annotations

from sandbox.soak.invariants import Violation
from sandbox.soak.log import Action, names

SCENERY = ("faults", "killer")  # actors whose steps during a violation's life may explain it
NOT_CUSTOMERS = (*SCENERY, "auditor")


def shortest_log(actions: list[Action], violation: Violation) -> list[Action]:
    """The steps that show `violation`, in order; empty when it names nothing to look for."""
    named = [index for index, action in enumerate(actions) if names(action, violation.about)]
    customers = {actions[index].actor for index in named} - set(NOT_CUSTOMERS)
    if violation.during is not None:
        life = _span(actions, customers, *violation.during)
    elif named:
        by_customers = [index for index in named if actions[index].actor in customers] or named
        life = range(_before(actions, customers, by_customers[0]), by_customers[-1] + 1)
    else:
        return []
    involved = customers.union(SCENERY)
    shown = {index for index in life if actions[index].actor in involved}
    if violation.during is None:
        shown.update(named)  # the auditor's findings about it, say
    return [actions[index] for index in sorted(shown)]


def _before(actions: list[Action], customers: set[str], index: int) -> int:
    """The index of the customers' last step before `index` (or `index` if there is none)."""
    earlier = [i for i in range(index) if actions[i].actor in customers]
    return earlier[-1] if earlier else index


def _span(actions: list[Action], customers: set[str], start: float, end: float) -> range:
    """From the customers' step before `start` to their first step after it: the action in
    which it happened, which that step reports (or to `end`, if they never took another)."""
    inside = [index for index, action in enumerate(actions) if start <= action.at <= end]
    if not inside:
        return range(0)
    after = [index for index in range(inside[0], len(actions)) if actions[index].actor in customers]
    return range(_before(actions, customers, inside[0]), (after[0] if after else inside[-1]) + 1)
