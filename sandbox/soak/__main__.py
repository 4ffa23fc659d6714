"""`python -m sandbox.soak --seed N --minutes M [--webhook]`: a soak run, the bot polling or on
its webhook; exit code 1 on any violation."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sandbox.soak.faults import FaultRates
from sandbox.soak.run import SoakSettings, report, soak
from sandbox.soak.webhook_faults import WebhookRates


def settings_from(argv: list[str] | None = None) -> SoakSettings:
    defaults = FaultRates()
    webhook_defaults = WebhookRates()
    parser = argparse.ArgumentParser(prog="python -m sandbox.soak", description=__doc__)
    parser.add_argument("--seed", type=int, default=1, help="replays the same choices and faults")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long customers act")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument(
        "--kill-every",
        type=float,
        default=30.0,
        help="mean seconds between SIGKILLs of the bot (0: never)",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=60.0,
        help="after faults stop, how long orders may take to settle",
    )
    parser.add_argument(
        "--telegram-rate",
        type=float,
        default=defaults.telegram,
        dest="telegram",
        help="chance per tick of a Bot API fault (429, 502, timeout)",
    )
    parser.add_argument(
        "--callback-rate",
        type=float,
        default=defaults.callback,
        dest="callback",
        help="chance per tick of a KUMQUAT callback fault",
    )
    parser.add_argument(
        "--short-page-rate",
        type=float,
        default=defaults.short_page,
        dest="short_page",
        help="chance per tick of a TronGrid page that ends early",
    )
    for kind, rate in defaults.by_kind().items():
        name = {"5xx": "gateway", "answer": "error"}.get(kind, kind)
        parser.add_argument(
            f"--{name}-rate",
            type=float,
            default=rate,
            dest=name,
            help=f"chance per tick of a '{kind}' fault",
        )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="the bot takes its updates on its webhook (BOT_MODE=webhook), not by polling",
    )
    parser.add_argument(
        "--lost-answer-rate",
        type=float,
        default=webhook_defaults.lost_answer,
        dest="lost_answer",
        help="with --webhook: chance per tick that the bot's next answer to Telegram is lost",
    )
    parser.add_argument(
        "--replay-rate",
        type=float,
        default=webhook_defaults.replay,
        dest="replay",
        help="with --webhook: chance per tick that an answered update is delivered again",
    )
    parser.add_argument("--show-log", action="store_true", help="print the whole action log")
    args = parser.parse_args(argv)
    rates = FaultRates(
        drop=args.drop,
        hang=args.hang,
        slow=args.slow,
        gateway=args.gateway,
        garbage=args.garbage,
        error=args.error,
        telegram=args.telegram,
        callback=args.callback,
        short_page=args.short_page,
    )
    return SoakSettings(
        seed=args.seed,
        minutes=args.minutes,
        customers=args.customers,
        rates=rates,
        kill_every=args.kill_every,
        settle_seconds=args.settle_seconds,
        show_log=args.show_log,
        webhook=args.webhook,
        webhook_rates=WebhookRates(lost_answer=args.lost_answer, replay=args.replay),
    )


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    outcome = asyncio.run(soak(settings))
    print(report(settings, outcome), flush=True)
    return 1 if outcome.violations else 0


if __name__ == "__main__":
    sys.exit(main())
