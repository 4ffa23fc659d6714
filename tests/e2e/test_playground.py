"""The playground in headless Chromium: `python -m bot demo` as a visitor runs it, driven by a
browser the way a person uses it, asserting on what the page shows.

Alice tops up by a USDT transfer sent from the sandbox panel, buys a cloud recharge and an account
pack, downloads the accounts file; then, as the operator in the admin group, `/stats` shows both
sales. The screenshot in the README comes from here (`make screenshot`).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.demo import running_demo

CHROMIUM = Path("/usr/bin/chromium")
# Without these Chromium calls home at start, and this machine's closed network refuses it.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STEP_TIMEOUT_MS = 15_000
SCREENSHOT = os.environ.get("PLAYGROUND_SCREENSHOT")  # set by `make screenshot`

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Chromium is not installed at /usr/bin/chromium (Debian's chromium package); "
    "`make test` installs it where apt-get can run",
)


@pytest_asyncio.fixture
async def demo(tmp_path: Path) -> AsyncIterator[str]:
    async with running_demo(tmp_path) as playground:
        yield playground


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        yield chromium
        await chromium.close()


async def bot_says(page: Page, text: str) -> None:
    """Wait until a message of the bot on screen shows `text`."""
    await expect(page.locator(".message.bot", has_text=text).last).to_be_visible()


async def press(page: Page, *labels: str) -> None:
    """Press the inline buttons labelled exactly so, one after the other, each on the latest
    message that has it; each press is through (Telegram took it) before the next."""
    for label in labels:
        exactly = re.compile(f"^{re.escape(label)}$")
        async with page.expect_response(lambda response: response.url.endswith("/press")):
            await page.locator(".message .key").filter(has_text=exactly).last.click()


async def say(page: Page, text: str) -> None:
    """Type `text` and send it with Enter; returns once the bot answered after it."""
    mine = page.locator(".message.mine")
    sent = await mine.count()
    await page.get_by_label("Message").fill(text)
    await page.get_by_label("Message").press("Enter")
    await expect(mine.nth(sent)).to_contain_text(text)
    answer = mine.nth(sent).locator("xpath=following-sibling::*[contains(@class, 'bot')]")
    await expect(answer.first).to_be_visible()


async def test_a_visitor_tops_up_buys_and_checks_the_stats(
    demo: str, browser: Browser, tmp_path: Path
) -> None:
    page = await browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(STEP_TIMEOUT_MS)
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(  # a refused request shows as "Failed to load resource" in the console
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    await page.goto(demo)
    await expect(page.locator(".seat.current")).to_contain_text("Alice")
    await expect(page.locator("#mode")).to_contain_text("offline")

    # Alice starts the bot and asks to top up 20 USDT by USDT-TRC20.
    await say(page, "/start")
    await bot_says(page, "Main menu")
    await expect(page.locator(".message.mine").last).to_contain_text("/start")
    await press(page, "💰 Wallet", "💰 Top up", "💵 USDT (TRC20)", "20 USDT")
    await bot_says(page, "Send exactly 20.")
    qr = page.locator(".message.bot img.photo").last
    await expect(qr).to_be_visible()
    assert await qr.evaluate("image => image.complete && image.naturalWidth > 0")

    # The outside world: the transfer, from the sandbox panel, for exactly what was asked.
    waiting = page.locator("#deposit-requests li", has_text="Alice")
    await expect(waiting).to_contain_text("20.")
    asked = (await waiting.inner_text()).split("·")[1].split("USDT")[0].strip()
    await waiting.get_by_role("button", name="Send this transfer").click()
    await expect(page.locator("#transfers li").first).to_contain_text(f"{asked} USDT")
    await bot_says(page, f"{asked} USDT added to your balance")
    await expect(page.locator("#deposit-requests")).to_contain_text("Nobody has asked")

    # A Tencent Cloud recharge of 10 USD.
    await say(page, "/start")
    await press(page, "☁️ Cloud recharge", "Tencent Cloud")
    await say(page, "200000000000")
    await bot_says(page, "Tencent Cloud account 200000000000")
    await press(page, "10 USD")
    await bot_says(page, "You pay 10.50 USDT from your balance")
    await press(page, "✅ Confirm and pay")
    await bot_says(page, "10.00 USD added to Tencent Cloud account 200000000000")

    # Five Facebook accounts, delivered as a file.
    await say(page, "/start")
    await press(page, "🛒 Accounts", "Facebook", "Clone US · 300 VND · 850 left", "5")
    await bot_says(page, "You pay 0.07 USDT from your balance")
    await press(page, "✅ Confirm and pay")
    await bot_says(page, "5 × Clone US; the accounts are in the file")
    document = page.locator(".message.bot a.document").last
    await expect(document).to_contain_text("accounts-")
    async with page.expect_download() as download_info:
        await document.click()
    download = await download_info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert re.fullmatch(r"accounts-[\w-]+\.txt", saved.name), saved.name
    accounts = saved.read_text().splitlines()
    assert len(accounts) == 5 and all(line.strip() for line in accounts), accounts
    if SCREENSHOT:
        await page.screenshot(path=SCREENSHOT)

    # The operator, in the admin group, sees both sales and the deposits.
    await page.locator(".seat", has_text="Shop operators").click()
    await expect(page.locator("#chat-title")).to_have_text("Shop operators")
    await say(page, "/stats")
    await bot_says(page, "All lines: 2 placed, 2 delivered")
    stats = page.locator(".message.bot").last
    await expect(stats).to_contain_text("cloud: 1 placed, 1 delivered · revenue 10.50 USDT")
    await expect(stats).to_contain_text("accounts: 1 placed, 1 delivered · revenue 0.07 USDT")
    await expect(stats).to_contain_text(f"Deposits: {100 + int(float(asked))}.00 USDT in 2")

    # Bob types HTML where his cloud UID goes: the page shows it as typed, never as markup.
    await page.locator(".seat", has_text="Bob").click()
    await say(page, "/start")
    await bot_says(page, "Balance: 100.00 USDT")
    await press(page, "☁️ Cloud recharge", "Tencent Cloud")
    await say(page, "<b>2000</b><img src=x onerror=alert(1)>")
    await bot_says(page, "A Tencent Cloud UID is 5 to 20 digits")
    await expect(page.locator(".message.mine").last).to_contain_text(
        "<b>2000</b><img src=x onerror=alert(1)>"
    )
    assert await page.locator("#messages b, #messages img").count() == 0

    # Back to Alice: her chat kept everything, and nothing on the page failed.
    await page.locator(".seat", has_text="Alice").click()
    await expect(page.locator(".message.bot a.document")).to_have_count(1)
    assert errors == []
