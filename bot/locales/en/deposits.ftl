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
deposit-too-many = ⚠️ You already have 5 top-up requests that can still be paid. Pay one of them, or wait until they expire.
deposit-busy = ⚠️ Too many top-ups of this amount are open right now. Choose another amount, or try again in a few minutes.
deposit-credited =
    ✅ <b>{ $amount }</b> added to your balance (USDT transfer <code>{ $tx }</code>).
    Available now: <b>{ $available }</b>.
deposit-assigned =
    ✅ The shop credited <b>{ $amount }</b> to your balance for your USDT transfer <code>{ $tx }</code>.
    Available now: <b>{ $available }</b>.
deposit-method-stars = ⭐ Telegram Stars
