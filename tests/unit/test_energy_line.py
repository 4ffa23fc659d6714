"""How the energy line reads the upstream's refusals and its catalogue, without the network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from fractions import Fraction
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services.lines.energy import EnergyLine, EnergyOffer
from bot.services.lines.registry import default_markups
from bot.services.orders import Failure
from bot.services.pricing import Pricing
from providers.energy import EnergyAccount, EnergyClient, EnergyOrder, EnergyPrice
from providers.outcomes import Outcome, Reply
from storage.settings import SettingsStore
from storage.sqlite import SqliteDatabase


@pytest_asyncio.fixture
async def line(tmp_path: Path) -> AsyncIterator[EnergyLine]:
    async with SqliteDatabase(tmp_path / "shop.sqlite3") as db:
        client = EnergyClient("http://127.0.0.1:9", "key", "secret")
        yield EnergyLine(client, Pricing(SettingsStore(db), default_markups()))
        await client.close()


def test_the_offer_keeps_only_usable_periods() -> None:
    account = EnergyAccount.model_validate(
        {
            "platformAvailEnergy": 1,
            "minimumOrderEnergy": 65_000,
            "balance": 0,
            "prices": [
                {"period": "1H", "price": 36},
                {"period": "7D", "price": 0},
                {"period": "1:D", "price": 5},
                {"period": "30D", "price": 2_400},
            ],
        }
    )
    assert EnergyOffer.of(account) == EnergyOffer(65_000, 1, {"1H": 36, "30D": 2_400})
    assert EnergyPrice(period="1H", price=36).price == 36


def _refusal(code: str, reason: str, message: str) -> Reply[object]:
    return Reply(Outcome.REJECTED, reason=reason, upstream_code=code, message=message)


@pytest.mark.parametrize(
    "message", ["接收地址未激活", "Receive address is not activated", "address INACTIVE"]
)
def test_an_inactive_address_is_told_apart_from_other_parameter_errors(
    line: EnergyLine, message: str
) -> None:
    refused = line._refused(_refusal("10001", "invalid_parameters", message))
    assert refused.outcome == Outcome.REJECTED
    assert refused.reason == "inactive_address"
    assert refused.details == {"energy_failure": "inactive_address"}
    assert refused.alert is None


def test_another_parameter_error_uses_the_shared_words(line: EnergyLine) -> None:
    refused = line._refused(_refusal("10001", "invalid_parameters", "energyAmount参数错误"))
    assert refused.details == {} and refused.failure == Failure.NOT_DELIVERED


def test_a_short_upstream_balance_alerts_and_says_why(line: EnergyLine) -> None:
    refused = line._refused(_refusal("600005", "upstream_balance_insufficient", "余额不足"))
    assert refused.failure == Failure.SUPPLIER_UNAVAILABLE
    assert refused.details == {"energy_failure": "upstream_balance"}
    assert refused.alert is not None and "top up the energy account" in refused.alert


def test_no_resources_is_explained_without_an_alert(line: EnergyLine) -> None:
    refused = line._refused(_refusal("600006", "no_resources", "资源不足"))
    assert refused.details == {"energy_failure": "no_resources"} and refused.alert is None


def test_the_refund_share_follows_what_upstream_gave_back() -> None:
    def ended(status: str, refund: int) -> tuple[Fraction | None, str | None]:
        info = EnergyOrder.model_validate(
            {
                "orderNo": "1",
                "outTradeNo": "2",
                "receiveAddress": "T",
                "energyAmount": 65_000,
                "period": "1H",
                "amount": 2_340_000,
                "status": status,
                "refundAmount": refund,
            }
        )
        submission = EnergyLine._settled(Reply(Outcome.REJECTED, info), info)
        return submission.refund_share, submission.alert

    assert ended("ABORT", 2_340_000) == (None, None)  # everything back: the hold is released
    assert ended("BREAK_OFF", 1_170_000) == (Fraction(1, 2), None)
    assert ended("BREAK_OFF", 0) == (Fraction(0), None)
    share, alert = ended("ABORT", 585_000)
    assert share == Fraction(1, 4) and alert is not None and "ABORT" in alert
