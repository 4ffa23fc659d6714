"""My orders, as a customer sees it: only their own orders, newest first, paged, with details."""

from __future__ import annotations

from storage.orders import OrderStatus, OrderStore
from tests.e2e.flows import CONFIRM, USDT, cloud_confirmation, new_customer, orders_of
from tests.e2e.harness import Shop

MY_ORDERS = "📦 My orders"


async def test_a_new_customer_has_no_orders(shop: Shop) -> None:
    nina = await new_customer(shop, 0, "Nina")
    await nina.press(MY_ORDERS)
    empty = await nina.wait_for_bot()
    assert "You have no orders yet." in empty.text
    assert empty.labels == ["⬅️ Back"]


async def test_orders_are_listed_newest_first_with_their_details(shop: Shop) -> None:
    ola, _ = await cloud_confirmation(shop, 100 * USDT)
    await ola.press(CONFIRM)
    await ola.wait_until(lambda m: "Done!" in m.text)
    await ola.press("🏠 Main menu")
    await ola.wait_for_bot()
    await ola.press("☁️ Cloud recharge")
    await ola.wait_for_bot()
    await ola.press("Tencent Cloud")
    await ola.wait_for_bot()
    await ola.send("200000000409")  # its recharge fails: refunded
    await ola.wait_for_bot()
    await ola.press("50 USD")
    await ola.wait_for_bot()
    await ola.press(CONFIRM)
    await ola.wait_until(lambda m: "could not be completed" in m.text)
    await ola.send("/start")
    await ola.wait_for_bot()

    await ola.press(MY_ORDERS)
    listed = await ola.wait_for_bot()
    assert "page 1 of 1" in listed.text
    failed, done = listed.labels[:2]
    assert failed.startswith("❌ Not completed, money returned · ☁️ Cloud recharge · 52.50 USDT")
    assert done.startswith("✅ Done · ☁️ Cloud recharge · 10.50 USDT")
    assert listed.labels[2:] == ["⬅️ Back"]

    await ola.press(done)
    detail = await ola.wait_for_bot()
    [(done_id, _), _] = await orders_of(shop, ola.user_id)
    assert f"order {done_id}" in detail.text
    assert "account 200000000000 receives 10.00 USD" in detail.text
    assert "Amount: 10.50 USDT" in detail.text
    assert "Status: ✅ Done" in detail.text
    assert "Supplier's reference: ba" in detail.text
    history = detail.text[detail.text.index("History") :]
    steps = ["🧾 Priced", "🔒 Confirmed, money set aside", "📤 Sent to the supplier", "✅ Done"]
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions)
    assert detail.labels == ["⬅️ Back", "🏠 Main menu"]

    await ola.press("⬅️ Back")
    assert "page 1 of 1" in (await ola.wait_for_bot()).text


async def test_orders_page_five_at_a_time_and_skip_unconfirmed_quotes(shop: Shop) -> None:
    pia = await new_customer(shop, 0, "Pia")
    orders = OrderStore(shop.db)
    for n in range(6):
        await orders.create(
            f"T{pia.user_id}-{n}",
            user_id=pia.user_id,
            product="cloud",
            charge=(n + 1) * USDT,
            status=OrderStatus.SUCCEEDED,
        )
    await orders.create(
        f"T{pia.user_id}-quote", user_id=pia.user_id, product="cloud", charge=99 * USDT
    )

    await pia.press(MY_ORDERS)
    first = await pia.wait_for_bot()
    assert "page 1 of 2" in first.text
    assert [label.split(" · ")[2] for label in first.labels[:5]] == [
        "6.00 USDT",
        "5.00 USDT",
        "4.00 USDT",
        "3.00 USDT",
        "2.00 USDT",
    ]
    assert first.labels[5:] == ["Older ▶️", "⬅️ Back"]
    await pia.press("Older ▶️")
    second = await pia.wait_for_bot()
    assert "page 2 of 2" in second.text
    assert second.labels[0].split(" · ")[2] == "1.00 USDT"
    assert "99.00 USDT" not in " ".join(first.labels + second.labels)


async def test_someone_elses_order_cannot_be_opened(shop: Shop) -> None:
    owner, _ = await cloud_confirmation(shop, 100 * USDT)
    await owner.press(CONFIRM)
    await owner.wait_until(lambda m: "Done!" in m.text)
    [(order_id, _)] = await orders_of(shop, owner.user_id)

    mallory = await new_customer(shop, 0, "Mallory")
    menu = mallory.last_bot_message
    assert menu is not None
    for forged in (f"myod:{order_id}:0", f"myog:{order_id}", "myod:nope:0", "myo:-5"):
        await mallory.press_data(forged, message_id=menu.message_id)
        await mallory.settle()
    answers = [answer["text"] for answer in mallory.callback_answers[-4:-1]]
    assert answers == ["⚠️ That button is not yours. Nothing was changed."] * 3
    assert mallory.last_bot_message is not None
    assert order_id not in mallory.last_bot_message.text  # "myo:-5" shows her own, empty list
    assert "You have no orders yet." in mallory.last_bot_message.text


async def test_delivered_accounts_download_again_after_a_restart(own_shop: Shop) -> None:
    quinn = await new_customer(own_shop, 10 * USDT, "Quinn")
    await quinn.press("🛒 Accounts")
    await quinn.wait_for_bot()
    await quinn.press("Facebook")
    await quinn.wait_for_bot()
    await quinn.press(contains="Clone US · ")
    await quinn.wait_for_bot()
    await quinn.press("5")
    await quinn.wait_for_bot()
    await quinn.press(CONFIRM)
    first = await quinn.wait_until(lambda m: m.document is not None)
    assert first.document is not None

    await own_shop.restart_bot()

    await quinn.send("/start")
    await quinn.wait_for_bot()
    await quinn.press(MY_ORDERS)
    listed = await quinn.wait_for_bot()
    await quinn.press(listed.labels[0])
    detail = await quinn.wait_for_bot()
    assert "5 × Clone US" in detail.text
    assert detail.labels == ["📄 Download again", "⬅️ Back", "🏠 Main menu"]
    await quinn.press("📄 Download again")
    again = await quinn.wait_until(lambda m: m.document is not None and m != first)
    assert again.document is not None
    assert again.document.file_name == first.document.file_name
    assert again.document.data == first.document.data
    assert len(again.document.data.decode().splitlines()) == 5
