"""The last guard of the shop's secrets in its log: each is blotted out of every line written.

The shop never logs a secret on purpose; this is for what it cannot word itself: a library's
error that quotes a URL (the Bot API's carry the bot token in their path), an upstream's answer
that echoes a key, a traceback's exception message. The bot token keeps its public part, the bot's
id (`123456:***`), which aiogram's own lines name anyway; any other secret becomes `***`. A token
of Telegram's shape is blotted out even before the settings are read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

HIDDEN = "***"
# A Telegram bot token: the bot's id, a colon, 35 characters of secret (30 or more here).
_TELEGRAM_TOKEN = re.compile(r"\b(\d{5,16}):[A-Za-z0-9_-]{30,}")
_TOKEN_SHAPE = re.compile(r"(\d+):(.+)")


class RedactSecrets(logging.Filter):
    """A handler's filter: the message, its exception's traceback and its stack lose every
    secret it knows of (`learn`), before any format writes them."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._known: re.Pattern[str] | None = None
        self.learn(secrets)

    def learn(self, secrets: Iterable[str]) -> None:
        """Blot out these too. A token of the form `<digits>:<secret>` loses its secret part; a
        secret of digits only is blotted out as a number of its own, not as digits of a longer
        one (an order's number, a time)."""
        for secret in secrets:
            shaped = _TOKEN_SHAPE.fullmatch(secret)
            self._secrets.add(shaped.group(2) if shaped else secret)
        self._secrets.discard("")
        # The longest first: a secret that contains another is blotted out whole.
        every = sorted(self._secrets, key=len, reverse=True)
        self._known = (
            re.compile("|".join(_whole_number(s) if s.isdigit() else re.escape(s) for s in every))
            if every
            else None
        )

    def redact(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(HIDDEN, text)
        return _TELEGRAM_TOKEN.sub(rf"\1:{HIDDEN}", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _whole_number(digits: str) -> str:
    return rf"(?<!\d){digits}(?!\d)"
