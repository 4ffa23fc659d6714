stars-choose-amount =
    ⭐ <b>Top up with Telegram Stars</b>
    1 ⭐ = { $rate } { $currency }. Choose how many Stars, or send a whole number from 1 to { $maximum }.
stars-not-whole = ⚠️ Stars come whole: send a whole number from 1 to { $maximum }, like 250.
stars-not-a-number = ⚠️ That is not a number of Stars. Send digits only, from 1 to { $maximum }, like 250.
stars-invoice-sent =
    ⭐ <b>{ $stars } Stars</b> add <b>{ $credit }</b> to your balance.
    Pay the invoice below by { $until } UTC ({ $minutes } minutes); you get a message as soon as it is paid.
stars-pay = Pay ⭐ { $stars }
stars-invoice-title = Balance top-up
stars-invoice-description = { $stars } Telegram Stars add { $credit } to your balance in the shop.
stars-invoice-label = Top-up
stars-cancelled = ✖️ Top-up request { $id } cancelled: its invoice can no longer be paid.
stars-declined-closed = This top-up request was cancelled or is paid already. Start a new top-up from your wallet.
stars-declined-expired = This top-up request has expired. Start a new top-up from your wallet.
stars-declined-mismatch = This invoice does not match its top-up request. Start a new top-up from your wallet.
stars-declined-unknown = This invoice is not one of your top-up requests. Start a top-up from your wallet.
stars-credited =
    ✅ <b>{ $amount }</b> added to your balance for { $stars } ⭐ (payment #{ $payment }).
    Available now: <b>{ $available }</b>.
stars-refunded =
    ↩️ Telegram refunded your { $stars } ⭐ of payment #{ $payment }, and <b>{ $amount }</b> was taken from your balance.
    Available now: <b>{ $available }</b>.
