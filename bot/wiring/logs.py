"""The shop's log: one line format, and a warning or error that repeats written once a second.

A fault that repeats in a loop (the accept loop out of file descriptors, an upstream down for
every job run) would otherwise write the same lines thousands of times a second and bury
everything else. Only the same line is folded: two events that differ (two payments, two alerts)
are each written, whatever their pace. Info lines are the shop's story, each one counted: they are
never folded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FOLD_EVERY = 1.0  # seconds between two lines of one kind
REMEMBERED = 1024  # kinds kept in mind at most; older ones are forgotten first


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run is noise
    for handler in logging.getLogger().handlers:
        handler.addFilter(FoldRepeats())


@dataclass
class _Seen:
    at: float  # when the last line of this kind was written
    left_out: int = 0


class FoldRepeats(logging.Filter):
    """Lets one warning or error of a kind through per `every` seconds; a kind is its logger, its
    level and its message's first line as written. The next line written after some were left
    out says how many."""

    def __init__(
        self, every: float = FOLD_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.every = every
        self._clock = clock
        self._seen: dict[tuple[str, int, str], _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = (record.name, record.levelno, record.getMessage().split("\n", 1)[0])
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is not None and now - seen.at < self.every:
            seen.left_out += 1
            return False
        if seen is not None and seen.left_out:
            record.msg = f"{record.msg} ({seen.left_out} more like this since the last one)"
        self._seen.pop(kind, None)
        self._seen[kind] = _Seen(now)  # the newest last: the oldest are forgotten first
        if len(self._seen) > REMEMBERED:
            del self._seen[next(iter(self._seen))]
        return True
