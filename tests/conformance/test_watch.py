"""Conformance of change streams: watch (enter, modify, leave), batches and truncation,
partial updates, and an InventoryCache following power changes.

The changes are made by a second session (``other``); each test uses VMs of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import aiovsphere
from aiovsphere.vim import types as t
from tests.conformance.conftest import ALL_VMS, Backend, find_vm, run

PATHS = ["name", "runtime.powerState"]
CLONE_SPEC = t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                       powerOn=False, template=False)


def _str(value: object) -> str:
    return str(getattr(value, "value", value))


def values(change: aiovsphere.ObjectChange) -> dict[str, object]:
    return {c.name: _str(c.val) for c in change.changes}


async def next_change(changes: AsyncIterator[aiovsphere.ObjectChange],
                      want: Callable[[aiovsphere.ObjectChange], bool],
                      skip: Callable[[aiovsphere.ObjectChange], bool]
                      ) -> aiovsphere.ObjectChange:
    """The next change ``want`` accepts; every change before it must be one ``skip``
    accepts (nothing else may come first)."""
    async with asyncio.timeout(10):
        async for change in changes:
            if want(change):
                return change
            assert skip(change), change
    raise AssertionError("the stream ended")


async def test_watch_enter_modify_leave(client: aiovsphere.Client, other: aiovsphere.Client,
                                        backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    folder = (await client.get_properties(vm, ["parent"]))["parent"]
    async with client.container_view(["VirtualMachine"]) as view:
        stream = client.watch(view, PATHS)
        async with contextlib.aclosing(stream):
            first = [await anext(stream) for _ in ALL_VMS]  # the full state: all enter
            assert {c.kind for c in first} == {"enter"}
            assert sorted(str(values(c)["name"]) for c in first) == ALL_VMS
            assert {values(c)["runtime.powerState"] for c in first} == {"poweredOn"}

            await run(other, vm, "PowerOffVM_Task")
            change = await next_change(stream, lambda c: c.obj == vm, lambda c: False)
            assert (change.kind, values(change)) == ("modify",
                                                     {"runtime.powerState": "poweredOff"})

            clone = await run(other, vm, "CloneVM_Task", folder=folder, name="watched",
                              spec=CLONE_SPEC)
            change = await next_change(stream, lambda c: c.obj == clone, lambda c: False)
            assert (change.kind, values(change)) == (
                "enter", {"name": "watched", "runtime.powerState": "poweredOff"})

            await run(other, clone, "Destroy_Task")
            # vcsim deviation: after the enter it sends the new VM's name again (a modify)
            change = await next_change(
                stream, lambda c: c.obj == clone and c.kind == "leave",
                lambda c: backend.vcsim and c.obj == clone and c.kind == "modify")
            assert change.changes == () and change.missing == {}

            await run(other, vm, "PowerOnVM_Task")
            change = await next_change(stream, lambda c: c.obj == vm, lambda c: False)
            assert (change.kind, values(change)) == ("modify",
                                                     {"runtime.powerState": "poweredOn"})


async def test_batches_versions_and_truncation(client: aiovsphere.Client,
                                               other: aiovsphere.Client,
                                               backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM1")
    async with client.container_view(["VirtualMachine"]) as view:
        batches = client.watch_batches(view, ["name"], max_object_updates=3)
        async with contextlib.aclosing(batches):
            first = [await anext(batches)]
            while first[-1].truncated:
                first.append(await anext(batches))
            assert sum(len(b.changes) for b in first) == len(ALL_VMS)
            assert all(b.reset for b in first)
            await run(other, vm, "Rename_Task", newName="renamed-in-batch")
            async with asyncio.timeout(10):
                after = await anext(batches)
            assert [(c.kind, c.obj, values(c)) for c in after.changes] == [
                ("modify", vm, {"name": "renamed-in-batch"})]
            assert not after.reset and not after.truncated
    if backend.vcsim:  # vcsim deviation: ignores maxObjectUpdates; one version, "-"
        assert [(len(b.changes), b.truncated) for b in first] == [(8, False)]
        assert {b.version for b in [*first, after]} == {"-"}
    else:  # vCenter: at most maxObjectUpdates per answer, the rest follows (truncated)
        assert [(len(b.changes), b.truncated) for b in first] == [
            (3, True), (3, True), (2, False)]
        versions = [b.version for b in [*first, after]]
        assert len(set(versions)) == len(versions)  # each answer a new version
    await run(other, vm, "Rename_Task", newName="DC0_H0_VM1")


async def test_partial_updates(client: aiovsphere.Client, other: aiovsphere.Client,
                               backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM2")
    await run(other, vm, "PowerOffVM_Task")
    nic = t.VirtualVmxnet3(key=-1, addressType="generated",
                           backing=t.VirtualEthernetCardNetworkBackingInfo(
                               deviceName="VM Network"))
    spec = t.VirtualMachineConfigSpec(deviceChange=(
        t.VirtualDeviceConfigSpec(operation="add", device=nic),))
    batches = client.watch_batches([vm], ["config.hardware.device"], partial_updates=True)
    async with contextlib.aclosing(batches):
        (enter,) = (await anext(batches)).changes
        before = {d.key for d in enter.changes[0].val}
        await run(other, vm, "ReconfigVM_Task", spec=spec)
        async with asyncio.timeout(10):
            (change,) = (await anext(batches)).changes
    assert change.kind == "modify" and change.obj == vm
    if backend.vcsim:  # vcsim deviation: ignores partialUpdates, sends the whole array
        (whole,) = change.changes
        assert (whole.name, _str(whole.op)) == ("config.hardware.device", "assign")
        added = [d for d in whole.val if d.key not in before]
    else:  # vCenter: the new device alone, as an add at its key
        (add,) = [c for c in change.changes if _str(c.op) == "add"]
        assert add.name == f"config.hardware.device[{add.val.key}]"
        assert add.val.key not in before
        added = [add.val]
    assert len(added) == 1 and isinstance(added[0], t.VirtualVmxnet3)
    assert added[0].key > 0


async def test_inventory_cache_follows_power_changes(client: aiovsphere.Client,
                                                     other: aiovsphere.Client,
                                                     backend: Backend) -> None:
    vm = await find_vm(client, "DC0_C0_RP0_VM3")

    def state(snapshot: aiovsphere.Snapshot) -> str:
        return _str(snapshot[vm].runtime.powerState)

    async with client.inventory_cache("VirtualMachine", PATHS) as cache:
        start = cache.snapshot()
        assert sorted(r.name for r in start.values()) == ALL_VMS
        assert state(start) == "poweredOn" and start.version == 1
        await run(other, vm, "PowerOffVM_Task")
        off = await cache.wait_until(lambda s: state(s) == "poweredOff", timeout=10)
        assert off.version == start.version + 1 and state(start) == "poweredOn"
        assert off[vm].name == "DC0_C0_RP0_VM3"
        await run(other, vm, "PowerOnVM_Task")
        on = await cache.wait_until(lambda s: state(s) == "poweredOn", timeout=10)
        assert on.version == off.version + 1
        if backend.vcsim:  # vcsim deviation: a single collector version, "-"
            assert {start.server_version, on.server_version} == {"-"}
        else:
            assert start.server_version != off.server_version != on.server_version
        assert cache.error is None
