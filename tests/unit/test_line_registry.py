"""Product lines declare themselves once; every list of lines is derived from their declarations.

The gift card line of the tests (`tests.e2e.giftcard`) is registered here for one test at a time
and is gone after it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from bot.services.config import ConfigError, load_settings, setting_names, without_settings
from bot.services.lines import build_lines
from bot.services.lines.base import LineSetup
from bot.services.lines.registry import default_markups, line_units, register, registered
from bot.services.pricing import Pricing
from bot.services.upstreams import Upstream, low_balance_threshold, upstreams
from bot.wiring.extra import import_extra_modules
from handlers import presenters
from handlers.lines import conversations, registered_conversation
from providers.http import Timeouts
from storage.settings import SettingsStore
from storage.sqlite import SqliteDatabase
from tests.e2e.giftcard.conversation import CONVERSATION, GIFTCARD
from tests.e2e.giftcard.line import UNIT, GiftcardLine

SHOP_LINES = ["cloud", "energy", "topup", "accounts", "acedata"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # never read a developer's .env
    for name in setting_names() | {"GIFTCARD_BASE_URL", "GIFTCARD_API_KEY"}:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def giftcard() -> Iterator[None]:
    """The tests' own line and its conversation, known to the shop for one test."""
    with registered(UNIT), registered_conversation(CONVERSATION):
        yield


def test_the_shops_lines_are_found_by_walking_the_package() -> None:
    assert [unit.key for unit in line_units()] == SHOP_LINES
    assert [conversation.key for conversation in conversations()] == SHOP_LINES
    assert list(presenters()) == SHOP_LINES
    assert [upstream.name for upstream in upstreams()] == [
        "Cloud recharge",
        "TRON energy",
        "KUMQUAT top-up",
        "Account shop",
        "AceData",
    ]


@pytest.mark.usefixtures("giftcard")
def test_a_registered_line_is_in_every_list() -> None:
    assert [unit.key for unit in line_units()] == [*SHOP_LINES, "giftcard"]
    assert [conversation.key for conversation in conversations()] == [*SHOP_LINES, "giftcard"]
    assert presenters()["giftcard"] is GIFTCARD
    assert default_markups() == {
        "cloud": Decimal(5),
        "energy": Decimal(10),
        "topup": Decimal(5),
        "accounts": Decimal(10),
        "acedata": Decimal(0),
        "giftcard": Decimal(8),
    }
    assert upstreams()[-1] == Upstream("giftcard", "Gift cards", has_balance=True, currency="USD")
    assert {"GIFTCARD_BASE_URL", "GIFTCARD_API_KEY", "GIFTCARD_LOW_BALANCE"} <= setting_names()
    assert without_settings({"GIFTCARD_API_KEY": "k", "HOME": "/home/x"}) == {"HOME": "/home/x"}


@pytest.mark.usefixtures("giftcard")
def test_a_registered_lines_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert low_balance_threshold(load_settings(), "giftcard") == Decimal(20)
    monkeypatch.setenv("GIFTCARD_LOW_BALANCE", "7.5")
    assert low_balance_threshold(load_settings(), "giftcard") == Decimal("7.5")
    monkeypatch.setenv("GIFTCARD_LOW_BALANCE", "-1")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("GIFTCARD_LOW_BALANCE is invalid: ")
    assert "\n" not in str(refused.value)


@pytest.mark.usefixtures("giftcard")
async def test_a_registered_line_is_built_only_with_its_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pricing = Pricing(SettingsStore(SqliteDatabase(tmp_path / "shop.sqlite3")), default_markups())

    def built() -> list[str]:
        return list(build_lines(LineSetup(load_settings(), pricing, Timeouts())))

    monkeypatch.setenv("GIFTCARD_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("GIFTCARD_API_KEY", "")  # empty: unset
    assert built() == []
    monkeypatch.setenv("GIFTCARD_API_KEY", "key")
    lines = build_lines(LineSetup(load_settings(), pricing, Timeouts()))
    assert list(lines) == ["giftcard"] and isinstance(lines["giftcard"], GiftcardLine)
    await lines["giftcard"].close()


def test_an_empty_value_of_a_lines_credential_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services.lines.cloud import CloudSettings

    monkeypatch.setenv("CLOUDRUBY_APP_ID", "")
    assert load_settings().line(CloudSettings).cloudruby_app_id is None
    monkeypatch.setenv("CLOUDRUBY_BASE_URL", "")  # has a default: empty is a mistake
    with pytest.raises(ConfigError, match=r"^CLOUDRUBY_BASE_URL is invalid: "):
        load_settings()


def test_a_line_is_registered_once() -> None:
    with registered(UNIT), pytest.raises(ValueError, match="registered already"):
        register(replace(UNIT, upstream="Another"))
    assert "giftcard" not in [unit.key for unit in line_units()]


def test_extra_modules_that_cannot_be_imported_are_a_configuration_error() -> None:
    assert import_extra_modules({}) == []
    with pytest.raises(ConfigError, match=r"STOREFRONT_EXTRA_MODULES names no\.such\.module"):
        import_extra_modules({"STOREFRONT_EXTRA_MODULES": "no.such.module"})


def test_the_example_configuration_documents_every_variable() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text("utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert documented == setting_names()
