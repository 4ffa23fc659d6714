acedata-ask-application = 🤖 <b>Tín dụng AceData</b>
    Gửi mã ứng dụng AceData cần nạp tín dụng, ví dụ <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>.
    Bạn thanh toán trực tiếp cho AceData trên trang thanh toán của họ; số dư của bạn ở đây không bị trừ.
acedata-bad-application = ⚠️ Mã ứng dụng AceData có dạng <code>107f8d0f-e465-4a7e-a49e-d633d26f7aa2</code>: 32 chữ cái a–f và chữ số, chia nhóm 8-4-4-4-12, nối bằng dấu gạch ngang. Hãy sao chép từ bảng điều khiển AceData rồi gửi lại.
acedata-choose-package = 🤖 Ứng dụng <code>{ $application }</code>
    Chọn một gói (giá bằng USD, trả cho AceData):
acedata-no-packages = ⚠️ Hiện AceData không có gói nào. Vui lòng thử lại sau.
acedata-no-such-package = ⚠️ Không có gói này. Không có gì thay đổi.
acedata-choose-pay-way = 🤖 <b>{ $service }</b> · { $package }: { $credits } tín dụng giá <b>{ $price }</b>
    Ứng dụng <code>{ $application }</code>

    Bạn muốn thanh toán cho AceData bằng cách nào?
acedata-way-stripe = 💳 Thẻ (Stripe, USD)
acedata-way-wechat = WeChat Pay (CNY)
acedata-way-alipay = Alipay (CNY)
acedata-way-x402 = 🪙 Tiền mã hóa (X402, USDC)
acedata-confirm = Ứng dụng AceData <code>{ $application }</code> nhận <b>{ $credits } tín dụng</b> ({ $service } · { $package }) với giá <b>{ $price }</b>, thanh toán bằng { $way }.
    ⚠️ Bạn thanh toán <b>trực tiếp cho AceData</b> trên trang thanh toán của họ, qua liên kết bạn nhận tiếp theo. <b>Số dư của bạn không bị trừ.</b>
acedata-pay-now = 💳 Đơn <code>{ $order }</code>: thanh toán <b>{ $price }</b> bằng { $way } trên trang của AceData qua nút bên dưới. Khoản này trả trực tiếp cho AceData, không trừ vào số dư của bạn. Bạn sẽ nhận tin nhắn khi tín dụng được cộng.
acedata-pay-button = 💳 Thanh toán { $price } tại AceData
acedata-paid = ⏳ Đơn <code>{ $order }</code>: AceData đã nhận thanh toán và đang cộng { $credits } tín dụng. Bạn sẽ nhận tin nhắn khi hoàn tất.
acedata-delivered = đã cộng { $credits } tín dụng vào ứng dụng AceData <code>{ $application }</code>
acedata-expired = Liên kết thanh toán đã hết hạn trước khi được thanh toán; chưa có khoản nào được trả. Hãy bắt đầu lại để nhận liên kết mới.
acedata-payment-failed = AceData báo thanh toán không thành công.
acedata-refunded = AceData đã hoàn lại khoản thanh toán.
acedata-no-answer = AceData không phản hồi, nên chưa có liên kết thanh toán nào được tạo và chưa có khoản nào được trả. Vui lòng thử lại sau vài phút.
acedata-unknown-application = AceData không có ứng dụng <code>{ $application }</code>. Hãy kiểm tra mã và bắt đầu lại.
acedata-refused = AceData từ chối đơn này; gói có thể không thuộc dịch vụ của ứng dụng này. Hãy chọn gói khác.
