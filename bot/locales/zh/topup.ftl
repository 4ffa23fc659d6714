topup-ask-number = 📱 <b>话费充值</b>
    请发送带国家区号的手机号码，例如 <code>+254771114118</code>。
topup-bad-number = ⚠️ 手机号码只能包含数字，前面可以有一个 +，例如 +254771114118。请重新发送。
topup-bad-number-length = ⚠️ 带国家区号的手机号码为 8 到 15 位数字，例如 +254771114118。请重新发送。
topup-carrier-unknown = ⚠️ 供应商无法识别 <code>{ $number }</code> 的运营商。请选择其国家，再选择运营商。
topup-target = 📱 号码 <code>{ $number }</code>
    国家：{ $country } · 运营商：{ $carrier }

    充值话费还是流量？如果国家或运营商不对，可以更改。
topup-airtime = 📶 话费
topup-data = 🌐 流量
topup-change-country = 🌍 更改国家或运营商
topup-choose-country = 🌍 请选择国家（第 { $page } 页，共 { $pages } 页）。
topup-previous = ◀️ 上一页
topup-next = 下一页 ▶️
topup-choose-carrier = 📡 请选择 { $country } 的运营商。
topup-no-carriers = ⚠️ { $country } 暂无可充值的运营商，请选择其他国家。
topup-offers = 为 <code>{ $number }</code>（{ $carrier }）充值{ $kind }：请选择。每项显示到账面值和您支付的金额。
topup-no-offers = ⚠️ { $carrier } 目前没有可为 <code>{ $number }</code> 充值的{ $kind }。请返回选择其他项目。
topup-confirm = 为 <code>{ $number }</code>（{ $country } · { $carrier }）充值{ $kind } <b>{ $face } { $unit }</b>（{ $product }）。
topup-delivered = 已为 <code>{ $number }</code> 充值{ $kind } { $face } { $unit }
topup-failure-number = 供应商不接受该手机号码。
