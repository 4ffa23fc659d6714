acedata-ask-application = 🤖 <b>AceData 积分</b>
    请发送要充值积分的 AceData 应用 ID，例如 <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>。
    您将在 AceData 自己的支付页面直接付款；不会从您在这里的余额中扣款。
acedata-bad-application = ⚠️ AceData 应用 ID 的格式如 <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>：32 个字母 a–f 和数字，按 8-4-4-4-12 分组，用短横线连接。请从 AceData 控制台复制后重新发送。
acedata-choose-package = 🤖 应用 <code>{ $application }</code>
    请选择套餐（价格为美元，付给 AceData）：
acedata-no-packages = ⚠️ AceData 目前没有可用套餐，请稍后再试。
acedata-no-such-package = ⚠️ 没有这个套餐。未做任何更改。
acedata-choose-pay-way = 🤖 <b>{ $service }</b> · { $package }：{ $credits } 积分，价格 <b>{ $price }</b>
    应用 <code>{ $application }</code>

    您想如何向 AceData 付款？
acedata-way-stripe = 💳 银行卡（Stripe，美元）
acedata-way-wechat = 微信支付（人民币）
acedata-way-alipay = 支付宝（人民币）
acedata-way-x402 = 🪙 加密货币（X402，USDC）
acedata-confirm = AceData 应用 <code>{ $application }</code> 将获得 <b>{ $credits } 积分</b>（{ $service } · { $package }），价格 <b>{ $price }</b>，使用 { $way } 支付。
    ⚠️ 您将通过接下来收到的链接，在 AceData 的支付页面<b>直接付款给 AceData</b>。<b>不会从您的余额中扣款。</b>
acedata-pay-now = 💳 订单 <code>{ $order }</code>：请点击下方按钮，在 AceData 页面用 { $way } 支付 <b>{ $price }</b>。此款项直接付给 AceData，不从您的余额中扣除。积分到账后您会收到消息。
acedata-pay-button = 💳 在 AceData 支付 { $price }
acedata-paid = ⏳ 订单 <code>{ $order }</code>：AceData 已收到您的付款，正在添加 { $credits } 积分。到账后您会收到消息。
acedata-delivered = 已为 AceData 应用 <code>{ $application }</code> 添加 { $credits } 积分
acedata-expired = 支付链接在付款前已过期；未支付任何款项。请重新开始以获取新链接。
acedata-payment-failed = AceData 报告付款失败。
acedata-refunded = AceData 已退还该笔付款。
acedata-no-answer = AceData 没有响应，因此没有为您生成支付链接，也未支付任何款项。请几分钟后再试。
acedata-unknown-application = AceData 没有应用 <code>{ $application }</code>。请检查 ID 后重新开始。
acedata-refused = AceData 拒绝了此订单；该套餐可能不属于此应用的服务。请选择其他套餐。
