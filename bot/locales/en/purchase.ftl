menu-cloud = ☁️ Cloud recharge
menu-energy = ⚡ TRON energy
menu-topup = 📱 Mobile top-up
menu-accounts = 🛒 Accounts
menu-acedata = 🤖 AceData credits

amount-empty = ⚠️ Send an amount, like 25 or 12.50.
amount-too-long = ⚠️ That is too long for an amount. Send a number like 25 or 12.50.
amount-not-a-number = ⚠️ That is not an amount. Send digits with at most one dot, like 25 or 12.50.
amount-not-positive = ⚠️ The amount must be more than zero.
amount-too-many-decimals = ⚠️ At most { $places } decimals, like 12.50.
amount-below-minimum = ⚠️ The smallest amount is { $minimum }.
amount-above-maximum = ⚠️ The largest amount is { $maximum }.

confirm-title = 🧾 <b>Please confirm</b>
confirm-charge = You pay <b>{ $charge }</b> from your balance ({ $balance } available).
confirm-valid = This price holds for { $minutes } minutes.
button-confirm = ✅ Confirm and pay
quote-expired = ⌛ That price expired. Here is the current one:
price-changed = ⚠️ The price changed. Here is the new one:
short-balance = ⚠️ Your balance is { $available }; this order costs { $charge }. Top up at least { $missing }, then confirm again.
upstream-unavailable = ⚠️ The supplier is not answering right now. Please try again in a few minutes.
not-your-order = ⚠️ That button is not yours. Nothing was changed.

order-processing = ⏳ Processing order <code>{ $order }</code>…
order-succeeded = ✅ Done! Order <code>{ $order }</code>: { $what }.
order-failed = ❌ Order <code>{ $order }</code> could not be completed. { $why } { $charge } went back to your balance.
order-failed-partly = ❌ Order <code>{ $order }</code> could not be completed. { $why } The supplier delivered part of it: { $refunded } of { $charge } went back to your balance.
order-failed-unpaid = ❌ Order <code>{ $order }</code> did not go through. { $why }
order-reversed = ↩️ Order <code>{ $order }</code> was reported done, then the supplier reversed it. { $charge } went back to your balance.
order-refunded-by-shop = ↩️ The shop refunded order <code>{ $order }</code>: { $charge } went back to your balance.
order-pending = ⏳ Order <code>{ $order }</code> is still being processed by the supplier. { $charge } is held meanwhile; you will get a message when it is done.
order-pending-unpaid = ⏳ Order <code>{ $order }</code> is waiting for the supplier. You will get a message when it is done.
order-review = ⏳ Order <code>{ $order }</code> is being checked by the shop. { $charge } is held meanwhile.
order-already-decided = ℹ️ That order was already decided; nothing new was charged. Here is where it stands.
order-cancelled = ✖️ Order <code>{ $order }</code> was cancelled. Nothing was charged.

cloud-choose = ☁️ <b>Cloud recharge</b>
    Which cloud is the account on?
cloud-tencent = Tencent Cloud
cloud-alibaba = Alibaba Cloud
cloud-ask-uid-tencent = Send the <b>Tencent Cloud</b> account UID (digits only).
cloud-ask-uid-alibaba = Send the <b>Alibaba Cloud</b> account UID or login email.
cloud-bad-uid-tencent = ⚠️ A Tencent Cloud UID is 5 to 20 digits, like 200000000000. Send it again.
cloud-bad-uid-alibaba = ⚠️ Send the Alibaba Cloud UID (5 to 20 digits) or the account's email address.
cloud-not-found = ⚠️ No { $cloud } account <code>{ $uid }</code> was found. Check it and send it again.
cloud-account = ☁️ <b>{ $cloud }</b> account <code>{ $uid }</code>
    Balance: { $balance } { $currency } · rate { $rate }

    Choose how many USD to add, or type an amount (at least 1, at most 2 decimals).
cloud-confirm = { $cloud } account <code>{ $uid }</code> receives <b>{ $money } USD</b> (rate { $rate }).
cloud-delivered = { $money } USD added to { $cloud } account <code>{ $uid }</code>

failure-account-not-found = The supplier could not find that account.
failure-amount-refused = The supplier refused that amount.
failure-supplier-unavailable = The supplier cannot take this order right now; the shop has been told.
failure-not-delivered = The supplier could not deliver it.
button-top-up = 💰 Top up
failure-price-changed = The supplier's price changed before it could be bought; please start again for the new price.
cannot-price = ⚠️ This cannot be priced right now; the shop has been told. Please try again later.
order-again = ↩️ Here is your order again.
