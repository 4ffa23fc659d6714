topup-ask-number = 📱 <b>Mobile top-up</b>
    Send the phone number with its country code, like <code>+254771114118</code>.
topup-bad-number = ⚠️ A phone number is digits only, with an optional + in front, like +254771114118. Send it again.
topup-bad-number-length = ⚠️ A phone number with its country code has 8 to 15 digits, like +254771114118. Send it again.
topup-carrier-unknown = ⚠️ The supplier could not tell the carrier of <code>{ $number }</code>. Choose its country, then its carrier.
topup-target = 📱 Number <code>{ $number }</code>
    Country: { $country } · carrier: { $carrier }

    Top up airtime or data? If the country or carrier is wrong, change it.
topup-airtime = 📶 Airtime
topup-data = 🌐 Data
topup-change-country = 🌍 Change country or carrier
topup-choose-country = 🌍 Choose the country (page { $page } of { $pages }).
topup-previous = ◀️ Previous
topup-next = Next ▶️
topup-choose-carrier = 📡 Choose the carrier in { $country }.
topup-no-carriers = ⚠️ No carrier in { $country } can be topped up here. Choose another country.
topup-offers = { $kind } for <code>{ $number }</code> ({ $carrier }): choose one. Each shows what the number receives and what you pay.
topup-no-offers = ⚠️ { $carrier } has no { $kind } for <code>{ $number }</code> right now. Go back and choose something else.
topup-confirm = { $kind } <b>{ $face } { $unit }</b> ({ $product }) for <code>{ $number }</code>, { $country } · { $carrier }.
topup-delivered = { $kind } { $face } { $unit } sent to <code>{ $number }</code>
topup-failure-number = The supplier does not accept that phone number.
