welcome-new =
    👋 欢迎光临，<b>{ $name }</b>！
    用余额购买云账号充值、TRON 能量、手机充值、账号等服务。
welcome-back = 👋 欢迎回来，<b>{ $name }</b>。
menu-title = 🏠 <b>主菜单</b>
    余额：<b>{ $balance }</b>
menu-wallet = 💰 钱包
menu-language = 🌐 语言
menu-help = ❓ 帮助
menu-support = 💬 联系客服

button-back = ⬅️ 返回
button-cancel = ✖️ 取消
button-menu = 🏠 主菜单
button-newer = ◀️ 较新
button-older = 较早 ▶️

wallet-title = 💰 <b>钱包</b>
wallet-available = 可用余额：<b>{ $amount }</b>
wallet-held = 处理中订单冻结：<b>{ $amount }</b>
wallet-empty = 暂无记录。您的充值、购买和退款都会显示在这里。
wallet-page = <b>账单记录</b>，第 { $page } / { $pages } 页：
wallet-line = <code>{ $date }</code>  { $what }  <b>{ $amount }</b>
history-deposit = 充值
history-adjustment = 商店调整
history-adjustment-reason = 商店调整：{ $reason }
history-hold = 订单 { $order } 冻结
history-void = 订单 { $order } 解冻退回
history-refund = 订单 { $order } 退款
history-post = 订单 { $order } 支付
history-deposit-refund = 充值已退款
history-deposit-refund-cancelled = 充值退款未成功，款项已退回

language-title = 🌐 请选择语言：
language-changed = ✅ 语言已切换为简体中文。

help-text =
    ❓ <b>使用说明</b>

    • 在<b>钱包</b>中保留余额，购买时从余额扣款。
    • 每笔购买在确认前都会显示准确价格；只有成功交付才会扣款，供应商失败时款项退回余额。
    • 钱包记录列出每一笔充值、购买和退款。
    • /start 打开主菜单，/cancel 取消当前操作。
    • 有问题？请在主菜单中选择<b>联系客服</b>。

support-prompt =
    💬 请用一条消息写下您的问题（最多 { $max } 个字符），我们会转给商店客服。
    发送 /cancel 取消。
support-too-long = ⚠️ 您的消息有 { $length } 个字符，最多 { $max } 个。请写短一些再发送。
support-not-text = ⚠️ 请以文字发送您的问题（最多 { $max } 个字符）。
support-sent = ✅ 您的消息已转给商店客服，他们会在这里回复您。
support-slow-down = ⏳ 您在 { $window } 分钟内已联系客服 { $count } 次，这条消息未被转发。请等待 { $minutes } 分钟后再写：客服已收到您之前的消息，会在这里回复您。

cancel-done = ✖️ 已取消，没有任何更改。
cancel-nothing = 没有可取消的操作。
banned = 抱歉，此账号已无法使用本商店。如有疑问，请联系店主。
stale-button = ⚠️ 该按钮已过期。请发送 /start 打开新的菜单。
unknown-input = 没看懂您的意思。请使用下方按钮，或发送 /start 打开主菜单。
error-generic = ⚠️ 我们这边出了点问题，没有任何更改。请稍后再试。
