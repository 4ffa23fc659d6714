"""Webhook requests without the right secret: one log line per source address a minute.

Anyone who finds the webhook's URL can post to it; a scanner or a misconfigured proxy posts again
and again. Every refusal is counted, and the next line about that source says how many were left
out, so a flood neither fills the log nor goes unseen (`bot.wiring.logs.OneLinePerKey`, which
also folds the log's repeated warnings).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.wiring.logs import OneLinePerKey

log = logging.getLogger(__name__)

EVERY = 60.0  # seconds between two lines about one source
REMEMBERED = 4096  # sources kept in mind at most; the oldest are forgotten first


class RefusedSources:
    def __init__(self, every: float = EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self._sources = OneLinePerKey[str](every, remembered=REMEMBERED, clock=clock)

    def refused(self, source: str) -> None:
        left_out = self._sources.due(source)
        if left_out is None:
            return
        since = f" ({left_out} more from it since the last line)" if left_out else ""
        log.warning(
            "refused a webhook request from %s: no or a wrong secret token header%s; further "
            "ones from it are counted, not logged, for %g s",
            source,
            since,
            self._sources.every,
        )
