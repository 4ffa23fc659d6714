energy-ask-address = ⚡ <b>TRON energy</b>
    Send the TRON address that receives the energy (34 characters, starting with T).
    The address must be activated on TRON.
energy-bad-address-start = ⚠️ A TRON address starts with a capital T, like TPP5NBKiMX8AjS4fyao2Nj6AhFFCqDXgWS. Send it again.
energy-bad-address-length = ⚠️ A TRON address is exactly { $length } characters; that one has { $got }. Send it again.
energy-bad-address-characters = ⚠️ That address has characters a TRON address never has (only letters and digits, without 0, O, I and l). Send it again.
energy-bad-address-checksum = ⚠️ That address has a typo: its check characters do not match. Copy it from the wallet and send it again.
energy-bad-address-version = ⚠️ That is not a TRON mainnet address. Send it again.
energy-choose-amount = ⚡ Energy for <code>{ $address }</code>
    How much energy? About 65,000 covers one USDT transfer to an address that holds USDT; 131,000 one to a new address.
    Choose, or type a whole number from { $minimum } to { $maximum }.
energy-preset = { $energy } energy
energy-bad-amount = ⚠️ Send the energy as a whole number, like { $example }.
energy-below-minimum = ⚠️ The smallest order is { $minimum } energy.
energy-above-maximum = ⚠️ The largest order is { $maximum } energy.
energy-choose-period = ⚡ <b>{ $energy }</b> energy for <code>{ $address }</code>
    For how long?
energy-period-button = { $period } · { $price }
energy-period-1h = 1 hour
energy-period-1d = 1 day
energy-period-3d = 3 days
energy-period-30d = 30 days
energy-confirm = ⚡ <b>{ $energy }</b> energy for <b>{ $period }</b>, delegated to <code>{ $address }</code>.
energy-delivered = { $energy } energy delegated to <code>{ $address }</code> for { $period }
energy-failure-period = The supplier no longer offers that period; please choose again.
energy-failure-upstream-balance = The supplier cannot take this order right now; the shop has been told.
energy-failure-no-resources = The supplier has no free energy right now; please try again later.
energy-failure-inactive-address = The address <code>{ $address }</code> is not activated on TRON, and energy can only go to an activated address. Activate it (send it some TRX), then order again.
energy-failure-aborted = The supplier could not delegate the energy.
energy-failure-broken-off = The supplier stopped delegating the energy before the end of the period.
