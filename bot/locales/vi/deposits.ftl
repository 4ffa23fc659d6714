deposit-choose-method = 💰 <b>Nạp tiền vào số dư</b>
    Bạn muốn thanh toán bằng cách nào?
deposit-method-usdt = 💵 USDT (TRC20)
deposit-choose-amount =
    💵 <b>Nạp tiền bằng USDT (TRC20)</b>
    Chọn một số tiền, hoặc gửi số tiền từ { $minimum } đến { $maximum } USDT.
deposit-send-exactly =
    💵 Hãy chuyển đúng <b>{ $amount } USDT</b> (TRC20, mạng TRON) đến:
    <code>{ $address }</code>

    Mấy chữ số cuối giúp chúng tôi nhận ra giao dịch của bạn: hãy chuyển đúng số tiền này, trong một lần chuyển.
    Yêu cầu này mở đến { $until } UTC ({ $minutes } phút). Số dư được cộng ngay khi giao dịch được xác nhận; bạn sẽ nhận được tin nhắn.
deposit-cancel-request = ✖️ Hủy yêu cầu này
deposit-cancelled = ✖️ Đã hủy yêu cầu nạp tiền { $id }. Nếu bạn đã chuyển tiền, số tiền vẫn được cộng vào số dư.
deposit-not-open = ⚠️ Yêu cầu nạp tiền này không còn mở.
deposit-too-many = ⚠️ Bạn đã có 5 yêu cầu nạp tiền vẫn còn có thể thanh toán. Hãy thanh toán một yêu cầu, hoặc đợi chúng hết hạn.
deposit-busy = ⚠️ Hiện có quá nhiều yêu cầu nạp với số tiền này. Hãy chọn số tiền khác, hoặc thử lại sau vài phút.
deposit-credited =
    ✅ Đã cộng <b>{ $amount }</b> vào số dư của bạn (giao dịch USDT <code>{ $tx }</code>).
    Số dư khả dụng: <b>{ $available }</b>.
deposit-assigned =
    ✅ Cửa hàng đã cộng <b>{ $amount }</b> vào số dư cho giao dịch USDT <code>{ $tx }</code> của bạn.
    Số dư khả dụng: <b>{ $available }</b>.
deposit-method-stars = ⭐ Telegram Stars
