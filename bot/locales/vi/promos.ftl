## Mã khuyến mãi: giảm giá ở bước xác nhận mua, quà vào số dư với /promo MÃ.

button-promo = 🏷 Mã khuyến mãi
promo-ask = 🏷 Hãy gửi mã khuyến mãi của bạn.
promo-try-again = Gửi mã khác, hoặc quay lại đơn hàng.
promo-applied = 🏷 Đã áp dụng mã <b>{ $code }</b>: giảm { $discount }.
confirm-discount = 🏷 Mã khuyến mãi <b>{ $code }</b>: { $price } − { $discount }
promo-dropped = { $why } Đơn hàng chưa được đặt và bạn chưa bị trừ tiền. Đây là giá không có mã:
promo-quote-gone = ⌛ Đơn hàng này không thể dùng mã nữa. Hãy bắt đầu mua lại từ menu.
promo-how = 🎁 Để nhận quà, gửi /promo và mã, ví dụ <code>/promo WELCOME5</code>. Mã giảm giá được nhập ở bước xác nhận mua, bằng nút “🏷 Mã khuyến mãi”.
promo-gift-received = 🎁 Mã <b>{ $code }</b>: đã cộng { $amount } vào số dư. Số dư: { $balance }.
promo-unknown = 🏷 Không có mã khuyến mãi này. Hãy kiểm tra lại cách viết.
promo-ended = 🏷 Mã khuyến mãi này đã kết thúc.
promo-expired = 🏷 Mã khuyến mãi này đã hết hạn.
promo-used-up = 🏷 Mã khuyến mãi này đã hết lượt dùng.
promo-used-by-you = 🏷 Bạn đã dùng mã khuyến mãi này rồi.
promo-wrong-line = 🏷 Mã khuyến mãi này không dành cho sản phẩm này.
promo-too-small = 🏷 Đơn hàng này quá nhỏ để dùng mã khuyến mãi đó.
promo-not-first = 🏷 Mã khuyến mãi này chỉ dành cho lần mua đầu tiên.
promo-gift-only = 🏷 Mã này là quà vào số dư, không phải giảm giá: hãy gửi /promo và mã.
promo-purchase-only = 🏷 Mã này là mã giảm giá: hãy nhập ở bước xác nhận mua, bằng nút “🏷 Mã khuyến mãi”.
history-gift = Quà từ mã khuyến mãi
history-discount = Giảm giá khuyến mãi, đơn { $order }
