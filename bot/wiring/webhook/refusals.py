"""Webhook requests without the right secret: one log line per source address a minute.

Anyone who finds the webhook's URL can post to it; a scanner or a misconfigured proxy posts again
and again. Every refusal is counted, and the next line about that source says how many were left
out, so a flood neither fills the log nor goes unseen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds between two lines about one source
REMEMBERED = 4096  # sources kept in mind at most; the oldest are forgotten first


class RefusedSources:
    def __init__(self, every: float = EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self._clock = clock
        self._last_line: dict[str, float] = {}  # by source: when its last line was written
        self._left_out: dict[str, int] = {}

    def refused(self, source: str) -> None:
        now = self._clock()
        last = self._last_line.get(source)
        if last is not None and now - last < self.every:
            self._left_out[source] = self._left_out.get(source, 0) + 1
            return
        left_out = self._left_out.pop(source, 0)
        since = f" ({left_out} more from it since the last line)" if left_out else ""
        log.warning(
            "refused a webhook request from %s: no or a wrong secret token header%s; further "
            "ones from it are counted, not logged, for %g s",
            source,
            since,
            self.every,
        )
        self._last_line.pop(source, None)
        self._last_line[source] = now  # the newest last: the oldest are forgotten first
        if len(self._last_line) > REMEMBERED:
            oldest = next(iter(self._last_line))
            del self._last_line[oldest]
            self._left_out.pop(oldest, None)
