welcome-new =
    👋 Chào mừng bạn đến cửa hàng, <b>{ $name }</b>!
    Thanh toán bằng số dư cho nạp tiền tài khoản cloud, năng lượng TRON, nạp điện thoại, tài khoản và nhiều hơn nữa.
welcome-back = 👋 Chào mừng bạn quay lại, <b>{ $name }</b>.
menu-title = 🏠 <b>Menu chính</b>
    Số dư: <b>{ $balance }</b>
menu-wallet = 💰 Ví
menu-language = 🌐 Ngôn ngữ
menu-help = ❓ Trợ giúp
menu-support = 💬 Liên hệ hỗ trợ

button-back = ⬅️ Quay lại
button-cancel = ✖️ Hủy
button-menu = 🏠 Menu chính
button-newer = ◀️ Mới hơn
button-older = Cũ hơn ▶️

wallet-title = 💰 <b>Ví</b>
wallet-available = Khả dụng: <b>{ $amount }</b>
wallet-held = Đang giữ cho đơn đang xử lý: <b>{ $amount }</b>
wallet-empty = Chưa có giao dịch nào. Các khoản nạp, mua và hoàn tiền sẽ hiện ở đây.
wallet-page = <b>Lịch sử</b>, trang { $page }/{ $pages }:
wallet-line = <code>{ $date }</code>  { $what }  <b>{ $amount }</b>
history-deposit = Nạp tiền
history-adjustment = Điều chỉnh bởi cửa hàng
history-adjustment-reason = Điều chỉnh bởi cửa hàng: { $reason }
history-hold = Tạm giữ cho đơn { $order }
history-void = Trả lại từ đơn { $order }
history-refund = Hoàn tiền đơn { $order }
history-post = Thanh toán đơn { $order }
history-deposit-refund = Hoàn lại khoản nạp
history-deposit-refund-cancelled = Hoàn lại khoản nạp không thành công, tiền đã trả lại

language-title = 🌐 Chọn ngôn ngữ:
language-changed = ✅ Đã chuyển sang tiếng Việt.

help-text =
    ❓ <b>Cách cửa hàng hoạt động</b>

    • Giữ số dư trong <b>Ví</b> và thanh toán các giao dịch mua từ đó.
    • Mỗi giao dịch đều hiện giá chính xác trước khi bạn xác nhận, và tiền chỉ bị trừ cho những gì đã giao: nếu nhà cung cấp thất bại, tiền trở lại số dư của bạn.
    • Lịch sử ví liệt kê mọi khoản nạp, mua và hoàn tiền.
    • /start mở menu chính, /cancel dừng thao tác đang làm.
    • Có câu hỏi? Chọn <b>Liên hệ hỗ trợ</b> trong menu chính.

support-prompt =
    💬 Viết câu hỏi của bạn trong một tin nhắn (tối đa { $max } ký tự), tin nhắn sẽ được chuyển đến nhân viên cửa hàng.
    Gửi /cancel để dừng.
support-too-long = ⚠️ Tin nhắn dài { $length } ký tự; tối đa là { $max }. Vui lòng viết ngắn hơn.
support-not-text = ⚠️ Vui lòng gửi câu hỏi dưới dạng văn bản (tối đa { $max } ký tự).
support-sent = ✅ Tin nhắn của bạn đã được chuyển đến nhân viên cửa hàng. Họ sẽ trả lời bạn tại đây.
support-slow-down = ⏳ Bạn đã nhắn hỗ trợ { $count } lần trong { $window } phút qua, nên tin nhắn này chưa được chuyển đi. Vui lòng đợi { $minutes } phút rồi hãy viết tiếp: nhân viên đã nhận các tin nhắn trước của bạn và sẽ trả lời bạn tại đây.

cancel-done = ✖️ Đã hủy. Không có gì thay đổi.
cancel-nothing = Không có gì để hủy.
banned = Xin lỗi, tài khoản này không thể sử dụng cửa hàng nữa. Nếu bạn nghĩ đây là nhầm lẫn, vui lòng liên hệ chủ cửa hàng.
stale-button = ⚠️ Nút này đã cũ. Gửi /start để mở menu mới.
unknown-input = Tôi chưa hiểu. Vui lòng dùng các nút bên dưới, hoặc /start để mở menu chính.
error-generic = ⚠️ Đã có lỗi ở phía chúng tôi và không có gì thay đổi. Vui lòng thử lại sau.
