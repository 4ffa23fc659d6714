deposit-choose-method = 💰 <b>为余额充值</b>
    请选择支付方式：
deposit-method-usdt = 💵 USDT（TRC20）
deposit-choose-amount =
    💵 <b>使用 USDT（TRC20）充值</b>
    请选择金额，或发送 { $minimum } 到 { $maximum } USDT 之间的金额。
deposit-send-exactly =
    💵 请向以下地址转账 <b>{ $amount } USDT</b>（TRC20，TRON 网络），金额须完全一致：
    <code>{ $address }</code>

    金额末尾的几位数字用于识别您的转账：请一次性转入完全相同的金额。
    本充值请求有效期至 UTC { $until }（{ $minutes } 分钟）。转账确认后，余额会立即入账，届时您会收到消息。
deposit-cancel-request = ✖️ 取消此请求
deposit-cancelled = ✖️ 充值请求 { $id } 已取消。如果您已经转账，款项仍会计入您的余额。
deposit-not-open = ⚠️ 此充值请求已失效。
deposit-too-many = ⚠️ 您已有 5 个仍可支付的充值请求。请先支付或取消其中一个，或等待它们过期。
deposit-busy = ⚠️ 当前该金额的未完成充值过多。请选择其他金额，或几分钟后再试。
deposit-credited =
    ✅ <b>{ $amount }</b> 已计入您的余额（USDT 转账 <code>{ $tx }</code>）。
    当前可用：<b>{ $available }</b>。
deposit-assigned =
    ✅ 店铺已将您的 USDT 转账 <code>{ $tx }</code> 计入余额：<b>{ $amount }</b>。
    当前可用：<b>{ $available }</b>。
deposit-top-up-for = 💰 <b>为订单充值</b>
    您的余额还差 <b>{ $missing }</b>。请选择支付方式。到账后即可回到订单。
deposit-back-to-order = ↩️ 回到订单
deposit-method-manual = 🧾 我已转账 USDT
deposit-claim-hash =
    🧾 <b>您已完成的 USDT 转账</b>
    请发送该笔转账的交易哈希（64 个字符，0-9 和 a-f），可在钱包的记录中找到。必须是转入以下地址的 USDT-TRC20 转账：
    <code>{ $address }</code>
deposit-claim-bad-hash = ⚠️ 这不是交易哈希。交易哈希有 64 个字符，由数字 0-9 和字母 a-f 组成，例如 3f9a…c21e。请重新发送。
deposit-claim-amount = 转账 <code>{ $tx }</code> 转了多少 USDT？请发送金额，例如 25 或 25.5。
deposit-claim-received = 🧾 谢谢。店铺会核对转账 <code>{ $tx }</code> 并为您的余额入账，届时您会收到消息。
deposit-claim-credited = ✅ 该笔转账已经入账，无需其他操作。
deposit-claim-waiting = 🧾 该笔转账已在等待店铺核对，届时您会收到消息。
deposit-claim-decided = ⚠️ 店铺已处理过该笔转账且未入账。如您认为有误，请通过 💬 联系客服 与店铺联系。
deposit-claim-rejected = ❌ 店铺无法确认您的 USDT 转账 <code>{ $tx }</code>，因此未入账。如您认为有误，请通过 💬 联系客服 与店铺联系。
deposit-method-stars = ⭐ Telegram Stars
deposit-claim-too-many = ⚠️ 您已有三笔转账在等待店铺核对。每笔都会有消息通知您；请在那之后再提交这一笔。
