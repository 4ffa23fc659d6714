"""`python -m sandbox.soak --seed N --minutes M`: a soak run; exit code 1 on any violation."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sandbox.soak.faults import FaultRates
from sandbox.soak.run import SoakSettings, report, soak


def settings_from(argv: list[str] | None = None) -> SoakSettings:
    defaults = FaultRates()
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
    )


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    outcome = asyncio.run(soak(settings))
    print(report(settings, outcome), flush=True)
    return 1 if outcome.violations else 0


if __name__ == "__main__":
    sys.exit(main())
