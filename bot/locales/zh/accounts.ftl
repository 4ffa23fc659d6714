accounts-choose = 🛒 <b>账号</b>
    您想购买哪种账号？
accounts-kind-facebook = Facebook
accounts-kind-email = 邮箱
accounts-none = 目前没有在售的{ $kind }账号。
accounts-services = 🛒 <b>{ $kind }账号</b>
    价格为每个账号的价格，单位 { $currency }。已售罄的商品在补货前无法购买。
accounts-in-stock = 剩余 { $stock }
accounts-sold-out-short = 已售罄
accounts-not-found = ⚠️ 该商品不在售。未做任何更改。
accounts-sold-out = ⚠️ 该商品目前已售罄。未做任何更改。
accounts-detail = 🛒 <b>{ $name }</b>
    类型：{ $kind } · 地区：{ $geo }
    价格：每个账号 { $price } · 库存：{ $stock }
accounts-description = { $description }
accounts-estimate = 从您的余额中每个账号约 { $price }；确认页面会显示准确的扣款金额。
accounts-ask-quantity = 需要多少个？请在下方选择，或输入 { $minimum } 到 { $maximum } 之间的整数。
accounts-whole-number = ⚠️ 请发送整数个账号，例如 5。
accounts-count = { $count } 个账号
accounts-confirm = <b>{ $quantity } × { $name }</b>（{ $kind }）
    { $quantity } × { $unit } = <b>{ $total }</b>（商店价格）。
    账号将以 .txt 文件发送到此聊天。
accounts-delivered = { $quantity } × { $name }；账号在随此消息发送的文件中
accounts-failure-out-of-stock = 在您下单前该商品已售罄；未购买任何商品。
accounts-failure-invalid-amount = 商店不再以该数量出售此商品；未购买任何商品。
accounts-failure-invalid-service = 商店已不再出售此商品；未购买任何商品。
