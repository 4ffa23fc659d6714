menu-cloud = ☁️ 云账号充值
menu-energy = ⚡ TRON 能量
menu-topup = 📱 话费充值
menu-accounts = 🛒 账号商店
menu-acedata = 🤖 AceData 积分

amount-empty = ⚠️ 请发送金额，例如 25 或 12.50。
amount-too-long = ⚠️ 金额太长。请发送数字，例如 25 或 12.50。
amount-not-a-number = ⚠️ 这不是有效金额。请只用数字和一个小数点，例如 25 或 12.50。
amount-not-positive = ⚠️ 金额必须大于零。
amount-too-many-decimals = ⚠️ 最多 { $places } 位小数，例如 12.50。
amount-below-minimum = ⚠️ 最低金额为 { $minimum }。
amount-above-maximum = ⚠️ 最高金额为 { $maximum }。

confirm-title = 🧾 <b>请确认</b>
confirm-charge = 将从余额中支付 <b>{ $charge }</b>（可用 { $balance }）。
confirm-valid = 此价格 { $minutes } 分钟内有效。
button-confirm = ✅ 确认并支付
quote-expired = ⌛ 价格已过期。这是当前价格：
price-changed = ⚠️ 价格已变化。这是新价格：
short-balance = ⚠️ 您的余额为 { $available }，此订单需要 { $charge }。请至少充值 { $missing } 后再确认。
upstream-unavailable = ⚠️ 供应商暂时没有响应，请几分钟后再试。
not-your-order = ⚠️ 这个按钮不属于您，没有任何更改。

order-processing = ⏳ 正在处理订单 <code>{ $order }</code>…
order-succeeded = ✅ 完成！订单 <code>{ $order }</code>：{ $what }。
order-failed = ❌ 订单 <code>{ $order }</code> 未能完成。{ $why }{ $charge } 已退回您的余额。
order-failed-partly = ❌ 订单 <code>{ $order }</code> 未能完成。{ $why }供应商已交付其中一部分：{ $charge } 中的 { $refunded } 已退回您的余额。
order-failed-unpaid = ❌ 订单 <code>{ $order }</code> 未成功。{ $why }
order-reversed = ↩️ 订单 <code>{ $order }</code> 曾显示完成，随后被供应商撤销。{ $charge } 已退回您的余额。
order-refunded-by-shop = ↩️ 店铺已为订单 <code>{ $order }</code> 退款：{ $charge } 已退回您的余额。
order-pending = ⏳ 订单 <code>{ $order }</code> 仍在供应商处处理中，{ $charge } 暂时冻结；完成后会通知您。
order-pending-unpaid = ⏳ 订单 <code>{ $order }</code> 正在等待供应商处理，完成后会通知您。
order-review = ⏳ 订单 <code>{ $order }</code> 正在由商店核查，{ $charge } 暂时冻结。
order-already-decided = ℹ️ 该订单已处理过，没有再次扣款。以下是它的当前状态。
order-cancelled = ✖️ 订单 <code>{ $order }</code> 已取消，未扣款。

cloud-choose = ☁️ <b>云账号充值</b>
    账号属于哪个云？
cloud-tencent = 腾讯云
cloud-alibaba = 阿里云
cloud-ask-uid-tencent = 请发送<b>腾讯云</b>账号 UID（仅数字）。
cloud-ask-uid-alibaba = 请发送<b>阿里云</b>账号 UID 或登录邮箱。
cloud-bad-uid-tencent = ⚠️ 腾讯云 UID 为 5 到 20 位数字，例如 200000000000。请重新发送。
cloud-bad-uid-alibaba = ⚠️ 请发送阿里云 UID（5 到 20 位数字）或账号邮箱。
cloud-not-found = ⚠️ 未找到{ $cloud }账号 <code>{ $uid }</code>。请检查后重新发送。
cloud-account = ☁️ <b>{ $cloud }</b>账号 <code>{ $uid }</code>
    余额：{ $balance } { $currency } · 汇率 { $rate }

    请选择充值的美元金额，或输入金额（至少 1，最多 2 位小数）。
cloud-confirm = { $cloud }账号 <code>{ $uid }</code> 将到账 <b>{ $money } USD</b>（汇率 { $rate }）。
cloud-delivered = 已向{ $cloud }账号 <code>{ $uid }</code> 充值 { $money } USD

failure-account-not-found = 供应商找不到该账户。
failure-amount-refused = 供应商拒绝了该金额。
failure-supplier-unavailable = 供应商暂时无法接单，已通知店铺。
failure-not-delivered = 供应商未能完成交付。
button-top-up = 💰 充值
failure-price-changed = 下单前供应商价格已变动，请重新开始以获取新价格。
cannot-price = ⚠️ 暂时无法报价，已通知店铺。请稍后再试。
order-again = ↩️ 这是您刚才的订单。
