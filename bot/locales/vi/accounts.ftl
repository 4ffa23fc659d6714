accounts-choose = 🛒 <b>Tài khoản</b>
    Bạn muốn mua loại tài khoản nào?
accounts-kind-facebook = Facebook
accounts-kind-email = Email
accounts-none = Hiện không có tài khoản { $kind } nào đang bán.
accounts-services = 🛒 <b>Tài khoản { $kind }</b>
    Giá tính cho mỗi tài khoản, bằng { $currency }. Mặt hàng đã hết không thể mua cho đến khi có hàng lại.
accounts-in-stock = còn { $stock }
accounts-sold-out-short = hết hàng
accounts-not-found = ⚠️ Mặt hàng này không được bán. Không có gì thay đổi.
accounts-sold-out = ⚠️ Mặt hàng này hiện đã hết hàng. Không có gì thay đổi.
accounts-detail = 🛒 <b>{ $name }</b>
    Loại: { $kind } · khu vực: { $geo }
    Giá: { $price } mỗi tài khoản · còn: { $stock }
accounts-description = { $description }
accounts-estimate = Khoảng { $price } mỗi tài khoản từ số dư của bạn; màn hình xác nhận hiển thị số tiền chính xác.
accounts-ask-quantity = Bạn cần bao nhiêu? Chọn bên dưới hoặc gõ một số nguyên từ { $minimum } đến { $maximum }.
accounts-whole-number = ⚠️ Hãy gửi số lượng tài khoản là số nguyên, ví dụ 5.
accounts-count = { $count } tài khoản
accounts-confirm = <b>{ $quantity } × { $name }</b> ({ $kind })
    { $quantity } × { $unit } = <b>{ $total }</b> theo giá của cửa hàng.
    Tài khoản sẽ được gửi dưới dạng tệp .txt trong cuộc trò chuyện này.
accounts-delivered = { $quantity } × { $name }; tài khoản nằm trong tệp được gửi kèm tin nhắn này
accounts-failure-out-of-stock = Cửa hàng đã hết mặt hàng này trước khi bạn đặt; không có gì được mua.
accounts-failure-invalid-amount = Cửa hàng không còn bán mặt hàng này với số lượng đó; không có gì được mua.
accounts-failure-invalid-service = Cửa hàng không còn bán mặt hàng này; không có gì được mua.
