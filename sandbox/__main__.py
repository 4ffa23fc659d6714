"""`python -m sandbox`: every upstream simulator on loopback, with URLs and demo credentials."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import web

from sandbox import accounts_shop, acedata, cloud, energy, kumquat, trongrid
from sandbox.server import SimulatorServer


@dataclass(frozen=True)
class Upstream:
    name: str
    base_variable: str
    credentials: dict[str, str]
    app: web.Application


def upstreams() -> list[Upstream]:
    return [
        Upstream(
            "cloud recharge",
            "CLOUDRUBY_BASE_URL",
            {"CLOUDRUBY_APP_ID": cloud.DEMO_APP_ID, "CLOUDRUBY_APP_SECRET": cloud.DEMO_APP_SECRET},
            cloud.CloudSimulator().app(),
        ),
        Upstream(
            "TRON energy",
            "ENERGY_BASE_URL",
            {"ENERGY_API_KEY": energy.DEMO_API_KEY, "ENERGY_API_SECRET": energy.DEMO_API_SECRET},
            energy.EnergySimulator().app(),
        ),
        Upstream(
            "account shop",
            "SHOP_BASE_URL",
            {"SHOP_API_KEY": accounts_shop.DEMO_API_KEY, "SHOP_CURRENCY": "VND"},
            accounts_shop.AccountShopSimulator().app(),
        ),
        Upstream(
            "AceData",
            "ACEDATA_BASE_URL",
            {"ACEDATA_TOKEN": acedata.DEMO_TOKEN},
            acedata.AceDataSimulator().app(),
        ),
        Upstream(
            "KUMQUAT",
            "KUMQUAT_BASE_URL",
            {"KUMQUAT_PARTNER_NO": kumquat.DEMO_PARTNER, "KUMQUAT_SIGN_KEY": kumquat.DEMO_SIGN_KEY},
            kumquat.KumquatSimulator().app(),
        ),
        Upstream(
            "TronGrid (USDT-TRC20 deposits)",
            "TRONGRID_BASE_URL",
            {
                "TRONGRID_API_KEY": trongrid.DEMO_API_KEY,
                "DEPOSIT_ADDRESS": trongrid.DEMO_DEPOSIT_ADDRESS,
            },
            trongrid.TronGridSimulator().app(),
        ),
    ]


async def serve(host: str, first_port: int) -> None:
    servers: list[SimulatorServer] = []
    try:
        for offset, upstream in enumerate(upstreams()):
            server = SimulatorServer(upstream.app)
            servers.append(server)
            base = await server.start(host, first_port + offset if first_port else 0)
            print(f"{upstream.name}: {base}", flush=True)
            for variable, value in {upstream.base_variable: base, **upstream.credentials}.items():
                print(f"  {variable}={value}", flush=True)
        print('Faults: POST <base>/_sandbox/faults {"kind": "hang|drop|5xx|garbage"}', flush=True)
        print(
            'Deposits: POST <TronGrid base>/_sim/transfers {"to", "amount", "confirmed"?}, then '
            "POST <TronGrid base>/_sim/transfers/<transaction_id>/confirm",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        for server in servers:
            await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100, help="first port (0: any free ports)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
