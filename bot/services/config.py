"""The shop's configuration: environment variables, also read from `.env`.

Every variable of docs/configuration.md is here. A bad value stops start-up with one
line that names the variable (see `load_settings`), never a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.services.tron import is_tron_address

_TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")


class ConfigError(Exception):
    """Raised with a one-line, operator-readable explanation of a bad configuration."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    bot_token: SecretStr | None = None
    telegram_api_base: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    admin_chat_id: int | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # How often what Telegram has not taken yet (its flood limit, an error, a stop) is sent again.
    outbox_retry_seconds: float = Field(default=3, gt=0, le=600)
    database_path: Path = Path("data/storefront.sqlite3")

    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8088, ge=1, le=65535)
    public_base_url: AnyHttpUrl | None = None
    # The server is public: a client that takes longer to send a request is cut off, and a flood
    # of connections closes the ones that sent nothing (see bot/services/web_limits.py).
    web_read_timeout_seconds: float = Field(default=10, gt=0, le=300)
    web_max_connections: int = Field(default=256, ge=1, le=100_000)

    cloudruby_base_url: AnyHttpUrl = AnyHttpUrl("https://bot.cloudruby.com")
    cloudruby_app_id: str | None = None
    cloudruby_app_secret: SecretStr | None = None

    energy_base_url: AnyHttpUrl = AnyHttpUrl("https://openapi.ea888fee.top")
    energy_api_key: SecretStr | None = None
    energy_api_secret: SecretStr | None = None

    # The KUMQUAT document names no host: the operator must give one with the credentials.
    kumquat_base_url: AnyHttpUrl | None = None
    kumquat_partner_no: str | None = None
    kumquat_sign_key: SecretStr | None = None

    shop_base_url: AnyHttpUrl = AnyHttpUrl("https://www.tempcloud.shop")
    shop_api_key: SecretStr | None = None
    shop_currency: str = Field(default="VND", pattern=r"^[A-Z]{3,5}$")

    acedata_base_url: AnyHttpUrl = AnyHttpUrl("https://platform.acedata.cloud")
    acedata_token: SecretStr | None = None

    deposit_address: str | None = None
    trongrid_base_url: AnyHttpUrl = AnyHttpUrl("https://api.trongrid.io")
    trongrid_api_key: SecretStr | None = None

    stars_rate: Decimal = Field(default=Decimal("0.013"), gt=0, max_digits=18, decimal_places=6)
    # How often a Stars refund whose answer never came (or that a crash cut short) is asked again.
    stars_refund_retry_seconds: float = Field(default=60, gt=0, le=3600)
    # How often the bot's Stars transactions are read for payments the shop has not booked.
    stars_check_every_seconds: float = Field(default=60, gt=0, le=3600)
    deposit_request_minutes: float = Field(default=30, ge=5, le=24 * 60)
    deposit_check_every_seconds: float = Field(default=30, gt=0, le=3600)

    # Updates taken in from Telegram beyond those being handled: a flood waits at Telegram.
    updates_in_flight: int = Field(default=100, ge=1, le=10_000)

    # Following up upstream orders.
    upstream_timeout_seconds: float = Field(default=20, gt=0, le=300)
    reconcile_every_seconds: float = Field(default=15, gt=0, le=3600)
    review_after_minutes: float = Field(default=30, gt=0, le=7 * 24 * 60)
    cloudruby_repay_after_seconds: float = Field(default=60, ge=0, le=24 * 3600)

    # Watching the upstreams and telling the operators (see bot/wiring/watch.py).
    energy_low_balance_trx: Decimal = Field(
        default=Decimal(100), ge=0, max_digits=18, decimal_places=6
    )
    kumquat_low_balance: Decimal = Field(  # in the KUMQUAT balance's own currency
        default=Decimal(50), ge=0, max_digits=18, decimal_places=6
    )
    provider_check_every_seconds: float = Field(default=60, gt=0, le=24 * 3600)
    upstream_down_alert_minutes: float = Field(default=5, gt=0, le=7 * 24 * 60)
    daily_report_at: time | None = time(9, 0)  # UTC; None: no daily report

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

    @field_validator("cloudruby_app_id", "kumquat_partner_no", "deposit_address", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "bot_token",
        "cloudruby_app_secret",
        "energy_api_key",
        "energy_api_secret",
        "kumquat_sign_key",
        "shop_api_key",
        "acedata_token",
        "trongrid_api_key",
        "admin_chat_id",
        "public_base_url",
        "kumquat_base_url",
        mode="before",
    )
    @classmethod
    def _empty_secret_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("deposit_address")
    @classmethod
    def _tron_address(cls, value: str | None) -> str | None:
        if value is not None and not is_tron_address(value):
            raise ValueError("expected a TRON address (base58check, starting with T)")
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

    @field_validator("cloudruby_repay_after_seconds")
    @classmethod
    def _repay_outlasts_a_call(cls, value: float, info: ValidationInfo) -> float:
        # A cloud order still unpaid upstream this long after a pay whose answer was lost is paid
        # again: sooner, and the first pay could still be on its way.
        timeout = info.data.get("upstream_timeout_seconds")
        if timeout is not None and value < timeout:
            raise ValueError(f"must be at least UPSTREAM_TIMEOUT_SECONDS ({timeout:g})")
        return value

    def require_bot_token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError("BOT_TOKEN is not set: put the token from @BotFather in BOT_TOKEN")
        return self.bot_token.get_secret_value()

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids


def load_settings(**overrides: object) -> Settings:
    """Read the configuration, turning a validation failure into one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        extra = len(exc.errors()) - 1
        more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{variable} is invalid: {message}{more}") from None


def without_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus every variable the shop's settings read: what a bot of the demo or
    of a test starts from, so an operator's own configuration cannot leak into it."""
    names = {name.upper() for name in Settings.model_fields}
    return {name: value for name, value in environ.items() if name.upper() not in names}
