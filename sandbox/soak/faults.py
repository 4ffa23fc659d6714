"""Upstream faults drawn from the seed, armed on the simulators' own fault plans.

Each tick the injector draws, for every kind of fault, whether to arm one (its rate is the chance
per tick), on which upstream and on which of its calls: the money call (pay, place the order) or
any call. A fault waits in the plan for the next matching request, as `sandbox/faults.py` does it.
Telegram fails too (`telegram_faults.py`): 429s, gateway pages, calls held past the bot's
timeout.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sandbox import accounts_shop, kumquat
from sandbox.faults import FaultPlan
from sandbox.soak.log import ActionLog
from sandbox.soak.telegram_faults import describe, draw_telegram_fault
from sandbox.telegram import TelegramEmulator
from sandbox.trongrid import RATE_LIMITED
from sandbox.upstreams import Upstreams

# The upstreams the soak buys from or watches, and the calls where their money moves.
TARGETS = ("cloud", "energy", "topup", "accounts", "acedata", "tron")
HANG_SECONDS = 3.0  # longer than the bot's UPSTREAM_TIMEOUT_SECONDS: a timeout without commit
SLOW_SECONDS = (0.5, 4.0)  # committed, answered late: sometimes after the bot gave up
SHORT_PAGE_MOST = 3  # items on a TronGrid page that ends early while more exist

# Errors each upstream documents that are true when nothing happened (an `answer` fault does
# nothing upstream): HTTP status and body. A fault that claims success would be a lying upstream.
DOCUMENTED_ERRORS: dict[str, tuple[tuple[int, Any], ...]] = {
    "cloud": (
        (402, {"code": 402, "message": "Insufficient agent balance", "data": None}),
        (401, {"code": 401, "message": "Agent authentication failed", "data": None}),
    ),
    "energy": (
        (200, {"code": 600005, "msg": "余额不足"}),
        (200, {"code": 600006, "msg": "资源不足"}),
    ),
    # JU9993 ("that order exists already") is left out: it would claim an order was placed.
    "topup": tuple(
        (status, {"returnCode": "FAIL", "errorCode": code, "returnMsg": text, "result": None})
        for code, (status, text) in kumquat.ERRORS.items()
        if code != "JU9993"
    ),
    # Every code of the document (9xxx: the shop's own failure, which the client must follow up).
    "accounts": tuple(
        (200, {"success": False, "code": code, "message": text, "timespan": 1_700_000_000})
        for code, text in {
            **accounts_shop.MESSAGES,
            1102: "Session expired.",
            1300: "Too many requests.",
            1400: "Security token is invalid.",
            9000: "Database error.",
            9001: "Unexpected error.",
            9002: "System is under maintenance.",
        }.items()
    ),
    # The seed documents no error format; these are the simulator's.
    "acedata": (
        (400, {"error": {"code": "bad_request", "message": "application_id is required"}}),
        (401, {"error": {"code": "unauthorized", "message": "Invalid token"}}),
        (404, {"error": {"code": "not_found", "message": "Application not found"}}),
    ),
    "tron": ((429, RATE_LIMITED), (403, RATE_LIMITED)),
}


@dataclass(frozen=True)
class FaultRates:
    """The chance per tick (about once a second) that a fault of each kind is armed."""

    drop: float = 0.05  # committed, then the connection dropped
    hang: float = 0.03  # nothing done, no answer: a timeout without commit
    slow: float = 0.05  # committed, answered late
    gateway: float = 0.05  # a 502 HTML page, nothing done
    garbage: float = 0.03  # committed, answered with a page that is not JSON
    error: float = 0.05  # a documented error, nothing done
    callback: float = 0.1  # a KUMQUAT callback fault (sandbox/soak/callback_faults.py)
    telegram: float = 0.03  # a Bot API call refused, lost behind a 502 page or held
    short_page: float = 0.05  # a TronGrid page with fewer items than the limit, not the last

    def by_kind(self) -> dict[str, float]:
        return {
            "drop": self.drop,
            "hang": self.hang,
            "slow": self.slow,
            "5xx": self.gateway,
            "garbage": self.garbage,
            "answer": self.error,
        }


class FaultInjector:
    def __init__(
        self,
        upstreams: Upstreams,
        telegram: TelegramEmulator,
        rates: FaultRates,
        rng: random.Random,
        log: ActionLog,
        injected: Counter[str],
        *,
        polling: bool = True,
    ) -> None:
        self._upstreams = upstreams
        self._polling = polling
        self._telegram = telegram
        self._rates = rates
        self._rng = rng
        self._log = log
        self._injected = injected  # "cloud drop" -> how many were armed

    async def run(self, until: float) -> None:
        """Arm faults until the loop's clock reaches `until`; then clear every plan."""
        loop = asyncio.get_running_loop()
        try:
            while loop.time() < until:
                await asyncio.sleep(self._rng.uniform(0.5, 1.5))
                for kind, rate in self._rates.by_kind().items():
                    if self._rng.random() < rate:
                        self._arm(kind, self._rng.choice(TARGETS))
                if self._rng.random() < self._rates.telegram:
                    self._arm_telegram()
                if self._rng.random() < self._rates.short_page:
                    self._arm_short_page()
        finally:
            self.stop_all()

    def _arm(self, kind: str, target: str) -> None:
        upstream = self._upstreams[target]
        path = upstream.money_call if self._rng.random() < 0.7 else "*"
        plan: FaultPlan = upstream.plan
        if kind == "answer":
            status, body = self._rng.choice(DOCUMENTED_ERRORS[target])
            plan.add("answer", path, status=status, body=body)
            what = f"answer {status} {body}"
        elif kind == "hang":
            plan.add("hang", path, seconds=HANG_SECONDS)
            what = "hang"
        elif kind == "slow":
            seconds = round(self._rng.uniform(*SLOW_SECONDS), 2)
            plan.add("slow", path, seconds=seconds)
            what = f"slow {seconds} s"
        else:
            plan.add(kind, path)
            what = kind
        self._injected[f"{target} {kind}"] += 1
        self._log.add("faults", f"arm {target} {path}", what)

    def _arm_telegram(self) -> None:
        fault = draw_telegram_fault(self._rng, polling=self._polling)
        self._telegram.faults.add(fault)
        self._injected[f"telegram {fault.kind}"] += 1
        self._log.add("faults", f"arm telegram {fault.method}", describe(fault))

    def _arm_short_page(self) -> None:
        size = self._rng.randint(1, SHORT_PAGE_MOST)
        self._upstreams.tron.short_pages.append(size)
        self._injected["tron short page"] += 1
        self._log.add("faults", "arm tron listing", f"a page ends after {size} while more exist")

    def stop_all(self) -> None:
        """Faults stop: nothing armed is left in any plan."""
        for target in TARGETS:
            self._upstreams[target].plan.clear()
        self._telegram.faults.clear()
        self._upstreams.tron.short_pages.clear()
        self._log.add("faults", "clear every plan", "faults stopped")
