stars-choose-amount =
    ⭐ <b>Nạp tiền bằng Telegram Stars</b>
    1 ⭐ = { $rate } { $currency }. Chọn số Stars, hoặc gửi một số nguyên từ 1 đến { $maximum }.
stars-not-whole = ⚠️ Stars phải là số nguyên: hãy gửi một số nguyên từ 1 đến { $maximum }, ví dụ 250.
stars-not-a-number = ⚠️ Đó không phải là số Stars. Chỉ gửi chữ số, từ 1 đến { $maximum }, ví dụ 250.
stars-invoice-sent =
    ⭐ <b>{ $stars } Stars</b> sẽ cộng <b>{ $credit }</b> vào số dư của bạn.
    Hãy thanh toán hóa đơn bên dưới trước { $until } UTC ({ $minutes } phút); bạn sẽ nhận được tin nhắn ngay khi thanh toán xong.
stars-pay = Thanh toán ⭐ { $stars }
stars-invoice-title = Nạp tiền vào số dư
stars-invoice-description = { $stars } Telegram Stars cộng { $credit } vào số dư của bạn tại cửa hàng.
stars-invoice-label = Nạp tiền
stars-cancelled = ✖️ Đã hủy yêu cầu nạp tiền { $id }: hóa đơn của nó không thể thanh toán nữa.
stars-declined-closed = Yêu cầu nạp tiền này đã bị hủy hoặc đã được thanh toán. Hãy tạo yêu cầu mới từ ví của bạn.
stars-declined-expired = Yêu cầu nạp tiền này đã hết hạn. Hãy tạo yêu cầu mới từ ví của bạn.
stars-declined-mismatch = Hóa đơn này không khớp với yêu cầu nạp tiền của nó. Hãy tạo yêu cầu mới từ ví của bạn.
stars-declined-unknown = Hóa đơn này không phải là yêu cầu nạp tiền của bạn. Hãy nạp tiền từ ví của bạn.
stars-credited =
    ✅ Đã cộng <b>{ $amount }</b> vào số dư của bạn cho { $stars } ⭐ (thanh toán #{ $payment }).
    Số dư khả dụng: <b>{ $available }</b>.
stars-refunded =
    ↩️ Telegram đã hoàn lại cho bạn { $stars } ⭐ của thanh toán #{ $payment }, và <b>{ $amount }</b> đã được trừ khỏi số dư của bạn.
    Số dư khả dụng: <b>{ $available }</b>.
