"""Adversarial tests of the chaos tooling (tests/chaos/proxy.py and the harness's leak
account) and of the client through it: what the proxy reports must be what the client
saw, and non-idempotent calls must reach the server once whatever the proxy does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import _retry
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec
from tests._recorder import Recorder
from tests.chaos.conftest import _hostport
from tests.chaos.proxy import ChaosProxy

from ._support import leak_checks

TINY = InventorySpec(clusters=0, hosts=1, vms=2, dvs=False)
SI = aiovsphere.ManagedObjectReference("ServiceInstance", "ServiceInstance")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)


@pytest.fixture
async def sim_proxy() -> AsyncIterator[tuple[Simulator, ChaosProxy]]:
    async with Simulator(TINY, seed=9) as sim, ChaosProxy(_hostport(sim.url)) as proxy:
        yield sim, proxy


async def test_resets_after_a_whole_body_are_survived_by_reads(
        sim_proxy: tuple[Simulator, ChaosProxy], no_sleep: None) -> None:
    """A reset after the whole Content-Length body: the call that got the body succeeds;
    the pooled connection is dead and the next call on it fails to write ("Can not write
    request body"): reads are retried through it, and the proxy counts each reset."""
    _sim, proxy = sim_proxy
    async with aiovsphere.connect(proxy.url, user="u", password="p") as client:
        proxy.faults.reset_after = 1_000_000
        proxy.faults.reset_probability = 1.0
        for _ in range(5):
            await client.invoke(SI, "CurrentTime")
        proxy.faults.reset_probability = 0.0
    assert proxy.counts["resets"] >= 5


@pytest.mark.parametrize("where", ["mid-body", "after-body", "503", "down"])
async def test_non_idempotent_calls_reach_the_server_once_through_the_proxy(
        sim_proxy: tuple[Simulator, ChaosProxy], no_sleep: None, where: str) -> None:
    """PowerOnVM_Task and CreateContainerView through every proxy fault: each reaches
    the simulator at most once (the server's own count), whatever the client then says."""
    sim, proxy = sim_proxy
    async with aiovsphere.connect(proxy.url, user="u", password="p") as client:
        async with client.container_view(["VirtualMachine"]) as view:
            vm = (await view.objects())[0]
        folder = client.content.rootFolder
        views = client.service("viewManager")
        calls: dict[str, tuple[aiovsphere.ManagedObjectReference, dict[str, Any]]] = {
            "PowerOnVM_Task": (vm, {}),
                 "CreateContainerView": (views, {"container": folder,
                                                 "type": ["VirtualMachine"],
                                                 "recursive": True})}
        for method, (ref, params) in calls.items():
            before = sim.faults.calls[method]
            if where == "mid-body":
                proxy.faults.reset_after, proxy.faults.reset_probability = 50, 1.0
            elif where == "after-body":
                proxy.faults.reset_after, proxy.faults.reset_probability = 10**6, 1.0
            elif where == "503":
                proxy.faults.status, proxy.faults.status_count = 503, 1
            else:
                proxy.faults.down = True
                proxy.reset_all()
            with contextlib.suppress(aiovsphere.TransportError):
                await client.invoke(ref, method, **params)
            proxy.faults.reset_probability, proxy.faults.down = 0.0, False
            proxy.faults.status_count = 0
            assert sim.faults.calls[method] - before <= 1, method


async def test_the_recorder_catches_views_made_by_raw_invoke_and_never_destroyed(
        sim_proxy: tuple[Simulator, ChaosProxy]) -> None:
    """The chaos report's ``objects_left`` is ``Recorder.alive()``: it must see a view left
    behind whatever Create* made it. CreateListViewFromView and CreateInventoryView are not
    in ``CREATES``: such a view is left on the server and the account (on vcsim, which has
    no ``orphaned`` figure) reports zero leaks; ``leftovers()`` (viewList) would see it."""
    _sim, proxy = sim_proxy
    with leak_checks() as problems:
        async with aiovsphere.connect(proxy.url, user="u", password="p") as client:
            recorder = Recorder(client)
            manager = client.service("viewManager")
            await client.invoke(manager, "CreateContainerView",
                                container=client.content.rootFolder,
                                type=["VirtualMachine"], recursive=True)
            listed = await client.mo(manager).CreateListView(obj=[])
            await client.invoke(manager, "CreateListViewFromView", view=listed)
            await client.invoke(manager, "CreateInventoryView")
            viewlist = (await client.get_properties(manager, ["viewList"]))["viewList"]
            alive = await recorder.alive()
    assert len(viewlist) == 4
    assert problems == []
    assert len(alive) == len(viewlist), f"the account sees {alive} of {viewlist}"
