"""The action log: every step any actor took and what it saw, to explain a failure or replay it."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Action:
    step: int
    actor: str  # a customer's name, "faults", "killer" or "auditor"
    action: str
    outcome: str
    at: float = field(default=0.0, compare=False)  # time.monotonic(), to set beside the emulator's

    def __str__(self) -> str:
        return f"#{self.step:>5} {self.actor:<12} {self.action} -> {self.outcome}"


class ActionLog:
    def __init__(self) -> None:
        self.actions: list[Action] = []
        self._steps = itertools.count(1)

    def add(self, actor: str, action: str, outcome: str) -> Action:
        # One line a step: what the chat showed over several lines is joined.
        one_line = " / ".join(outcome.split("\n"))
        entry = Action(next(self._steps), actor, action, one_line, time.monotonic())
        self.actions.append(entry)
        return entry

    def tail(self, count: int = 30) -> list[Action]:
        return self.actions[-count:]


def names(action: Action, words: tuple[str, ...]) -> bool:
    """Whether the step names any of `words` (empty ones aside), its actor included."""
    return any(
        word and word in f"{action.actor} {action.action} {action.outcome}" for word in words
    )
