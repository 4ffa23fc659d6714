"""One adapter per product line: how to quote it, send it upstream and ask upstream about it.

Each line's module declares it once (`bot.services.lines.registry`); a line whose upstream is
configured is built by its unit's `build(setup)` (None when its credentials are not set), and
`build_lines` lists them all.
"""

from __future__ import annotations

from bot.services.lines.base import Line, LineSetup
from bot.services.lines.registry import line_units


def build_lines(setup: LineSetup) -> dict[str, Line]:
    lines: dict[str, Line] = {}
    for unit in line_units():
        line = unit.build(setup)
        if line is not None:
            lines[line.product] = line
    return lines
