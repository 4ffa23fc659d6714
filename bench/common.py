"""What every benchmark shares: repeated measurements, their median and spread, the machine they
ran on, and correctness checks that fail the run (a slow figure never does)."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

RUNS = int(os.environ.get("BENCH_RUNS", "3"))  # at least 3; more for steadier figures


class CheckFailed(Exception):
    """A benchmark saw the shop do something wrong (money off, an update unanswered)."""


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def spread(self) -> float:
        """Half the range, as a share of the median: 0.05 is ±5 %."""
        if not self.median:
            return 0.0
        return (max(self.runs) - min(self.runs)) / 2 / self.median

    def line(self) -> str:
        return (
            f"  {self.name:<44} {_number(self.median):>12} {self.unit:<10}"
            f" ±{self.spread:.0%} over {len(self.runs)} runs"
            f" ({', '.join(_number(run) for run in self.runs)})"
        )


def figure(name: str, unit: str, runs: Sequence[float]) -> Figure:
    return Figure(name, unit, tuple(runs))


def ratio(name: str, numerators: Sequence[float], denominators: Sequence[float]) -> Figure:
    """Run by run (both measured in the same run, so the machine's mood cancels out)."""
    return Figure(name, "×", tuple(n / d for n, d in zip(numerators, denominators, strict=True)))


def machine() -> str:
    cores = os.cpu_count() or 0
    return (
        f"{platform.processor() or platform.machine()}, {cores} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def listening(url: str, default_port: int) -> bool:
    """Whether a server accepts connections where `url` points (a benchmark that needs one
    says so and measures nothing without it)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def header(title: str) -> None:
    print(f"\n{title}", flush=True)


def show(*figures: Figure) -> None:
    for shown in figures:
        print(shown.line(), flush=True)


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def run_main(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a benchmark's async `main()`; exit 1 on a failed check, with what failed."""
    try:
        asyncio.run(main())
    except CheckFailed as failed:
        print(f"CHECK FAILED: {failed}", file=sys.stderr, flush=True)
        sys.exit(1)
