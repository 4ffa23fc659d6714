"""Ports handed to servers started later: apart per pytest-xdist worker, and really free."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sandbox.server import free_port


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize(("worker", "low"), [("gw0", 20000), ("gw1", 21500)])
def test_each_worker_takes_ports_from_its_own_range(
    monkeypatch: pytest.MonkeyPatch, worker: str, low: int
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    ports = [free_port() for _ in range(20)]
    assert all(low <= port < low + 1500 for port in ports), ports
    assert len(set(ports)) == 20, "one process never hands out the same port twice in a row"
    assert all(_bindable(port) for port in ports)


def test_a_port_something_listens_on_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    taken = []
    try:
        for port in range(20000, 21500):
            holder = socket.socket()
            try:
                holder.bind(("127.0.0.1", port))
            except OSError:
                holder.close()
                continue
            holder.listen()
            taken.append(holder)
            if len(taken) == 1490:
                break
        free = {free_port() for _ in range(5)}
        held = {holder.getsockname()[1] for holder in taken}
        assert not free & held
    finally:
        for holder in taken:
            holder.close()


def test_outside_xdist_the_system_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    port = free_port()
    assert low <= port <= high and _bindable(port)
