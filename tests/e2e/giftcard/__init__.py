"""A product line that exists only in the tests: gift cards of a fixed value, bought from a tiny
upstream (`upstream.GiftcardUpstream`). It proves that a line is one unit that declares itself:
nothing of the shop is edited for it.

- `line`: the line unit (its settings, how it is built, its upstream's balance facts) and the
  line itself (quote, submit, query, health);
- `conversation`: the conversation unit (router, presenter, menu entry);
- `declare`: registers both, for a bot that imports it (`STOREFRONT_EXTRA_MODULES`);
- `upstream`: the simulator, an aiohttp app on 127.0.0.1.
"""
