"""Many users of the collector layer on one client (vcsim).

200 concurrent retrieve/watch/cache users; parked WaitForUpdatesEx calls against the
client's in-flight limit; two caches of one type; a watch and a task wait side by side;
the one-waiter-per-collector rule (CollectorInUseError).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import ManagedObjectReference
from tools.vcsim.launcher import Vcsim

from ._support import leak_checks, other_tasks


@pytest.fixture(scope="module")
async def private(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="adv-conc", password="pw") as c:
        yield c


async def _vms(client: aiovsphere.Client) -> list[ManagedObjectReference]:
    async with client.container_view(["VirtualMachine"]) as view:
        return sorted(await view.objects(), key=lambda r: r.value)


async def _leftovers(client: aiovsphere.Client) -> tuple[object, ...]:
    views = (await client.get_properties(client.content.viewManager, ["viewList"])
             ).get("viewList") or ()
    return tuple(views)


async def _park_watches(client: aiovsphere.Client, n: int, vm: ManagedObjectReference
                        ) -> list[asyncio.Task[None]]:
    """``n`` watch streams whose WaitForUpdatesEx is parked on the server (no change)."""
    first = [asyncio.Event() for _ in range(n)]

    async def one(i: int) -> None:
        async with contextlib.aclosing(client.watch([vm], ["name"])) as changes:
            async for _change in changes:
                first[i].set()

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    async with asyncio.timeout(15):
        for event in first:
            await event.wait()
    await asyncio.sleep(0.2)  # each is now in its second, parked, wait
    return tasks


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_parked_waits_do_not_starve_other_calls(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="adv-starve", password="pw") as client:
        vms = await _vms(client)
        parked = await _park_watches(client, client.max_in_flight, vms[0])
        try:
            async with asyncio.timeout(2):
                records = await client.retrieve(vms, ["name"])
            assert len(records) == 8
        finally:
            await _stop(parked)


async def test_two_hundred_concurrent_users_on_one_client(vcsim_url: str) -> None:
    """80 retrieves, 80 watches and 40 caches at once (max_in_flight above the number of
    parked waits, as it was before they had their own budget); each sees all 8 VMs;
    nothing is left after."""
    with leak_checks() as problems:
        baseline = set(asyncio.all_tasks())
        async with aiovsphere.connect(vcsim_url, user="adv-200", password="pw",
                                      max_in_flight=256) as client:
            vms = await _vms(client)
            start = asyncio.Event()

            async def retrieve() -> int:
                await start.wait()
                async with client.container_view(["VirtualMachine"]) as view:
                    return len(await client.retrieve(view, ["name", "runtime.powerState"]))

            async def watch() -> int:
                await start.wait()
                seen: set[ManagedObjectReference] = set()
                async with contextlib.aclosing(client.watch_batches(vms, ["name"])) as bs:
                    async for batch in bs:
                        seen.update(c.obj for c in batch.changes)
                        if len(seen) == 8:
                            break
                return len(seen)

            async def cache() -> int:
                await start.wait()
                async with client.inventory_cache("VirtualMachine", ["name"]) as c:
                    return len(c.snapshot())

            users = ([retrieve() for _ in range(80)] + [watch() for _ in range(80)]
                     + [cache() for _ in range(40)])
            tasks = [asyncio.create_task(u) for u in users]
            start.set()
            async with asyncio.timeout(30):
                results = await asyncio.gather(*tasks)
            assert results == [8] * 200
            assert await _leftovers(client) == ()
            assert client.stats.in_flight == 0 and client.stats.relogins == 0
            assert client.session.logins == 1
        await asyncio.sleep(0)
        assert other_tasks(baseline) == set()
    assert problems == []


async def _rename(client: aiovsphere.Client, vm: ManagedObjectReference, name: str) -> None:
    await client.wait_for_task(await client.mo(vm).Rename_Task(newName=name))


async def test_two_caches_of_one_type_both_follow_a_change(
        private: aiovsphere.Client) -> None:
    vms = await _vms(private)
    old = (await private.get_properties(vms[0], ["name"]))["name"]
    async with private.inventory_cache("VirtualMachine", ["name"]) as one, \
            private.inventory_cache("VirtualMachine", ["name", "runtime.powerState"]) as two:
        before = one.snapshot()
        await _rename(private, vms[0], "adv-renamed")
        try:
            async with asyncio.timeout(10):
                a = await one.wait_until(lambda s: s[vms[0]].name == "adv-renamed")
                b = await two.wait_until(lambda s: s[vms[0]].name == "adv-renamed")
        finally:
            await _rename(private, vms[0], old)
        assert before[vms[0]].name == old  # a reader's snapshot never changes
        assert a is not b and len(a) == len(b) == 8
        assert "runtime.powerState" in b[vms[0]] and "runtime.powerState" not in a[vms[0]]
    assert await _leftovers(private) == ()


async def test_watch_and_task_wait_share_a_client(private: aiovsphere.Client) -> None:
    vms = await _vms(private)
    vm = vms[1]
    states: list[str] = []
    entered = asyncio.Event()

    async def watch() -> None:
        async with contextlib.aclosing(private.watch([vm], ["runtime.powerState"])) as ch:
            async for change in ch:
                states.extend(str(getattr(p.val, "value", p.val)) for p in change.changes)
                entered.set()
                if states[-1] == "poweredOff":
                    return

    watcher = asyncio.create_task(watch())
    async with asyncio.timeout(10):
        await entered.wait()
        assert states == ["poweredOn"]
        assert await private.wait_for_task(await private.mo(vm).PowerOffVM_Task()) is None
        await watcher
    assert states == ["poweredOn", "poweredOff"]
    await private.wait_for_task(await private.mo(vm).PowerOnVM_Task())


async def test_collector_in_use_refuses_the_second_waiter_and_spares_the_first(
        private: aiovsphere.Client) -> None:
    vms = await _vms(private)
    vm = vms[2]
    old = (await private.get_properties(vm, ["name"]))["name"]
    async with private.property_collector() as pc:
        await pc.create_filter(aiovsphere.filter_spec([vm], ["name"]))
        first = await pc.wait_for_updates(max_wait_seconds=5)
        assert first is not None and first.reset
        waiter = asyncio.create_task(pc.wait_for_updates(max_wait_seconds=10))
        await asyncio.sleep(0.1)
        with pytest.raises(aiovsphere.CollectorInUseError):
            await pc.wait_for_updates(max_wait_seconds=0)
        with pytest.raises(aiovsphere.CollectorInUseError):
            async with contextlib.aclosing(pc.updates()) as updates:
                await anext(updates)
        await _rename(private, vm, "adv-in-use")
        try:
            async with asyncio.timeout(10):
                second = await waiter
        finally:
            await _rename(private, vm, old)
        assert second is not None and not second.reset
        (change,) = second.update_set.filterSet[0].objectSet[0].changeSet
        assert (change.name, change.val) == ("name", "adv-in-use")
        # The refused calls left the collector usable.
        async with asyncio.timeout(10):
            third = await pc.wait_for_updates(max_wait_seconds=5)
        assert third is not None
