wallet-credited = 💰 The shop added <b>{ $amount }</b> to your balance: { $reason }
    Balance: <b>{ $balance }</b>
wallet-debited = 💰 The shop took <b>{ $amount }</b> from your balance: { $reason }
    Balance: <b>{ $balance }</b>
