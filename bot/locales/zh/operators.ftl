wallet-credited = 💰 店铺已向您的余额增加 <b>{ $amount }</b>：{ $reason }
    余额：<b>{ $balance }</b>
wallet-debited = 💰 店铺已从您的余额扣除 <b>{ $amount }</b>：{ $reason }
    余额：<b>{ $balance }</b>
