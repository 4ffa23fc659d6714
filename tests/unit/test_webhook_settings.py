"""Webhook mode's settings: the mode, the secret, the URL; a bad one is one line naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.config import ConfigError, load_settings
from tests.unit.test_cli import run_bot

SECRET = "Sh0p_webhook-SECRET"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    for name in (
        "BOT_MODE",
        "WEBHOOK_SECRET",
        "WEBHOOK_PATH",
        "WEBHOOK_DROP_PENDING_UPDATES",
        "PUBLIC_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)


def test_polling_is_the_default_and_pending_updates_are_kept() -> None:
    settings = load_settings()
    assert settings.bot_mode == "polling"
    assert settings.webhook_drop_pending_updates is False


def test_the_webhook_is_at_the_public_url_and_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example.com/")
    webhook = load_settings().require_webhook()
    assert webhook.url == "https://shop.example.com/telegram/webhook"
    assert webhook.path == "/telegram/webhook"
    assert webhook.secret == SECRET
    assert webhook.drop_pending_updates is False
    assert SECRET not in repr(webhook) and SECRET not in repr(load_settings())

    monkeypatch.setenv("WEBHOOK_PATH", "/hooks/tg")
    monkeypatch.setenv("WEBHOOK_DROP_PENDING_UPDATES", "true")
    webhook = load_settings().require_webhook()
    assert webhook.url == "https://shop.example.com/hooks/tg"
    assert webhook.drop_pending_updates is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BOT_MODE", "webhooks"),
        ("BOT_MODE", "long-polling"),
        ("WEBHOOK_SECRET", "has space"),
        ("WEBHOOK_SECRET", "dots.are.refused"),
        ("WEBHOOK_SECRET", "x" * 257),
        ("WEBHOOK_SECRET", "ünïcode"),
        ("WEBHOOK_SECRET", "Q"),
        ("WEBHOOK_SECRET", "0123456789abcde"),  # 15: too short to be the operators' only guard
        ("WEBHOOK_PATH", "telegram/webhook"),
        ("WEBHOOK_PATH", "/"),
        ("WEBHOOK_PATH", "/a b"),
        ("WEBHOOK_DROP_PENDING_UPDATES", "perhaps"),
    ],
)
def test_a_bad_value_names_its_variable_and_never_shows_a_secret(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith(f"{variable} is invalid: ")
    assert "\n" not in message
    if variable == "WEBHOOK_SECRET":
        assert value not in message
        assert "`openssl rand -hex 32`" in message


def test_the_shortest_secret_taken_is_16_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "0123456789abcdef")
    assert load_settings().webhook_secret is not None


def test_the_longest_secret_telegram_takes_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "A-z_9" * 51 + "x")  # 256 characters
    assert load_settings().webhook_secret is not None


@pytest.mark.parametrize(
    ("missing", "names"),
    [("WEBHOOK_SECRET", "WEBHOOK_SECRET is not set"), ("PUBLIC_BASE_URL", "PUBLIC_BASE_URL")],
)
def test_webhook_mode_requires_its_secret_and_public_url(
    monkeypatch: pytest.MonkeyPatch, missing: str, names: str
) -> None:
    given = {"WEBHOOK_SECRET": SECRET, "PUBLIC_BASE_URL": "https://shop.example.com"}
    for variable, value in given.items():
        if variable != missing:
            monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=names) as refused:
        load_settings().require_webhook()
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("args", "env"),
    [(("run", "--webhook"), {}), (("run",), {"BOT_MODE": "webhook"})],
)
def test_run_in_webhook_mode_without_its_secret_stops_in_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    result = run_bot(
        *args,
        cwd=tmp_path,
        BOT_TOKEN="123:secret-token",
        PUBLIC_BASE_URL="https://shop.example.com",
        **env,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("configuration error: WEBHOOK_SECRET is not set")
    assert "Traceback" not in result.stdout + result.stderr


def test_run_with_a_bad_secret_never_prints_it(tmp_path: Path) -> None:
    forged = "leaked secret with spaces"
    result = run_bot("run", "--webhook", cwd=tmp_path, BOT_TOKEN="1:t", WEBHOOK_SECRET=forged)
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: WEBHOOK_SECRET is invalid: ")
    assert forged not in result.stdout + result.stderr
