wallet-credited = 💰 Cửa hàng đã cộng <b>{ $amount }</b> vào số dư của bạn: { $reason }
    Số dư: <b>{ $balance }</b>
wallet-debited = 💰 Cửa hàng đã trừ <b>{ $amount }</b> khỏi số dư của bạn: { $reason }
    Số dư: <b>{ $balance }</b>
