"""`python -m bench [NAME ...]` (`make bench`): every benchmark, one process each, in turn.

Exits non-zero when a benchmark's correctness check failed (or it crashed); slow figures are
reported, never failed.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import RUNS, machine

BENCHMARKS = (
    "throughput",
    "purchases",
    "purchases_replicas",
    "ledger",
    "ledger_postgres",
    "footprint",
)


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}; one of {', '.join(BENCHMARKS)}")
        return 2
    print(f"Machine: {machine()}; {RUNS} runs of each measurement", flush=True)
    failed: list[str] = []
    began = time.monotonic()
    for name in chosen:
        done = subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False)
        if done.returncode != 0:
            failed.append(name)
    print(f"\nAll done in {time.monotonic() - began:.0f} s.", flush=True)
    if failed:
        print(f"Correctness checks FAILED in: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
