"""The demo shop's marketing, ready to try: a promo code, a gift code, referral rewards and Bob's
invitation link (the playground's "Try these" lists them beside the simulators' samples)."""

from __future__ import annotations

from bot.services.promos import parse_terms
from bot.services.referrals import LINK_PREFIX, SETTLING_KEY, terms_key
from sandbox.upstreams import Sample
from storage.database import Database
from storage.promos import PromoStore
from storage.referrals import ReferralStore
from storage.settings import SettingsStore

DISCOUNT_CODE = "WELCOME10"
GIFT_CODE = "DEMOGIFT5"
INVITATION = "bbshare2"  # Bob's referral code (letters of the codes' alphabet)
REFERRAL_SHARE = "10 amount"  # of every line, paid at the next release run

OFFER_SAMPLES = (
    Sample("Promo code: 10% off (🏷 Promo code on a confirmation)", DISCOUNT_CODE),
    Sample("Gift code: 5 USDT to the balance", f"/promo {GIFT_CODE}"),
    Sample(
        "Bob's invitation (as Alice, before anything else: her purchases then earn Bob 10%)",
        f"/start {LINK_PREFIX}{INVITATION}",
    ),
)


async def seed_offers(db: Database, referrer: int, lines: list[str]) -> None:
    promos = PromoStore(db)
    async with db.write() as tx:
        for terms in (f"{DISCOUNT_CODE} 10% per=3", f"{GIFT_CODE} gift 5"):
            await promos.create(parse_terms(terms, lines=lines, by="demo"), tx=tx)
    await ReferralStore(db).add_code(referrer, INVITATION)
    settings = SettingsStore(db)
    for line in lines:
        await settings.set(terms_key(line), REFERRAL_SHARE, actor="demo")
    await settings.set(SETTLING_KEY, "0", actor="demo")
