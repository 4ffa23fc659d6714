"""`python -m sandbox.replicas --customers 300 --seed 1`: customers buy from three webhook
replicas behind nginx on PostgreSQL, one replica is killed with SIGKILL in the middle; exit code 1
on any violation, 2 when a server or nginx is missing."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sandbox.replicas.proxy import ProxyMissing
from sandbox.replicas.run import POSTGRES_URL, REDIS_URL, ReplicaSettings, replicas_run, report


def settings_from(argv: list[str] | None = None) -> ReplicaSettings:
    usual = ReplicaSettings()
    parser = argparse.ArgumentParser(prog="python -m sandbox.replicas", description=__doc__)
    parser.add_argument("--seed", type=int, default=usual.seed)
    parser.add_argument("--customers", type=int, default=usual.customers)
    parser.add_argument("--replicas", type=int, default=usual.replicas)
    parser.add_argument("--purchases", type=int, default=usual.purchases)
    parser.add_argument("--latency", type=float, default=usual.latency, help="upstream, seconds")
    parser.add_argument("--arrive-within", type=float, default=usual.arrive_within)
    parser.add_argument("--kill-after", type=float, default=usual.kill_after)
    parser.add_argument("--settle-seconds", type=float, default=usual.settle_seconds)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--redis-url", default=REDIS_URL)
    args = parser.parse_args(argv)
    return ReplicaSettings(
        seed=args.seed,
        customers=args.customers,
        replicas=args.replicas,
        purchases=args.purchases,
        latency=args.latency,
        arrive_within=args.arrive_within,
        kill_after=args.kill_after,
        settle_seconds=args.settle_seconds,
        postgres_url=args.postgres_url,
        redis_url=args.redis_url or None,
    )


def main(argv: list[str] | None = None) -> int:
    settings = settings_from(argv)
    try:
        outcome = asyncio.run(replicas_run(settings))
    except (ProxyMissing, OSError) as missing:
        print(f"replicas: cannot run: {missing}", file=sys.stderr)
        return 2
    except AssertionError as refused:  # a replica or nginx did not start
        print(f"replicas: did not start: {str(refused)[-2000:]}", file=sys.stderr)
        return 1
    print(report(settings, outcome), flush=True)
    return 1 if outcome.violations else 0


if __name__ == "__main__":
    sys.exit(main())
