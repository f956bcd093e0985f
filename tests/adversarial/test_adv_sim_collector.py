"""PropertyCollector edge cases in the embedded simulator: cyclic traversal specs,
dangling SelectionSpecs, unknown types, paths through arrays, ``all=True`` on every
managed type there is (VPX and ESX, session objects included), versions from another
collector, a collector destroyed mid-wait, CancelWaitForUpdates with no wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(task_seconds=0) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def vm_named(sim: Simulator, name: str) -> SimObject:
    return next(o for o in sim.model.of_type("VirtualMachine") if o.props["name"] == name)


def spec(obj: Ref, *select: Any, type: str = "ManagedEntity",
         paths: tuple[str, ...] = ("name",), **props: Any) -> t.PropertyFilterSpec:
    return t.PropertyFilterSpec(
        propSet=(t.PropertySpec(type=type, pathSet=paths, **props),),
        objectSet=(t.ObjectSpec(obj=obj, selectSet=tuple(select)),))


async def retrieve(client: aiovsphere.Client, *specs: t.PropertyFilterSpec) -> list[Any]:
    result = await client.invoke(client.service("propertyCollector"), "RetrievePropertiesEx",
                                 specSet=list(specs), options=t.RetrieveOptions())
    return list(result.objects) if result is not None else []


async def test_cyclic_traversal_specs_end_and_report_each_object_once(
        sim: Simulator, client: aiovsphere.Client) -> None:
    up = t.TraversalSpec(name="up", type="ManagedEntity", path="parent",
                         selectSet=(t.SelectionSpec(name="down"), t.SelectionSpec(name="up")))
    down = t.TraversalSpec(name="down", type="Folder", path="childEntity",
                           selectSet=(t.SelectionSpec(name="dc"), t.SelectionSpec(name="up"),
                                      t.SelectionSpec(name="down")))
    dc = t.TraversalSpec(name="dc", type="Datacenter", path="vmFolder",
                         selectSet=(t.SelectionSpec(name="down"), t.SelectionSpec(name="up")))
    vm = vm_named(sim, "DC0_H0_VM0").ref
    async with asyncio.timeout(5):
        from_root = await retrieve(client, spec(client.content.rootFolder, down, up, dc))
        from_vm = await retrieve(client, spec(vm, up, down, dc))  # climbs, then descends
    for found in (from_root, from_vm):
        refs = [o.obj for o in found]
        assert len(refs) == len(set(refs))
        names = {p.val for o in found for p in o.propSet}
        assert {"Datacenters", "DC0", "vm", "DC0_H0_VM0", "DC0_C0_RP0_VM1"} <= names
    assert {o.obj for o in from_root} == {o.obj for o in from_vm}


@pytest.mark.parametrize(("make", "expected"), [
    (lambda root: spec(root, t.SelectionSpec(name="nowhere")), faults.InvalidArgument),
    (lambda root: spec(root, t.TraversalSpec(type="Folder", path="childEntity", selectSet=(
        t.SelectionSpec(name="nowhere"),))), faults.InvalidArgument),
    (lambda root: spec(root, type="NoSuchType"), faults.InvalidType),
    (lambda root: spec(root, type="NoSuchType", paths=(), all=True), faults.InvalidType),
    (lambda root: spec(root, type="VirtualMachineConfigSpec"), faults.InvalidType),
    (lambda root: spec(root, t.TraversalSpec(type="Nope", path="x")), faults.InvalidType),
    (lambda root: spec(root, t.TraversalSpec(type="Folder", path="nope")),
     faults.InvalidProperty),
    (lambda root: spec(root, type="VirtualMachine", paths=("config.hardware.device.key",)),
     faults.InvalidProperty),  # through an array without a key
    (lambda root: spec(root, type="VirtualMachine", paths=("name[1]",)),
     faults.InvalidProperty),
    (lambda root: spec(root, type="Folder", paths=("childEntity[1]",)),
     faults.InvalidProperty),  # morefs have no key
    (lambda root: spec(root, type="VirtualMachine", paths=("config..name",)),
     faults.InvalidProperty),
    (lambda root: spec(Ref("VirtualMachine", root.value)), faults.ManagedObjectNotFound),
])
async def test_bad_specs_are_the_faults_vcenter_raises(
        client: aiovsphere.Client, make: Any, expected: type[Exception]) -> None:
    with pytest.raises(expected):
        await retrieve(client, make(client.content.rootFolder))


async def test_paths_through_arrays_by_key(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = vm_named(sim, "DC0_H0_VM0")
    nic = next(d for d in vm.props["config"].hardware.device
               if isinstance(d, t.VirtualEthernetCard))
    found = await retrieve(client, spec(vm.ref, type="VirtualMachine", paths=(
        f"config.hardware.device[{nic.key}].macAddress", "config.hardware.device[99999].key",
        'config.extraConfig["no such key"].value')))
    assert [(p.name, p.val) for p in found[0].propSet] == [
        (f"config.hardware.device[{nic.key}].macAddress", nic.macAddress)]
    # A TraversalSpec whose path holds no morefs selects nothing, quietly.
    found = await retrieve(client, spec(client.content.rootFolder, t.TraversalSpec(
        type="Folder", path="name")))
    assert [o.obj for o in found] == [client.content.rootFolder]


async def _all_true_everywhere(sim: Simulator, client: aiovsphere.Client) -> int:
    """RetrievePropertiesEx and WaitForUpdatesEx with ``all=True`` on every object of every
    type (session objects of the caller included); returns how many types."""
    vm = min((o.ref for o in sim.model.of_type("VirtualMachine")), key=lambda r: r.value)
    views = client.service("viewManager")
    await client.invoke(views, "CreateContainerView", container=client.content.rootFolder,
                        type=["VirtualMachine"], recursive=True)
    await client.invoke(views, "CreateListView", obj=[vm])
    await client.invoke(views, "CreateInventoryView")
    await client.invoke(client.service("eventManager"), "CreateCollectorForEvents",
                        filter=t.EventFilterSpec())
    await client.invoke(client.service("taskManager"), "CreateCollectorForTasks",
                        filter=t.TaskFilterSpec())
    await client.wait_for_task(await client.invoke(
        vm, "CreateSnapshot_Task", name="s", memory=False, quiesce=False))
    mine = {s.key for s in sim.sessions.values()}
    objects = [o for o in sim.model if o.owner is None or o.owner in mine]
    types = sorted({o.type for o in objects})
    pc = client.service("propertyCollector")
    for obj in objects:
        found = await retrieve(client, spec(obj.ref, type=obj.type, paths=(), all=True))
        assert [o.obj for o in found] == [obj.ref]
    everything = t.PropertyFilterSpec(
        propSet=tuple(t.PropertySpec(type=name, all=True) for name in types),
        objectSet=tuple(t.ObjectSpec(obj=o.ref) for o in objects))
    own = await client.invoke(pc, "CreatePropertyCollector")
    try:
        await client.invoke(own, "CreateFilter", spec=everything, partialUpdates=True)
        update = await client.invoke(own, "WaitForUpdatesEx", version="",
                                     options=t.WaitOptions(maxObjectUpdates=100))
        seen = {o.obj for f in update.filterSet for o in f.objectSet}
        while update.truncated:
            update = await client.invoke(own, "WaitForUpdatesEx", version=update.version)
            seen |= {o.obj for f in update.filterSet for o in f.objectSet}
        assert seen == {o.ref for o in objects if o.ref in sim.model}
        # Changes with partial updates encode too.
        await client.wait_for_task(await client.invoke(vm, "ReconfigVM_Task", spec=(
            t.VirtualMachineConfigSpec(annotation="all=True"))))
        changed = await client.invoke(own, "WaitForUpdatesEx", version=update.version,
                                      options=t.WaitOptions(maxWaitSeconds=5))
        assert changed is not None
        names = {c.name for f in changed.filterSet for o in f.objectSet if o.obj == vm
                 for c in o.changeSet}
        assert "config.annotation" in names
    finally:
        await client.invoke(own, "DestroyPropertyCollector")
    return len(types)


async def test_all_true_encodes_on_every_managed_type(sim: Simulator,
                                                      client: aiovsphere.Client) -> None:
    assert await _all_true_everywhere(sim, client) >= 35


async def test_all_true_encodes_on_every_managed_type_of_an_esx_host() -> None:
    async with Simulator(esx=True, task_seconds=0) as sim, \
            aiovsphere.connect(sim.url, user="root", password="pw") as client:
        assert await _all_true_everywhere(sim, client) >= 25


async def _collector_at(client: aiovsphere.Client, obj: Ref) -> tuple[Ref, str]:
    pc = await client.invoke(client.service("propertyCollector"), "CreatePropertyCollector")
    await client.invoke(pc, "CreateFilter", spec=spec(obj, paths=("name",)),
                        partialUpdates=False)
    first = await client.invoke(pc, "WaitForUpdatesEx", version="")
    return pc, first.version


async def test_versions_belong_to_their_collector(sim: Simulator,
                                                  client: aiovsphere.Client) -> None:
    vm = vm_named(sim, "DC0_C0_RP0_VM0")
    a, version = await _collector_at(client, vm.ref)
    for i in range(3):  # a moves on: versions b never issued
        await client.wait_for_task(await client.invoke(vm.ref, "Rename_Task",
                                                       newName=f"DC0_C0_RP0_VM0-{i}"))
        version = (await client.invoke(a, "WaitForUpdatesEx", version=version)).version
    b, b_version = await _collector_at(client, vm.ref)
    assert b_version != version
    with pytest.raises(faults.InvalidCollectorVersion):
        await client.invoke(b, "WaitForUpdatesEx", version=version,
                            options=t.WaitOptions(maxWaitSeconds=0))
    # b is unharmed.
    assert await client.invoke(b, "WaitForUpdatesEx", version=b_version,
                               options=t.WaitOptions(maxWaitSeconds=0)) is None
    await client.wait_for_task(await client.invoke(vm.ref, "Rename_Task",
                                                   newName="DC0_C0_RP0_VM0"))
    for pc in (a, b):
        await client.invoke(pc, "DestroyPropertyCollector")


async def test_a_collector_destroyed_mid_wait_ends_the_wait(sim: Simulator,
                                                            client: aiovsphere.Client) -> None:
    pc, version = await _collector_at(client, client.content.rootFolder)
    wait = asyncio.ensure_future(client.invoke(pc, "WaitForUpdatesEx", version=version,
                                               options=t.WaitOptions(maxWaitSeconds=60)))
    await asyncio.sleep(0.05)
    assert not wait.done()
    await client.invoke(pc, "DestroyPropertyCollector")
    async with asyncio.timeout(5):
        with pytest.raises((faults.RequestCanceled, faults.ManagedObjectNotFound)):
            await wait
    assert pc not in sim.model
    assert not [o for o in sim.model if o.type == "PropertyFilter"
                and o.data["pc_filter"].collector == pc]
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(pc, "WaitForUpdatesEx", version=version)


async def test_cancel_wait_for_updates_without_a_wait(client: aiovsphere.Client) -> None:
    pc, version = await _collector_at(client, client.content.rootFolder)
    assert await client.invoke(pc, "CancelWaitForUpdates") is None
    assert await client.invoke(pc, "CancelWaitForUpdates") is None
    # The next wait is an ordinary one (nothing changed: no update).
    assert await client.invoke(pc, "WaitForUpdatesEx", version=version,
                               options=t.WaitOptions(maxWaitSeconds=0)) is None
    wait = asyncio.ensure_future(client.invoke(pc, "WaitForUpdatesEx", version=version))
    await asyncio.sleep(0.05)
    await client.invoke(pc, "CancelWaitForUpdates")
    async with asyncio.timeout(5):
        with pytest.raises(faults.RequestCanceled):
            await wait
    await client.invoke(pc, "DestroyPropertyCollector")
