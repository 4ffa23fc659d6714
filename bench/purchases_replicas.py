"""Purchase concurrency on replicas: `bench/purchases.py`'s 500 customers pressing Confirm at once,
on PostgreSQL and Redis, the shop on its webhook behind nginx, as one replica and as three.

Each run measures both, one after the other (which goes first alternates run by run), each on a
shop of its own started for it: a new PostgreSQL schema, a new Redis key prefix, the replicas
(`python -m bot run --webhook`, `sandbox/replicas/fleet.py`) and nginx in front of them, where
the emulator posts every update and the simulators their callbacks. The customers, the timing, the
figures and the checks are `bench/purchases.py`'s: every purchase "Done!", each wallet exact, each
recharge made upstream once, `python -m bot check` passing against the shared database; a failed
check fails the run (exit 1). Printed for each: wall time, serial bound and their ratio, upstream
calls per purchase, throughput, p50 and p99; then throughput on three replicas over one, run by
run.

Set BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) and BENCH_REDIS_URL
(default redis://127.0.0.1:6379/0). Without either server, or without nginx, the benchmark says
so and measures nothing.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from bench.common import RUNS, header, listening, machine, ratio, run_main, show
from bench.purchases import CUSTOMERS, LATENCY, PRODUCTION_TIMINGS, Run, figures, one_run, prepare
from bench.replicated_shop import replicated_shop
from sandbox.replicas.proxy import nginx_path

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
REPLICAS = (1, 3)


def missing() -> str | None:
    """What the benchmark needs and this machine lacks, if anything."""
    if not listening(POSTGRES_URL, 5432):
        return f"no PostgreSQL at {urlsplit(POSTGRES_URL).netloc}"
    if not listening(REDIS_URL, 6379):
        return f"no Redis at {urlsplit(REDIS_URL).netloc}"
    if nginx_path() is None:
        return "no nginx (apt-get install nginx-light)"
    return None


def named(replicas: int) -> str:
    return "1 replica" if replicas == 1 else f"{replicas} replicas"


async def measure(replicas: int, number: int) -> Run:
    async with replicated_shop(replicas, POSTGRES_URL, REDIS_URL, PRODUCTION_TIMINGS) as shop:
        prepare(shop, runs=1)
        return await one_run(shop, number, f", {named(replicas)}")


async def main() -> None:
    header(
        f"Purchase concurrency on replicas: {CUSTOMERS} customers confirm at once,"
        f" {LATENCY * 1000:.0f} ms upstream latency, webhooks through nginx, PostgreSQL and Redis,"
        f" on {' and on '.join(named(count) for count in REPLICAS)}"
    )
    print(f"  machine: {machine()}", flush=True)
    lacking = missing()
    if lacking:
        print(f"  {lacking}: nothing measured", flush=True)
        return
    runs: dict[int, list[Run]] = {count: [] for count in REPLICAS}
    for number in range(1, RUNS + 1):
        for count in REPLICAS if number % 2 else REPLICAS[::-1]:
            runs[count].append(await measure(count, number))
    for count in REPLICAS:
        print(f"  {named(count)}:", flush=True)
        show(*figures(runs[count]))
    first, last = REPLICAS[0], REPLICAS[-1]
    show(
        ratio(
            f"throughput, {named(last)} / {named(first)}",
            [run.throughput for run in runs[last]],
            [run.throughput for run in runs[first]],
        )
    )


if __name__ == "__main__":
    run_main(main)
