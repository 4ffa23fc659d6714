acedata-ask-application = 🤖 <b>AceData credits</b>
    Send the id of the AceData application to add credits to, like <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>.
    You pay AceData directly on its own payment page; nothing is taken from your balance here.
acedata-bad-application = ⚠️ An AceData application id looks like <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>: 32 letters a–f and digits in groups of 8-4-4-4-12, joined by dashes. Copy it from the AceData console and send it again.
acedata-choose-package = 🤖 Application <code>{ $application }</code>
    Choose a package (prices in USD, paid to AceData):
acedata-no-packages = ⚠️ AceData offers no packages right now. Please try again later.
acedata-no-such-package = ⚠️ That package is not offered. Nothing was changed.
acedata-choose-pay-way = 🤖 <b>{ $service }</b> · { $package }: { $credits } credits for <b>{ $price }</b>
    Application <code>{ $application }</code>

    How do you want to pay AceData?
acedata-way-stripe = 💳 Card (Stripe, USD)
acedata-way-wechat = WeChat Pay (CNY)
acedata-way-alipay = Alipay (CNY)
acedata-way-x402 = 🪙 Crypto (X402, USDC)
acedata-confirm = AceData application <code>{ $application }</code> gets <b>{ $credits } credits</b> ({ $service } · { $package }) for <b>{ $price }</b>, paid with { $way }.
    ⚠️ You pay this <b>directly to AceData</b> on its payment page, with the link you get next. <b>Nothing is taken from your balance.</b>
acedata-pay-now = 💳 Order <code>{ $order }</code>: pay <b>{ $price }</b> with { $way } on AceData's page, with the button below. This is paid directly to AceData, not from your balance. You will get a message when the credits arrive.
acedata-pay-button = 💳 Pay { $price } at AceData
acedata-paid = ⏳ Order <code>{ $order }</code>: AceData received your payment and is adding { $credits } credits. You will get a message when they arrive.
acedata-delivered = { $credits } credits added to AceData application <code>{ $application }</code>
acedata-expired = The payment link expired before it was paid; nothing was paid. Start again for a new link.
acedata-payment-failed = AceData reports that the payment failed.
acedata-refunded = AceData refunded the payment.
acedata-no-answer = AceData did not answer, so no payment link was made for you and nothing was paid. Please try again in a few minutes.
acedata-unknown-application = AceData has no application <code>{ $application }</code>. Check the id and start again.
acedata-refused = AceData refused this order; the package may not be one of this application's service. Choose another package.
