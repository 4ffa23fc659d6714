"""No update handled twice, read from the bot's own log: aiogram writes "Update id=N is handled"
(or "is not handled") once each time the shop feeds it an update.

The shop promises that whatever Telegram delivers again (an update in flight when the bot stopped,
a webhook answer lost, an update replayed) is handled once. The exceptions are narrow:

- The process that fed it first was killed (SIGKILL): it may have handled the update without
  confirming it (polling) or before its record was committed (webhook), so the next process gets
  it again: a power cut's honest window.
- The process that fed it first was stopped (SIGTERM) and its line says "not handled": the
  handler was cut short at the stop and not confirmed, so Telegram delivers it again.

Nothing else: a webhook answer lost or an update replayed (`webhook_faults`) reaches a process
that handled it already, or one started after a SIGTERM, which stops only once every update it
handled is confirmed.
"""

from __future__ import annotations

import re
import signal
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.soak.invariants import Violation

FED = re.compile(r"Update id=(\d+) is (not )?handled")


@dataclass(frozen=True)
class BotRun:
    """One bot process's log, and the signal that ended it (None: it ended on its own or runs)."""

    lines: Sequence[str]
    ended_by: int | None = None


@dataclass(frozen=True)
class _Fed:
    run: int
    handled: bool


def fed_twice(runs: Sequence[BotRun], again: Counter[str] | None = None) -> list[Violation]:
    """One violation an update fed to the shop again where no exception above allows it; the
    repeats an exception allows are counted in `again`, by the exception."""
    last_fed: dict[int, _Fed] = {}
    found: list[Violation] = []
    again = Counter() if again is None else again
    for index, run in enumerate(runs):
        for line in run.lines:
            match = FED.search(line)
            if match is None:
                continue
            update_id = int(match.group(1))
            now = _Fed(index, match.group(2) is None)
            earlier = last_fed.get(update_id)
            last_fed[update_id] = now
            if earlier is None:
                continue
            why = _why_again(earlier, now, runs)
            if why is None:
                again[_allowed(earlier, runs)] += 1
            else:
                about = (f"update {update_id} again",)  # a replay of it, in the action log
                found.append(Violation("update handled once", f"update {update_id} {why}", about))
    return found


def _why_again(earlier: _Fed, now: _Fed, runs: Sequence[BotRun]) -> str | None:
    """What was wrong with feeding an update again, or None if an exception allows it."""
    said = "handled" if earlier.handled else "not handled"
    if earlier.run == now.run:
        return f"was fed twice to bot process {now.run + 1} (first {said})"
    ended_by = runs[earlier.run].ended_by
    where = f"to bot process {earlier.run + 1} ({said}) and again to process {now.run + 1}"
    if ended_by == signal.SIGKILL:
        return None
    if ended_by == signal.SIGTERM and not earlier.handled:
        return None
    if ended_by is None:  # processes side by side (replicas): the first one never stopped
        return f"was fed {where}, both running"
    return f"was fed {where}, though the first one stopped without a SIGKILL"


def _allowed(earlier: _Fed, runs: Sequence[BotRun]) -> str:
    return "after a SIGKILL" if runs[earlier.run].ended_by == signal.SIGKILL else "cut short"


def fed_summary(runs: Sequence[BotRun], violations: int, again: Counter[str]) -> str:
    """How many updates the bot processes' logs say were fed, and how many came again."""
    fed = {
        int(match.group(1))
        for run in runs
        for line in run.lines
        if (match := FED.search(line)) is not None
    }
    repeats = "".join(f", {count} again {why}" for why, count in sorted(again.items()))
    return f"{len(fed)} updates fed to {len(runs)} processes{repeats}, {violations} twice"
