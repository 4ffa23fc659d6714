menu-cloud = ☁️ Nạp tiền cloud
menu-energy = ⚡ Năng lượng TRON
menu-topup = 📱 Nạp tiền điện thoại
menu-accounts = 🛒 Tài khoản
menu-acedata = 🤖 Tín dụng AceData

amount-empty = ⚠️ Hãy gửi số tiền, ví dụ 25 hoặc 12.50.
amount-too-long = ⚠️ Số tiền quá dài. Hãy gửi một số như 25 hoặc 12.50.
amount-not-a-number = ⚠️ Đây không phải số tiền. Chỉ dùng chữ số và tối đa một dấu chấm, ví dụ 25 hoặc 12.50.
amount-not-positive = ⚠️ Số tiền phải lớn hơn không.
amount-too-many-decimals = ⚠️ Tối đa { $places } chữ số thập phân, ví dụ 12.50.
amount-below-minimum = ⚠️ Số tiền nhỏ nhất là { $minimum }.
amount-above-maximum = ⚠️ Số tiền lớn nhất là { $maximum }.

confirm-title = 🧾 <b>Vui lòng xác nhận</b>
confirm-charge = Bạn trả <b>{ $charge }</b> từ số dư ({ $balance } khả dụng).
confirm-valid = Giá này giữ trong { $minutes } phút.
button-confirm = ✅ Xác nhận và thanh toán
quote-expired = ⌛ Giá đó đã hết hạn. Đây là giá hiện tại:
price-changed = ⚠️ Giá đã thay đổi. Đây là giá mới:
short-balance = ⚠️ Số dư của bạn là { $available }; đơn này cần { $charge }. Hãy nạp thêm ít nhất { $missing } rồi xác nhận lại.
upstream-unavailable = ⚠️ Nhà cung cấp hiện không phản hồi. Vui lòng thử lại sau vài phút.
not-your-order = ⚠️ Nút này không phải của bạn. Không có gì thay đổi.

order-processing = ⏳ Đang xử lý đơn <code>{ $order }</code>…
order-succeeded = ✅ Xong! Đơn <code>{ $order }</code>: { $what }.
order-failed = ❌ Đơn <code>{ $order }</code> không thể hoàn tất. { $why } { $charge } đã được trả lại vào số dư.
order-failed-partly = ❌ Đơn <code>{ $order }</code> không thể hoàn tất. { $why } Nhà cung cấp đã giao một phần: { $refunded } trên { $charge } đã được trả lại vào số dư.
order-failed-unpaid = ❌ Đơn <code>{ $order }</code> không thành công. { $why }
order-reversed = ↩️ Đơn <code>{ $order }</code> đã báo hoàn tất, sau đó bị nhà cung cấp hủy. { $charge } đã được trả lại vào số dư.
order-refunded-by-shop = ↩️ Cửa hàng đã hoàn tiền đơn <code>{ $order }</code>: { $charge } đã được trả lại vào số dư.
order-pending = ⏳ Đơn <code>{ $order }</code> vẫn đang được nhà cung cấp xử lý. { $charge } được tạm giữ; bạn sẽ nhận tin nhắn khi xong.
order-pending-unpaid = ⏳ Đơn <code>{ $order }</code> đang chờ nhà cung cấp. Bạn sẽ nhận được tin nhắn khi xong.
order-review = ⏳ Đơn <code>{ $order }</code> đang được cửa hàng kiểm tra. { $charge } được tạm giữ.
order-already-decided = ℹ️ Đơn này đã được xử lý; không bị trừ tiền thêm. Đây là tình trạng hiện tại của đơn.
order-cancelled = ✖️ Đơn <code>{ $order }</code> đã bị hủy. Không bị trừ tiền.

cloud-choose = ☁️ <b>Nạp tiền cloud</b>
    Tài khoản thuộc cloud nào?
cloud-tencent = Tencent Cloud
cloud-alibaba = Alibaba Cloud
cloud-ask-uid-tencent = Gửi UID tài khoản <b>Tencent Cloud</b> (chỉ chữ số).
cloud-ask-uid-alibaba = Gửi UID hoặc email đăng nhập của tài khoản <b>Alibaba Cloud</b>.
cloud-bad-uid-tencent = ⚠️ UID Tencent Cloud gồm 5 đến 20 chữ số, ví dụ 200000000000. Hãy gửi lại.
cloud-bad-uid-alibaba = ⚠️ Hãy gửi UID Alibaba Cloud (5 đến 20 chữ số) hoặc email của tài khoản.
cloud-not-found = ⚠️ Không tìm thấy tài khoản { $cloud } <code>{ $uid }</code>. Hãy kiểm tra và gửi lại.
cloud-account = ☁️ Tài khoản <b>{ $cloud }</b> <code>{ $uid }</code>
    Số dư: { $balance } { $currency } · tỷ giá { $rate }

    Chọn số USD muốn nạp, hoặc nhập số tiền (ít nhất 1, tối đa 2 chữ số thập phân).
cloud-confirm = Tài khoản { $cloud } <code>{ $uid }</code> nhận <b>{ $money } USD</b> (tỷ giá { $rate }).
cloud-delivered = Đã nạp { $money } USD vào tài khoản { $cloud } <code>{ $uid }</code>

failure-account-not-found = Nhà cung cấp không tìm thấy tài khoản đó.
failure-amount-refused = Nhà cung cấp từ chối số tiền đó.
failure-supplier-unavailable = Nhà cung cấp hiện không nhận đơn này; cửa hàng đã được báo.
failure-not-delivered = Nhà cung cấp không thể giao hàng.
button-top-up = 💰 Nạp tiền
failure-price-changed = Giá của nhà cung cấp đã thay đổi trước khi mua được; vui lòng bắt đầu lại để xem giá mới.
cannot-price = ⚠️ Hiện chưa thể báo giá; cửa hàng đã được báo. Vui lòng thử lại sau.
order-again = ↩️ Đây là đơn hàng của bạn.
