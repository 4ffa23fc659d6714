accounts-choose = 🛒 <b>Accounts</b>
    Which kind of account do you want?
accounts-kind-facebook = Facebook
accounts-kind-email = Email
accounts-none = There are no { $kind } accounts for sale right now.
accounts-services = 🛒 <b>{ $kind } accounts</b>
    Prices are per account, in { $currency }. Sold-out items cannot be bought until they are restocked.
accounts-in-stock = { $stock } left
accounts-sold-out-short = sold out
accounts-not-found = ⚠️ That item is not for sale. Nothing was changed.
accounts-sold-out = ⚠️ This item is sold out right now. Nothing was changed.
accounts-detail = 🛒 <b>{ $name }</b>
    Type: { $kind } · region: { $geo }
    Price: { $price } per account · in stock: { $stock }
accounts-description = { $description }
accounts-estimate = About { $price } per account from your balance; the confirmation shows the exact charge.
accounts-ask-quantity = How many? Choose below or type a whole number from { $minimum } to { $maximum }.
accounts-whole-number = ⚠️ Send a whole number of accounts, like 5.
accounts-count = { $count } accounts
accounts-confirm = <b>{ $quantity } × { $name }</b> ({ $kind })
    { $quantity } × { $unit } = <b>{ $total }</b> at the shop's price.
    The accounts arrive as a .txt file in this chat.
accounts-delivered = { $quantity } × { $name }; the accounts are in the file sent with this message
accounts-failure-out-of-stock = The shop ran out of this item before your order; nothing was bought.
accounts-failure-invalid-amount = The shop no longer sells this item in that quantity; nothing was bought.
accounts-failure-invalid-service = The shop no longer sells this item; nothing was bought.
