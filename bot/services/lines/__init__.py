"""One adapter per product line: how to quote it, send it upstream and ask upstream about it.

A line whose upstream is configured is built by its module's `from_config(setup)` (None when its
credentials are not set); `build_lines` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.services.lines import accounts, acedata, cloud, energy, topup
from bot.services.lines.base import Line, LineSetup

BUILDERS: tuple[Callable[[LineSetup], Line | None], ...] = (
    cloud.from_config,
    energy.from_config,
    topup.from_config,
    accounts.from_config,
    acedata.from_config,
)


def build_lines(setup: LineSetup) -> dict[str, Line]:
    lines: dict[str, Line] = {}
    for build in BUILDERS:
        line = build(setup)
        if line is not None:
            lines[line.product] = line
    return lines
