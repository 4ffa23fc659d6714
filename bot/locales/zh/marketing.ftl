## 优惠码：在购买确认页使用折扣码，用 /promo 代码 领取赠送余额。

button-promo = 🏷 优惠码
promo-ask = 🏷 请发送您的优惠码。
promo-try-again = 请发送其他优惠码，或返回订单。
promo-applied = 🏷 已使用优惠码 <b>{ $code }</b>：优惠 { $discount }。
confirm-discount = 🏷 优惠码 <b>{ $code }</b>：{ $price } − { $discount }
promo-dropped = { $why } 订单未提交，未扣任何费用。以下是不使用优惠码的价格：
promo-quote-gone = ⌛ 该订单已无法使用优惠码。请从菜单重新开始购买。
promo-how = 🎁 领取赠送余额：发送 /promo 加代码，例如 <code>/promo WELCOME5</code>。折扣码请在购买确认页通过“🏷 优惠码”使用。
promo-gift-received = 🎁 优惠码 <b>{ $code }</b>：{ $amount } 已存入您的余额。余额：{ $balance }。
promo-unknown = 🏷 没有这个优惠码，请检查拼写。
promo-ended = 🏷 该优惠码已停止使用。
promo-expired = 🏷 该优惠码已过期。
promo-used-up = 🏷 该优惠码已被用完。
promo-used-by-you = 🏷 您已经使用过该优惠码。
promo-wrong-line = 🏷 该优惠码不适用于此商品。
promo-too-small = 🏷 订单金额太小，无法使用该优惠码。
promo-not-first = 🏷 该优惠码仅限首次购买使用。
promo-gift-only = 🏷 该代码是赠送余额，不是折扣：请发送 /promo 加代码。
promo-purchase-only = 🏷 该代码是折扣码：请在购买确认页通过“🏷 优惠码”使用。
history-gift = 优惠码赠送
history-discount = 优惠折扣，订单 { $order }

## 邀请好友：客户的邀请链接，以及好友购买为其带来的奖励。

menu-referrals = 👥 邀请好友
referral-title = 👥 <b>邀请好友</b>
referral-how = 分享您的链接。好友通过该链接进入商店后，他们的购买将为您带来：
referral-share-margin = • { $line }：商店利润的 { $percent }%
referral-share-amount = • { $line }：其支付金额的 { $percent }%
referral-when = 奖励将在购买 { $hours } 小时后存入您的余额，如期间发生退款则取消。
referral-no-rewards = 与好友分享您的链接。商店目前不提供邀请奖励。
referral-link = 您的链接：{ $link }
referral-standing = 已加入的好友：{ $joined } · 已获得：{ $earned } · 待发放：{ $pending }
button-referral-qr = 📷 二维码
referral-qr-caption = 👥 您的邀请链接：{ $link }
referral-reward-paid = 🎁 您邀请的好友完成了一笔购买：{ $amount } 已存入您的余额。余额：{ $balance }。
history-referral-reward = 邀请奖励

## 价格组。

menu-price-group = 🏷 您的价格等级：<b>{ $group }</b>

## 客户需先加入的频道（REQUIRED_CHANNEL）。

channel-required = 📢 使用商店前，请先加入我们的频道 { $channel }，然后点击“我已加入”。
button-open-channel = 📢 打开频道
button-joined-channel = ✅ 我已加入
channel-not-yet = 您还未加入频道：请先加入，然后再次点击“我已加入”。
