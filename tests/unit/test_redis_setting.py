"""REDIS_URL: optional, a redis:// or rediss:// URL; a bad one is one line that never shows it
(it may hold a password)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.config import ConfigError, load_settings
from tests.unit.test_cli import run_bot

PASSWORD = "hunter2-s3cret"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("REDIS_KEY_PREFIX", raising=False)


def test_unset_or_empty_means_no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().redis_url is None
    monkeypatch.setenv("REDIS_URL", "")
    assert load_settings().redis_url is None


@pytest.mark.parametrize(
    "url",
    [
        "redis://127.0.0.1:6379/0",
        "redis://localhost",
        f"redis://:{PASSWORD}@cache.internal:6380/2",
        f"rediss://shop:{PASSWORD}@cache.example.com:6380",
    ],
)
def test_a_redis_url_is_taken_and_kept_secret(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("REDIS_URL", url)
    settings = load_settings()
    assert settings.redis_url is not None and settings.redis_url.get_secret_value() == url
    assert url in settings.secret_values()  # the log redacts it
    assert PASSWORD not in repr(settings)


@pytest.mark.parametrize(
    "url",
    [
        f"http://:{PASSWORD}@cache.internal:6379",
        f"unix://:{PASSWORD}@/run/redis.sock",
        f"redis://:{PASSWORD}@",
        f"redis://:{PASSWORD}@cache.internal:port",
        f"redis://:{PASSWORD}@cache.internal:6379/zero",
        f"cache.internal:6379 {PASSWORD}",
    ],
)
def test_a_bad_url_names_the_variable_and_never_the_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("REDIS_URL is invalid: expected redis://")
    assert PASSWORD not in message


def test_the_operator_reads_one_line_without_the_password(tmp_path: Path) -> None:
    result = run_bot("migrate", cwd=tmp_path, REDIS_URL=f"https://:{PASSWORD}@cache.internal")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: REDIS_URL is invalid: expected "
        "redis://[user:password@]host[:port][/db] or rediss://... (TLS)"
    ]
    assert PASSWORD not in result.stdout + result.stderr


def test_the_key_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().redis_key_prefix == "storefront"
    monkeypatch.setenv("REDIS_KEY_PREFIX", "shop-2.staging")
    assert load_settings().redis_key_prefix == "shop-2.staging"
    monkeypatch.setenv("REDIS_KEY_PREFIX", "two shops")
    with pytest.raises(ConfigError, match=r"^REDIS_KEY_PREFIX is invalid"):
        load_settings()
