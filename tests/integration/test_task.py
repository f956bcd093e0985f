"""wait_for_task against vcsim: results, faults with the task attached, no leaked collectors."""

from __future__ import annotations

import asyncio

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._property import container_view
from aiovsphere.vim import types as t


async def _a_vm(client: aiovsphere.Client, index: int) -> aiovsphere.ManagedObjectReference:
    async with container_view(client, ["VirtualMachine"]) as view:
        refs = (await client.get_properties(view, ["view"]))["view"]
    return sorted(refs, key=lambda r: r.value)[index]  # type: ignore[no-any-return]


class _Stall:
    """While ``on``, every WaitForUpdatesEx first waits an hour (a server-side wait that
    has not returned yet); ``waiting`` is set when one starts."""

    def __init__(self) -> None:
        self.on = False
        self.waiting = asyncio.Event()


def _record_collectors(client: aiovsphere.Client, stall: _Stall
                       ) -> list[aiovsphere.ManagedObjectReference]:
    """Record every PropertyCollector the client creates."""
    created: list[aiovsphere.ManagedObjectReference] = []
    original = client.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        if method == "WaitForUpdatesEx" and stall.on:
            stall.waiting.set()
            await asyncio.sleep(3600)
        result = await original(ref, method, **kwargs)
        if method == "CreatePropertyCollector":
            created.append(result)
        return result

    client.invoke = invoke  # type: ignore[method-assign]
    return created


async def _assert_destroyed(client: aiovsphere.Client,
                            collectors: list[aiovsphere.ManagedObjectReference]) -> None:
    # On the server: a destroyed collector no longer exists.
    for collector in collectors:
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.invoke(collector, "WaitForUpdatesEx", version="",
                                options=t.WaitOptions(maxWaitSeconds=0))


async def test_power_cycle_through_wait_for_task(observer: aiovsphere.Client) -> None:
    vm = observer.mo(await _a_vm(observer, 1))
    seen: list[int] = []
    result = await aiovsphere.wait_for_task(observer, await vm.PowerOffVM_Task(),
                                            progress=seen.append)
    assert result is None
    assert seen and seen[-1] == 100
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOff"
    await aiovsphere.wait_for_task(observer, await vm.PowerOnVM_Task())
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOn"


async def test_a_failed_task_raises_its_fault_with_the_task(observer: aiovsphere.Client
                                                            ) -> None:
    vm = observer.mo(await _a_vm(observer, 2))
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOn"
    task = await vm.PowerOnVM_Task()  # already on: the task fails
    with pytest.raises(faults.InvalidPowerState) as info:
        await aiovsphere.wait_for_task(observer, task)
    assert info.value.task == task
    assert isinstance(info.value.fault, t.InvalidPowerState)
    assert isinstance(info.value, faults.InvalidState)


async def test_a_task_result_is_typed(observer: aiovsphere.Client) -> None:
    vm = observer.mo(await _a_vm(observer, 3))
    task = await vm.CreateSnapshot_Task(name="snap-1", memory=False, quiesce=False)
    snapshot = await aiovsphere.wait_for_task(observer, task)
    assert isinstance(snapshot, aiovsphere.ManagedObjectReference)
    assert snapshot.type == "VirtualMachineSnapshot"
    await aiovsphere.wait_for_task(
        observer, await observer.mo(snapshot).RemoveSnapshot_Task(removeChildren=True))


async def test_cancelled_and_timed_out_waits_leave_no_filter(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="waiter", password="pw") as client:
        stall = _Stall()
        created = _record_collectors(client, stall)
        vm = client.mo(await _a_vm(client, 0))
        task = await vm.PowerOffVM_Task()
        stall.on = True
        # The caller's deadline passes during the server-side wait.
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(0.2):
                await aiovsphere.wait_for_task(client, task)
        # Cancelled during the server-side wait.
        stall.waiting.clear()
        waiter = asyncio.create_task(aiovsphere.wait_for_task(client, task))
        await stall.waiting.wait()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        stall.on = False
        # The task itself finished meanwhile and can be waited for normally.
        await aiovsphere.wait_for_task(client, task)
        await aiovsphere.wait_for_task(client, await vm.PowerOnVM_Task())
        assert len(created) == 4  # one per wait, each gone on the server
        await _assert_destroyed(client, created)


async def test_server_side_wait_is_bounded_by_the_deadline(observer: aiovsphere.Client) -> None:
    waits: dict[str, list[int]] = {"deadline": [], "none": []}
    phase = "deadline"
    original = observer.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        if method == "WaitForUpdatesEx":
            waits[phase].append(kwargs["options"].maxWaitSeconds)
        return await original(ref, method, **kwargs)

    observer.invoke = invoke  # type: ignore[method-assign]
    try:
        vm = observer.mo(await _a_vm(observer, 1))
        async with aiovsphere.timeout(5):
            await aiovsphere.wait_for_task(observer, await vm.PowerOffVM_Task())
        phase = "none"
        await aiovsphere.wait_for_task(observer, await vm.PowerOnVM_Task())
    finally:
        del observer.invoke  # back to the class's method
    assert waits["deadline"] and all(0 <= w <= 5 for w in waits["deadline"])
    assert waits["none"] and all(w == 60 for w in waits["none"])  # the default bound


async def test_many_tasks_through_one_collector_in_order(observer: aiovsphere.Client) -> None:
    async with container_view(observer, ["VirtualMachine"]) as view:
        refs = sorted((await observer.get_properties(view, ["view"]))["view"],
                      key=lambda r: r.value)
    created: list[str] = []
    original = observer.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        if method in ("CreatePropertyCollector", "CreateFilter"):
            created.append(method)
        return await original(ref, method, **kwargs)

    observer.invoke = invoke  # type: ignore[method-assign]
    try:
        # Snapshots of every VM (typed results), plus one task that fails.
        tasks = [await observer.mo(r).CreateSnapshot_Task(name="many", memory=False,
                                                           quiesce=False) for r in refs]
        failing = await observer.mo(refs[0]).PowerOnVM_Task()  # already on
        outcomes = await aiovsphere.wait_for_tasks(observer, [*tasks, failing],
                                                   return_exceptions=True)
        assert created == ["CreatePropertyCollector", "CreateFilter"]  # one of each
        snapshots = outcomes[:-1]
        assert all(isinstance(s, aiovsphere.ManagedObjectReference)
                   and s.type == "VirtualMachineSnapshot" for s in snapshots)
        assert len(set(snapshots)) == len(refs)
        assert isinstance(outcomes[-1], faults.InvalidPowerState)
        assert outcomes[-1].task == failing
        with pytest.raises(faults.InvalidPowerState):
            await aiovsphere.wait_for_tasks(observer, [tasks[0], failing])
        removals = [await observer.mo(s).RemoveSnapshot_Task(removeChildren=True)
                    for s in snapshots]
        seen: list[tuple[int, int]] = []
        assert await aiovsphere.wait_for_tasks(
            observer, removals, progress=lambda i, pct: seen.append((i, pct))
        ) == [None] * len(refs)
        # Each task reports 100 once at success, under its own index.
        assert sorted(i for i, pct in seen if pct == 100) == list(range(len(refs)))
    finally:
        del observer.invoke
