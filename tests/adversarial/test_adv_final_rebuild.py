"""Adversarial (final review): cancellation at each step of a collector rebuild (after a
lost WaitForUpdatesEx answer, after a session loss, both together) leaves nothing of the
session on the server; a rebuild that keeps failing ends, typed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import _retry
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._injection import ExpireSessions
from aiovsphere.simulator._inventory import InventorySpec

SPEC = InventorySpec(clusters=0, hosts=1, vms=3, dvs=False)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    async def fake_sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(SPEC, seed=7, task_seconds=0) as sim:
        yield sim


def _owned(sim: Simulator) -> int:
    return sum(1 for o in sim.model if o.owner)


async def _consume(client: aiovsphere.Client, first: asyncio.Event) -> None:
    async with aiovsphere.ContainerView(client, ["VirtualMachine"]) as view, \
            contextlib.aclosing(aiovsphere.watch_batches(client, view, ["name"])) as batches:
        async for _ in batches:
            first.set()


@pytest.mark.parametrize("trigger", ["lost", "expired", "both"])
@pytest.mark.parametrize("step", ["DestroyPropertyFilter", "CreateFilter",
                                  "CreatePropertyCollector", "CreateContainerView",
                                  "DestroyView"])
async def test_cancel_at_each_rebuild_step_leaves_nothing(
        sim: Simulator, no_sleep: None, trigger: str, step: str) -> None:
    async with aiovsphere.connect(sim.url, user="u", password="p") as client:
        async with aiovsphere.ContainerView(client, ["VirtualMachine"]) as view:
            target = (await view.objects())[0]
        baseline = _owned(sim)
        first = asyncio.Event()
        task = asyncio.create_task(_consume(client, first))
        async with asyncio.timeout(10):
            await first.wait()
        pause = sim.faults.pause(method=step, times=1)
        if trigger in ("lost", "both"):
            sim.faults.drop(method="WaitForUpdatesEx", times=1)
        if trigger in ("expired", "both"):
            sim.faults.add(ExpireSessions(method="WaitForUpdatesEx"
                                          if trigger == "expired" else "DestroyPropertyFilter",
                                          times=1))
        # Wake the pending wait (a change) so the rules see the next WaitForUpdatesEx.
        async with aiovsphere.connect(sim.url, user="u", password="p") as other:
            await other.invoke(target, "Rename_Task", newName="wake")
        try:
            async with asyncio.timeout(1.5):
                await pause.wait_held(1)
        except TimeoutError:
            pause.resume()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return  # not a step of this rebuild: nothing to cancel there
        task.cancel()
        await asyncio.sleep(0.05)
        pause.resume()
        result = await asyncio.gather(task, return_exceptions=True)
        assert isinstance(result[0], asyncio.CancelledError | aiovsphere.VSphereError), result
        await asyncio.sleep(0.3)  # background clean-ups (run_cleanup) finish
        await client.invoke(aiovsphere.ManagedObjectReference(
            "ServiceInstance", "ServiceInstance"), "CurrentTime")
        assert _owned(sim) <= baseline, [
            (o.ref, o.owner) for o in sim.model if o.owner]


async def test_a_rebuild_that_keeps_failing_ends_typed(sim: Simulator, no_sleep: None) -> None:
    """Every WaitForUpdatesEx answer lost, every CreateFilter of a rebuild refused with a
    fault: the stream ends (no loop), with a typed error, and leaves nothing behind."""
    async with aiovsphere.connect(sim.url, user="u", password="p") as client:
        baseline = _owned(sim)
        sim.faults.drop(method="WaitForUpdatesEx", after=1)
        sim.faults.fail("CreateFilter", "InvalidCollectorVersion", after=1)
        with pytest.raises(aiovsphere.VSphereError):
            async with asyncio.timeout(10), aiovsphere.ContainerView(
                    client, ["VirtualMachine"]) as view, contextlib.aclosing(
                    aiovsphere.watch_batches(client, view, ["name"],
                                             max_wait_seconds=0)) as batches:
                async for _ in batches:
                    pass
        assert sim.faults.calls["WaitForUpdatesEx"] <= 10
        assert _owned(sim) <= baseline
