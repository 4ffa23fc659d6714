"""A bot's webhook as Telegram keeps it: the URL and secret `setWebhook` gave, what went wrong
delivering to it, and what tests and benchmarks count about its deliveries.

Telegram posts each pending update to the URL and forgets it only on a 2xx answer; see
`delivery.py` for how the emulator does that. The settings here are checked as Telegram checks
them (https://core.telegram.org/bots/api#setwebhook), with these deviations: Telegram takes only
HTTPS on ports 443, 80, 88 or 8443, while the emulator also takes `http://127.0.0.1` on any port,
and nothing but 127.0.0.1, since nothing else is reachable from a test; Telegram answers a second
`setWebhook` with a URL within a second 429 (retry after 1), the emulator takes it; and the
emulator ignores `certificate` and `ip_address`.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS = 100
TELEGRAM_WEBHOOK_PORTS = (443, 80, 88, 8443)
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
MAX_SECRET_TOKEN = 256

# The update types Telegram sends when `allowed_updates` is not given or empty.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class WebhookRefused(ValueError):
    """A `setWebhook` parameter Telegram refuses; the message follows "Bad Request: "."""


def check_url(url: str) -> str:
    """The URL if the emulator can deliver to it, else `WebhookRefused` in Telegram's words."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookRefused("invalid webhook URL specified") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookRefused("invalid webhook URL specified")
    if parts.hostname != "127.0.0.1":
        raise WebhookRefused(
            "bad webhook: Failed to resolve host: the emulator delivers to 127.0.0.1 only"
        )
    if parts.scheme == "https" and (port or 443) not in TELEGRAM_WEBHOOK_PORTS:
        raise WebhookRefused("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    return url


def check_secret_token(secret: str) -> str:
    """The secret (empty for none) if Telegram takes it: 1-256 of `A-Za-z0-9_-`."""
    if len(secret) > MAX_SECRET_TOKEN:
        raise WebhookRefused("secret token is too long")
    if not SECRET_TOKEN.fullmatch(secret):
        raise WebhookRefused("secret token contains unallowed characters")
    return secret


def update_type(update: dict[str, object]) -> str:
    """An update's type: its one field besides `update_id` (`message`, `callback_query`, ...)."""
    return next((name for name in update if name != "update_id"), "")


@dataclass
class WebhookTiming:
    """How patient the emulator's Telegram is with a webhook. Telegram waits longer and backs off
    for longer; tests want a failure noticed and retried within a second or two.

    - `timeout`: seconds a delivery may take before it fails with "Read timeout expired".
    - `retry_delay`: seconds before an update that failed twice is posted again (the first
      retry goes at once, as in Telegram); it doubles with each further failure of that update,
      up to `max_retry_delay`. A refused connection pauses all delivery to the URL the same way
      (Telegram stops connecting for a while, not update by update).
    """

    timeout: float = 5.0
    retry_delay: float = 0.1
    max_retry_delay: float = 2.0


@dataclass(frozen=True)
class AnswerError:
    """A method the bot answered a delivery with that failed: Telegram drops it silently."""

    update_id: int
    method: str
    description: str


@dataclass
class Webhook:
    """One bot's webhook settings and the record of its deliveries."""

    url: str = ""
    secret_token: str = ""
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    last_error_date: int | None = None
    last_error_message: str | None = None
    # Test hooks and counts, kept across setWebhook and deleteWebhook:
    deliveries: Counter[int] = field(default_factory=Counter)  # posts that reached the bot
    answered_calls: Counter[str] = field(default_factory=Counter)  # methods in 2xx answers
    answer_errors: list[AnswerError] = field(default_factory=list)
    answers_to_lose: int = 0  # see `lose_answers`

    @property
    def active(self) -> bool:
        return bool(self.url)

    def lose_answers(self, times: int = 1) -> None:
        """The next `times` deliveries reach the bot, which handles them and answers, but the
        answer never arrives: Telegram records "Read timeout expired" and posts the same update
        (same `update_id`) again later, as it does when a response is lost."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self.answers_to_lose += times

    def take_lost_answer(self) -> bool:
        if self.answers_to_lose <= 0:
            return False
        self.answers_to_lose -= 1
        return True

    def failed(self, message: str) -> None:
        self.last_error_date = int(time.time())
        self.last_error_message = message

    def forget_errors(self) -> None:
        self.last_error_date = None
        self.last_error_message = None

    def info(self, pending: int, allowed_updates: list[str]) -> dict[str, object]:
        """`getWebhookInfo`'s answer, with only the fields Telegram gives in this state."""
        info: dict[str, object] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if not self.url:
            return info
        info["ip_address"] = "127.0.0.1"
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        info["max_connections"] = self.max_connections
        if allowed_updates:
            info["allowed_updates"] = list(allowed_updates)
        return info
