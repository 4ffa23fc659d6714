"""USDT-TRC20 top-ups, found by the watch: a customer asks for an amount, sends exactly what the
bot shows to the shop's address, and the wallet is credited once the transfer is confirmed."""

from __future__ import annotations

import asyncio
import signal
import time

from sandbox.telegram.driver import ChatDriver
from sandbox.telegram.state import ChatMessage
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS, OTHER_ADDRESS
from tests.e2e.flows import (
    CONFIRM,
    USDT,
    cloud_confirmation,
    new_customer,
    top_up_way,
    wallet_of,
    wallet_screen,
)
from tests.e2e.harness import Shop

WATCH_ROUNDS = 2.0  # seconds: several checks of the watch (DEPOSIT_CHECK_EVERY_SECONDS=0.5)


async def ask_to_top_up(shop: Shop, person: ChatDriver, usdt: int | str) -> ChatMessage:
    """Wallet → Top up → an amount (a preset, or typed); returns the message with the QR code."""
    choose = await top_up_way(person, "💵 USDT (TRC20)")
    assert "Top up with USDT (TRC20)" in choose.text
    if isinstance(usdt, int) and f"{usdt} USDT" in choose.labels:
        await person.press(f"{usdt} USDT")
    else:
        await person.send(str(usdt))
    return await person.wait_until(lambda m: m.photo is not None)


def pay_amount(request: ChatMessage) -> int:
    """The exact amount the bot asked for, in micro-USDT, read from what the customer sees."""
    text = request.text.split("Send exactly ")[1].split(" USDT")[0]
    whole, _, fraction = text.partition(".")
    return int(whole) * USDT + int(fraction.ljust(6, "0"))


async def test_a_transfer_is_credited_once_even_seen_again_and_after_a_restart(
    own_shop: Shop,
) -> None:
    alice = own_shop.customer("Alice")
    request = await ask_to_top_up(own_shop, alice, 10)
    assert "Send exactly 10.000001 USDT" in request.text
    assert DEMO_DEPOSIT_ADDRESS in request.text
    assert request.photo is not None and request.photo.data.startswith(b"\x89PNG")
    assert "(30 minutes)" in request.text
    assert request.labels == ["✖️ Cancel this request", "⬅️ Back"]

    own_shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))
    credited = await alice.wait_until(lambda m: "added to your balance" in m.text)
    assert "✅ 10.000001 USDT added to your balance" in credited.text
    assert await wallet_of(own_shop, alice) == (10 * USDT + 1, 0)

    await asyncio.sleep(WATCH_ROUNDS)  # the watch reads the same transfer again and again
    await own_shop.restart_bot()
    # A zero-value transfer (address poisoning) holds nothing back; after it, one to Bob's request.
    own_shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 0)
    bob = own_shop.customer("Bob")
    second = await ask_to_top_up(own_shop, bob, 20)
    own_shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(second))
    await bob.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(own_shop, alice) == (10 * USDT + 1, 0)
    assert sum("added to your balance" in m.text for m in alice.bot_messages) == 1
    wallet = await wallet_screen(alice)
    assert "Deposit" in wallet.text and "+10.00 USDT" in wallet.text
    await own_shop.check_ledger()


async def test_an_unconfirmed_transfer_waits_for_its_confirmation(any_shop: Shop) -> None:
    bob = any_shop.customer("Bob")
    request = await ask_to_top_up(any_shop, bob, 20)
    txid = any_shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request), confirmed=False)
    await asyncio.sleep(WATCH_ROUNDS)
    assert await wallet_of(any_shop, bob) == (0, 0)
    any_shop.tron.confirm(txid)
    credited = await bob.wait_until(lambda m: "added to your balance" in m.text)
    assert f"{pay_amount(request) // USDT}.0000" in credited.text
    assert await wallet_of(any_shop, bob) == (pay_amount(request), 0)


async def test_other_tokens_and_other_addresses_are_ignored(shop: Shop) -> None:
    carl = shop.customer("Carl")
    request = await ask_to_top_up(shop, carl, 50)
    amount = pay_amount(request)
    operators_saw = len(shop.admin_group.chat.bot_messages())
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, amount, token="USDC")
    shop.tron.transfer(OTHER_ADDRESS, amount)
    await asyncio.sleep(WATCH_ROUNDS)
    assert await wallet_of(shop, carl) == (0, 0)
    assert len(shop.admin_group.chat.bot_messages()) == operators_saw  # not even a card
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, amount)  # the watch was reading all along
    await carl.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(shop, carl) == (amount, 0)


async def test_two_requests_of_the_same_amount_are_told_apart(shop: Shop) -> None:
    dana, eve = shop.customer("Dana"), shop.customer("Eve")
    first = await ask_to_top_up(shop, dana, "12.5")
    second = await ask_to_top_up(shop, eve, "12.5")
    assert pay_amount(first) != pay_amount(second)
    assert abs(pay_amount(first) - pay_amount(second)) < 1000  # a few micro-units apart
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(second))
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(first))
    await dana.wait_until(lambda m: "added to your balance" in m.text)
    await eve.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(shop, dana) == (pay_amount(first), 0)
    assert await wallet_of(shop, eve) == (pay_amount(second), 0)


async def test_a_late_transfer_reaches_the_operators_who_assign_it(shop: Shop) -> None:
    fay = shop.customer("Fay")
    request = await ask_to_top_up(shop, fay, 100)
    boss = shop.admin()
    after_expiry = int((time.time() + 33 * 60) * 1000)  # past the slack too
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request), at_ms=after_expiry)
    card = await boss.wait_until(lambda m: "matches no open top-up request" in m.text)
    assert "Amount: 100.000" in card.text
    assert f"✅ Credit Fay ({fay.user_id})" in card.labels and "🚫 Ignore" in card.labels
    assert await wallet_of(shop, fay) == (0, 0)

    await boss.press(f"✅ Credit Fay ({fay.user_id})", message_id=card.message_id)
    done = await boss.wait_for_message(card.message_id, lambda m: "Credited to customer" in m.text)
    assert done.labels == []
    told = await fay.wait_until(lambda m: "The shop credited" in m.text)
    assert "for your USDT transfer" in told.text
    assert await wallet_of(shop, fay) == (pay_amount(request), 0)

    # Pressed again (a second operator, a stale card): nothing more.
    second = shop.admin(900_002, "deputy")
    payment_id = card.text.split("USDT transfer #")[1].split(" ")[0]
    await second.press_data(f"pay:assign:{payment_id}:{fay.user_id}:0", message_id=card.message_id)
    await second.settle()
    assert (
        second.callback_answers[-1]["text"]
        == f"Not done: payment {payment_id} is already credited."
    )
    assert await wallet_of(shop, fay) == (pay_amount(request), 0)
    await shop.check_ledger()


async def test_a_stray_transfer_is_ignored_or_assigned_by_command(shop: Shop) -> None:
    gus = await new_customer(shop, 0, "Gus")
    boss = shop.admin()
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 7 * USDT)  # nobody asked for exactly this
    card = await boss.wait_until(lambda m: "Amount: 7.000000 USDT" in m.text)
    assert card.labels == ["🚫 Ignore"]
    await boss.press("🚫 Ignore", message_id=card.message_id)
    await boss.wait_for_message(card.message_id, lambda m: "🚫 Ignored by" in m.text)

    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 3 * USDT)
    card = await boss.wait_until(lambda m: "Amount: 3.000000 USDT" in m.text)
    payment_id = card.text.split("USDT transfer #")[1].split(" ")[0]
    for command, expected in (
        ("/assign", "Not done. Usage: /assign PAYMENT USER"),
        (f"/assign {payment_id}", "Not done. Usage: /assign PAYMENT USER"),
        (f"/assign x{payment_id} {gus.user_id}", "Not done. Usage: /assign PAYMENT USER"),
        (f"/assign {payment_id} @nobody_at_all", "Not done: no customer @nobody_at_all"),
        (f"/assign 999999 {gus.user_id}", "Not done: no payment 999999"),
    ):
        await boss.send(command)
        assert expected in (await boss.wait_for_bot()).text, command
    assert await wallet_of(shop, gus) == (0, 0)
    await boss.send(f"/assign {payment_id} {gus.user_id}")
    assert f"credited to customer {gus.user_id}" in (await boss.wait_for_bot()).text
    await gus.wait_until(lambda m: "The shop credited" in m.text)
    assert await wallet_of(shop, gus) == (3 * USDT, 0)


async def test_bad_amounts_and_a_cancelled_request(shop: Shop) -> None:
    hal = shop.customer("Hal")
    await top_up_way(hal, "💵 USDT (TRC20)")
    for text, expected in (
        ("abc", "That is not an amount"),
        ("0", "The amount must be more than zero"),
        ("１０", "That is not an amount"),
        ("0.5", "The smallest amount is 1.00 USDT"),
        ("20000", "The largest amount is 10,000.00 USDT"),
        ("1.234", "At most 2 decimals"),
    ):
        await hal.send(text)
        assert expected in (await hal.wait_for_bot()).text, text
    assert all(m.photo is None for m in hal.bot_messages)  # no request was made

    await hal.send("15")
    request = await hal.wait_until(lambda m: m.photo is not None)
    await hal.press("✖️ Cancel this request", message_id=request.message_id)
    cancelled = await hal.wait_for_bot()
    assert "Top-up request" in cancelled.text and "cancelled" in cancelled.text
    await hal.press_data(
        f"depcancel:{cancelled.text.split('request ')[1].split(' ')[0]}",
        message_id=request.message_id,
    )
    await hal.settle()
    assert hal.callback_answers[-1]["text"] == "⚠️ This top-up request is no longer open."
    # Paid anyway, within the request's time: still credited.
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))
    await hal.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(shop, hal) == (pay_amount(request), 0)


async def test_requests_cancelled_by_five_accounts_leave_the_amount_to_the_next_customer(
    shop: Shop,
) -> None:
    for n, name in enumerate(("Mal", "Mel", "Mil", "Mol", "Mul"), start=1):
        mallory = shop.customer(name)
        request = await ask_to_top_up(shop, mallory, "37.77")
        # A cancelled amount is given out again only once every fresh one is taken.
        assert f"Send exactly 37.77000{n} USDT" in request.text, name
        await mallory.press("✖️ Cancel this request", message_id=request.message_id)
        assert "cancelled" in (await mallory.wait_for_bot()).text
    nia = shop.customer("Nia")
    request = await ask_to_top_up(shop, nia, "37.77")
    assert "Send exactly 37.770006 USDT" in request.text
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))  # hers, not a cancelled one's
    await nia.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(shop, nia) == (37_770_006, 0)
    await shop.check_ledger()


async def test_a_customer_holds_five_requests_that_can_be_paid_of_every_way_together(
    shop: Shop,
) -> None:
    oli = shop.customer("Oli")
    requests = [await ask_to_top_up(shop, oli, 10) for _ in range(4)]
    await top_up_way(oli, "⭐ Telegram Stars")
    await oli.press("100 ⭐")
    await oli.wait_until(lambda m: m.invoice is not None)
    too_many = "You already have 5 top-up requests that can still be paid"
    await top_up_way(oli, "💵 USDT (TRC20)")
    await oli.press("20 USDT")
    await oli.settle()
    assert too_many in oli.bot_messages[-1].text
    await top_up_way(oli, "⭐ Telegram Stars")
    await oli.press("250 ⭐")
    await oli.settle()
    assert too_many in oli.bot_messages[-1].text
    assert all(m.invoice is None for m in oli.bot_messages[-2:])
    # Cancelling one makes room at once.
    await oli.press("✖️ Cancel this request", message_id=requests[0].message_id)
    await oli.wait_for_bot()
    again = await ask_to_top_up(shop, oli, 10)
    assert pay_amount(again) not in {pay_amount(request) for request in requests}
    rows = await shop.db.fetch_all(
        "SELECT status, COUNT(*) FROM deposit_requests WHERE user_id = ? GROUP BY status",
        (oli.user_id,),
    )
    assert sorted(tuple(row) for row in rows) == [("cancelled", 1), ("open", 5)]


async def test_a_short_confirmation_tops_up_what_is_missing_and_returns_to_the_order(
    shop: Shop,
) -> None:
    ivy, _ = await cloud_confirmation(shop, 5 * USDT)  # the recharge costs 10.50 USDT
    await ivy.press(CONFIRM)
    short = await ivy.wait_for_bot()
    assert "Top up at least 5.50 USDT" in short.text
    await ivy.press("💰 Top up")
    ways = await ivy.wait_for_bot()
    assert "Your balance is short of 5.50 USDT" in ways.text
    await ivy.press("💵 USDT (TRC20)")
    request = await ivy.wait_until(lambda m: m.photo is not None)
    assert "Send exactly 5.500001 USDT" in request.text

    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request))
    credited = await ivy.wait_until(lambda m: "added to your balance" in m.text)
    assert credited.labels == ["↩️ Back to your order", "🏠 Main menu"]
    await ivy.press("↩️ Back to your order", message_id=credited.message_id)
    again = await ivy.wait_for_bot()
    assert "Here is your order again." in again.text and "You pay 10.50 USDT" in again.text
    await ivy.press(CONFIRM, message_id=again.message_id)
    done = await ivy.wait_until(lambda m: "Done!" in m.text)
    assert "10.00 USD added to Tencent Cloud account" in done.text
    assert await wallet_of(shop, ivy) == (5 * USDT + pay_amount(request) - 10_500_000, 0)
    await shop.check_ledger()


async def claim(person: ChatDriver, txid: str, amount: str) -> ChatMessage:
    """Wallet → Top up → I already sent USDT → the hash → the amount; returns the answer."""
    assert DEMO_DEPOSIT_ADDRESS in (await top_up_way(person, "🧾 I already sent USDT")).text
    await person.send(txid)
    assert "How much USDT did transfer" in (await person.wait_for_bot()).text
    await person.send(amount)
    return await person.wait_for_bot()


async def test_a_claimed_transfer_is_approved_once_and_its_hash_never_again(shop: Shop) -> None:
    jo, kim = shop.customer("Jo"), shop.customer("Kim")
    boss = shop.admin()
    # A claim of a transfer the watch has not seen cannot be approved: a hash alone proves nothing.
    await claim(jo, "ab" * 32, "25.5")
    unseen = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text)
    assert "Not seen on chain by the shop's watch yet" in unseen.text
    await boss.press("✅ Approve 25.500000 USDT", message_id=unseen.message_id)
    await boss.settle()
    assert "has not seen that transfer on chain yet" in boss.callback_answers[-1]["text"]

    txid = shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 25_500_000)  # nobody asked for this amount
    await boss.wait_until(lambda m: "Amount: 25.500000 USDT" in m.text)
    received = await claim(jo, txid, "25.5")
    assert "The shop checks transfer" in received.text
    card = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text)
    assert f"Customer: Jo ({jo.user_id})" in card.text
    assert "Says they sent: 25.500000 USDT" in card.text and txid in card.text
    assert "Seen on chain: 25.500000 USDT from" in card.text
    assert card.labels == ["✅ Approve 25.500000 USDT", "❌ Reject"]
    assert await wallet_of(shop, jo) == (0, 0)

    await boss.press("✅ Approve 25.500000 USDT", message_id=card.message_id)
    await boss.wait_for_message(card.message_id, lambda m: "✅ Approved" in m.text)
    await jo.wait_until(lambda m: "The shop credited 25.500000 USDT" in m.text)
    assert await wallet_of(shop, jo) == (25_500_000, 0)

    # The same hash again, by anyone, and the same button again: nothing more.
    again = await claim(kim, txid, "25.5")
    assert "That transfer was already credited" in again.text
    await boss.press_data(
        f"pay:approve:{card.text.split('#')[1].split()[0]}:0:25500000", message_id=card.message_id
    )
    await boss.settle()
    assert "is already credited" in boss.callback_answers[-1]["text"]
    assert await wallet_of(shop, jo) == (25_500_000, 0) and await wallet_of(shop, kim) == (0, 0)
    await boss.send("/payments")
    listed = await boss.wait_for_bot()
    assert "Payments waiting for an operator" in listed.text  # the unseen claim still waits
    await shop.check_ledger()


async def test_a_rejected_claim_and_a_claim_of_a_transfer_the_watch_saw(shop: Shop) -> None:
    lou = shop.customer("Lou")
    boss = shop.admin()
    await claim(lou, "cd" * 32, "40")
    card = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text)
    await boss.settle()
    assert sum("cd" * 32 in m.text for m in boss.bot_messages) == 1  # one card
    await boss.press("❌ Reject", message_id=card.message_id)
    await boss.wait_for_message(card.message_id, lambda m: "❌ Rejected" in m.text)
    await lou.wait_until(lambda m: "could not confirm your USDT transfer" in m.text)
    assert "already looked at that transfer" in (await claim(lou, "cd" * 32, "40")).text
    assert await wallet_of(shop, lou) == (0, 0)

    # A transfer the watch found but could not place: the claim shows what the chain says.
    txid = shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 9 * USDT)
    await boss.wait_until(lambda m: "Amount: 9.000000 USDT" in m.text)
    await claim(lou, txid.upper(), "9")
    card = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text)
    assert "Seen on chain: 9.000000 USDT from" in card.text
    number = card.text.split("#")[1].split()[0]
    for command, expected in (
        (f"/approve {number} 10", "Not done: the chain shows only 9.000000 USDT"),
        ("/approve 99999999999999999999 9", "Not done. Usage: /approve PAYMENT AMOUNT"),
        ("/approve", "Not done. Usage: /approve PAYMENT AMOUNT"),
        (f"/approve {number}", "Not done. Usage: /approve PAYMENT AMOUNT"),
        (f"/approve {number} -3", "Not done: the amount -3 is not positive"),
        (f"/approve {number} nine", "Not done: the amount nine is not a number"),
        ("/approve 999999 9", "Not done: no payment 999999"),
    ):
        await boss.send(command)
        assert expected in (await boss.wait_for_bot()).text, command
    await boss.send(f"/approve {number} 9")
    assert f"9.000000 USDT credited to customer {lou.user_id}" in (await boss.wait_for_bot()).text
    await lou.wait_until(lambda m: "The shop credited 9.000000 USDT" in m.text)
    assert await wallet_of(shop, lou) == (9 * USDT, 0)
    await shop.check_ledger()


async def test_a_claims_card_lost_with_the_bot_reaches_the_operators_after_a_restart(
    own_shop: Shop,
) -> None:
    """The bot dies as it sends the operators the card of a claim it has just taken: the claim
    and its card were kept together, so the card goes out, once, when the bot is back."""
    ned = own_shop.customer("Ned")
    boss = own_shop.admin()
    held = own_shop.emulator.hold("sendMessage", text_contains="Claimed USDT transfer")
    assert DEMO_DEPOSIT_ADDRESS in (await top_up_way(ned, "🧾 I already sent USDT")).text
    await ned.send("ef" * 32)
    assert "How much USDT did transfer" in (await ned.wait_for_bot()).text
    await ned.send("12.5")
    await asyncio.wait_for(held.reached.wait(), 10)
    assert own_shop.bot is not None
    assert await own_shop.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    held.drop()  # the dead bot's card never reached Telegram
    assert not [m for m in boss.bot_messages if "Claimed USDT transfer" in m.text]

    await own_shop.start_bot()
    card = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text, timeout=20)
    assert f"Customer: Ned ({ned.user_id})" in card.text
    assert "Says they sent: 12.500000 USDT" in card.text and "ef" * 32 in card.text
    assert card.labels == ["✅ Approve 12.500000 USDT", "❌ Reject"]
    await boss.settle()
    assert sum("Claimed USDT transfer" in m.text for m in boss.bot_messages) == 1
    await own_shop.check_ledger()


def after_expiry() -> int:
    """A moment past a request made now, its 30 minutes and the clocks' slack, in ms."""
    return int((time.time() + 33 * 60) * 1000)


async def test_a_late_transfer_stays_with_the_request_it_matches_whoever_claims_it(
    shop: Shop,
) -> None:
    pia, mallory = shop.customer("Pia"), shop.customer("Mallory")
    boss = shop.admin()
    request = await ask_to_top_up(shop, pia, "61.5")
    txid = shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, pay_amount(request), at_ms=after_expiry())
    first = await boss.wait_until(lambda m: txid in m.text)
    assert "matches no open top-up request" in first.text
    assert f"of Pia ({pia.user_id}), which expired at" in first.text
    assert first.labels == [f"✅ Credit Pia ({pia.user_id})", "🚫 Ignore"]

    # Mallory reads the hash on a block explorer and claims the transfer as hers.
    told = await claim(mallory, txid, "61.500001")
    assert "The shop checks transfer" in told.text
    card = await boss.wait_until(lambda m: txid in m.text and "Claimed by Mallory" in m.text)
    assert f"of Pia ({pia.user_id}), which expired at" in card.text
    claimed = card.text.split("Claimed by ")[1].split("\n")[0]
    assert claimed.startswith(f"Mallory ({mallory.user_id}) at ")
    assert claimed.endswith(
        "says they sent 61.500001 USDT, not the customer whose request it matches"
    )
    assert card.labels == [f"✅ Credit Pia ({pia.user_id})", "🚫 Ignore"]  # no way to Mallory

    await boss.press(f"✅ Credit Pia ({pia.user_id})", message_id=card.message_id)
    await boss.wait_for_message(card.message_id, lambda m: "Credited to customer" in m.text)
    await pia.wait_until(lambda m: "The shop credited 61.500001 USDT" in m.text)
    await mallory.wait_until(lambda m: "could not confirm your USDT transfer" in m.text)
    # The first card's button, pressed now, credits nothing more.
    await boss.press(f"✅ Credit Pia ({pia.user_id})", message_id=first.message_id)
    await boss.settle()
    assert "is already credited" in boss.callback_answers[-1]["text"]
    assert await wallet_of(shop, pia) == (pay_amount(request), 0)
    assert await wallet_of(shop, mallory) == (0, 0)
    await shop.check_ledger()


async def test_a_claim_before_the_watch_sees_a_late_transfer_gives_way_to_the_match(
    shop: Shop,
) -> None:
    quinn, mallory = shop.customer("Quinn"), shop.customer("Mallory")
    boss = shop.admin()
    request = await ask_to_top_up(shop, quinn, "62.5")
    txid = shop.tron.transfer(
        DEMO_DEPOSIT_ADDRESS, pay_amount(request), at_ms=after_expiry(), confirmed=False
    )
    await claim(mallory, txid, "62.500001")  # seen before it is confirmed
    unseen = await boss.wait_until(lambda m: "Claimed USDT transfer" in m.text and txid in m.text)
    assert f"Customer: Mallory ({mallory.user_id})" in unseen.text
    shop.tron.confirm(txid)
    card = await boss.wait_until(lambda m: "matches no open top-up request" in m.text)
    assert txid in card.text and f"of Quinn ({quinn.user_id}), which expired" in card.text
    assert f"Claimed by Mallory ({mallory.user_id})" in card.text
    assert card.labels == [f"✅ Credit Quinn ({quinn.user_id})", "🚫 Ignore"]
    # The claim's own card, pressed now, approves nothing.
    await boss.press("✅ Approve 62.500001 USDT", message_id=unseen.message_id)
    await boss.settle()
    assert "is unmatched now" in boss.callback_answers[-1]["text"]

    await boss.press(f"✅ Credit Quinn ({quinn.user_id})", message_id=card.message_id)
    await quinn.wait_until(lambda m: "The shop credited 62.500001 USDT" in m.text)
    await mallory.wait_until(lambda m: "could not confirm your USDT transfer" in m.text)
    assert await wallet_of(shop, quinn) == (pay_amount(request), 0)
    assert await wallet_of(shop, mallory) == (0, 0)
    await shop.check_ledger()


async def test_a_preset_pressed_again_on_a_screen_already_used_changes_nothing(
    own_shop: Shop,
) -> None:
    """The amounts' screen was used (its buttons are gone) and the customer is choosing an
    amount again on a new one: a press that still reaches the old screen (sent twice, or a stale
    client) opens no second request and breaks nothing."""
    alice = own_shop.customer("Alice")
    choose = await top_up_way(alice, "💵 USDT (TRC20)")
    await alice.press("10 USDT", message_id=choose.message_id)
    await alice.wait_until(lambda m: m.photo is not None)
    await top_up_way(alice, "💵 USDT (TRC20)")  # choosing an amount again, on a new screen
    await alice.press_data("depamt:10", message_id=choose.message_id)
    await alice.settle()
    requests = await own_shop.db.fetch_value(
        "SELECT COUNT(*) FROM deposit_requests WHERE user_id = ?", (alice.user_id,)
    )
    assert requests == 1
    assert own_shop.bot is not None
    assert not [line for line in own_shop.bot.log_lines if " failed: " in line]
