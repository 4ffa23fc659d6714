welcome-new =
    👋 Welcome to the shop, <b>{ $name }</b>!
    Pay from your balance for cloud recharges, TRON energy, mobile top-ups, accounts and more.
welcome-back = 👋 Welcome back, <b>{ $name }</b>.
menu-title = 🏠 <b>Main menu</b>
    Balance: <b>{ $balance }</b>
menu-wallet = 💰 Wallet
menu-language = 🌐 Language
menu-help = ❓ Help
menu-support = 💬 Contact support

button-back = ⬅️ Back
button-cancel = ✖️ Cancel
button-menu = 🏠 Main menu
button-newer = ◀️ Newer
button-older = Older ▶️

wallet-title = 💰 <b>Wallet</b>
wallet-available = Available: <b>{ $amount }</b>
wallet-held = Held for orders in progress: <b>{ $amount }</b>
wallet-empty = No movements yet. Your deposits, purchases and refunds will be listed here.
wallet-page = <b>History</b>, page { $page } of { $pages }:
wallet-line = <code>{ $date }</code>  { $what }  <b>{ $amount }</b>
history-deposit = Deposit
history-adjustment = Correction by the shop
history-adjustment-reason = Correction by the shop: { $reason }
history-hold = Reserved for order { $order }
history-void = Returned from order { $order }
history-refund = Refund for order { $order }
history-post = Paid for order { $order }
history-deposit-refund = Deposit refunded
history-deposit-refund-cancelled = Deposit refund refused, money returned

language-title = 🌐 Choose your language:
language-changed = ✅ Language set to English.

help-text =
    ❓ <b>How this shop works</b>

    • Keep a balance in your <b>Wallet</b> and pay for purchases from it.
    • Every purchase shows the exact price before you confirm, and money is only taken for what is delivered: if the supplier fails, it goes back to your balance.
    • Your wallet history lists every deposit, purchase and refund.
    • /start opens the main menu, /cancel stops whatever you are doing.
    • Questions? Use <b>Contact support</b> in the main menu.

support-prompt =
    💬 Write your question in one message (at most { $max } characters) and it goes to the shop's operators.
    Send /cancel to stop.
support-too-long = ⚠️ That is { $length } characters; please keep it to { $max } at most. Write it again, shorter.
support-not-text = ⚠️ Please send your question as text (at most { $max } characters).
support-sent = ✅ Your message went to the shop's operators. They will answer you here.
support-slow-down = ⏳ You wrote to support { $count } times in the last { $window } minutes, so this message was not passed on. Please wait { $minutes } min before writing again: the operators have your earlier messages and will answer you here.

cancel-done = ✖️ Cancelled. Nothing was changed.
cancel-nothing = Nothing to cancel.
banned = Sorry, this account can no longer use the shop. If you think this is a mistake, please contact the shop's owner.
stale-button = ⚠️ That button is out of date. Send /start for a fresh menu.
unknown-input = I didn't understand that. Please use the buttons below, or /start for the main menu.
error-generic = ⚠️ Something went wrong on our side and nothing was changed. Please try again in a moment.
