deposit-choose-method = 💰 <b>Top up your balance</b>
    How would you like to pay?
deposit-method-usdt = 💵 USDT (TRC20)
deposit-choose-amount =
    💵 <b>Top up with USDT (TRC20)</b>
    Choose an amount, or send one from { $minimum } to { $maximum } USDT.
deposit-send-exactly =
    💵 Send exactly <b>{ $amount } USDT</b> (TRC20, on the TRON network) to:
    <code>{ $address }</code>

    The last digits tell us the transfer is yours: send exactly this amount, in one transfer.
    This request is open until { $until } UTC ({ $minutes } minutes). Your balance is credited as soon as the transfer is confirmed; you will get a message.
deposit-cancel-request = ✖️ Cancel this request
deposit-cancelled = ✖️ Top-up request { $id } cancelled. If you already sent the money, it still reaches your balance.
deposit-not-open = ⚠️ This top-up request is no longer open.
deposit-too-many = ⚠️ You already have 5 top-up requests that can still be paid. Pay or cancel one of them, or wait until they expire.
deposit-busy = ⚠️ Too many top-ups of this amount are open right now. Choose another amount, or try again in a few minutes.
deposit-credited =
    ✅ <b>{ $amount }</b> added to your balance (USDT transfer <code>{ $tx }</code>).
    Available now: <b>{ $available }</b>.
deposit-assigned =
    ✅ The shop credited <b>{ $amount }</b> to your balance for your USDT transfer <code>{ $tx }</code>.
    Available now: <b>{ $available }</b>.
deposit-top-up-for = 💰 <b>Top up for your order</b>
    Your balance is short of <b>{ $missing }</b>. How would you like to pay it? You can go back to the order once it is credited.
deposit-back-to-order = ↩️ Back to your order
deposit-method-manual = 🧾 I already sent USDT
deposit-claim-hash =
    🧾 <b>A USDT transfer you already made</b>
    Send its transaction hash (64 characters, 0-9 and a-f), from your wallet's history. It must be a USDT-TRC20 transfer to:
    <code>{ $address }</code>
deposit-claim-bad-hash = ⚠️ That is not a transaction hash. It has 64 characters, digits 0-9 and letters a-f, like 3f9a…c21e. Send it again.
deposit-claim-amount = How much USDT did transfer <code>{ $tx }</code> send? Send the amount, like 25 or 25.5.
deposit-claim-received = 🧾 Thank you. The shop checks transfer <code>{ $tx }</code> and credits your balance; you will get a message.
deposit-claim-credited = ✅ That transfer was already credited to a balance. Nothing more to do.
deposit-claim-waiting = 🧾 That transfer is already waiting for the shop's check; you will get a message.
deposit-claim-decided = ⚠️ The shop already looked at that transfer and did not credit it. Write to the shop with 💬 Contact support if you think that is wrong.
deposit-claim-rejected = ❌ The shop could not confirm your USDT transfer <code>{ $tx }</code>, so nothing was credited. Write to the shop with 💬 Contact support if you think that is wrong.
deposit-method-stars = ⭐ Telegram Stars
deposit-claim-too-many = ⚠️ Three of your transfers already wait for the shop's check. You will get a message about each; send this one after that.
