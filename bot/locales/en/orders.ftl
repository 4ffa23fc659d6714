menu-orders = 📦 My orders
orders-empty = 📦 <b>My orders</b>
    You have no orders yet. Everything you buy will be listed here.
orders-title = 📦 <b>My orders</b>, page { $page } of { $pages }. Choose one to see its details.
orders-item = { $state } · { $product } · { $amount } · { $date }
orders-no-goods = This order has no goods to download.
button-download = 📄 Download again
order-detail-title = 📦 <b>{ $product }</b>, order <code>{ $order }</code>
order-detail-facts = Amount: <b>{ $amount }</b>
    Status: { $state }
    Ordered: { $date } (UTC)
order-detail-reference = Supplier's reference: <code>{ $reference }</code>
order-detail-history = <b>History</b> (UTC):
order-detail-event = <code>{ $when }</code>  { $what }
order-state-quoted = 🧾 Priced
order-state-confirmed = 🔒 Confirmed, money set aside
order-state-submitted = 📤 Sent to the supplier
order-state-unknown = ⏳ Waiting for the supplier's answer
order-state-review = 🔎 Being checked by the shop
order-state-succeeded = ✅ Done
order-state-failed = ❌ Not completed, money returned
order-state-reversed = ↩️ Reversed by the supplier, money returned
order-state-cancelled = ✖️ Cancelled
