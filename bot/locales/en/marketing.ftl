## Promo codes: a discount on a purchase's confirmation, a gift with /promo CODE.

button-promo = 🏷 Promo code
promo-ask = 🏷 Send your promo code.
promo-try-again = Send another code, or go back to the order.
promo-applied = 🏷 Promo code <b>{ $code }</b> applied: { $discount } off.
confirm-discount = 🏷 Promo code <b>{ $code }</b>: { $price } − { $discount }
promo-dropped = { $why } The order was not placed and nothing was charged. Here is its price without the code:
promo-quote-gone = ⌛ That order can no longer take a code. Start the purchase again from the menu.
promo-how = 🎁 To claim a gift, send /promo and the code, e.g. <code>/promo WELCOME5</code>. A discount code is entered on a purchase's confirmation, with “🏷 Promo code”.
promo-gift-received = 🎁 Promo code <b>{ $code }</b>: { $amount } added to your balance. Balance: { $balance }.
promo-unknown = 🏷 There is no such promo code. Check how it is spelt.
promo-ended = 🏷 That promo code has ended.
promo-expired = 🏷 That promo code has expired.
promo-used-up = 🏷 That promo code has been used up.
promo-used-by-you = 🏷 You have already used that promo code.
promo-wrong-line = 🏷 That promo code is not for this product.
promo-too-small = 🏷 This order is too small for that promo code.
promo-not-first = 🏷 That promo code is for a first purchase only.
promo-gift-only = 🏷 That code is a gift to your balance, not a discount: send /promo and the code.
promo-purchase-only = 🏷 That code is a discount: enter it on a purchase's confirmation, with “🏷 Promo code”.
history-gift = Promo code gift
history-discount = Promo discount, order { $order }

## Referrals: a customer's link, and what friends' purchases earn them.

menu-referrals = 👥 Invite friends
referral-title = 👥 <b>Invite friends</b>
referral-how = Share your link. When friends start the shop with it, their purchases earn you:
referral-share-margin = • { $line }: { $percent }% of the shop's margin
referral-share-amount = • { $line }: { $percent }% of what they pay
referral-when = A reward is added to your balance { $hours } hours after the purchase, unless it is refunded first.
referral-no-rewards = Share your link with friends. The shop pays no referral rewards right now.
referral-link = Your link: { $link }
referral-standing = Friends who joined: { $joined } · earned: { $earned } · on the way: { $pending }
button-referral-qr = 📷 QR code
referral-qr-caption = 👥 Your invitation link: { $link }
referral-reward-paid = 🎁 A friend you invited made a purchase: { $amount } added to your balance. Balance: { $balance }.
history-referral-reward = Referral reward

## Price groups.

menu-price-group = 🏷 Your prices: <b>{ $group }</b>

## The channel customers must join (REQUIRED_CHANNEL).

channel-required = 📢 To use the shop, join our channel { $channel } first, then press “I've joined”.
button-open-channel = 📢 Open the channel
button-joined-channel = ✅ I've joined
channel-not-yet = You are not in the channel yet: join it, then press “I've joined” again.
