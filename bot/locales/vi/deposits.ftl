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
deposit-too-many = ⚠️ Bạn đã có 5 yêu cầu nạp tiền vẫn còn có thể thanh toán. Hãy thanh toán hoặc hủy một yêu cầu, hoặc đợi chúng hết hạn.
deposit-busy = ⚠️ Hiện có quá nhiều yêu cầu nạp với số tiền này. Hãy chọn số tiền khác, hoặc thử lại sau vài phút.
deposit-credited =
    ✅ Đã cộng <b>{ $amount }</b> vào số dư của bạn (giao dịch USDT <code>{ $tx }</code>).
    Số dư khả dụng: <b>{ $available }</b>.
deposit-assigned =
    ✅ Cửa hàng đã cộng <b>{ $amount }</b> vào số dư cho giao dịch USDT <code>{ $tx }</code> của bạn.
    Số dư khả dụng: <b>{ $available }</b>.
deposit-top-up-for = 💰 <b>Nạp tiền cho đơn hàng</b>
    Số dư của bạn còn thiếu <b>{ $missing }</b>. Bạn muốn thanh toán bằng cách nào? Khi tiền được cộng, bạn có thể quay lại đơn hàng.
deposit-back-to-order = ↩️ Quay lại đơn hàng
deposit-method-manual = 🧾 Tôi đã chuyển USDT
deposit-claim-hash =
    🧾 <b>Giao dịch USDT bạn đã thực hiện</b>
    Hãy gửi mã giao dịch (hash, 64 ký tự, 0-9 và a-f) trong lịch sử ví của bạn. Đó phải là giao dịch USDT-TRC20 đến:
    <code>{ $address }</code>
deposit-claim-bad-hash = ⚠️ Đó không phải mã giao dịch. Mã giao dịch có 64 ký tự, gồm số 0-9 và chữ a-f, ví dụ 3f9a…c21e. Hãy gửi lại.
deposit-claim-amount = Giao dịch <code>{ $tx }</code> đã chuyển bao nhiêu USDT? Hãy gửi số tiền, ví dụ 25 hoặc 25.5.
deposit-claim-received = 🧾 Cảm ơn bạn. Cửa hàng sẽ kiểm tra giao dịch <code>{ $tx }</code> và cộng vào số dư của bạn; bạn sẽ nhận được tin nhắn.
deposit-claim-credited = ✅ Giao dịch đó đã được cộng vào số dư. Bạn không cần làm gì thêm.
deposit-claim-waiting = 🧾 Giao dịch đó đang chờ cửa hàng kiểm tra; bạn sẽ nhận được tin nhắn.
deposit-claim-decided = ⚠️ Cửa hàng đã xem giao dịch đó và không cộng tiền. Nếu bạn cho rằng có nhầm lẫn, hãy liên hệ cửa hàng qua 💬 Liên hệ hỗ trợ.
deposit-claim-rejected = ❌ Cửa hàng không xác nhận được giao dịch USDT <code>{ $tx }</code> của bạn, nên chưa cộng tiền. Nếu bạn cho rằng có nhầm lẫn, hãy liên hệ cửa hàng qua 💬 Liên hệ hỗ trợ.
deposit-method-stars = ⭐ Telegram Stars
deposit-claim-too-many = ⚠️ Đã có ba giao dịch của bạn đang chờ cửa hàng kiểm tra. Bạn sẽ nhận được tin nhắn về từng giao dịch; hãy gửi giao dịch này sau đó.
