"""Configuration from the environment; a bad value is one line naming the variable."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.config import ConfigError, load_settings
from bot.services.lines.accounts import AccountsSettings
from bot.services.lines.cloud import CloudSettings
from bot.services.lines.energy import EnergySettings
from bot.services.lines.topup import TopupSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    for name in (
        "BOT_TOKEN",
        "ADMIN_IDS",
        "ADMIN_CHAT_ID",
        "WEB_PORT",
        "STARS_RATE",
        "SHOP_CURRENCY",
        "DATABASE_PATH",
        "TELEGRAM_API_BASE",
        "KUMQUAT_BASE_URL",
        "CLOUDRUBY_APP_SECRET",
        "UPSTREAM_TIMEOUT_SECONDS",
        "RECONCILE_EVERY_SECONDS",
        "REVIEW_AFTER_MINUTES",
        "CLOUDRUBY_REPAY_AFTER_SECONDS",
        "ENERGY_LOW_BALANCE_TRX",
        "KUMQUAT_LOW_BALANCE",
        "PROVIDER_CHECK_EVERY_SECONDS",
        "UPSTREAM_DOWN_ALERT_MINUTES",
        "DAILY_REPORT_AT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_path == Path("data/storefront.sqlite3")
    assert str(settings.telegram_api_base) == "https://api.telegram.org/"
    assert settings.admin_ids == frozenset()
    assert settings.line(TopupSettings).kumquat_base_url is None
    assert settings.line(AccountsSettings).shop_currency == "VND"
    repay_after = settings.line(CloudSettings).cloudruby_repay_after_seconds
    assert (settings.upstream_timeout_seconds, repay_after) == (20, 60)
    assert (settings.reconcile_every_seconds, settings.review_after_minutes) == (15, 30)
    low_balances = (
        settings.line(EnergySettings).energy_low_balance_trx,
        settings.line(TopupSettings).kumquat_low_balance,
    )
    assert low_balances == (
        Decimal(100),
        Decimal(50),
    )
    assert (settings.provider_check_every_seconds, settings.upstream_down_alert_minutes) == (60, 5)
    assert settings.daily_report_at == time(9, 0)


def test_values_from_the_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "1, 2,3")
    Path(".env").write_text("ADMIN_CHAT_ID=-100123\nCLOUDRUBY_APP_SECRET=\n")
    settings = load_settings()
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert settings.admin_chat_id == -100123
    assert settings.line(CloudSettings).cloudruby_app_secret is None
    assert settings.is_admin(2) and not settings.is_admin(4)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WEB_PORT", "eighty"),
        ("WEB_PORT", "70000"),
        ("ADMIN_IDS", "12,abc"),
        ("STARS_RATE", "-1"),
        ("SHOP_CURRENCY", "dong"),
        ("TELEGRAM_API_BASE", "not a url"),
        ("ADMIN_CHAT_ID", "the group"),
        ("UPSTREAM_TIMEOUT_SECONDS", "0"),
        ("RECONCILE_EVERY_SECONDS", "soon"),
        ("REVIEW_AFTER_MINUTES", "-5"),
        ("CLOUDRUBY_REPAY_AFTER_SECONDS", "5"),
        ("ENERGY_LOW_BALANCE_TRX", "-1"),
        ("ENERGY_LOW_BALANCE_TRX", "a lot"),
        ("KUMQUAT_LOW_BALANCE", "0.0000001"),
        ("KUMQUAT_LOW_BALANCE", "inf"),
        ("PROVIDER_CHECK_EVERY_SECONDS", "0"),
        ("PROVIDER_CHECK_EVERY_SECONDS", "1m"),
        ("UPSTREAM_DOWN_ALERT_MINUTES", "-1"),
        ("DAILY_REPORT_AT", "9am"),
        ("DAILY_REPORT_AT", "24:00"),
        ("DAILY_REPORT_AT", "09:60"),
        ("DAILY_REPORT_AT", "9:00"),
        ("DAILY_REPORT_AT", "09:00:00.5"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"{variable} is invalid: ")
    assert "\n" not in message


def test_the_token_is_required_to_run_and_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        load_settings().require_bot_token()
    monkeypatch.setenv("BOT_TOKEN", "123:very-secret")
    settings = load_settings()
    assert settings.require_bot_token() == "123:very-secret"
    assert "very-secret" not in repr(settings)


def test_paying_again_waits_at_least_one_upstream_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSTREAM_TIMEOUT_SECONDS", "30")
    monkeypatch.setenv("CLOUDRUBY_REPAY_AFTER_SECONDS", "20")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == (
        "CLOUDRUBY_REPAY_AFTER_SECONDS is invalid: must be at least UPSTREAM_TIMEOUT_SECONDS (30)"
    )
    monkeypatch.setenv("CLOUDRUBY_REPAY_AFTER_SECONDS", "30")
    assert load_settings().line(CloudSettings).cloudruby_repay_after_seconds == 30


@pytest.mark.parametrize(
    ("value", "expected"),
    [("09:00", time(9, 0)), ("23:59:58", time(23, 59, 58)), (" 00:00 ", time(0, 0)), ("", None)],
)
def test_the_daily_report_time(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: time | None
) -> None:
    monkeypatch.setenv("DAILY_REPORT_AT", value)
    assert load_settings().daily_report_at == expected


def test_the_upstream_watch_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (
        ("ENERGY_LOW_BALANCE_TRX", "250.5"),
        ("KUMQUAT_LOW_BALANCE", "0"),
        ("PROVIDER_CHECK_EVERY_SECONDS", "0.5"),
        ("UPSTREAM_DOWN_ALERT_MINUTES", "0.05"),
    ):
        monkeypatch.setenv(name, value)
    settings = load_settings()
    low_balances = (
        settings.line(EnergySettings).energy_low_balance_trx,
        settings.line(TopupSettings).kumquat_low_balance,
    )
    assert low_balances == (
        Decimal("250.5"),
        Decimal(0),
    )
    assert (settings.provider_check_every_seconds, settings.upstream_down_alert_minutes) == (
        0.5,
        0.05,
    )


def test_a_bad_daily_report_time_says_what_is_expected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAILY_REPORT_AT", "noon")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value) == (
        "DAILY_REPORT_AT is invalid: expected a UTC time of day as HH:MM or HH:MM:SS, like 09:00"
    )
