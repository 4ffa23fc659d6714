"""KUMQUAT callback faults drawn from the seed: duplicated, delayed, reordered, forged, and a
success reversed later (its success sometimes coming again after the reversal). Each tick one may
be armed on the simulator's callback plan; it applies to the next callback (a reversal, to the
next succeeding one)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from sandbox.kumquat import CALLBACK_FAULTS, KumquatSimulator
from sandbox.soak.log import ActionLog

# Seconds each kind waits: a delay and a held (reordered) callback may outlast a restart of the
# bot; a reversal follows the success it takes back within moments.
SECONDS = {
    "delay": (0.5, 8.0),
    "reorder": (2.0, 10.0),
    "reverse": (0.2, 3.0),
    "stale success": (0.2, 3.0),
}


class CallbackFaultInjector:
    def __init__(
        self,
        kumquat: KumquatSimulator,
        rate: float,
        rng: random.Random,
        log: ActionLog,
        injected: Counter[str],
    ) -> None:
        self._kumquat = kumquat
        self._rate = rate
        self._rng = rng
        self._log = log
        self._injected = injected

    async def run(self, until: float) -> None:
        """Arm callback faults until the loop's clock reaches `until`; then clear the plan."""
        loop = asyncio.get_running_loop()
        try:
            while loop.time() < until:
                await asyncio.sleep(self._rng.uniform(0.5, 1.5))
                if self._rng.random() < self._rate:
                    self._arm(self._rng.choice(CALLBACK_FAULTS))
        finally:
            self._kumquat.callback_plan.clear()

    def _arm(self, kind: str) -> None:
        low, high = SECONDS.get(kind, (0.0, 0.0))
        seconds = round(self._rng.uniform(low, high), 2)
        self._kumquat.callback_plan.add(kind, seconds=seconds)
        self._injected[f"topup callback {kind}"] += 1
        self._log.add("faults", f"arm topup callback {kind}", f"{seconds:g} s" if high else kind)
