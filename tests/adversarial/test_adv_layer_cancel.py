"""Every operation of the collector layer, cancelled at seeded random points, against a
vcsim of this module's own (tasks change power states).

Afterwards: every view, property collector, filter and event collector the operations
made is gone from the server (reading it gives ManagedObjectNotFound), the loop's
exception handler saw nothing ("Task exception was never retrieved", "Unclosed ..."),
no task is left running, the client still works, and each cancelled caller saw
CancelledError (never a normal return after ``task.cancel()`` found it running).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import aiovsphere
from aiovsphere import ManagedObjectReference, faults
from tools.vcsim.launcher import Vcsim

from ._support import leak_checks, other_tasks

SEED = 31337
OPERATIONS = 240
CONCURRENCY = 32
CREATES = {
    "CreateContainerView": "view", "CreateListView": "view",
    "CreatePropertyCollector": "filter", "CreateFilter": "spec",
    "CreateCollectorForEvents": "latestPage",
}


class Made:
    """Every object a Create* call returned on one client (wrapping ``invoke``)."""

    def __init__(self, client: aiovsphere.Client) -> None:
        self.refs: dict[str, list[ManagedObjectReference]] = collections.defaultdict(list)
        invoke = client.invoke

        async def recording(ref: Any, method: str, /, **kwargs: Any) -> Any:
            result = await invoke(ref, method, **kwargs)
            if method in CREATES:
                self.refs[method].append(result)
            return result

        client.invoke = recording  # type: ignore[method-assign]

    async def alive(self, client: aiovsphere.Client) -> list[str]:
        left = []
        for method, refs in self.refs.items():
            for ref in refs:
                try:
                    await client.get_properties(ref, [CREATES[method]])
                except faults.ManagedObjectNotFound:
                    continue
                left.append(f"{method}: {ref}")
        return left


@pytest.fixture(scope="module")
async def sim_client(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="adv-layer", password="pw") as c:
        yield c


async def test_seeded_random_cancellations_leave_nothing_and_propagate(
        sim_client: aiovsphere.Client) -> None:
    client = sim_client
    async with client.container_view(["VirtualMachine"]) as view:
        vms = sorted(await view.objects(), key=lambda r: r.value)
    made = Made(client)
    rng = random.Random(SEED)
    outcomes: collections.Counter[str] = collections.Counter()
    swallowed: list[str] = []
    unexpected: list[str] = []

    # ---------------------------------------------------------------- the operations
    async def retrieve(r: random.Random) -> None:
        async with client.container_view(["VirtualMachine"]) as v:
            assert len(await client.retrieve(v, ["name", "runtime.powerState"])) == 8

    async def iter_retrieve(r: random.Random) -> None:
        async with client.list_view(vms) as v:
            async with contextlib.aclosing(client.iter_retrieve(
                    v, ["name"], type="VirtualMachine", max_objects=2)) as records:
                async for _record in records:
                    await asyncio.sleep(0)

    async def watch(r: random.Random) -> None:
        async with contextlib.aclosing(client.watch(vms[:3], ["name"])) as changes:
            async for _change in changes:
                pass

    async def watch_batches(r: random.Random) -> None:
        async with client.container_view(["HostSystem"]) as v:
            async with contextlib.aclosing(client.watch_batches(v, ["name"])) as batches:
                async for _batch in batches:
                    pass

    async def cache(r: random.Random) -> None:
        async with client.inventory_cache("VirtualMachine", ["name"]) as c:
            assert len(c.snapshot()) == 8
            await asyncio.sleep(r.uniform(0, 0.02))

    async def cache_close(r: random.Random) -> None:
        c = client.inventory_cache("HostSystem", ["name"])
        c.start()
        try:
            await c.wait_until(lambda s: True, timeout=10)
        finally:
            await c.close()

    async def task_wait(r: random.Random) -> None:
        vm = client.mo(r.choice(vms))
        task = await getattr(vm, r.choice(["PowerOffVM_Task", "PowerOnVM_Task"]))()
        with contextlib.suppress(faults.InvalidPowerState, faults.InvalidState,
                                 faults.TaskInProgress):
            await client.wait_for_task(task, cancel_task=r.random() < 0.5)

    async def tasks_wait(r: random.Random) -> None:
        picked = r.sample(vms, 3)
        tasks = [await client.mo(v).PowerOnVM_Task() for v in picked]
        await client.wait_for_tasks(tasks, return_exceptions=True)

    async def follow_events(r: random.Random) -> None:
        async with contextlib.aclosing(client.events(follow=True, page_size=5,
                                                     poll_interval=1)) as stream:
            async for _event in stream:
                pass

    async def perf(r: random.Random) -> None:
        series = await client.query_perf(vms, ["cpu.usage.average"], max_sample=1,
                                         batch_size=r.choice([1, 3, 8]))
        assert {s.entity for s in series} <= set(vms)

    async def find(r: random.Random) -> None:
        found = await client.finder().find(r.choice(["/DC0/vm/*", "*", "host/*/*"]))
        assert found

    async def list_view(r: random.Random) -> None:
        async with client.list_view(vms[:2]) as v:
            assert len(await v.objects()) == 2

    async def collector(r: random.Random) -> None:
        async with client.property_collector() as pc:
            await pc.create_filter(aiovsphere.filter_spec(vms[:2], ["name"]))
            assert await pc.wait_for_updates(max_wait_seconds=0) is not None

    kinds: list[Callable[[random.Random], Awaitable[None]]] = [
        retrieve, iter_retrieve, watch, watch_batches, cache, cache_close, task_wait,
        tasks_wait, follow_events, perf, find, list_view, collector,
    ]

    # ---------------------------------------------------------------- run, cancel
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        kind = rng.choice(kinds)  # drawn before the first await: the seed replays
        delay = rng.choice([0.0, rng.uniform(0, 0.002), rng.uniform(0, 0.02),
                            rng.uniform(0, 0.1), rng.uniform(0, 0.4)])
        again = rng.choice([None, None, 0.0, rng.uniform(0, 0.005)])  # during teardown
        r = random.Random(rng.random())
        async with gate:
            task = asyncio.create_task(kind(r))
            await asyncio.sleep(delay)
            running = task.cancel()
            if again is not None:
                await asyncio.sleep(again)
                task.cancel()
            (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, asyncio.CancelledError):
            outcomes["cancelled"] += 1
        elif running:
            swallowed.append(f"{kind.__name__}: {outcome!r} after cancel()")
        elif isinstance(outcome, BaseException):
            unexpected.append(f"{kind.__name__}: {outcome!r}")
        else:
            outcomes["finished"] += 1

    with leak_checks() as problems:
        baseline = set(asyncio.all_tasks())
        async with asyncio.timeout(60):
            await asyncio.gather(*(one(i) for i in range(OPERATIONS)))
        await asyncio.sleep(0.05)  # shielded teardowns finish
        assert other_tasks(baseline) == set()

    assert unexpected == []
    assert swallowed == []
    assert outcomes["cancelled"] >= OPERATIONS // 2
    assert outcomes["finished"] >= 5
    assert await made.alive(client) == []
    assert problems == []
    # Plenty was made to leak.
    for method in CREATES:
        assert len(made.refs[method]) >= 5, method
    # The client still works.
    assert client.stats.in_flight == 0
    async with client.container_view(["VirtualMachine"]) as view:
        assert len(await client.retrieve(view, ["name"])) == 8
