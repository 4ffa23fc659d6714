menu-orders = 📦 Đơn hàng của tôi
orders-empty = 📦 <b>Đơn hàng của tôi</b>
    Bạn chưa có đơn hàng nào. Mọi thứ bạn mua sẽ được liệt kê ở đây.
orders-title = 📦 <b>Đơn hàng của tôi</b>, trang { $page } / { $pages }. Chọn một đơn để xem chi tiết.
orders-item = { $state } · { $product } · { $amount } · { $date }
orders-no-goods = Đơn này không có hàng để tải về.
button-download = 📄 Tải lại
order-detail-title = 📦 <b>{ $product }</b>, đơn <code>{ $order }</code>
order-detail-facts = Số tiền: <b>{ $amount }</b>
    Trạng thái: { $state }
    Đặt lúc: { $date } (UTC)
order-detail-reference = Mã của nhà cung cấp: <code>{ $reference }</code>
order-detail-history = <b>Lịch sử</b> (UTC):
order-detail-event = <code>{ $when }</code>  { $what }
order-state-quoted = 🧾 Đã báo giá
order-state-confirmed = 🔒 Đã xác nhận, tiền đã được giữ
order-state-submitted = 📤 Đã gửi nhà cung cấp
order-state-unknown = ⏳ Đang chờ nhà cung cấp trả lời
order-state-review = 🔎 Cửa hàng đang kiểm tra
order-state-succeeded = ✅ Hoàn tất
order-state-failed = ❌ Không hoàn tất, đã hoàn tiền
order-state-reversed = ↩️ Bị nhà cung cấp hủy, đã hoàn tiền
order-state-cancelled = ✖️ Đã hủy
