"""The action log: every step any actor took and what it saw, to explain a failure or replay it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    step: int
    actor: str  # a customer's name, "faults", "killer" or "auditor"
    action: str
    outcome: str

    def __str__(self) -> str:
        return f"#{self.step:>5} {self.actor:<12} {self.action} -> {self.outcome}"


class ActionLog:
    def __init__(self) -> None:
        self.actions: list[Action] = []
        self._steps = itertools.count(1)

    def add(self, actor: str, action: str, outcome: str) -> Action:
        # One line a step: what the chat showed over several lines is joined.
        entry = Action(next(self._steps), actor, action, " / ".join(outcome.split("\n")))
        self.actions.append(entry)
        return entry

    def tail(self, count: int = 30) -> list[Action]:
        return self.actions[-count:]

    def mentioning(self, *words: str) -> list[Action]:
        """The steps that name any of `words` (an order id, a customer): what led to a violation."""
        wanted = [word for word in words if word]
        return [
            entry
            for entry in self.actions
            if any(word in f"{entry.actor} {entry.action} {entry.outcome}" for word in wanted)
        ]
