"""The shop's configuration: environment variables, also read from `.env`.

The shop's own variables are `Settings`; each product line reads its own variables with a
`LineSettings` of its own (declared with the line, see `bot.services.lines.registry`), loaded and
validated with the shop's. A bad value stops start-up with one line that names the variable (see
`load_settings`), never a traceback.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AnyHttpUrl,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.tron import is_tron_address
from storage.database import Database
from storage.engines import UnknownDatabase, database_for
from storage.sqlite import SqliteDatabase

_METRICS_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,256}")
# Telegram takes 1 to 256 of these; in webhook mode the secret is all that stands between anyone
# who finds the URL and the operators' commands, so at least 16, as METRICS_TOKEN.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
_WEBHOOK_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine's loopback interface only."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


def _is_redis_url(url: str) -> bool:
    """A `redis://` or `rediss://` URL naming a host, a valid port if any and a numbered
    database if any."""
    try:
        parts = urlsplit(url.strip())
        port_ok = parts.port is None or parts.port > 0  # raises ValueError when not a number
    except ValueError:
        return False
    database = parts.path.lstrip("/")
    return (
        parts.scheme in ("redis", "rediss")
        and bool(parts.hostname)
        and port_ok
        and (not database or database.isdigit())
    )


class ConfigError(Exception):
    """Raised with a one-line, operator-readable explanation of a bad configuration."""


def bot_token_refused() -> ConfigError:
    """Telegram answered 401 to BOT_TOKEN: revoked or mistyped; starting again would not help."""
    return ConfigError(
        "BOT_TOKEN is invalid: Telegram refused it (401 Unauthorized); copy the bot's current "
        "token from @BotFather"
    )


class InvalidSetting(ValueError):
    """A value that is fine alone but not beside the shop's other settings."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class _FromEnvironment(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )


class LineSettings(_FromEnvironment):
    """A product line's own variables. An empty value of a variable that is unset by default
    (a key, an id, a host the operator must give) counts as unset."""

    @model_validator(mode="before")
    @classmethod
    def _empty_is_unset(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        unset_by_default = {
            name for name, field in cls.model_fields.items() if field.default is None
        }
        return {
            name: None if value == "" and name.lower() in unset_by_default else value
            for name, value in values.items()
        }

    def check_with(self, shop: Settings) -> None:
        """Raise `InvalidSetting` for a value that does not fit the shop's own settings."""
        return None


_L = TypeVar("_L", bound=LineSettings)


@dataclass(frozen=True)
class Webhook:
    """Webhook mode's settings, checked: where Telegram posts updates and the secret it sends."""

    url: str  # PUBLIC_BASE_URL + WEBHOOK_PATH
    path: str
    secret: str = field(repr=False)
    drop_pending_updates: bool


class Settings(_FromEnvironment):
    # Each line's own settings, by their class, as `load_settings` read them.
    _lines: dict[type[LineSettings], LineSettings] = PrivateAttr(default_factory=dict)

    bot_token: SecretStr | None = None
    telegram_api_base: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    admin_chat_id: int | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # A public channel (`@name`) customers must join before using the shop; the bot must be one of
    # its administrators. Customers who bought before, and anyone mid-purchase, are let in.
    required_channel: str | None = Field(default=None, pattern=r"^@[A-Za-z][A-Za-z0-9_]{4,31}$")
    # How often what Telegram has not taken yet (its flood limit, an error, a stop) is sent again.
    outbox_retry_seconds: float = Field(default=3, gt=0, le=600)
    database_path: Path = Path("data/storefront.sqlite3")
    # postgresql://user:password@host:port/db for several shop processes on one database;
    # unset (or sqlite:///path): SQLite at DATABASE_PATH.
    database_url: SecretStr | None = None
    # On PostgreSQL, the leader's lease (see bot/services/leadership.py): the singleton jobs move
    # to another process within this plus a third of it when the leader dies.
    leader_lease_seconds: float = Field(default=15, ge=3, le=600)

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8088, ge=1, le=65535)
    public_base_url: AnyHttpUrl | None = None
    # The server is public: a client that takes longer to send a request is cut off, and a flood
    # of connections closes the ones that sent nothing (see bot/services/web_limits.py).
    web_read_timeout_seconds: float = Field(default=10, gt=0, le=300)
    web_max_connections: int = Field(default=256, ge=1, le=100_000)

    deposit_address: str | None = None
    trongrid_base_url: AnyHttpUrl = AnyHttpUrl("https://api.trongrid.io")
    trongrid_api_key: SecretStr | None = None

    stars_rate: Decimal = Field(default=Decimal("0.013"), gt=0, max_digits=18, decimal_places=6)
    # How often a Stars refund whose answer never came (or that a crash cut short) is asked again.
    stars_refund_retry_seconds: float = Field(default=60, gt=0, le=3600)
    # How often the bot's Stars transactions are read for payments the shop has not booked.
    stars_check_every_seconds: float = Field(default=60, gt=0, le=3600)
    # How often referral rewards whose settling period is over are paid.
    referral_release_every_seconds: float = Field(default=300, gt=0, le=86400)
    deposit_request_minutes: float = Field(default=30, ge=5, le=24 * 60)
    deposit_check_every_seconds: float = Field(default=30, gt=0, le=3600)

    # Updates taken in from Telegram beyond those being handled: a flood waits at Telegram.
    updates_in_flight: int = Field(default=100, ge=1, le=10_000)

    # How updates arrive: long polling, or Telegram posting them to PUBLIC_BASE_URL + WEBHOOK_PATH
    # (`python -m bot run --webhook` chooses webhook mode too; see bot/wiring/webhook.py).
    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram/webhook"
    # Updates waiting at Telegram when the webhook is set are kept: a payment may be among them.
    webhook_drop_pending_updates: bool = False

    # Following up upstream orders.
    upstream_timeout_seconds: float = Field(default=20, gt=0, le=300)
    reconcile_every_seconds: float = Field(default=15, gt=0, le=3600)
    review_after_minutes: float = Field(default=30, gt=0, le=7 * 24 * 60)

    # Watching the upstreams and telling the operators (see bot/wiring/watch.py); each line
    # with a balance upstream has its own low-balance threshold among its settings.
    provider_check_every_seconds: float = Field(default=60, gt=0, le=24 * 3600)
    upstream_down_alert_minutes: float = Field(default=5, gt=0, le=7 * 24 * 60)
    daily_report_at: time | None = time(9, 0)  # UTC; None: no daily report

    # Scheduled backups of the database (see docs/backups.md); None: none taken.
    backup_every_hours: float | None = Field(default=None, gt=0, le=24 * 366, allow_inf_nan=False)
    backup_dir: Path | None = None  # None: a `backups` folder beside the database
    backup_keep: int = Field(default=14, ge=1, le=100_000)
    backup_to_admin_chat: bool = False
    # Prometheus metrics (see bot/wiring/metrics.py): never public by default. With a token,
    # `/metrics` on the public server asks for it as a bearer token; with a port, a server of
    # its own answers on a loopback address only.
    metrics_token: SecretStr | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The log (see bot/wiring/logs.py): plain lines, or one JSON object a line; what it keeps.
    log_format: Literal["plain", "json"] = "plain"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Conversations and each chat's turn kept in Redis, shared by every replica (see
    # bot/wiring/conversations.py); None: in the database, for one process. A secret: it may
    # hold a password.
    redis_url: SecretStr | None = None
    # What every key the shop writes in Redis starts with (then the bot's id): two shops, or a
    # shop and its tests, can share one Redis.
    redis_key_prefix: str = Field(default="storefront", pattern=r"^[A-Za-z0-9._-]{1,64}$")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?[0-9]{1,20}", part) for part in parts):
                raise ValueError("expected comma-separated Telegram user ids, like 12345,67890")
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("deposit_address", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "bot_token",
        "trongrid_api_key",
        "admin_chat_id",
        "public_base_url",
        "metrics_token",
        "metrics_port",
        "webhook_secret",
        "redis_url",
        "required_channel",
        mode="before",
    )
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _log_word(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        word = value.strip()
        if not word:  # empty: the default
            return cls.model_fields[info.field_name or ""].default
        return word.lower() if info.field_name == "log_format" else word.upper()

    @field_validator("deposit_address")
    @classmethod
    def _tron_address(cls, value: str | None) -> str | None:
        if value is not None and not is_tron_address(value):
            raise ValueError("expected a TRON address (base58check, starting with T)")
        return value

    @field_validator("metrics_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _METRICS_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError(
                "expected at least 16 characters of A-Z, a-z, 0-9 and ._~+/=-, like the output "
                "of `openssl rand -hex 32`"
            )
        return value

    @field_validator("metrics_host")
    @classmethod
    def _loopback_only(cls, value: str) -> str:
        if not is_loopback(value):
            raise ValueError(
                "the metrics server listens on a loopback address only (127.0.0.1, ::1 or "
                "localhost); to scrape from another machine, set METRICS_TOKEN instead"
            )
        return value

    @field_validator("metrics_port")
    @classmethod
    def _metrics_port_apart(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value == info.data.get("web_port"):
            raise ValueError("must differ from WEB_PORT (the public server's port)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule, at least 16 long (see _WEBHOOK_SECRET); the value is never shown.
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError(
                "expected 16 to 256 characters, each a letter, a digit, _ or -, like the output "
                "of `openssl rand -hex 32`"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                database_for(value.get_secret_value())
            except UnknownDatabase as unknown:
                raise ValueError(str(unknown)) from None
        return value

    def database(self) -> Database:
        """The shop's database, not yet open."""
        url = self.database_url.get_secret_value() if self.database_url else None
        return database_for(url, self.database_path)

    @property
    def database_name(self) -> str:
        """The database as logs and messages may name it: never its password."""
        return self.database().where

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        # What is wrong is said without the value: it may hold a password.
        if value is not None and not _is_redis_url(value.get_secret_value()):
            raise ValueError(
                "expected redis://[user:password@]host[:port][/db] or rediss://... (TLS)"
            )
        return value

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        if not _WEBHOOK_PATH.fullmatch(value):
            raise ValueError("expected a URL path like /telegram/webhook (letters, digits, ._~-)")
        return value

    @field_validator("daily_report_at", mode="before")
    @classmethod
    def _time_of_day(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        found = _TIME_OF_DAY.fullmatch(text)
        if found is None:
            raise ValueError("expected a UTC time of day as HH:MM or HH:MM:SS, like 09:00")
        hour, minute, second = (int(part) for part in found.groups(default="0"))
        return time(hour, minute, second)

    @field_validator("backup_every_hours", "backup_dir", mode="before")
    @classmethod
    def _empty_or_zero_is_off(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() in ("", "0"):
            return None
        return None if value == 0 else value

    @field_validator("backup_every_hours")
    @classmethod
    def _at_least_a_second(cls, value: float | None) -> float | None:
        if value is not None and value * 3600 < 1:
            raise ValueError("expected hours, at least one second's worth (0.0003); 0: no backups")
        return value

    @field_validator("backup_to_admin_chat")
    @classmethod
    def _admin_chat_to_send_to(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("admin_chat_id") is None:
            raise ValueError("the backups go to ADMIN_CHAT_ID: set it too, or set this to false")
        return value

    @property
    def backup_every(self) -> timedelta | None:
        """How often the database is backed up; None: never by itself."""
        hours = self.backup_every_hours
        return None if hours is None else timedelta(hours=hours)

    @property
    def backups_folder(self) -> Path:
        if self.backup_dir is not None:
            return self.backup_dir
        database = self.database()
        # Beside the SQLite file, wherever DATABASE_URL or DATABASE_PATH puts it.
        folder = database.path if isinstance(database, SqliteDatabase) else self.database_path
        return folder.parent / "backups"

    def require_bot_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError("BOT_TOKEN is not set: put the token from @BotFather in BOT_TOKEN")
        return self.bot_token.get_secret_value()

    def require_webhook(self) -> Webhook:
        """What webhook mode needs, or a ConfigError naming the variable that is missing."""
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET is not set: webhook mode needs a secret Telegram sends with every "
                "update (16 to 256 of A-Z, a-z, 0-9, _ and -, e.g. from `openssl rand -hex 32`)"
            )
        if self.public_base_url is None:
            raise ConfigError(
                "PUBLIC_BASE_URL is not set: webhook mode needs the public https address at which "
                "Telegram reaches WEB_HOST:WEB_PORT"
            )
        return Webhook(
            url=str(self.public_base_url).rstrip("/") + self.webhook_path,
            path=self.webhook_path,
            secret=self.webhook_secret.get_secret_value(),
            drop_pending_updates=self.webhook_drop_pending_updates,
        )

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    def secret_values(self) -> set[str]:
        """The value of every secret setting, the shop's and every product line's: what the log
        must never show."""
        every: list[BaseSettings] = [self, *(self.line(kind) for kind in _line_settings())]
        return {
            value.get_secret_value()
            for settings in every
            for name in type(settings).model_fields
            if isinstance(value := getattr(settings, name), SecretStr) and value.get_secret_value()
        }

    def line(self, kind: type[_L]) -> _L:
        """A product line's own settings (read now if these settings did not come from
        `load_settings`)."""
        found = self._lines.get(kind)
        if found is None:
            found = self._lines[kind] = kind()
        assert isinstance(found, kind)
        return found


def _line_settings() -> tuple[type[LineSettings], ...]:
    # The registry imports every line, and every line imports this module: asked when needed.
    from bot.services.lines.registry import line_units

    return tuple(unit.settings for unit in line_units())


def load_settings(**overrides: object) -> Settings:
    """Read the configuration, the shop's and every product line's, turning validation failures
    into one line naming the (first) variable. An override goes to whichever settings have its
    name; `_env_file` and the like go to all."""
    problems: list[tuple[str, str]] = []  # (variable, what is wrong with it)

    def read(kind: type[_FromEnvironment]) -> Any:
        own: dict[str, Any] = {
            name: value
            for name, value in overrides.items()
            if name.startswith("_") or name.lower() in kind.model_fields
        }
        try:
            return kind(**own)
        except ValidationError as exc:
            for error in exc.errors():
                variable = str(error["loc"][0]).upper() if error["loc"] else "configuration"
                problems.append((variable, str(error["msg"]).removeprefix("Value error, ")))
            return None

    config: Settings | None = read(Settings)
    lines = [(kind, read(kind)) for kind in _line_settings()]
    if config is not None:
        for kind, settings in lines:
            if settings is None:
                continue
            try:
                settings.check_with(config)
            except InvalidSetting as exc:
                problems.append((exc.field.upper(), str(exc)))
            config._lines[kind] = settings
    if problems or config is None:
        variable, message = problems[0]
        extra = len(problems) - 1
        more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        raise ConfigError(f"{variable} is invalid: {message}{more}") from None
    return config


def setting_names() -> set[str]:
    """The variables the shop's settings and every product line's read, upper case."""
    every: tuple[type[BaseSettings], ...] = (Settings, *_line_settings())
    return {name.upper() for kind in every for name in kind.model_fields}


def without_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus every variable the shop's settings read: what a bot of the demo or
    of a test starts from, so an operator's own configuration cannot leak into it."""
    names = setting_names()
    return {name: value for name, value in environ.items() if name.upper() not in names}
