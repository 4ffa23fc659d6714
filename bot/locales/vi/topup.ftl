topup-ask-number = 📱 <b>Nạp tiền điện thoại</b>
    Gửi số điện thoại kèm mã quốc gia, ví dụ <code>+254771114118</code>.
topup-bad-number = ⚠️ Số điện thoại chỉ gồm chữ số, có thể có dấu + ở đầu, ví dụ +254771114118. Hãy gửi lại.
topup-bad-number-length = ⚠️ Số điện thoại kèm mã quốc gia có từ 8 đến 15 chữ số, ví dụ +254771114118. Hãy gửi lại.
topup-carrier-unknown = ⚠️ Nhà cung cấp không xác định được nhà mạng của <code>{ $number }</code>. Hãy chọn quốc gia, rồi chọn nhà mạng.
topup-target = 📱 Số <code>{ $number }</code>
    Quốc gia: { $country } · nhà mạng: { $carrier }

    Nạp tiền gọi hay dữ liệu? Nếu quốc gia hoặc nhà mạng sai, hãy đổi.
topup-airtime = 📶 Tiền gọi
topup-data = 🌐 Dữ liệu
topup-change-country = 🌍 Đổi quốc gia hoặc nhà mạng
topup-choose-country = 🌍 Chọn quốc gia (trang { $page }/{ $pages }).
topup-previous = ◀️ Trước
topup-next = Sau ▶️
topup-choose-carrier = 📡 Chọn nhà mạng ở { $country }.
topup-no-carriers = ⚠️ Không có nhà mạng nào ở { $country } nạp được tại đây. Hãy chọn quốc gia khác.
topup-offers = { $kind } cho <code>{ $number }</code> ({ $carrier }): hãy chọn một gói. Mỗi gói ghi số nhận được và số bạn trả.
topup-no-offers = ⚠️ { $carrier } hiện không có gói { $kind } cho <code>{ $number }</code>. Hãy quay lại và chọn gói khác.
topup-confirm = { $kind } <b>{ $face } { $unit }</b> ({ $product }) cho <code>{ $number }</code>, { $country } · { $carrier }.
topup-delivered = Đã nạp { $kind } { $face } { $unit } cho <code>{ $number }</code>
topup-failure-number = Nhà cung cấp không chấp nhận số điện thoại này.
