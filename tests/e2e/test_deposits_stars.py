"""Telegram Stars top-ups: the customer chooses how many Stars, pays the invoice, and the wallet is
credited once per payment; the pre-checkout query is declined for a request that cannot be paid;
operators refund a payment with /refundstars, once, and only while the balance covers it."""

from __future__ import annotations

import asyncio
import signal

from sandbox.telegram import ChatDriver, ChatMessage, PaymentStatus
from sandbox.telegram.stars import StarTransaction
from sandbox.trongrid import DEMO_DEPOSIT_ADDRESS
from storage.deposits import DepositStore
from storage.deposits import PaymentStatus as Status
from tests.e2e.flows import (
    CONFIRM,
    USDT,
    cloud_confirmation,
    orders_of,
    top_up_way,
    wallet_of,
    wallet_screen,
)
from tests.e2e.harness import Shop

# STARS_RATE is 0.013 USDT: 100 Stars credit 1.30 USDT, 250 credit 3.25.


async def open_stars(person: ChatDriver) -> ChatMessage:
    """Wallet → Top up → Telegram Stars; returns the screen that asks how many."""
    return await top_up_way(person, "⭐ Telegram Stars")


async def invoice_for(person: ChatDriver, stars: int | str) -> ChatMessage:
    """Ask for `stars` Stars (a preset, or typed); returns the invoice the bot sends."""
    choose = await open_stars(person)
    label = f"{stars:,} ⭐" if isinstance(stars, int) else ""
    if label in choose.labels:
        await person.press(label)
    else:
        await person.send(str(stars))
    return await person.wait_until(lambda m: m.invoice is not None)


async def paid_in_stars(person: ChatDriver, stars: int) -> tuple[str, int]:
    """Pay an invoice of `stars` Stars; returns (Telegram's charge id, the shop's payment no.)."""
    invoice = await invoice_for(person, stars)
    paid = await person.pay(invoice.message_id)
    assert paid.status is PaymentStatus.APPROVED and paid.charge_id is not None
    credited = await person.wait_until(lambda m: "added to your balance" in m.text)
    return paid.charge_id, int(credited.text.split("(payment #")[1].split(")")[0])


async def said(person: ChatDriver, text: str, timeout: float = 10.0) -> ChatMessage:
    """The bot's message in the chat that contains `text`, whichever came first: the operators'
    group hears from a command and from the retry job, in either order."""
    for _ in range(int(timeout / 0.05)):
        found = [m for m in person.bot_messages if text in m.text]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bot never said {text!r}:\n{person.describe()}")


def refunds_of(shop: Shop, charge_id: str) -> list[StarTransaction]:
    """The refunds Telegram made of one charge."""
    history = shop.emulator.bot().stars.transactions
    return [t for t in history if t.refund and t.charge.charge_id == charge_id]


async def payment_status(shop: Shop, payment_id: int) -> Status:
    payment = await DepositStore(shop.db).payment(payment_id)
    assert payment is not None
    return payment.status


async def test_a_stars_payment_is_credited_once_even_delivered_again_and_after_a_restart(
    own_shop: Shop,
) -> None:
    alice = own_shop.customer("Alice")
    choose = await open_stars(alice)
    assert "Top up with Telegram Stars" in choose.text and "1 ⭐ = 0.013 USDT" in choose.text
    assert choose.labels == ["100 ⭐", "250 ⭐", "500 ⭐", "1,000 ⭐", "⬅️ Back", "✖️ Cancel"]
    await alice.press("250 ⭐")
    summary = await alice.wait_for_bot()
    assert summary.message_id == choose.message_id  # the same screen, edited
    assert "250 Stars add 3.25 USDT to your balance" in summary.text
    assert "(30 minutes)" in summary.text
    invoice = await alice.wait_until(lambda m: m.invoice is not None)
    assert invoice.invoice is not None
    assert (invoice.invoice.currency, invoice.invoice.total_amount) == ("XTR", 250)
    assert invoice.invoice.title == "Balance top-up"
    assert "3.25 USDT" in invoice.invoice.description
    assert invoice.labels == ["Pay ⭐ 250", "✖️ Cancel this request"]
    request = await DepositStore(own_shop.db).request(invoice.invoice.payload)
    assert request is not None and request.user_id == alice.user_id
    assert (request.method, request.pay_amount, request.amount) == ("stars", 250, 3_250_000)

    paid = await alice.pay(invoice.message_id)
    assert paid.status is PaymentStatus.APPROVED and paid.charge_id is not None
    credited = await alice.wait_until(lambda m: "added to your balance" in m.text)
    assert "✅ 3.25 USDT added to your balance for 250 ⭐" in credited.text
    assert "Available now: 3.25 USDT" in credited.text
    assert await wallet_of(own_shop, alice) == (3_250_000, 0)

    await alice.redeliver_payment(paid.charge_id)  # Telegram delivers the same payment again
    await alice.settle()
    await own_shop.restart_bot()
    await alice.redeliver_payment(paid.charge_id)
    await alice.settle()
    assert await wallet_of(own_shop, alice) == (3_250_000, 0)
    assert sum("added to your balance" in m.text for m in alice.bot_messages) == 1
    wallet = await wallet_screen(alice)
    assert "Deposit" in wallet.text and "+3.25 USDT" in wallet.text
    await own_shop.check_ledger()


async def test_the_pre_checkout_is_declined_for_a_request_that_cannot_be_paid(shop: Shop) -> None:
    # Cancelled: the invoice is withdrawn, and a customer whose app still shows it is declined.
    ann = shop.customer("Ann")
    invoice = await invoice_for(ann, 100)
    await ann.press("✖️ Cancel this request", message_id=invoice.message_id)
    cancelled = await ann.wait_until(lambda m: "cancelled" in m.text)
    assert "its invoice can no longer be paid" in cancelled.text
    assert ann.chat.messages[invoice.message_id].deleted
    refused = await ann.pay(invoice.message_id, stale=True)
    assert refused.status is PaymentStatus.DECLINED
    assert refused.error_message == (
        "This top-up request was cancelled or is paid already. Start a new top-up from your wallet."
    )

    # Expired: as if its 30 minutes went by before the customer pressed Pay.
    invoice = await invoice_for(ann, 500)
    assert invoice.invoice is not None
    async with shop.db.write() as tx:
        await tx.execute(
            "UPDATE deposit_requests SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?",
            (invoice.invoice.payload,),
        )
    refused = await ann.pay(invoice.message_id)
    assert refused.status is PaymentStatus.DECLINED
    assert refused.error_message is not None and "has expired" in refused.error_message

    # Someone else's: Bo pays Ann's invoice (forwarded to him) and is told so, in his language.
    invoice = await invoice_for(ann, 250)
    bo = shop.customer("Bo", language_code="zh")
    await bo.send("/start")
    await bo.wait_for_bot()
    bo_paying_anns = ChatDriver(ann.bot, ann.chat, bo.user)
    refused = await bo_paying_anns.pay(invoice.message_id)
    assert refused.status is PaymentStatus.DECLINED
    assert refused.error_message == "此账单不是您的充值请求。请从钱包发起充值。"

    assert await wallet_of(shop, ann) == (0, 0) and await wallet_of(shop, bo) == (0, 0)
    charges = shop.emulator.bot().stars.charges.values()
    assert not [c for c in charges if c.user_id in (ann.user_id, bo.user_id)]
    count = await shop.db.fetch_value(
        "SELECT COUNT(*) FROM payments WHERE user_id IN (?, ?)", (ann.user_id, bo.user_id)
    )
    assert count == 0

    # The invoice Bo could not pay is still Ann's to pay.
    paid = await ann.pay(invoice.message_id)
    assert paid.status is PaymentStatus.APPROVED
    await ann.wait_until(lambda m: "added to your balance" in m.text)
    assert await wallet_of(shop, ann) == (3_250_000, 0)


async def test_bad_numbers_of_stars_get_a_hint_and_the_prompt_stays(shop: Shop) -> None:
    cy = shop.customer("Cy")
    await open_stars(cy)
    for text, expected in (
        ("abc", "That is not a number of Stars"),
        ("１０", "That is not a number of Stars"),
        ("1,000", "That is not a number of Stars"),
        ("2.5", "Stars come whole"),
        ("0", "The amount must be more than zero"),
        ("-5", "The amount must be more than zero"),
        ("10001", "The largest amount is 10,000 ⭐"),
    ):
        await cy.send(text)
        hint = await cy.wait_for_bot()
        assert expected in hint.text, text
        assert hint.labels == ["✖️ Cancel"], text
    assert all(m.invoice is None for m in cy.bot_messages)  # no request was made
    await cy.send("1500")
    invoice = await cy.wait_until(lambda m: m.invoice is not None)
    assert invoice.invoice is not None and invoice.invoice.total_amount == 1500
    assert "19.50 USDT" in invoice.invoice.description


async def test_an_operator_refunds_a_stars_payment_once(any_shop: Shop) -> None:
    dee = any_shop.customer("Dee")
    charge_id, payment = await paid_in_stars(dee, 100)
    assert await wallet_of(any_shop, dee) == (1_300_000, 0)
    boss = any_shop.admin()
    await boss.send(f"/refundstars {payment} bought by mistake")
    done = await boss.wait_for_bot()
    assert f"✅ Stars payment #{payment} refunded: 100 ⭐ back to customer {dee.user_id}" in (
        done.text
    )
    assert "1.30 USDT taken from their balance" in done.text
    told = await dee.wait_until(lambda m: "refunded" in m.text)
    assert f"Telegram refunded your 100 ⭐ of payment #{payment}" in told.text
    assert "1.30 USDT was taken from your balance" in told.text
    assert len(refunds_of(any_shop, charge_id)) == 1
    assert await wallet_of(any_shop, dee) == (0, 0)
    assert await payment_status(any_shop, payment) == Status.REFUNDED

    await boss.send(f"/refundstars {payment}")
    again = await boss.wait_for_bot()
    assert f"Not done: payment {payment} is already refunded." in again.text
    assert len(refunds_of(any_shop, charge_id)) == 1
    logged = await any_shop.db.fetch_all(
        "SELECT admin_id, after FROM admin_actions WHERE target_kind = 'payment'"
        " AND target_id = ? ORDER BY id",
        (str(payment),),
    )
    assert [tuple(row) for row in logged] == [
        (boss.user_id, "refunding: bought by mistake"),
        (boss.user_id, "refunded: Telegram answered done"),
    ]

    await dee.send("/start")
    await dee.wait_for_bot()
    await dee.press("💰 Wallet")
    wallet = await dee.wait_for_bot()
    assert "Deposit refunded" in wallet.text and "−1.30 USDT" in wallet.text
    await any_shop.check_ledger()


async def test_a_refund_the_balance_no_longer_covers_is_refused(shop: Shop) -> None:
    eli = shop.customer("Eli")
    charge_id, payment = await paid_in_stars(eli, 100)
    await shop.ledger.debit(eli.user_id, USDT // 2, key=f"e2e-spent-{eli.user_id}", memo="spent")
    boss = shop.admin()
    await boss.send(f"/refundstars {payment}")
    refused = await boss.wait_for_bot()
    assert (
        f"Not done: customer {eli.user_id} has 0.80 USDT available, less than the 1.30 USDT "
        f"that payment #{payment} credited." in refused.text
    )
    assert refunds_of(shop, charge_id) == []
    assert await wallet_of(shop, eli) == (800_000, 0)
    assert await payment_status(shop, payment) == Status.CREDITED
    await shop.check_ledger()


async def test_refundstars_refuses_bad_input(shop: Shop) -> None:
    boss = shop.admin()
    shop.tron.transfer(DEMO_DEPOSIT_ADDRESS, 11 * USDT + 42)  # a USDT payment nobody asked for
    card = await boss.wait_until(lambda m: "Amount: 11.000042 USDT" in m.text)
    usdt_payment = card.text.split("USDT transfer #")[1].split(" ")[0]
    for command, expected in (
        ("/refundstars", "Not done. Usage: /refundstars PAYMENT [REASON]"),
        ("/refundstars abc", "Not done. Usage: /refundstars PAYMENT [REASON]"),
        ("/refundstars -3", "Not done. Usage: /refundstars PAYMENT [REASON]"),
        ("/refundstars ３", "Not done. Usage: /refundstars PAYMENT [REASON]"),
        ("/refundstars 99999999 why", "Not done: no payment 99999999."),
        (
            f"/refundstars {usdt_payment}",
            f"Not done: payment {usdt_payment} is not a Telegram Stars payment.",
        ),
    ):
        await boss.send(command)
        assert expected in (await boss.wait_for_bot()).text, command


async def test_a_refund_whose_answer_is_lost_is_settled_when_telegram_is_asked_again(
    shop: Shop,
) -> None:
    fox = shop.customer("Fox")
    charge_id, payment = await paid_in_stars(fox, 100)
    boss = shop.admin()
    shop.emulator.fail_through_gateway("refundStarPayment")  # refunded, but the answer is lost
    await boss.send(f"/refundstars {payment}")
    unclear = await said(boss, f"⏳ Stars payment #{payment}: 1.30 USDT taken from the balance")
    assert "Telegram's answer to the refund did not come" in unclear.text
    assert await wallet_of(shop, fox) == (0, 0)  # taken before Telegram was asked

    # The job asks again (STARS_REFUND_RETRY_SECONDS); CHARGE_ALREADY_REFUNDED settles it.
    settled = await said(boss, f"✅ Stars payment #{payment} refunded")
    assert "100 ⭐ back to customer" in settled.text
    await fox.wait_until(lambda m: "Telegram refunded your 100 ⭐" in m.text)
    assert await payment_status(shop, payment) == Status.REFUNDED
    assert len(refunds_of(shop, charge_id)) == 1
    assert await wallet_of(shop, fox) == (0, 0)
    await shop.check_ledger()


async def test_a_refund_cut_short_by_a_crash_is_finished_after_the_restart(own_shop: Shop) -> None:
    gil = own_shop.customer("Gil")
    charge_id, payment = await paid_in_stars(gil, 100)
    boss = own_shop.admin()
    held = own_shop.emulator.hold("refundStarPayment")
    await boss.send(f"/refundstars {payment}")
    await held.reached.wait()
    assert own_shop.bot is not None
    assert await own_shop.bot.stop(signal.SIGKILL) == -signal.SIGKILL
    held.release()  # the dead bot's refund reaches Telegram anyway
    charge = own_shop.emulator.bot().stars.charges[charge_id]
    for _ in range(100):
        if charge.refunded_at is not None:
            break
        await asyncio.sleep(0.05)
    assert charge.refunded_at is not None
    assert await payment_status(own_shop, payment) == Status.REFUNDING
    assert await wallet_of(own_shop, gil) == (0, 0)

    await own_shop.start_bot()
    settled = await said(boss, f"✅ Stars payment #{payment} refunded")
    assert "1.30 USDT taken from their balance" in settled.text
    await gil.wait_until(lambda m: "Telegram refunded your 100 ⭐" in m.text)
    assert await payment_status(own_shop, payment) == Status.REFUNDED
    assert len(refunds_of(own_shop, charge_id)) == 1
    assert await wallet_of(own_shop, gil) == (0, 0)
    await own_shop.check_ledger()


async def test_stars_for_a_short_confirmation_lead_back_to_the_order(shop: Shop) -> None:
    uma, _ = await cloud_confirmation(shop, 5 * USDT)  # the recharge costs 10.50 USDT
    await uma.press(CONFIRM)
    await uma.wait_for_bot()
    await uma.press("💰 Top up")
    assert "Your balance is short of 5.50 USDT" in (await uma.wait_for_bot()).text
    await uma.press("⭐ Telegram Stars")
    await uma.wait_for_bot()
    await uma.press("500 ⭐")  # 6.50 USDT
    invoice = await uma.wait_until(lambda m: m.invoice is not None)
    assert (await uma.pay(invoice.message_id)).status is PaymentStatus.APPROVED
    credited = await uma.wait_until(lambda m: "added to your balance" in m.text)
    assert credited.labels == ["↩️ Back to your order", "🏠 Main menu"]
    await uma.press("↩️ Back to your order", message_id=credited.message_id)
    again = await uma.wait_for_bot()
    assert "Here is your order again." in again.text
    await uma.press(CONFIRM, message_id=again.message_id)
    await uma.wait_until(lambda m: "Done!" in m.text)
    assert await wallet_of(shop, uma) == (5 * USDT + 6_500_000 - 10_500_000, 0)
    await shop.check_ledger()


async def test_a_top_up_button_naming_another_customers_order_changes_nothing(shop: Shop) -> None:
    """The order a top-up returns to rides in the button: a forged one, someone else's order or
    none at all, is refused where it is taken, by every way in."""
    owner, _ = await cloud_confirmation(shop, 5 * USDT)
    await owner.press(CONFIRM)
    assert "Top up at least 5.50 USDT" in (await owner.wait_for_bot()).text
    [(order_id, _)] = await orders_of(shop, owner.user_id)

    vic = shop.customer("Vic")
    await wallet_screen(vic)
    await vic.press("💰 Top up")
    ways = await vic.wait_for_bot()
    for way in ("stars", "usdt"):
        for forged in (order_id, "O" + "0" * 11):
            await vic.press_data(f"depway:{way}:{forged}", message_id=ways.message_id)
            await vic.settle()
            assert vic.callback_answers[-1]["text"] == (
                "⚠️ That button is not yours. Nothing was changed."
            ), (way, forged)
    # The screen is as it was, and a number sent now opens no Stars request for that order.
    assert vic.chat.messages[ways.message_id].text == ways.text
    await vic.send("100")
    await vic.settle()
    assert all(m.invoice is None and m.photo is None for m in vic.bot_messages)
    requests = await shop.db.fetch_all(
        "SELECT id FROM deposit_requests WHERE user_id = ?", (vic.user_id,)
    )
    assert requests == []
    await shop.check_ledger()
