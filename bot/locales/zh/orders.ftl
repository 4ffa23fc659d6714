menu-orders = 📦 我的订单
orders-empty = 📦 <b>我的订单</b>
    您还没有订单。您购买的所有商品都会列在这里。
orders-title = 📦 <b>我的订单</b>，第 { $page } / { $pages } 页。选择一个订单查看详情。
orders-item = { $state } · { $product } · { $amount } · { $date }
orders-no-goods = 此订单没有可下载的商品。
button-download = 📄 重新下载
order-detail-title = 📦 <b>{ $product }</b>，订单 <code>{ $order }</code>
order-detail-facts = 金额：<b>{ $amount }</b>
    状态：{ $state }
    下单时间：{ $date }（UTC）
order-detail-reference = 供应商单号：<code>{ $reference }</code>
order-detail-history = <b>记录</b>（UTC）：
order-detail-event = <code>{ $when }</code>  { $what }
order-state-quoted = 🧾 已报价
order-state-confirmed = 🔒 已确认，款项已冻结
order-state-submitted = 📤 已提交给供应商
order-state-unknown = ⏳ 等待供应商答复
order-state-review = 🔎 店铺核查中
order-state-succeeded = ✅ 已完成
order-state-failed = ❌ 未完成，款项已退回
order-state-reversed = ↩️ 被供应商撤销，款项已退回
order-state-cancelled = ✖️ 已取消
