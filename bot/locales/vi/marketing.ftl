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

## Giới thiệu bạn bè: liên kết của khách hàng, và phần thưởng từ giao dịch của bạn bè.

menu-referrals = 👥 Mời bạn bè
referral-title = 👥 <b>Mời bạn bè</b>
referral-how = Chia sẻ liên kết của bạn. Khi bạn bè vào cửa hàng qua liên kết đó, giao dịch của họ mang lại cho bạn:
referral-share-margin = • { $line }: { $percent }% lợi nhuận của cửa hàng
referral-share-amount = • { $line }: { $percent }% số tiền họ trả
referral-when = Phần thưởng được cộng vào số dư { $hours } giờ sau giao dịch, trừ khi giao dịch được hoàn tiền trước đó.
referral-no-rewards = Hãy chia sẻ liên kết với bạn bè. Hiện cửa hàng không trả thưởng giới thiệu.
referral-link = Liên kết của bạn: { $link }
referral-standing = Bạn bè đã tham gia: { $joined } · đã nhận: { $earned } · đang chờ: { $pending }
button-referral-qr = 📷 Mã QR
referral-qr-caption = 👥 Liên kết mời của bạn: { $link }
referral-reward-paid = 🎁 Một người bạn bạn mời đã mua hàng: đã cộng { $amount } vào số dư. Số dư: { $balance }.
history-referral-reward = Thưởng giới thiệu

## Nhóm giá.

menu-price-group = 🏷 Bảng giá của bạn: <b>{ $group }</b>

## Kênh khách hàng cần tham gia (REQUIRED_CHANNEL).

channel-required = 📢 Để dùng cửa hàng, hãy tham gia kênh { $channel } của chúng tôi trước, rồi nhấn “Tôi đã tham gia”.
button-open-channel = 📢 Mở kênh
button-joined-channel = ✅ Tôi đã tham gia
channel-not-yet = Bạn chưa ở trong kênh: hãy tham gia, rồi nhấn “Tôi đã tham gia” lần nữa.
