"""Steps many end-to-end tests share: a new customer with money, the cloud recharge flow up to its
confirmation screen, and a look at the customer's orders and wallet."""

from __future__ import annotations

from sandbox.energy import DOCUMENT_ADDRESS
from sandbox.telegram import ChatDriver, ChatMessage
from tests.e2e.harness import Shop

USDT = 1_000_000
CONFIRM = "✅ Confirm and pay"
TENCENT_UID = "200000000000"  # the cloud simulator's plain Tencent account, rate 1.00
# 65,000 energy for 1 hour: 65,000 × 36 sun = 2.34 TRX, at 0.25 USDT and 10 % markup = 0.65 USDT.
ONE_HOUR = "1 hour · 0.65 USDT"
ENERGY_CHARGE = 650_000


async def new_customer(shop: Shop, balance: int, name: str = "Cleo") -> ChatDriver:
    """A customer who opened the shop and, if `balance`, has that much in the wallet."""
    customer = shop.customer(name)
    await customer.send("/start")
    await customer.wait_for_bot()
    if balance:
        await shop.deposit(customer, balance, key=f"e2e-deposit-{customer.user_id}")
    return customer


async def cloud_account(customer: ChatDriver, cloud: str, uid: str) -> ChatMessage:
    """Open cloud recharge, choose `cloud` and send `uid`; returns the bot's answer."""
    await customer.press("☁️ Cloud recharge")
    await customer.wait_for_bot()
    await customer.press(cloud)
    await customer.wait_for_bot()
    await customer.send(uid)
    return await customer.wait_for_bot()


async def cloud_confirmation(
    shop: Shop, balance: int, *, uid: str = TENCENT_UID, amount: str = "10 USD"
) -> tuple[ChatDriver, ChatMessage]:
    """A new customer at the confirmation screen of a Tencent Cloud recharge."""
    customer = await new_customer(shop, balance)
    await cloud_account(customer, "Tencent Cloud", uid)
    await customer.press(amount)
    return customer, await customer.wait_for_bot()


async def energy_address(customer: ChatDriver, address: str) -> ChatMessage:
    """Open TRON energy and send `address`; returns the bot's answer."""
    await customer.press("⚡ TRON energy")
    await customer.wait_for_bot()
    await customer.send(address)
    return await customer.wait_for_bot()


async def energy_confirmation(
    shop: Shop, balance: int, address: str = DOCUMENT_ADDRESS
) -> tuple[ChatDriver, ChatMessage]:
    """A new customer at the confirmation of 65,000 energy for 1 hour to `address`."""
    customer = await new_customer(shop, balance)
    await energy_address(customer, address)
    await customer.press("65,000 energy")
    await customer.wait_for_bot()
    await customer.press(ONE_HOUR)
    return customer, await customer.wait_for_bot()


async def orders_of(shop: Shop, user_id: int) -> list[tuple[str, str]]:
    """(order id, status) of each of a customer's orders, oldest first."""
    rows = await shop.db.fetch_all(
        "SELECT id, status FROM orders WHERE user_id = ? ORDER BY created_at", (user_id,)
    )
    return [(row["id"], row["status"]) for row in rows]


async def wallet_of(shop: Shop, customer: ChatDriver) -> tuple[int, int]:
    """(available, held) in micro-USDT."""
    balance = await shop.ledger.balance(customer.user_id)
    return balance.available, balance.held


async def wallet_screen(customer: ChatDriver) -> ChatMessage:
    """/start, then the wallet; returns it."""
    await customer.send("/start")
    await customer.wait_for_bot()
    await customer.press("💰 Wallet")
    return await customer.wait_for_bot()


async def top_up_way(customer: ChatDriver, way: str) -> ChatMessage:
    """The wallet, Top up, then the way in labelled `way`; returns its first screen."""
    await wallet_screen(customer)
    await customer.press("💰 Top up")
    ways = await customer.wait_for_bot()
    assert way in ways.labels, ways.labels
    await customer.press(way)
    return await customer.wait_for_bot()


async def operator_says(shop: Shop, command: str, expected: str) -> str:
    """An operator's command in the admin group; its answer, which must contain `expected`."""
    boss = shop.admin()
    await boss.send(command)
    answer = await boss.wait_for_bot()
    assert expected in answer.text, answer.text
    return answer.text
