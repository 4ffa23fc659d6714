"""The soak: a population of customers buys from the real bot while upstreams fail and the bot is
killed, and invariants about money and orders are checked as an outside auditor would.

`python -m sandbox.soak --seed N --minutes M` (or `make soak`). Every choice comes from the seed:
each customer, the fault injector and the killer draw from their own `random.Random`, derived from
it, so that one actor's choices do not depend on how the others' happened to interleave. The bot's
own timing may differ between two runs of a seed; the invariants judge outcomes, not timings.
"""
