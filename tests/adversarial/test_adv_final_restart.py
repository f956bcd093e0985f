"""Adversarial (final review): a server restart (the simulator stopped, a new one started
behind the same proxy) while 50 watch streams and an InventoryCache run; and the client
closed while a cache is reconnecting."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

import aiovsphere
from aiovsphere import _retry
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec
from tests.chaos.conftest import _hostport
from tests.chaos.proxy import ChaosProxy

SPEC = InventorySpec(clusters=0, hosts=1, vms=4, dvs=False)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)


async def _watch(client: aiovsphere.Client, first: asyncio.Event) -> None:
    async with aiovsphere.ContainerView(client, ["VirtualMachine"]) as view, \
            contextlib.aclosing(aiovsphere.watch_batches(client, view, ["name"])) as batches:
        async for _ in batches:
            first.set()


async def test_restart_under_50_watches_and_a_cache() -> None:
    sim = Simulator(SPEC, seed=3, task_seconds=0)
    await sim.start()
    new: Simulator | None = None
    try:
        async with ChaosProxy(_hostport(sim.url)) as proxy, aiovsphere.connect(
                proxy.url, user="u", password="p") as client, client.inventory_cache(
                "VirtualMachine", ["name"]) as cache:
            firsts = [asyncio.Event() for _ in range(50)]
            tasks = [asyncio.create_task(_watch(client, e)) for e in firsts]
            async with asyncio.timeout(20):
                await asyncio.gather(*(e.wait() for e in firsts))
            proxy.reset_all()
            await sim.stop()
            new = Simulator(SPEC, seed=3, task_seconds=0)
            await new.start()
            proxy.upstream = _hostport(new.url)
            vm = next(iter(cache.snapshot()))
            async with aiovsphere.connect(new.url, user="u", password="p") as direct:
                await direct.invoke(vm, "Rename_Task", newName="after-restart")
            await cache.wait_until(lambda s: s[vm].name == "after-restart", timeout=20)
            assert cache.error is None
            await asyncio.sleep(0.5)
            done = [t for t in tasks if t.done()]
            errors = [t.exception() for t in done if not t.cancelled()]
            untyped = [e for e in errors if not isinstance(e, aiovsphere.VSphereError)]
            assert not untyped, untyped
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.3)
        left = [(o.ref, o.owner) for o in new.model if o.owner]
        assert not left, left
    finally:
        await sim.stop()
        if new is not None:
            await new.stop()


async def test_client_closed_while_the_cache_reconnects(no_sleep: None) -> None:
    """The server is down, the cache is in its reconnect loop; client.close() ends the
    cache (no hang, no endless loop), and cache.close() then returns at once."""
    async with Simulator(SPEC, seed=4) as sim, ChaosProxy(_hostport(sim.url)) as proxy:
        client = aiovsphere.Client(proxy.url)
        await client.open()
        await client.session.login("u", "p")
        try:
            cache = client.inventory_cache("VirtualMachine", ["name"])
            await cache.__aenter__()
            proxy.faults.down = True
            proxy.reset_all()
            await asyncio.sleep(0.5)
            assert cache.error is None  # still trying
        finally:
            await client.close()
        async with asyncio.timeout(10):
            with contextlib.suppress(Exception):
                await cache.wait_until(lambda s: False)
            await cache.close()
        assert cache.error is not None
