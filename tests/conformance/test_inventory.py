"""Conformance of reading the inventory: retrieve over views and moref lists, property
paths, missing objects, views, the finder and SearchIndex, performance counters and
series, and the faults for bad input. Nothing here changes the inventory."""

from __future__ import annotations

import collections
from datetime import datetime

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.vim import types as t
from tests.conformance.conftest import (
    ALL_VMS,
    H0_VMS,
    HOSTS,
    Backend,
    Ref,
    find_vm,
)

# Names per type of every ManagedEntity (sorted; one entry per object): the same for both.
NAMES_BY_TYPE = {
    "ClusterComputeResource": ["DC0_C0"],
    "ComputeResource": ["DC0_H0"],
    "Datacenter": ["DC0"],
    "Datastore": ["LocalDS_0"],
    "DistributedVirtualPortgroup": ["DC0_DVPG0", "DVS0-DVUplinks-9"],
    "Folder": ["datastore", "host", "network", "vm"],
    "HostSystem": HOSTS,
    "Network": ["VM Network"],
    "ResourcePool": ["Resources", "Resources"],  # the cluster's and the host's root pools
    "VirtualMachine": ALL_VMS,
    "VmwareDistributedVirtualSwitch": ["DVS0"],
}
GHOST = Ref("VirtualMachine", "vm-999999")


def dvs_type(backend: Backend) -> str:
    if backend.vcsim:  # vcsim deviation: its switch is the base DistributedVirtualSwitch
        return "DistributedVirtualSwitch"
    return "VmwareDistributedVirtualSwitch"  # what vCenter creates


# ---------------------------------------------------------------------------- retrieve
async def test_names_per_type_over_a_container_view(client: aiovsphere.Client,
                                                    backend: Backend) -> None:
    async with client.container_view(["ManagedEntity"]) as view:
        records = await client.retrieve(view, ["name"], type="ManagedEntity")
    by_type: dict[str, list[str]] = collections.defaultdict(list)
    for r in records:
        by_type[r.obj.type].append(r.name)
    expected = dict(NAMES_BY_TYPE)
    expected[dvs_type(backend)] = expected.pop("VmwareDistributedVirtualSwitch")
    assert {kind: sorted(names) for kind, names in by_type.items()} == expected
    assert len({r.obj for r in records}) == len(records) == 26  # each object once


async def test_vms_and_hosts_in_one_view(client: aiovsphere.Client) -> None:
    async with client.container_view(["VirtualMachine", "HostSystem"]) as view:
        records = await client.retrieve(view, {
            "VirtualMachine": ["name", "runtime.host", "runtime.powerState"],
            "HostSystem": ["name", "summary.hardware.numCpuCores"],
        })
    vms = {r.name: r for r in records if r.obj.type == "VirtualMachine"}
    hosts = {r.obj: r.name for r in records if r.obj.type == "HostSystem"}
    assert sorted(vms) == ALL_VMS and sorted(hosts.values()) == HOSTS
    assert all(set(r) == {"name", "runtime.host", "runtime.powerState"} for r in vms.values())
    assert {r.runtime.powerState for r in vms.values()} == {"poweredOn"}
    assert {hosts[vms[n].runtime.host] for n in H0_VMS} == {"DC0_H0"}
    assert {hosts[vms[n].runtime.host] for n in ALL_VMS if n not in H0_VMS} <= {
        "DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}
    assert all(r.summary.hardware.numCpuCores >= 1
               for r in records if r.obj.type == "HostSystem")


async def test_a_moref_list_keeps_its_order_and_lists_duplicates_once(
        client: aiovsphere.Client) -> None:
    a, b, c = [await find_vm(client, n) for n in ("DC0_H0_VM3", "DC0_C0_RP0_VM1", "DC0_H0_VM0")]
    records = await client.retrieve([a, b, a, c], ["name", "config.hardware.numCPU"])
    assert [r.obj for r in records] == [a, b, c]
    assert [r.name for r in records] == ["DC0_H0_VM3", "DC0_C0_RP0_VM1", "DC0_H0_VM0"]
    assert [r.config.hardware.numCPU for r in records] == [1, 1, 1]


async def test_whole_properties_are_typed(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM1")
    (rec,) = await client.retrieve([vm], ["name", "config", "runtime", "summary", "guest",
                                          "parent", "resourcePool", "datastore"])
    assert isinstance(rec.config, t.VirtualMachineConfigInfo)
    assert rec.config.name == rec.name == rec.summary.config.name == "DC0_H0_VM1"
    assert rec.config.hardware.numCPU == 1 and rec.config.hardware.memoryMB == 32
    assert rec.config.files.vmPathName == "[LocalDS_0] DC0_H0_VM1/DC0_H0_VM1.vmx"
    assert any(isinstance(d, t.VirtualDisk) for d in rec.config.hardware.device)
    assert any(isinstance(d, t.VirtualEthernetCard) for d in rec.config.hardware.device)
    assert isinstance(rec.runtime, t.VirtualMachineRuntimeInfo)
    assert rec.runtime.host.type == "HostSystem" and rec.parent.type == "Folder"
    assert rec.resourcePool.type == "ResourcePool"
    assert [d.type for d in rec.datastore] == ["Datastore"]
    assert isinstance(rec.guest, t.GuestInfo)
    if backend.vcsim:  # vcsim deviation: no VMware Tools in its VMs, so no guest IP
        assert rec.guest.toolsRunningStatus == "guestToolsNotRunning"
        assert rec.guest.ipAddress is None
    else:  # a running VM with tools, as most on vCenter
        assert rec.guest.toolsRunningStatus == "guestToolsRunning"
        assert rec.guest.ipAddress.startswith("10.1.")


async def test_an_unset_property_reads_none(client: aiovsphere.Client) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    (rec,) = await client.retrieve([vm], ["name", "parentVApp", "snapshot"])
    assert rec.name == "DC0_H0_VM0"
    assert rec.parentVApp is None and rec.snapshot is None and rec.missing == {}


async def test_a_missing_object(client: aiovsphere.Client) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(GHOST, ["name"])
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.retrieve([vm, GHOST], ["name"])
    records = await client.retrieve([vm, GHOST], ["name"], missing="record")
    assert [r.obj for r in records] == [vm, GHOST]
    assert records[0].name == "DC0_H0_VM0" and records[0].missing == {}
    assert set(records[1].missing) == {""} and len(records[1]) == 0
    assert isinstance(records[1].missing[""], faults.ManagedObjectNotFound)


async def test_an_invalid_property_path(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    if backend.vcsim:  # vcsim deviation: reports the path in missingSet, reads the rest
        (rec,) = await client.retrieve([vm], ["name", "no.such.path"], missing="record")
        assert rec.name == "DC0_H0_VM0"
        assert set(rec.missing) == {"no.such.path"}
        assert isinstance(rec.missing["no.such.path"], faults.InvalidProperty)
    else:  # vCenter: the whole call fails with InvalidProperty
        with pytest.raises(faults.InvalidProperty):
            await client.retrieve([vm], ["name", "no.such.path"], missing="record")


# ---------------------------------------------------------------------------- views
async def test_container_views_recursive_or_not(client: aiovsphere.Client) -> None:
    root = client.content.rootFolder
    async with client.container_view(["Datacenter"], container=root,
                                     recursive=False) as view:
        (dc,) = await view.objects()
    vm_folder = (await client.get_properties(dc, ["vmFolder"]))["vmFolder"]
    async with client.container_view(["VirtualMachine"], container=vm_folder,
                                     recursive=False) as flat, \
            client.container_view(["HostSystem"], container=dc) as deep, \
            client.container_view(["HostSystem"], container=dc, recursive=False) as shallow:
        assert sorted(r.name for r in await client.retrieve(flat, ["name"])) == ALL_VMS
        assert sorted(r.name for r in await client.retrieve(deep, ["name"])) == HOSTS
        assert await shallow.objects() == ()  # hosts are not the datacenter's children


async def test_list_view_modify_and_destroy(client: aiovsphere.Client,
                                            backend: Backend) -> None:
    a, b = await find_vm(client, "DC0_H0_VM0"), await find_vm(client, "DC0_C0_RP0_VM0")
    async with client.list_view([a]) as view:
        ref = view.ref
        assert await view.objects() == (a,)
        await client.invoke(ref, "ModifyListView", add=(b,), remove=(a,))
        assert await view.objects() == (b,)
        assert [r.name for r in await client.retrieve(view, ["name"],
                                                     type="VirtualMachine")] == [
            "DC0_C0_RP0_VM0"]
        views = await client.get_properties(client.content.viewManager, ["viewList"])
        if backend.vcsim:  # vcsim deviation: ViewManager.viewList is always empty
            assert tuple(views.get("viewList") or ()) == ()
        else:  # vCenter lists the session's own views
            assert ref in views["viewList"]
    with pytest.raises(faults.ManagedObjectNotFound):  # destroyed on exit
        await client.get_properties(ref, ["view"])


async def test_bad_view_requests_are_invalid_arguments(client: aiovsphere.Client) -> None:
    manager = client.content.viewManager
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(manager, "CreateContainerView", container=client.content.rootFolder,
                            type=("NoSuchType",), recursive=True)
    vm = await find_vm(client, "DC0_H0_VM0")
    with pytest.raises(faults.InvalidArgument) as info:  # a VM contains nothing
        await client.invoke(manager, "CreateContainerView", container=vm,
                            type=("VirtualMachine",), recursive=True)
    assert info.value.fault.invalidProperty == "container"
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(manager, "CreateContainerView", container=Ref("Folder", "group-x9"),
                            type=("VirtualMachine",), recursive=True)


# ---------------------------------------------------------------------------- finder
async def test_finder_vm_folder(client: aiovsphere.Client) -> None:
    found = await client.find("/DC0/vm/*")
    assert [f.path for f in found] == [f"/DC0/vm/{n}" for n in ALL_VMS]
    assert [f.name for f in found] == ALL_VMS and {f.type for f in found} == {"VirtualMachine"}
    async with client.container_view(["VirtualMachine"]) as view:
        names = {r.obj: r.name for r in await client.retrieve(view, ["name"])}
    assert {f.ref: f.name for f in found} == names


async def test_finder_hosts_datastores_networks(client: aiovsphere.Client,
                                                backend: Backend) -> None:
    hosts = await client.find("/DC0/host/*/*", type="HostSystem")
    assert [f.path for f in hosts] == [
        "/DC0/host/DC0_C0/DC0_C0_H0", "/DC0/host/DC0_C0/DC0_C0_H1",
        "/DC0/host/DC0_C0/DC0_C0_H2", "/DC0/host/DC0_H0/DC0_H0"]
    assert [(f.path, f.type) for f in await client.find("/DC0/host/*")] == [
        ("/DC0/host/DC0_C0", "ClusterComputeResource"), ("/DC0/host/DC0_H0", "ComputeResource")]
    assert [(f.path, f.type) for f in await client.find("/DC0/datastore/*")] == [
        ("/DC0/datastore/LocalDS_0", "Datastore")]
    assert [(f.path, f.type) for f in await client.find("/DC0/network/*")] == [
        ("/DC0/network/DC0_DVPG0", "DistributedVirtualPortgroup"),
        ("/DC0/network/DVS0", dvs_type(backend)),
        ("/DC0/network/DVS0-DVUplinks-9", "DistributedVirtualPortgroup"),
        ("/DC0/network/VM Network", "Network")]


async def test_finder_relative_absolute_and_missing_paths(client: aiovsphere.Client) -> None:
    (absolute,) = await client.find("/DC0/vm/DC0_H0_VM2")
    assert await client.find("vm/DC0_H0_VM2") == [absolute]  # from the only datacenter
    assert await client.find("DC0_H0_VM2", type="VirtualMachine") == [absolute]
    assert absolute.ref == await find_vm(client, "DC0_H0_VM2")
    assert await aiovsphere.inventory_path(client, absolute.ref) == "/DC0/vm/DC0_H0_VM2"
    assert await client.find("/DC0/vm/no-such-vm") == []
    with pytest.raises(aiovsphere.NotFoundError):
        await client.finder().virtual_machine("/DC0/vm/no-such-vm")


async def test_search_index(client: aiovsphere.Client) -> None:
    index = client.service("searchIndex")
    vm = await find_vm(client, "DC0_C0_RP0_VM2")
    dc = await client.invoke(index, "FindByInventoryPath", inventoryPath="DC0")
    assert dc.type == "Datacenter"
    host = await client.invoke(index, "FindByInventoryPath",
                               inventoryPath="DC0/host/DC0_C0/DC0_C0_H1")
    assert (await client.get_properties(host, ["name"]))["name"] == "DC0_C0_H1"
    assert await client.invoke(index, "FindByInventoryPath", inventoryPath="DC0/vm/nope") is None
    folder = (await client.get_properties(dc, ["vmFolder"]))["vmFolder"]
    assert await client.invoke(index, "FindChild", entity=folder, name="DC0_C0_RP0_VM2") == vm
    assert await client.invoke(index, "FindChild", entity=folder, name="nope") is None
    uuids = await client.get_properties(vm, ["config.uuid", "config.instanceUuid"])
    assert await client.invoke(index, "FindByUuid", uuid=uuids["config.uuid"],
                               vmSearch=True) == vm
    assert await client.invoke(index, "FindByUuid", uuid=uuids["config.instanceUuid"],
                               vmSearch=True, instanceUuid=True) == vm
    assert await client.invoke(index, "FindByUuid", uuid="00000000-0000-0000-0000-000000000000",
                               vmSearch=True) is None
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(index, "FindChild", entity=Ref("Folder", "group-x9"), name="x")


# ---------------------------------------------------------------------------- performance
async def test_perf_counters_by_name(client: aiovsphere.Client) -> None:
    counters = await client.perf_counters()
    got = {name: (counters[name].id, counters[name].unit, counters[name].stats_type,
                  counters[name].level)
           for name in ("cpu.usage.average", "mem.usage.average", "net.usage.average",
                        "disk.usage.average", "cpu.ready.summation", "mem.active.average")}
    assert got == {  # vCenter's ids, units, stats types and levels
        "cpu.usage.average": (2, "percent", "rate", 1),
        "mem.usage.average": (24, "percent", "absolute", 1),
        "net.usage.average": (143, "kiloBytesPerSecond", "rate", 1),
        "disk.usage.average": (125, "kiloBytesPerSecond", "rate", 1),
        "cpu.ready.summation": (12, "millisecond", "delta", 1),
        "mem.active.average": (33, "kiloBytes", "absolute", 2),
    }
    vm = await find_vm(client, "DC0_H0_VM0")
    summary = await client.invoke(client.service("perfManager"), "QueryPerfProviderSummary",
                                  entity=vm)
    assert (summary.entity, summary.currentSupported, summary.refreshRate) == (vm, True, 20)


async def test_query_perf_shape(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    host = await client.invoke(client.service("searchIndex"), "FindByInventoryPath",
                               inventoryPath="DC0/host/DC0_H0/DC0_H0")
    series = await client.query_perf([vm, host], ["cpu.usage.average", "mem.usage.average"],
                                     max_sample=3, instance="")
    assert [(s.entity, s.counter, s.instance, s.unit, s.interval) for s in series] == [
        (vm, "cpu.usage.average", "", "percent", 20),
        (vm, "mem.usage.average", "", "percent", 20),
        (host, "cpu.usage.average", "", "percent", 20),
        (host, "mem.usage.average", "", "percent", 20)]
    for s in series:
        assert len(s.timestamps) == len(s.values) == 3
        assert list(s.timestamps) == sorted(s.timestamps)
        assert all(isinstance(ts, datetime) and ts.utcoffset() is not None
                   for ts in s.timestamps)
        assert all(isinstance(v, int) and 0 <= v <= 10000 for v in s.values)
    every = await client.query_perf([vm], ["cpu.usage.average"], max_sample=1)
    if backend.vcsim:  # vcsim deviation: echoes instance "*" instead of expanding it
        assert [s.instance for s in every] == ["*"]
    else:  # vCenter: the aggregate "" and one series per vCPU
        assert [s.instance for s in every] == ["", "0"]


async def test_query_perf_of_a_missing_entity(client: aiovsphere.Client,
                                              backend: Backend) -> None:
    spec = t.PerfQuerySpec(entity=GHOST, maxSample=1, intervalId=20)
    if backend.vcsim:  # vcsim deviation: answers with samples for any moref
        (metric,) = await client.invoke(client.service("perfManager"), "QueryPerf",
                                        querySpec=(spec,))
        assert metric.entity == GHOST
    else:
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.invoke(client.service("perfManager"), "QueryPerf",
                                querySpec=(spec,))
