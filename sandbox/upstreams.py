"""Every upstream simulator on loopback, and the bot settings that point the shop at them.

One home for "the outside world, simulated": `python -m sandbox`, the demo and the end-to-end
tests all start it the same way and configure the bot from `bot_environment()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox import accounts_shop, acedata, cloud, energy, kumquat, trongrid
from sandbox.faults import FaultPlan
from sandbox.server import SimulatorServer


@dataclass(frozen=True)
class Upstream:
    name: str  # a short key: cloud, energy, topup, accounts, acedata, tron
    title: str  # what an operator calls it
    base_variable: str  # the setting that holds its address
    credentials: dict[str, str]  # demo credentials the simulator accepts
    money_call: str  # a glob of the request path where the order is placed or paid
    plan: FaultPlan  # its faults, for "make the next call fail"
    server: SimulatorServer


@dataclass(frozen=True)
class Sample:
    """Something the simulators know, for a visitor to type: an account, an address, a number."""

    what: str
    value: str


SAMPLES = (
    Sample("Tencent Cloud UID (rate 1.00)", "200000000000"),
    Sample("Tencent Cloud UID whose recharge fails", "200000000409"),
    Sample("Alibaba Cloud UID (rate 0.98)", "5123456789012345"),
    Sample("TRON address for energy", energy.DOCUMENT_ADDRESS),
    Sample("Mobile number, Kenya: topped up", kumquat.MOCK_SUCCEEDS),
    Sample("Mobile number, China: the top-up fails", kumquat.MOCK_FAILS_SHORT),
    Sample("AceData application id", acedata.DEMO_APPLICATION),
)


class Upstreams:
    def __init__(self) -> None:
        self.cloud = cloud.CloudSimulator()
        self.energy = energy.EnergySimulator()
        self.topup = kumquat.KumquatSimulator()
        self.accounts = accounts_shop.AccountShopSimulator()
        self.acedata = acedata.AceDataSimulator()
        self.tron = trongrid.TronGridSimulator()  # USDT deposits to DEPOSIT_ADDRESS
        self.all = [
            Upstream(
                "cloud",
                "Cloud recharge",
                "CLOUDRUBY_BASE_URL",
                {
                    "CLOUDRUBY_APP_ID": cloud.DEMO_APP_ID,
                    "CLOUDRUBY_APP_SECRET": cloud.DEMO_APP_SECRET,
                },
                "/api/orders/*/pay",
                self.cloud.plan,
                SimulatorServer(self.cloud.app()),
            ),
            Upstream(
                "energy",
                "TRON energy",
                "ENERGY_BASE_URL",
                {
                    "ENERGY_API_KEY": energy.DEMO_API_KEY,
                    "ENERGY_API_SECRET": energy.DEMO_API_SECRET,
                },
                "/v1/order",
                self.energy.plan,
                SimulatorServer(self.energy.app()),
            ),
            Upstream(
                "topup",
                "KUMQUAT top-ups",
                "KUMQUAT_BASE_URL",
                {
                    "KUMQUAT_PARTNER_NO": kumquat.DEMO_PARTNER,
                    "KUMQUAT_SIGN_KEY": kumquat.DEMO_SIGN_KEY,
                },
                "/api/code/2.0/orders",
                self.topup.plan,
                SimulatorServer(self.topup.app()),
            ),
            Upstream(
                "accounts",
                "Account shop",
                "SHOP_BASE_URL",
                {"SHOP_API_KEY": accounts_shop.DEMO_API_KEY, "SHOP_CURRENCY": "VND"},
                "/user/api/order.php",
                self.accounts.plan,
                SimulatorServer(self.accounts.app()),
            ),
            Upstream(
                "acedata",
                "AceData",
                "ACEDATA_BASE_URL",
                {"ACEDATA_TOKEN": acedata.DEMO_TOKEN},
                "/api/v1/orders/",
                self.acedata.plan,
                SimulatorServer(self.acedata.app()),
            ),
            Upstream(
                "tron",
                "TronGrid (USDT-TRC20 deposits)",
                "TRONGRID_BASE_URL",
                {
                    "TRONGRID_API_KEY": trongrid.DEMO_API_KEY,
                    "DEPOSIT_ADDRESS": trongrid.DEMO_DEPOSIT_ADDRESS,
                },
                "/v1/accounts/*",
                self.tron.plan,
                SimulatorServer(self.tron.app()),
            ),
        ]
        self._by_name = {upstream.name: upstream for upstream in self.all}

    def __getitem__(self, name: str) -> Upstream:
        return self._by_name[name]

    async def start(self, host: str = "127.0.0.1", first_port: int = 0) -> None:
        """Serve every simulator: on consecutive ports from `first_port`, or any free ones."""
        for offset, upstream in enumerate(self.all):
            await upstream.server.start(host, first_port + offset if first_port else 0)

    async def stop(self) -> None:
        for upstream in self.all:
            await upstream.server.stop()

    async def take_offline(self, name: str) -> None:
        """Take one simulator off the network: connections to it are refused."""
        await self[name].server.stop()

    async def bring_back(self, name: str) -> None:
        """Serve a simulator taken offline again, at the address the bot knows."""
        server = self[name].server
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        await server.start(host=host, port=int(port))

    def bot_environment(self) -> dict[str, str]:
        """The settings (as environment variables) that point every product line and the USDT
        watch at the simulators, with the credentials they accept."""
        environment: dict[str, str] = {}
        for upstream in self.all:
            environment[upstream.base_variable] = upstream.server.base_url
            environment.update(upstream.credentials)
        return environment
