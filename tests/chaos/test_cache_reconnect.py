"""A running InventoryCache outlives a lost server (its stream starts again) for up to
``reconnect_seconds``; past that it ends with the typed error and keeps its last snapshot."""

from __future__ import annotations

import asyncio

import pytest

import aiovsphere
from aiovsphere.simulator import Simulator

from .conftest import _hostport
from .proxy import ChaosProxy


async def test_cache_outlives_an_outage_and_sees_changes_made_during_it() -> None:
    async with Simulator(vms=8) as sim, ChaosProxy(_hostport(sim.url)) as proxy:
        async with aiovsphere.connect(proxy.url, user="u", password="p") as client, \
                client.inventory_cache("VirtualMachine", ["name"]) as cache:
            first = cache.snapshot()
            vm = next(iter(first))
            proxy.faults.down = True  # nothing gets through: every connection reset
            proxy.reset_all()
            async with aiovsphere.connect(sim.url, user="u", password="p") as direct:
                await direct.invoke(vm, "Rename_Task", newName="renamed-in-outage")
            await asyncio.sleep(1.0)
            assert cache.error is None  # still trying
            assert cache.snapshot()[vm].name == first[vm].name  # the last one, still served
            proxy.faults.down = False
            snap = await cache.wait_until(lambda s: s[vm].name == "renamed-in-outage",
                                          timeout=15)
            assert snap.version > first.version
            assert len(snap) == len(first)
            assert proxy.counts["refused"] > 0


async def test_cache_gives_up_after_reconnect_seconds_with_a_typed_error() -> None:
    async with Simulator(vms=4) as sim, ChaosProxy(_hostport(sim.url)) as proxy:
        async with aiovsphere.connect(proxy.url, user="u", password="p") as client:
            async with client.inventory_cache("VirtualMachine", ["name"],
                                              reconnect_seconds=1.0) as cache:
                first = cache.snapshot()
                proxy.faults.down = True
                proxy.reset_all()
                try:
                    await cache.wait_until(lambda s: False, timeout=20)
                except aiovsphere.TransportError as exc:
                    error: BaseException = exc
                assert cache.error is error
                assert cache.snapshot() is first  # the last snapshot stays readable


async def test_cache_outlives_a_server_that_stops_answering(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stall longer than a wait's own call timeout is a TimeoutError inside the cache's
    task (no caller's deadline there): transient, so the stream starts again."""
    from aiovsphere import _collector

    monkeypatch.setattr(_collector, "MAX_WAIT_SECONDS", 1)
    monkeypatch.setattr(_collector, "_WAIT_MARGIN_SECONDS", 0.5)
    async with Simulator(vms=4) as sim, ChaosProxy(_hostport(sim.url)) as proxy:
        async with aiovsphere.connect(proxy.url, user="u", password="p") as client, \
                client.inventory_cache("VirtualMachine", ["name"]) as cache:
            first = cache.snapshot()
            vm = next(iter(first))
            proxy.stall()
            await asyncio.sleep(3.0)  # past 1 s + 0.5 s: the wait in flight timed out
            assert cache.error is None
            async with aiovsphere.connect(sim.url, user="u", password="p") as direct:
                await direct.invoke(vm, "Rename_Task", newName="renamed-in-stall")
            proxy.unstall()
            snap = await cache.wait_until(lambda s: s[vm].name == "renamed-in-stall",
                                          timeout=15)
            assert snap.version > first.version
