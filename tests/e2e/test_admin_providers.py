"""The upstreams as the operators see them in the admin group: `/providers`, the alerts of the
upstream watch (a low balance, an upstream in trouble and back), the daily report, and the button
on an alert about one order that shows the order's card."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sandbox.faults import FaultPlan
from sandbox.telegram import ChatDriver, ChatMessage
from storage.orders import OrderStatus
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, new_customer, orders_of
from tests.e2e.harness import ADMIN_ID, Shop

WAIT = 30.0  # generous: a check may wait out a timeout; the watch takes several rounds

ALL_ANSWER = (
    "Cloud recharge: ✅ answers · no balance in its API",
    "TRON energy: ✅ answers · balance 86.52 TRX · alert under 50 TRX",
    "KUMQUAT top-up: ✅ answers · balance 1000 USD · ⚠️ low: alert under 2000 USD",
    "Account shop: ✅ answers · no balance in its API",
    "AceData: ⚪ not configured",
)


@asynccontextmanager
async def shop_with(folder: Path, **env: str) -> AsyncIterator[Shop]:
    """A shop of the test's own, its bot started with `env` on top of the usual."""
    running = Shop(folder, extra_env=env)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def rows(message: ChatMessage) -> list[str]:
    return message.text.splitlines()


async def requests_seen(plan: FaultPlan, path: str, count: int) -> None:
    """Wait until upstream got `count` more requests for `path`, counted by a fault that changes
    nothing (answered at once, as usual)."""
    plan.add("slow", path=path, times=count, seconds=0)
    for _ in range(int(WAIT / 0.05)):
        if not any(fault.path == path and fault.kind == "slow" for fault in plan.faults):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"upstream was not asked {count} times in {WAIT} s")


def sent(operator: ChatDriver, what: Callable[[str], bool]) -> list[ChatMessage]:
    return [message for message in operator.bot_messages if what(message.text)]


async def test_providers_shows_each_upstream_and_checks_again(tmp_path: Path) -> None:
    env = {"ENERGY_LOW_BALANCE_TRX": "50", "KUMQUAT_LOW_BALANCE": "2000", "ACEDATA_TOKEN": ""}
    async with shop_with(tmp_path, **env) as shop:
        boss = shop.admin()
        await boss.send("/providers")
        shown = await boss.wait_for_bot()
        assert rows(shown)[0].startswith("🔌 Upstreams (checked ")
        assert rows(shown)[1:] == list(ALL_ANSWER)
        assert shown.labels == ["🔄 Check again"]

        shop.energy.balance = 12_345_678  # sun: 12.345678 TRX
        shop.topup.balance += 1500
        await boss.press("🔄 Check again", message_id=shown.message_id)
        again = await boss.wait_until(lambda m: "12.345678" in m.text)
        assert again.message_id == shown.message_id and again.edited
        assert "TRON energy: ✅ answers · balance 12.345678 TRX · ⚠️ low: alert under 50 TRX" in (
            again.text
        )
        assert "KUMQUAT top-up: ✅ answers · balance 2500 USD · alert under 2000 USD" in again.text
        assert again.labels == ["🔄 Check again"]


async def test_providers_tells_no_answer_from_a_refusal(tmp_path: Path) -> None:
    async with shop_with(tmp_path) as shop:
        boss = shop.admin()
        await shop.stop_upstream("accounts")
        shop.energy.plan.add("5xx", path="/v1/balance", times=100)
        shop.cloud.plan.add("hang", path="/api/orders/*", times=100, seconds=5)
        shop.topup.plan.add(
            "answer",
            path="/api/code/2.0/balance",
            times=100,
            body={"returnCode": "FAIL", "returnMsg": "签名错误", "errorCode": "JU9994"},
        )
        await boss.send("/providers")
        shown = await boss.wait_for_bot(timeout=WAIT)
        assert "Account shop: ❌ no answer: cannot connect · no balance in its API" in shown.text
        assert "TRON energy: ❌ no answer: server error (HTTP 502) · alert under 100 TRX" in (
            shown.text
        )
        # Bounded by UPSTREAM_TIMEOUT_SECONDS (2 in these tests), whoever gives up first.
        assert any(
            f"Cloud recharge: ❌ no answer: {why} · no balance in its API" in shown.text
            for why in ("timed out after 2 s", "timed out")
        ), shown.text
        assert (
            "KUMQUAT top-up: ⛔ answers, but refuses our credentials: bad_signature (code JU9994)"
            " · alert under 50" in shown.text
        )
        assert "AceData: ✅ answers · no balance in its API" in shown.text

        await shop.restart_upstream("accounts")
        for simulator in (shop.energy, shop.cloud, shop.topup):
            simulator.plan.clear()
        await boss.press("🔄 Check again", message_id=shown.message_id)
        again = await boss.wait_until(lambda m: "❌" not in m.text and "⛔" not in m.text, WAIT)
        assert again.message_id == shown.message_id
        assert "Account shop: ✅ answers" in again.text
        assert "KUMQUAT top-up: ✅ answers · balance 1000 USD · alert under 50 USD" in again.text


async def test_a_low_balance_is_told_once_and_again_after_a_top_up(tmp_path: Path) -> None:
    env = {"ENERGY_LOW_BALANCE_TRX": "100", "PROVIDER_CHECK_EVERY_SECONDS": "0.3"}
    async with shop_with(tmp_path, **env) as shop:
        boss = shop.admin()
        first = await boss.wait_until(lambda m: "balance is low" in m.text, WAIT)
        assert first.text == (
            "⚠️ TRON energy balance is low: 86.52 TRX, under the 100 TRX threshold. Top it up "
            "before orders start failing."
        )
        await requests_seen(shop.energy.plan, "/v1/balance", 5)  # still low: nothing new
        shop.energy.balance = 150_000_000  # topped up: 150 TRX
        await requests_seen(shop.energy.plan, "/v1/balance", 3)
        shop.energy.balance = 40_000_000  # and spent again
        await boss.wait_until(lambda m: "balance is low: 40 TRX" in m.text, WAIT)
        await requests_seen(shop.energy.plan, "/v1/balance", 3)
        lows = sent(boss, lambda text: "balance is low" in text)
        assert [m.text.split(",")[0] for m in lows] == [
            "⚠️ TRON energy balance is low: 86.52 TRX",
            "⚠️ TRON energy balance is low: 40 TRX",
        ]
        assert not sent(boss, lambda text: "KUMQUAT" in text)  # 1000 USD, over its 50


async def test_an_upstream_in_trouble_is_told_after_the_minutes_and_when_back(
    tmp_path: Path,
) -> None:
    env = {
        "ENERGY_LOW_BALANCE_TRX": "0",
        "PROVIDER_CHECK_EVERY_SECONDS": "0.5",
        "UPSTREAM_DOWN_ALERT_MINUTES": "0.05",
    }
    async with shop_with(tmp_path, **env) as shop:
        boss = shop.admin()
        shop.energy.plan.add("5xx", path="/v1/balance", times=1_000_000)
        down = await boss.wait_until(lambda m: "TRON energy: no answer" in m.text, WAIT)
        assert down.text.startswith("⚠️ TRON energy: no answer: server error (HTTP 502), since ")
        assert "UTC (over 0.05 minutes). Its orders fail or wait meanwhile" in down.text
        [gateway_error] = shop.energy.plan.faults
        asked = gateway_error.times
        for _ in range(int(WAIT / 0.05)):  # a few more checks, each asking up to three times
            if asked - gateway_error.times >= 6:
                break
            await asyncio.sleep(0.05)
        assert len(sent(boss, lambda text: "TRON energy: no answer" in text)) == 1

        shop.energy.plan.clear()
        back = await boss.wait_until(lambda m: "works again" in m.text, WAIT)
        assert back.text.startswith("✅ TRON energy works again (in trouble since ")
        await requests_seen(shop.energy.plan, "/v1/balance", 3)
        assert len(sent(boss, lambda text: "works again" in text)) == 1
        assert len(sent(boss, lambda text: "TRON energy: no answer" in text)) == 1
        others = sent(boss, lambda text: "TRON energy" not in text)
        assert others == [], [m.text for m in others]


async def test_the_daily_report_arrives_at_its_time(tmp_path: Path) -> None:
    # Far enough ahead that a bot slow to start (two test workers on two cores) has its jobs
    # scheduled before then: a time already past is tomorrow's.
    at = datetime.now(UTC) + timedelta(seconds=30)
    async with shop_with(tmp_path, DAILY_REPORT_AT=f"{at:%H:%M:%S}") as shop:
        boss = shop.admin()
        buyer, _ = await cloud_confirmation(shop, 100 * USDT)
        await buyer.press(CONFIRM)
        await buyer.wait_until(lambda m: "Done!" in m.text)
        report = await boss.wait_until(lambda m: "Daily report" in m.text, timeout=60)
        lines = rows(report)
        assert lines[0].startswith("📅 Daily report: the 24 hours to ")
        assert lines[1:6] == [
            "cloud: 1 placed, 1 delivered · revenue 10.50 USDT · cost 10.00 USDT · "
            "margin 0.50 USDT",
            "All lines: 1 placed, 1 delivered · revenue 10.50 USDT · cost 10.00 USDT · "
            "margin 0.50 USDT",
            "New customers: 1",
            "Deposits: 100.00 USDT in 1",
            "🔎 Review queue: empty",
        ]
        assert lines[6] == "Upstreams"
        assert "TRON energy: ✅ answers · balance 86.52 TRX · ⚠️ low: alert under 100 TRX" in (lines)
        assert "Cloud recharge: ✅ answers · no balance in its API" in lines


async def test_providers_answers_only_operators_in_the_group(shop: Shop) -> None:
    visitor = shop.group_visitor()
    seen = len(visitor.bot_messages)
    await visitor.send("/providers")
    await visitor.settle()
    assert len(visitor.bot_messages) == seen  # nothing at all, not even a refusal

    boss = shop.admin()
    await boss.send("/providers")
    shown = await boss.wait_for_bot()
    before = shown.text
    check_again = shown.buttons[0][0].callback_data
    assert check_again is not None
    await visitor.press_data(check_again, message_id=shown.message_id)
    await visitor.settle()
    assert boss.chat.messages[shown.message_id].text == before
    assert all(not answer.get("text") for answer in visitor.callback_answers)

    operator_alone = shop.emulator.private_chat(
        ADMIN_ID, first_name="Operator", username="boss", language_code="en"
    )
    await operator_alone.send("/providers")
    reply = await operator_alone.wait_for_bot()
    assert "I didn't understand that" in reply.text and "Upstreams" not in reply.text


async def test_a_reversal_alert_shows_the_order_card(shop: Shop) -> None:
    shop.topup.process_seconds = shop.topup.callback_delay = 0.02
    boss = shop.admin()
    customer = await new_customer(shop, 10 * USDT)
    await customer.press("📱 Mobile top-up")
    await customer.wait_for_bot()
    await customer.send("254771114118")
    await customer.wait_for_bot()
    await customer.press("📶 Airtime")
    await customer.wait_for_bot()
    await customer.press("100 KES · 0.79 USDT")
    await customer.wait_for_bot()
    await customer.press(CONFIRM)
    await customer.wait_until(lambda m: "Done!" in m.text)
    [(order_id, _)] = await orders_of(shop, customer.user_id)

    shop.topup.reverse(shop.topup.orders[order_id].serial_no)
    alert = await boss.wait_until(lambda m: order_id in m.text and "reversed" in m.text)
    assert alert.labels == ["🧾 Show the order"]
    await boss.press("🧾 Show the order", message_id=alert.message_id)
    card = await boss.wait_for_bot()
    assert card.reply_to_message_id == alert.message_id
    assert rows(card)[0] == f"🧾 Order {order_id} · topup"
    assert "Charge: 0.79 USDT · status reversed" in card.text
    assert "History (UTC):" in card.text
    assert "succeeded → reversed · system · reversed by upstream" in card.text
    assert card.labels == []
    assert await orders_of(shop, customer.user_id) == [(order_id, OrderStatus.REVERSED)]
