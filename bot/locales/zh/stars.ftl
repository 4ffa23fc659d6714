stars-choose-amount =
    ⭐ <b>使用 Telegram Stars 充值</b>
    1 ⭐ = { $rate } { $currency }。请选择 Stars 数量，或发送 1 到 { $maximum } 之间的整数。
stars-not-whole = ⚠️ Stars 只能是整数：请发送 1 到 { $maximum } 之间的整数，例如 250。
stars-not-a-number = ⚠️ 这不是有效的 Stars 数量。请只发送数字，范围 1 到 { $maximum }，例如 250。
stars-invoice-sent =
    ⭐ <b>{ $stars } Stars</b> 将为您的余额充值 <b>{ $credit }</b>。
    请在 UTC { $until }（{ $minutes } 分钟）前支付下方账单；支付成功后您会立即收到消息。
stars-pay = 支付 ⭐ { $stars }
stars-invoice-title = 余额充值
stars-invoice-description = { $stars } 个 Telegram Stars，为您在本店的余额充值 { $credit }。
stars-invoice-label = 充值
stars-cancelled = ✖️ 充值请求 { $id } 已取消：其账单已无法支付。
stars-declined-closed = 此充值请求已取消或已支付。请从钱包重新发起充值。
stars-declined-expired = 此充值请求已过期。请从钱包重新发起充值。
stars-declined-mismatch = 此账单与其充值请求不符。请从钱包重新发起充值。
stars-declined-unknown = 此账单不是您的充值请求。请从钱包发起充值。
stars-credited =
    ✅ <b>{ $amount }</b> 已计入您的余额（{ $stars } ⭐，付款 #{ $payment }）。
    当前可用：<b>{ $available }</b>。
stars-refunded =
    ↩️ Telegram 已退还您付款 #{ $payment } 的 { $stars } ⭐，并已从您的余额中扣除 <b>{ $amount }</b>。
    当前可用：<b>{ $available }</b>。
