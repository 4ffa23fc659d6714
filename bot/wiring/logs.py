"""The shop's log: plain lines or one JSON object a line (`LOG_FORMAT`), from `LOG_LEVEL` up,
each naming the update, user and order it is about (`bot.services.log_context`), no secret in it
(`bot.wiring.log_secrets`), and a warning or error that repeats written once a second.

A fault that repeats in a loop (the accept loop out of file descriptors, an upstream down for
every job run) would otherwise write the same lines thousands of times a second and bury
everything else. Only the same line is folded: two events that differ (two payments, two alerts)
are each written, whatever their pace. Info lines are the shop's story, each one counted: they are
never folded.

The log starts plain, before the settings are read (a bad setting is then said in one line);
`apply_log_settings` switches it to the operator's format and level once they are.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, TextIO, TypeVar

from bot.services import log_context
from bot.services.config import Settings
from bot.wiring.log_secrets import RedactSecrets

FORMAT = "%(asctime)s %(levelname)s %(name)s%(about)s: %(message)s"
FOLD_EVERY = 1.0  # seconds between two lines of one kind
REMEMBERED = 1024  # kinds kept in mind at most; older ones are forgotten first
ABOUT = ("update_id", "user_id", "order_id")  # what a line may be about, as JSON names it
# Libraries that write a line per database call or per job run: those lines are left out at
# every level, even DEBUG.
CHATTY = {"apscheduler": logging.WARNING, "aiosqlite": logging.INFO}


class ShopLog(logging.StreamHandler[TextIO]):
    """Where the shop's log goes (standard error unless told otherwise), through its filters:
    repeats folded, what a line is about stamped on it, secrets blotted out."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self.setFormatter(PlainLines())
        self.addFilter(FoldRepeats())
        self.addFilter(StampWhatItIsAbout())
        self.secrets = RedactSecrets()
        self.addFilter(self.secrets)


def configure_logging(stream: TextIO | None = None) -> ShopLog:
    """The log as it starts: plain, INFO and up."""
    handler = ShopLog(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    _quiet_chatty_libraries(logging.INFO)
    return handler


def apply_log_settings(config: Settings) -> None:
    """The operator's format and level, and every configured secret blotted out."""
    level = logging.getLevelNamesMapping()[config.log_level]
    root = logging.getLogger()
    root.setLevel(level)
    _quiet_chatty_libraries(level)
    secrets = config.secret_values()
    for handler in root.handlers:
        if isinstance(handler, ShopLog):
            handler.setFormatter(JsonLines() if config.log_format == "json" else PlainLines())
            handler.secrets.learn(secrets)
    # In JSON, nothing reaches standard error beside the log's lines: a Python warning is one.
    # In either format, so is the error that stops the shop (its secrets blotted out too).
    logging.captureWarnings(config.log_format == "json")
    sys.excepthook = _log_what_stopped_the_shop


def _quiet_chatty_libraries(level: int) -> None:
    for name, least in CHATTY.items():
        logging.getLogger(name).setLevel(max(least, level))


def _log_what_stopped_the_shop(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("bot").critical(
        "the shop stopped on an unexpected error", exc_info=(kind, error, trace)
    )


class StampWhatItIsAbout(logging.Filter):
    """A handler's filter: the record carries the ids of what is being worked on where it was
    logged (an id given in `extra=` stands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_context.current().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True


def _about(record: logging.LogRecord) -> dict[str, int | str]:
    found = {name: getattr(record, name, None) for name in ABOUT}
    return {name: value for name, value in found.items() if isinstance(value, int | str)}


class PlainLines(logging.Formatter):
    """`2026-01-02 10:00:00,123 INFO bot.services.orders [update 12 user 100001 order 7]: …`;
    the brackets only when the line is about something; a traceback on the lines below."""

    def __init__(self) -> None:
        super().__init__(FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        about = " ".join(
            f"{name.removesuffix('_id')} {value}" for name, value in _about(record).items()
        )
        record.about = f" [{about}]" if about else ""
        return super().formatMessage(record)


class JsonLines(logging.Formatter):
    """One JSON object a line: `time` (ISO 8601, UTC), `level`, `logger`, `message`, then
    `update_id`, `user_id`, `order_id` when the line is about one, and `exc`, the traceback as
    one string, when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_about(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        trace = "\n".join(part for part in (record.exc_text, record.stack_info) if part)
        if trace:
            entry["exc"] = trace
        return json.dumps(entry, ensure_ascii=False, default=str)


Key = TypeVar("Key", bound=Hashable)


@dataclass
class _Seen:
    at: float  # when the last line about its key was written
    left_out: int = 0


class OneLinePerKey(Generic[Key]):
    """One log line about a key per `every` seconds, the others counted: `due(key)` is None
    for a line to leave out, else the count left out since the last one. At most `remembered`
    keys are kept in mind; those written about longest ago are forgotten first."""

    def __init__(
        self, every: float, *, remembered: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every = every
        self._remembered = remembered
        self._clock = clock
        self._seen: dict[Key, _Seen] = {}

    def due(self, key: Key) -> int | None:
        now = self._clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen.at < self.every:
            seen.left_out += 1
            return None
        self._seen.pop(key, None)
        self._seen[key] = _Seen(now)  # the newest last: the oldest are forgotten first
        if len(self._seen) > self._remembered:
            del self._seen[next(iter(self._seen))]
        return 0 if seen is None else seen.left_out


class FoldRepeats(logging.Filter):
    """Lets one warning or error of a kind through per `every` seconds; a kind is its logger, its
    level and its message's first line as written. The next line written after some were left
    out says how many."""

    def __init__(
        self, every: float = FOLD_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self._kinds = OneLinePerKey[tuple[str, int, str]](every, remembered=REMEMBERED, clock=clock)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        left_out = self._kinds.due(
            (record.name, record.levelno, record.getMessage().split("\n", 1)[0])
        )
        if left_out is None:
            return False
        if left_out:
            record.msg = f"{record.msg} ({left_out} more like this since the last one)"
        return True
