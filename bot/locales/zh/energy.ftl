energy-ask-address = ⚡ <b>TRON 能量</b>
    请发送接收能量的 TRON 地址(34 个字符,以 T 开头)。
    该地址必须已在 TRON 上激活。
energy-bad-address-start = ⚠️ TRON 地址以大写 T 开头,例如 TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS。请重新发送。
energy-bad-address-length = ⚠️ TRON 地址正好是 { $length } 个字符,您发送的是 { $got } 个。请重新发送。
energy-bad-address-characters = ⚠️ 该地址含有 TRON 地址不会出现的字符(只有字母和数字,不含 0、O、I 和 l)。请重新发送。
energy-bad-address-checksum = ⚠️ 该地址有错字:校验字符不匹配。请从钱包复制后重新发送。
energy-bad-address-version = ⚠️ 这不是 TRON 主网地址。请重新发送。
energy-choose-amount = ⚡ 为 <code>{ $address }</code> 租用能量
    需要多少能量?向持有 USDT 的地址转一笔 USDT 约需 65,000;向新地址转账约需 131,000。
    请选择,或输入 { $minimum } 到 { $maximum } 之间的整数。
energy-preset = { $energy } 能量
energy-bad-amount = ⚠️ 请以整数发送能量数量,例如 { $example }。
energy-below-minimum = ⚠️ 最少下单 { $minimum } 能量。
energy-above-maximum = ⚠️ 最多下单 { $maximum } 能量。
energy-choose-period = ⚡ 为 <code>{ $address }</code> 租用 <b>{ $energy }</b> 能量
    租用多久?
energy-period-button = { $period } · { $price }
energy-period-1h = 1 小时
energy-period-1d = 1 天
energy-period-3d = 3 天
energy-period-30d = 30 天
energy-confirm = ⚡ <b>{ $energy }</b> 能量,租期 <b>{ $period }</b>,代理到 <code>{ $address }</code>。
energy-delivered = { $energy } 能量已代理到 <code>{ $address }</code>,租期 { $period }
energy-failure-period = 供应商已不再提供该租期,请重新选择。
energy-failure-upstream-balance = 供应商暂时无法接单,已通知店铺。
energy-failure-no-resources = 供应商目前没有可用能量,请稍后再试。
energy-failure-inactive-address = 地址 <code>{ $address }</code> 尚未在 TRON 上激活,能量只能代理到已激活的地址。请先激活(向其转入少量 TRX)后再下单。
energy-failure-aborted = 供应商未能代理能量。
energy-failure-broken-off = 供应商在租期结束前中止了能量代理。
