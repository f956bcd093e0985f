"""The simulator's folder, resource-pool and settings methods: CreateFolder,
CreateDatacenter, CreateClusterEx, CreateVM_Task, MoveIntoFolder_Task, CreateResourcePool,
UpdateConfig, DestroyChildren, QueryOptions, UpdateOptions; their faults, their events
and the read-only user; through the aiovsphere client's object helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere._finder import find_by_inventory_path
from aiovsphere.objects import ClusterComputeResource, Folder, ResourcePool, VirtualMachine
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._eventlog import events_of
from aiovsphere.simulator._handlers import events, folders, perf
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(seed=9, task_seconds=0) as sim:
        events.install(sim)
        perf.install(sim)
        folders.install_settings(sim)
        yield sim


@pytest.fixture(scope="module")
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


@pytest.fixture(scope="module")
async def reader(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="readonly", password="pw") as client:
        yield client


async def at(client: aiovsphere.Client, path: str) -> Ref:
    ref = await find_by_inventory_path(client, path)
    assert ref is not None, path
    return ref


async def prop(client: aiovsphere.Client, ref: Ref, path: str) -> Any:
    return (await client.get_properties(ref, [path]))[path]


def last_event(sim: Simulator, kind: str) -> Any:
    return next(e for e in reversed(events_of(sim)) if type(e).__name__ == kind)


# ---------------------------------------------------------------------------- folders
async def test_create_folder(sim: Simulator, client: aiovsphere.Client,
                             reader: aiovsphere.Client) -> None:
    vm_folder = Folder(client, await at(client, "/DC0/vm"))
    web = await vm_folder.create_folder("web")
    assert web.ref.type == "Folder" and web.ref.value.startswith("group-v")
    props = await client.get_properties(web.ref, ["name", "parent", "childType",
                                                  "childEntity", "overallStatus"])
    assert props["name"] == "web" and props["parent"] == vm_folder.ref
    assert props["childType"] == ("Folder", "VirtualMachine", "VirtualApp")
    assert props["childEntity"] == ()
    assert web.ref in await prop(client, vm_folder.ref, "childEntity")
    nested = await web.create_folder("inner")
    assert await find_by_inventory_path(client, "/DC0/vm/web/inner") == nested.ref
    task_event = last_event(sim, "TaskEvent")
    assert task_event.fullFormattedMessage == "Task: Create folder"
    assert task_event.info.entity == nested.ref
    with pytest.raises(faults.DuplicateName) as dup:
        await vm_folder.create_folder("web")
    assert dup.value.fault.object == web.ref
    with pytest.raises(faults.DuplicateName):
        await vm_folder.create_folder("DC0_H0_VM0")  # a VM's name in the same folder
    for bad in ("", "   ", "x" * 81):
        with pytest.raises(faults.InvalidName):
            await vm_folder.create_folder(bad)
    assert len((await vm_folder.create_folder("y" * 80)).ref.value) > 0
    with pytest.raises(faults.NotSupported):  # a VM folder holds no datacenters
        await vm_folder.create_datacenter("DCx")
    with pytest.raises(faults.NoPermission):
        await Folder(reader, vm_folder.ref).create_folder("ro")


async def test_create_datacenter(sim: Simulator, client: aiovsphere.Client) -> None:
    root = Folder(client, client.content.rootFolder)
    dc = await root.create_datacenter("Lab")
    assert dc.ref.type == "Datacenter"
    props = await client.get_properties(dc.ref, ["name", "parent", "vmFolder", "hostFolder",
                                                 "datastoreFolder", "networkFolder",
                                                 "datastore", "network"])
    assert props["parent"] == root.ref and props["datastore"] == props["network"] == ()
    kinds = {}
    for key, name in (("vmFolder", "vm"), ("hostFolder", "host"),
                      ("datastoreFolder", "datastore"), ("networkFolder", "network")):
        folder = props[key]
        assert await find_by_inventory_path(client, f"/Lab/{name}") == folder
        kinds[name] = await prop(client, folder, "childType")
    assert kinds["host"] == ("Folder", "ComputeResource")
    assert "DistributedVirtualSwitch" in kinds["network"]
    event = last_event(sim, "DatacenterCreatedEvent")
    assert event.datacenter.datacenter == dc.ref
    assert event.parent.folder == root.ref
    assert event.fullFormattedMessage == "Created datacenter Lab in folder Datacenters"
    with pytest.raises(faults.DuplicateName):
        await root.create_datacenter("Lab")


async def test_create_cluster(sim: Simulator, client: aiovsphere.Client) -> None:
    hosts = Folder(client, await at(client, "/DC0/host"))
    spec = t.ClusterConfigSpecEx(drsConfig=t.ClusterDrsConfigInfo(enabled=False),
                                 dasConfig=t.ClusterDasConfigInfo(enabled=True))
    cluster = await hosts.create_cluster("C9", spec)
    assert isinstance(cluster, ClusterComputeResource)
    props = await client.get_properties(cluster.ref, [
        "name", "host", "resourcePool", "configurationEx", "summary"])
    assert props["host"] == () and props["summary"].numHosts == 0
    assert props["configurationEx"].drsConfig.enabled is False
    assert props["configurationEx"].dasConfig.enabled is True
    pool = props["resourcePool"]
    assert await prop(client, pool, "name") == "Resources"
    assert await prop(client, pool, "owner") == cluster.ref
    assert await find_by_inventory_path(client, "/DC0/host/C9/Resources") == pool
    event = last_event(sim, "ClusterCreatedEvent")
    assert (event.computeResource.computeResource, event.datacenter.name) == (
        cluster.ref, "DC0")
    assert event.fullFormattedMessage == "Created cluster C9 in DC0"
    with pytest.raises(faults.NotSupported):
        await Folder(client, await at(client, "/DC0/vm")).create_cluster("C10")


async def test_create_vm(sim: Simulator, client: aiovsphere.Client) -> None:
    vm_folder = Folder(client, await at(client, "/DC0/vm"))
    pool = await at(client, "/DC0/host/DC0_C0/Resources")
    before = len(events_of(sim))
    config = t.VirtualMachineConfigSpec(name="fresh", numCPUs=2, memoryMB=256,
                                        guestId="otherGuest64",
                                        files=t.VirtualMachineFileInfo(
                                            vmPathName="[LocalDS_0]"))
    vm = await vm_folder.create_vm(config, pool)
    assert isinstance(vm, VirtualMachine)
    props = await client.get_properties(vm.ref, ["name", "parent", "resourcePool",
                                                 "runtime.powerState", "config.hardware.numCPU",
                                                 "config.files.vmPathName"])
    assert (props["name"], props["parent"], props["resourcePool"]) == (
        "fresh", vm_folder.ref, pool)
    assert str(props["runtime.powerState"]) == "poweredOff"
    assert props["config.hardware.numCPU"] == 2
    assert props["config.files.vmPathName"].startswith("[LocalDS_0] fresh/")
    kinds = [type(e).__name__ for e in events_of(sim)[before:]]
    assert kinds[0] == "TaskEvent"
    assert kinds.index("VmBeingCreatedEvent") < kinds.index("VmCreatedEvent")
    created = last_event(sim, "VmCreatedEvent")
    assert created.vm.vm == vm.ref and created.chainId == events_of(sim)[before].key
    assert created.fullFormattedMessage.startswith("Created virtual machine fresh on ")
    with pytest.raises(faults.DuplicateName):  # the task fails with it
        await vm_folder.create_vm(config, pool)
    with pytest.raises(faults.NotSupported):
        await Folder(client, await at(client, "/DC0/host")).create_vm(config, pool)


async def test_move_into_folder(sim: Simulator, client: aiovsphere.Client) -> None:
    vm_folder = Folder(client, await at(client, "/DC0/vm"))
    target = await vm_folder.create_folder("moved")
    vm = await at(client, "/DC0/vm/DC0_H0_VM1")
    await target.move_into([vm])
    assert await prop(client, vm, "parent") == target.ref
    assert vm in await prop(client, target.ref, "childEntity")
    assert vm not in await prop(client, vm_folder.ref, "childEntity")
    assert await find_by_inventory_path(client, "/DC0/vm/moved/DC0_H0_VM1") == vm
    # A folder into its own child: InvalidFolder; a VM into a host folder: NotSupported.
    child = await target.create_folder("child")
    with pytest.raises(faults.InvalidFolder):
        await child.move_into([target.ref])
    with pytest.raises(faults.NotSupported):
        await Folder(client, await at(client, "/DC0/host")).move_into([vm])
    # A name already in the target: DuplicateName, and nothing moves.
    other = await at(client, "/DC0/vm/DC0_H0_VM0")
    twin = await target.create_folder("DC0_H0_VM0")
    with pytest.raises(faults.DuplicateName):
        await target.move_into([other])
    assert await prop(client, other, "parent") == vm_folder.ref
    assert twin.ref in await prop(client, target.ref, "childEntity")
    await vm_folder.move_into([vm])
    assert await prop(client, vm, "parent") == vm_folder.ref


# ---------------------------------------------------------------------------- pools
def allocation(**fields: Any) -> t.ResourceAllocationInfo:
    return t.ResourceAllocationInfo(**fields)


async def test_resource_pools(sim: Simulator, client: aiovsphere.Client,
                              reader: aiovsphere.Client) -> None:
    root = ResourcePool(client, await at(client, "/DC0/host/DC0_C0/Resources"))
    spec = t.ResourceConfigSpec(
        cpuAllocation=allocation(reservation=500, limit=2000, expandableReservation=False,
                                 shares=t.SharesInfo(level="high", shares=0)),
        memoryAllocation=allocation())
    pool = await root.create_resource_pool("gold", spec)
    assert pool.ref.value.startswith("resgroup-")
    config = await prop(client, pool.ref, "config")
    assert (config.cpuAllocation.reservation, config.cpuAllocation.limit,
            config.cpuAllocation.expandableReservation) == (500, 2000, False)
    assert config.cpuAllocation.shares.shares == 8000  # "high" CPU shares
    assert (config.memoryAllocation.reservation, config.memoryAllocation.limit,
            config.memoryAllocation.shares.shares) == (0, -1, 163840)
    assert pool.ref in await prop(client, root.ref, "resourcePool")
    assert await prop(client, pool.ref, "owner") == await at(client, "/DC0/host/DC0_C0")
    assert config in await prop(client, root.ref, "childConfiguration")
    event = last_event(sim, "ResourcePoolCreatedEvent")
    assert (event.resourcePool.resourcePool, event.parent.resourcePool) == (pool.ref,
                                                                           root.ref)
    assert event.fullFormattedMessage == \
        "Created resource pool gold in compute-resource DC0_C0 in DC0"
    with pytest.raises(faults.DuplicateName):
        await root.create_resource_pool("gold")
    with pytest.raises(faults.InvalidArgument):
        await root.create_resource_pool("bad", t.ResourceConfigSpec(
            cpuAllocation=allocation(reservation=100, limit=50),
            memoryAllocation=allocation()))
    with pytest.raises(faults.NoPermission):
        await ResourcePool(reader, root.ref).create_resource_pool("ro")
    # UpdateConfig: rename, allocations, changeVersion.
    await pool.update_config(name="platinum", config=t.ResourceConfigSpec(
        cpuAllocation=allocation(limit=4000), memoryAllocation=allocation(reservation=64),
        changeVersion=config.changeVersion))
    props = await client.get_properties(pool.ref, ["name", "config", "summary"])
    assert props["name"] == props["summary"].name == "platinum"
    assert (props["config"].cpuAllocation.limit, props["config"].cpuAllocation.reservation,
            props["config"].memoryAllocation.reservation) == (4000, 500, 64)
    assert props["config"].changeVersion != config.changeVersion
    assert props["config"] in await prop(client, root.ref, "childConfiguration")
    assert last_event(sim, "ResourcePoolReconfiguredEvent").resourcePool.name == "platinum"
    with pytest.raises(faults.ConcurrentAccess):
        await pool.update_config(config=t.ResourceConfigSpec(
            cpuAllocation=allocation(), memoryAllocation=allocation(),
            changeVersion=config.changeVersion))
    sibling = await root.create_resource_pool("silver")
    with pytest.raises(faults.DuplicateName):
        await sibling.update_config(name="platinum")
    # DestroyChildren: the child pools go.
    inner = await sibling.create_resource_pool("inner")
    await client.invoke(sibling.ref, "DestroyChildren")
    assert inner.ref not in sim.model
    assert await prop(client, sibling.ref, "resourcePool") == ()


# ---------------------------------------------------------------------------- settings
async def test_query_and_update_options(sim: Simulator, client: aiovsphere.Client,
                                        reader: aiovsphere.Client) -> None:
    setting = client.content.setting
    everything = await client.invoke(setting, "QueryOptions")
    keys = [o.key for o in everything]
    assert "event.maxAge" in keys and "VirtualCenter.InstanceName" in keys
    subtree = await client.invoke(setting, "QueryOptions", name="event.")
    assert {o.key for o in subtree} == {"event.maxAge", "event.maxAgeEnabled"}
    (one,) = await client.invoke(setting, "QueryOptions", name="event.maxAge")
    assert one.value == 30
    with pytest.raises(faults.InvalidName):
        await client.invoke(setting, "QueryOptions", name="no.such.option")
    with pytest.raises(faults.InvalidName):
        await client.invoke(setting, "QueryOptions", name="event")  # not a full key
    await client.invoke(setting, "UpdateOptions", changedValue=(
        t.OptionValue(key="event.maxAge", value="45"),
        t.OptionValue(key="config.custom.flag", value="on")))
    (age,) = await client.invoke(setting, "QueryOptions", name="event.maxAge")
    assert age.value == 45 and isinstance(age.value, int)
    (added,) = await client.invoke(setting, "QueryOptions", name="config.custom.flag")
    assert added.value == "on"
    assert (await client.get_properties(setting, ["setting"]))["setting"] == \
        await client.invoke(setting, "QueryOptions")
    with pytest.raises(faults.InvalidName):  # a new key outside config.
        await client.invoke(setting, "UpdateOptions", changedValue=(
            t.OptionValue(key="made.up", value=1),))
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(setting, "UpdateOptions", changedValue=(
            t.OptionValue(key="event.maxAgeEnabled", value="perhaps"),))
    with pytest.raises(faults.NoPermission):
        await reader.invoke(setting, "UpdateOptions", changedValue=(
            t.OptionValue(key="event.maxAge", value=1),))
    assert (await reader.invoke(setting, "QueryOptions", name="event.maxAge"))[0].value == 45
    updated = last_event(sim, "TaskEvent")
    assert updated.fullFormattedMessage == "Task: Update option values"
    assert (updated.info.entity, updated.userName) == (setting, "admin")
