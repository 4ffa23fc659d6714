"""Bot API faults: what Telegram (or a gateway in front of it) does to the next matching calls.

- `429`: refused without being carried out, `{"ok": false, "error_code": 429, "parameters":
  {"retry_after": N}}`, as Telegram's flood control answers.
- `5xx`: a gateway's HTML error page (HTTP 502), after Telegram carried the call out
  (`carried_out`) or before it reached Telegram.
- `timeout`: the call is held for `seconds` (longer than the caller waits), then carried out or
  not, and the connection dropped without an answer.

Every fault that fired is kept in `fired`, with the chat it touched, so a judge can tell which
updates Telegram was failing at the moment they needed an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

KINDS = ("429", "5xx", "timeout")


@dataclass
class ApiFault:
    kind: str
    method: str  # lower case, e.g. "sendmessage"
    carried_out: bool = True  # 5xx and timeout: whether Telegram did it before the answer was lost
    retry_after: int = 1  # 429
    seconds: float = 61.0  # timeout: how long the call is held
    times: int = 1


@dataclass(frozen=True)
class FiredFault:
    kind: str
    method: str
    chat_id: int | None  # the chat the call was about; None for getUpdates and the like
    at: float  # time.monotonic() when the call arrived
    seconds: float  # how long the call was held (0 unless a timeout)
    carried_out: bool

    @property
    def ends(self) -> float:
        return self.at + self.seconds


@dataclass
class ApiFaults:
    armed: list[ApiFault] = field(default_factory=list)
    fired: list[FiredFault] = field(default_factory=list)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, fault: ApiFault) -> None:
        if fault.kind not in KINDS:
            raise ValueError(f"unknown Bot API fault {fault.kind!r}; one of {KINDS}")
        fault.method = fault.method.lower()
        self.armed.append(fault)

    def take(self, method: str, chat_id: int | None) -> tuple[ApiFault, FiredFault] | None:
        """The fault armed for this call of `method` (lower case), if any, and its record as
        fired (the call's own, to give back should Telegram refuse the call)."""
        for fault in self.armed:
            if fault.method == method:
                fault.times -= 1
                if fault.times <= 0:
                    self.armed.remove(fault)
                held = fault.seconds if fault.kind == "timeout" else 0.0
                fired = FiredFault(
                    fault.kind, method, chat_id, time.monotonic(), held, fault.carried_out
                )
                self.fired.append(fired)
                return fault, fired
        return None

    def give_back(self, fault: ApiFault, fired: FiredFault) -> None:
        """Telegram refused the call itself: the fault waits for the next call it carries out,
        and this call's record of it goes (other calls' faults may have fired since)."""
        self.fired = [other for other in self.fired if other is not fired]
        if fault not in self.armed:
            fault.times = 0
            self.armed.insert(0, fault)
        fault.times += 1

    def clear(self) -> None:
        """No fault armed any more; those that fired stay on record (and held calls held)."""
        self.armed.clear()

    async def hold(self, fault: ApiFault) -> None:
        """Hold a call for the fault's `seconds`, or until the emulator stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), fault.seconds)

    def open(self) -> None:
        self._closing.clear()

    def close(self) -> None:
        """The emulator stops: calls held end now."""
        self._closing.set()
