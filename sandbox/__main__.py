"""`python -m sandbox`: every upstream simulator on loopback, with URLs and demo credentials."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.upstreams import Upstreams


async def serve(host: str, first_port: int) -> None:
    upstreams = Upstreams()
    try:
        await upstreams.start(host, first_port)
        for upstream in upstreams.all:
            print(f"{upstream.title}: {upstream.server.base_url}", flush=True)
            variables = {upstream.base_variable: upstream.server.base_url, **upstream.credentials}
            for variable, value in variables.items():
                print(f"  {variable}={value}", flush=True)
        print('Faults: POST <base>/_sandbox/faults {"kind": "hang|drop|5xx|garbage"}', flush=True)
        print(
            'Deposits: POST <TronGrid base>/_sim/transfers {"to", "amount", "confirmed"?}, then '
            "POST <TronGrid base>/_sim/transfers/<transaction_id>/confirm",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        await upstreams.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="first port (0: any free ports)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
