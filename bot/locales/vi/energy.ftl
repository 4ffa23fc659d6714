energy-ask-address = ⚡ <b>Năng lượng TRON</b>
    Gửi địa chỉ TRON nhận năng lượng (34 ký tự, bắt đầu bằng T).
    Địa chỉ phải đã được kích hoạt trên TRON.
energy-bad-address-start = ⚠️ Địa chỉ TRON bắt đầu bằng chữ T hoa, ví dụ TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS. Hãy gửi lại.
energy-bad-address-length = ⚠️ Địa chỉ TRON có đúng { $length } ký tự; địa chỉ này có { $got }. Hãy gửi lại.
energy-bad-address-characters = ⚠️ Địa chỉ này có ký tự mà địa chỉ TRON không bao giờ có (chỉ chữ và số, không có 0, O, I và l). Hãy gửi lại.
energy-bad-address-checksum = ⚠️ Địa chỉ này bị gõ sai: các ký tự kiểm tra không khớp. Hãy sao chép từ ví và gửi lại.
energy-bad-address-version = ⚠️ Đây không phải địa chỉ TRON mainnet. Hãy gửi lại.
energy-choose-amount = ⚡ Năng lượng cho <code>{ $address }</code>
    Cần bao nhiêu năng lượng? Khoảng 65,000 đủ cho một lần chuyển USDT tới địa chỉ đã có USDT; 131,000 cho địa chỉ mới.
    Chọn, hoặc nhập một số nguyên từ { $minimum } đến { $maximum }.
energy-preset = { $energy } năng lượng
energy-bad-amount = ⚠️ Gửi số năng lượng là một số nguyên, ví dụ { $example }.
energy-below-minimum = ⚠️ Đơn nhỏ nhất là { $minimum } năng lượng.
energy-above-maximum = ⚠️ Đơn lớn nhất là { $maximum } năng lượng.
energy-choose-period = ⚡ <b>{ $energy }</b> năng lượng cho <code>{ $address }</code>
    Thuê trong bao lâu?
energy-period-button = { $period } · { $price }
energy-period-1h = 1 giờ
energy-period-1d = 1 ngày
energy-period-3d = 3 ngày
energy-period-30d = 30 ngày
energy-confirm = ⚡ <b>{ $energy }</b> năng lượng trong <b>{ $period }</b>, ủy quyền cho <code>{ $address }</code>.
energy-delivered = Đã ủy quyền { $energy } năng lượng cho <code>{ $address }</code> trong { $period }
energy-failure-period = Nhà cung cấp không còn thời hạn đó; vui lòng chọn lại.
energy-failure-upstream-balance = Nhà cung cấp hiện không nhận được đơn này; cửa hàng đã được báo.
energy-failure-no-resources = Nhà cung cấp hiện không còn năng lượng trống; vui lòng thử lại sau.
energy-failure-inactive-address = Địa chỉ <code>{ $address }</code> chưa được kích hoạt trên TRON, và năng lượng chỉ gửi được tới địa chỉ đã kích hoạt. Hãy kích hoạt (gửi cho nó một ít TRX) rồi đặt lại.
energy-failure-aborted = Nhà cung cấp không ủy quyền được năng lượng.
energy-failure-broken-off = Nhà cung cấp đã ngừng ủy quyền năng lượng trước khi hết thời hạn.
