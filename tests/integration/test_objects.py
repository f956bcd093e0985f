"""aiovsphere.objects helpers against a private vcsim: power, rename, clone, reconfigure,
snapshots, devices, destroy, datastore browsing, folders, hosts, clusters, networks.

Each test works on VMs of its own (by name), so the order of the tests does not matter.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.objects import (
    ClusterComputeResource,
    ComputeResource,
    Datacenter,
    Datastore,
    DatastoreFile,
    DistributedVirtualPortgroup,
    DistributedVirtualSwitch,
    Entity,
    Folder,
    HostSystem,
    Network,
    ResourcePool,
    Snapshot,
    VirtualMachine,
    datastore_path,
    from_ref,
)
from aiovsphere.vim import types as t
from tools.vcsim.launcher import Vcsim


@pytest.fixture(scope="module")
async def client(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="objects", password="objects-pw"
                                  ) as c:
        yield c


async def _find(client: aiovsphere.Client, path: str) -> aiovsphere.ManagedObjectReference:
    ref = await client.invoke(client.service("searchIndex"), "FindByInventoryPath",
                              inventoryPath=path)
    assert ref is not None, path
    return ref  # type: ignore[no-any-return]


async def _vm(client: aiovsphere.Client, name: str) -> VirtualMachine:
    return VirtualMachine(client, await _find(client, f"DC0/vm/{name}"))


async def _dc(client: aiovsphere.Client) -> Datacenter:
    return Datacenter(client, await _find(client, "DC0"))


def _record(client: aiovsphere.Client) -> list[tuple[Any, str, dict[str, Any]]]:
    """Record every call the client makes (moref, method, params) from now on."""
    calls: list[tuple[Any, str, dict[str, Any]]] = []
    original = client.invoke

    async def invoke(ref, method, /, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((getattr(ref, "ref", ref), method, kwargs))
        return await original(ref, method, **kwargs)

    client.invoke = invoke  # type: ignore[method-assign]
    return calls


def _stop_recording(client: aiovsphere.Client) -> None:
    del client.invoke  # back to the class's method


# ---------------------------------------------------------------------- VirtualMachine
async def test_power_cycle_changes_the_power_state(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_H0_VM0")
    assert await vm.power_state() == "poweredOn"
    seen: list[int] = []
    assert await vm.power_off(progress=seen.append) is None
    assert seen and seen[-1] == 100  # progress= reaches wait_for_task
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOff"
    await vm.power_on()
    assert await vm.power_state() == "poweredOn"
    await vm.suspend()
    assert await vm.power_state() == "suspended"
    await vm.power_on()  # resumes
    assert await vm.power_state() == "poweredOn"
    await vm.reset()
    assert await vm.power_state() == "poweredOn"
    assert (await vm.get("summary.runtime.powerState"))["summary.runtime.powerState"] == (
        "poweredOn")


async def test_a_task_fault_raises_the_typed_fault_with_its_task(
        client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_H0_VM1")
    with pytest.raises(faults.InvalidPowerState) as info:
        await vm.power_on()  # already on
    assert isinstance(info.value.task, aiovsphere.ManagedObjectReference)
    assert info.value.task.type == "Task"
    assert info.value.fault.existingState == "poweredOn"  # type: ignore[union-attr]
    # The task on the server is the one that failed, for this VM.
    task_info = (await client.get_properties(info.value.task, ["info"]))["info"]
    assert task_info.state == "error" and task_info.entity == vm.ref


async def test_wait_false_returns_the_task_moref(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_H0_VM1")
    task = await vm.power_off(wait=False)
    assert isinstance(task, aiovsphere.ManagedObjectReference) and task.type == "Task"
    assert await aiovsphere.wait_for_task(client, task) is None
    assert await vm.power_state() == "poweredOff"
    task = await vm.power_on(wait=False)
    await aiovsphere.wait_for_task(client, task)
    assert await vm.power_state() == "poweredOn"


async def test_rename(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_H0_VM2")
    await vm.rename("renamed-vm")
    assert await vm.name() == "renamed-vm"
    assert await _find(client, "DC0/vm/renamed-vm") == vm.ref
    # A sibling's name is refused (vcsim: InvalidArgument; vCenter: DuplicateName).
    with pytest.raises((faults.InvalidArgument, faults.DuplicateName)) as info:
        await vm.rename("DC0_H0_VM0")
    assert info.value.task is not None
    assert await vm.name() == "renamed-vm"


async def test_clone_into_a_folder_then_destroy(client: aiovsphere.Client) -> None:
    source = await _vm(client, "DC0_H0_VM3")
    folders = await (await _dc(client)).folders()
    target = await folders.vm.create_folder("clones")
    clone = await source.clone("clone-1", target)
    assert isinstance(clone, VirtualMachine) and clone != source
    assert await clone.name() == "clone-1"
    assert await clone.parent() == target
    assert await target.children() == [clone]
    assert await target.children(VirtualMachine) == [clone]
    props = await clone.get("config.hardware.numCPU", "config.hardware.memoryMB")
    src = await source.get("config.hardware.numCPU", "config.hardware.memoryMB")
    assert props == src
    # Default folder: the source's own; keywords build the spec.
    second = await source.clone("clone-2", pool=await source.resource_pool())
    assert await second.parent() == folders.vm
    assert await second.name() == "clone-2"
    with pytest.raises(ValueError, match="either spec"):
        await source.clone("clone-3", spec=t.VirtualMachineCloneSpec(
            location=t.VirtualMachineRelocateSpec(), powerOn=False, template=False),
            power_on=True)
    # Destroy: the VM is gone on the server.
    for vm in (clone, second):
        if await vm.power_state() == "poweredOn":
            await vm.power_off()
        await vm.destroy()
        with pytest.raises(faults.ManagedObjectNotFound):
            await vm.get("name")
    assert await target.children() == []


async def test_reconfigure_cpus_and_memory(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_C0_RP0_VM0")
    await vm.reconfigure(t.VirtualMachineConfigSpec(numCPUs=4, memoryMB=2048))
    props = await vm.get("config.hardware.numCPU", "config.hardware.memoryMB")
    assert props == {"config.hardware.numCPU": 4, "config.hardware.memoryMB": 2048}
    task = await vm.reconfigure(t.VirtualMachineConfigSpec(numCPUs=2), wait=False)
    assert task.type == "Task"
    await aiovsphere.wait_for_task(client, task)
    assert (await vm.get("config.hardware.numCPU"))["config.hardware.numCPU"] == 2


async def test_snapshot_round_trip(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_C0_RP0_VM1")
    assert await vm.list_snapshots() == [] and await vm.current_snapshot() is None
    a = await vm.create_snapshot("a", "first")
    assert a.type == "VirtualMachineSnapshot"
    b = await vm.create_snapshot("b")
    snaps = await vm.list_snapshots()
    assert [(s.path, s.ref, s.parent) for s in snaps] == [("a", a, None), ("a/b", b, a)]
    root = snaps[0]
    assert isinstance(root, Snapshot) and root.description == "first"
    assert isinstance(root.created, datetime.datetime) and root.created.tzinfo is not None
    assert root.state == "poweredOn" and root.children == (snaps[1],)
    assert (await vm.current_snapshot()).ref == b  # type: ignore[union-attr]

    await vm.revert_to_snapshot("a")
    assert (await vm.current_snapshot()).ref == a  # type: ignore[union-attr]
    c = await vm.create_snapshot("c")  # a child of the current snapshot: a
    tree = await vm.snapshot_tree()
    assert [s.name for s in tree] == ["a"]
    assert [(s.name, s.ref) for s in tree[0].children] == [("b", b), ("c", c)]
    assert [s.path for s in await vm.list_snapshots()] == ["a", "a/b", "a/c"]
    # Lookups: by path, by name, by moref value; unknown and ambiguous ones are refused.
    assert await vm.find_snapshot("a/c") == c
    assert await vm.find_snapshot("c") == c
    assert await vm.find_snapshot(c.value) == c
    with pytest.raises(LookupError, match="no snapshot"):
        await vm.find_snapshot("nope")
    await vm.create_snapshot("c")  # a second "c" (child of the first)
    with pytest.raises(LookupError, match="2 snapshots"):
        await vm.find_snapshot("c")
    with pytest.raises(TypeError):
        await vm.find_snapshot(vm.ref)

    await vm.revert_to_snapshot(b)  # by moref
    assert (await vm.current_snapshot()).ref == b  # type: ignore[union-attr]
    await vm.remove_snapshot("a/b")
    assert [s.path for s in await vm.list_snapshots()] == ["a", "a/c", "a/c/c"]
    # (vcsim 0.24 crashes removing the current snapshot while it is a root with siblings
    # or children left, so the current snapshot is moved to a leaf first.)
    await vm.revert_to_snapshot("a/c/c")
    await vm.remove_snapshot("a")  # its children move up
    assert [s.path for s in await vm.list_snapshots()] == ["c", "c/c"]
    await vm.remove_snapshot("c", remove_children=True)
    assert await vm.list_snapshots() == []

    await vm.create_snapshot("x")
    await vm.create_snapshot("y")
    await vm.remove_all_snapshots()
    assert await vm.snapshot_tree() == ()
    with pytest.raises(faults.NotFound):  # no current snapshot to revert to
        await vm.revert_to_snapshot()


async def test_devices_filtered_by_type(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_C0_RP0_VM2")
    summary = (await vm.get("summary.config"))["summary.config"]
    every = await vm.devices()
    assert every and all(isinstance(d, t.VirtualDevice) for d in every)
    nics = await vm.devices("VirtualEthernetCard")
    assert len(nics) == summary.numEthernetCards >= 1
    assert all(isinstance(d, t.VirtualEthernetCard) for d in nics)
    assert type(nics[0]) is not t.VirtualEthernetCard  # a subclass (VirtualE1000...)
    disks = await vm.devices(t.VirtualDisk)
    assert len(disks) == summary.numVirtualDisks >= 1
    assert all(isinstance(d, t.VirtualDisk) for d in disks)
    assert {d.key for d in nics} | {d.key for d in disks} < {d.key for d in every}
    for bad in ("NoSuchDevice", "VirtualMachineConfigSpec"):
        with pytest.raises(ValueError):
            await vm.devices(bad)


async def test_guest_shutdown_and_reboot(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_C0_RP0_VM3")
    calls = _record(client)
    try:
        # vcsim 0.24 does not implement RebootGuest: the call reaches the server as is.
        with pytest.raises(faults.MethodNotFound) as info:
            await vm.reboot_guest()
        assert info.value.fault.method == "RebootGuest"  # type: ignore[union-attr]
        await vm.shutdown_guest()
    finally:
        _stop_recording(client)
    assert [(ref, method) for ref, method, _ in calls] == [
        (vm.ref, "RebootGuest"), (vm.ref, "ShutdownGuest")]
    assert await vm.power_state() == "poweredOff"  # vcsim shuts down at once
    with pytest.raises(faults.InvalidPowerState):
        await vm.shutdown_guest()
    await vm.power_on()


# ---------------------------------------------------------------------- Datastore
async def test_browse_lists_the_vmx_files_of_the_vms(client: aiovsphere.Client) -> None:
    ds = (await (await _dc(client)).datastores())[0]
    assert isinstance(ds, Datastore)
    name = await ds.name()
    vms = await ds.vms()
    expected = {(await vm.get("config.files.vmPathName"))["config.files.vmPathName"]
                for vm in vms}
    found = await ds.browse(pattern="*.vmx", recursive=True)
    assert all(isinstance(f, DatastoreFile) for f in found)
    assert {f.path for f in found} == expected and len(found) == len(vms) >= 8
    assert all(isinstance(f.info, t.VmConfigFileInfo) for f in found)

    # One folder, by a path relative to the datastore and by a full datastore path.
    vm_dir = (await _vm(client, "DC0_C0_RP0_VM2")).ref
    vmx = (await client.get_properties(vm_dir, ["config.files.vmPathName"]))[
        "config.files.vmPathName"]
    folder = vmx.rsplit("/", 1)[0]
    relative = folder.split("] ", 1)[1]
    files = await ds.browse(relative)
    assert [f.path for f in files if f.path.endswith(".vmx")] == [vmx]
    assert {f.folder for f in files} == {folder}
    # Details were asked for (vcsim leaves out sizes of 0, as Go omits zero values).
    assert all(isinstance(f.info.modification, datetime.datetime) for f in files)
    assert any(f.info.fileSize for f in files)
    assert [f.path for f in await ds.browse(folder, ["*.vmx", "*.nvram"])] == sorted(
        [vmx, vmx.removesuffix(".vmx") + ".nvram"])
    # The root: one folder per VM, not recursive.
    root = await ds.browse()
    assert {f.folder for f in root} == {f"[{name}]"}
    assert all(isinstance(f.info, t.FolderFileInfo) for f in root)
    with pytest.raises(faults.FileNotFound):
        await ds.browse("no-such-dir")
    summary = await ds.summary()
    assert summary.name == name and summary.capacity >= summary.freeSpace > 0


def test_datastore_path_joins_the_api_way() -> None:
    assert datastore_path("[ds1]", "a.vmx") == "[ds1] a.vmx"
    assert datastore_path("[ds1] vm", "a.vmx") == "[ds1] vm/a.vmx"
    assert datastore_path("[ds1] vm/", "a.vmx") == "[ds1] vm/a.vmx"
    assert datastore_path("[ds1]/vm", "a.vmx") == "[ds1] vm/a.vmx"  # vcsim's form
    assert datastore_path("[ds 1] a b", "") == "[ds 1] a b"
    assert datastore_path("[ds1]") == "[ds1]"


# ---------------------------------------------------------------------- Folder, Datacenter
async def test_create_folder_create_vm_and_move_into(client: aiovsphere.Client) -> None:
    dc = await _dc(client)
    folders = await dc.folders()
    assert [await f.name() for f in folders] == ["vm", "host", "datastore", "network"]
    apps = await folders.vm.create_folder("apps")
    assert isinstance(apps, Folder) and await apps.name() == "apps"
    assert await apps.parent() == folders.vm
    with pytest.raises(faults.DuplicateName):
        await folders.vm.create_folder("apps")

    host = HostSystem(client, await _find(client, "DC0/host/DC0_H0/DC0_H0"))
    pool = await (await host.compute_resource()).resource_pool()  # type: ignore[union-attr]
    ds_name = await (await host.datastores())[0].name()
    config = t.VirtualMachineConfigSpec(
        name="new-vm", guestId="otherGuest", numCPUs=2, memoryMB=64,
        files=t.VirtualMachineFileInfo(vmPathName=f"[{ds_name}]"))
    vm = await apps.create_vm(config, pool, host)
    assert isinstance(vm, VirtualMachine)
    assert await vm.name() == "new-vm"
    assert await apps.children() == [vm]
    assert await vm.host() == host and vm in await host.vms()
    assert vm in await pool.vms()
    props = await vm.get("config.hardware.numCPU", "config.hardware.memoryMB")
    assert props == {"config.hardware.numCPU": 2, "config.hardware.memoryMB": 64}

    task = await apps.create_vm(config.model_copy(update={"name": "new-vm-2"}), pool,
                                wait=False)
    second = VirtualMachine(client, await aiovsphere.wait_for_task(client, task))
    assert await second.name() == "new-vm-2"

    await folders.vm.move_into([vm, second.ref])
    assert await apps.children() == []
    assert await vm.parent() == folders.vm and await second.parent() == folders.vm
    await apps.destroy()
    with pytest.raises(faults.ManagedObjectNotFound):
        await apps.name()


async def test_datacenter_datastores_networks_and_children(client: aiovsphere.Client
                                                           ) -> None:
    root = Folder(client, client.content.rootFolder)
    (dc,) = await root.children(Datacenter)
    assert dc == await _dc(client) and await dc.name() == "DC0"
    assert await root.children(VirtualMachine) == []
    assert await dc.parent() == root and await root.parent() is None
    assert await dc.datacenter() == dc and await root.datacenter() is None
    networks = await dc.networks()
    assert {type(n) for n in networks} == {Network, DistributedVirtualPortgroup}
    assert [await d.name() for d in await dc.datastores()] == ["LocalDS_0"]


# ---------------------------------------------------------------------- hosts, clusters
async def test_host_maintenance_mode_and_hardware(client: aiovsphere.Client) -> None:
    host = HostSystem(client, await _find(client, "DC0/host/DC0_C0/DC0_C0_H0"))
    assert await host.in_maintenance_mode() is False
    assert await host.connection_state() == "connected"
    assert await host.power_state() == "poweredOn"
    calls = _record(client)
    try:
        await host.enter_maintenance_mode(timeout_seconds=30)
    finally:
        _stop_recording(client)
    assert calls[0][1:] == ("EnterMaintenanceMode_Task",
                            {"args": {"timeout": 30}, "evacuatePoweredOffVms": None})
    assert await host.in_maintenance_mode() is True
    task = await host.exit_maintenance_mode(wait=False)
    await aiovsphere.wait_for_task(client, task)
    assert await host.in_maintenance_mode() is False

    hardware = await host.hardware_summary()
    raw = await host.get("hardware.memorySize", "hardware.cpuInfo.numCpuCores")
    assert hardware.memorySize == raw["hardware.memorySize"] > 0
    assert hardware.numCpuCores == raw["hardware.cpuInfo.numCpuCores"] > 0
    assert (await host.summary()).hardware == hardware
    cluster = await host.compute_resource()
    assert isinstance(cluster, ClusterComputeResource)
    assert host in await cluster.hosts()


async def test_host_operations_vcsim_lacks_reach_the_server(client: aiovsphere.Client
                                                            ) -> None:
    """vcsim 0.24 has no DisconnectHost, ReconnectHost, RebootHost, ShutdownHost: the
    helpers' calls arrive as encoded (MethodNotFound names the method and the host)."""
    host = HostSystem(client, await _find(client, "DC0/host/DC0_H0/DC0_H0"))
    spec = t.HostConnectSpec(userName="root", password="host-pw", force=False)
    for call, method in ((host.disconnect, "DisconnectHost_Task"),
                         (lambda: host.reconnect(spec), "ReconnectHost_Task"),
                         (lambda: host.reboot(force=True), "RebootHost_Task"),
                         (lambda: host.shutdown(force=True), "ShutdownHost_Task")):
        with pytest.raises(faults.MethodNotFound) as info:
            await call()
        assert info.value.fault.method == method  # type: ignore[union-attr]
        assert info.value.fault.receiver == host.ref  # type: ignore[union-attr]
    assert await host.connection_state() == "connected"


async def test_cluster_add_host_and_resource_pools(client: aiovsphere.Client) -> None:
    cluster = ClusterComputeResource(client, await _find(client, "DC0/host/DC0_C0"))
    before = await cluster.hosts()
    assert len(before) == 3 and all(isinstance(h, HostSystem) for h in before)
    added = await cluster.add_host(t.HostConnectSpec(hostName="added-host", userName="root",
                                                     password="host-pw", force=False))
    assert isinstance(added, HostSystem) and await added.name() == "added-host"
    assert await cluster.hosts() == [*before, added]
    assert await added.compute_resource() == cluster

    root_pool = await cluster.resource_pool()
    assert await root_pool.owner() == cluster
    child = await root_pool.create_resource_pool("child")
    assert await child.name() == "child" and child in await root_pool.resource_pools()
    config = (await child.get("config"))["config"]
    assert config.cpuAllocation.limit == -1 and config.memoryAllocation.expandableReservation
    await child.update_config(name="child-2")
    assert await child.name() == "child-2"
    cpu = t.ResourceAllocationInfo(reservation=10, expandableReservation=False, limit=1000,
                                   shares=t.SharesInfo(level="high", shares=0))
    await child.update_config(config=config.model_copy(update={"cpuAllocation": cpu}))
    after = (await child.get("config.cpuAllocation"))["config.cpuAllocation"]
    assert (after.reservation, after.limit, after.shares.level) == (10, 1000, "high")
    assert isinstance(await child.summary(), t.ResourcePoolSummary)
    await child.destroy()
    assert child not in await root_pool.resource_pools()

    standalone = from_ref(client, await _find(client, "DC0/host/DC0_H0"))
    assert type(standalone) is ComputeResource
    assert len(await standalone.hosts()) == 1
    assert (await standalone.summary()).numHosts == 1


# ---------------------------------------------------------------------- networks
async def test_portgroup_key_config_switch_and_reconfigure(client: aiovsphere.Client
                                                           ) -> None:
    pg = DistributedVirtualPortgroup(client, await _find(client, "DC0/network/DC0_DVPG0"))
    assert await pg.key() == pg.ref.value  # vcsim keys a portgroup by its moref value
    config = await pg.config()
    assert config.name == await pg.name() and config.key == await pg.key()
    switch = await pg.switch()
    assert isinstance(switch, DistributedVirtualSwitch)
    assert pg in await switch.portgroups() and await switch.uuid()
    hosts = await pg.hosts()
    assert len(hosts) == 4 and all(isinstance(h, HostSystem) for h in hosts)
    await pg.reconfigure(t.DVPortgroupConfigSpec(
        name=config.name, numPorts=64, type=config.type, description="web tier"))
    after = await pg.config()
    assert (after.numPorts, after.description) == (64, "web tier")

    vm_network = next(n for n in await (await _dc(client)).networks()
                      if type(n) is Network)
    assert (await vm_network.summary()).name == await vm_network.name() == "VM Network"


# ---------------------------------------------------------------------- helpers themselves
async def test_type_mismatch_is_refused(client: aiovsphere.Client) -> None:
    host_ref = await _find(client, "DC0/host/DC0_H0/DC0_H0")
    vm_ref = (await _vm(client, "DC0_H0_VM1")).ref
    with pytest.raises(TypeError, match="is not a VirtualMachine"):
        VirtualMachine(client, host_ref)
    with pytest.raises(TypeError, match="is not a HostSystem"):
        HostSystem(client, client.mo(vm_ref))
    with pytest.raises(TypeError, match="is not a ClusterComputeResource"):
        ClusterComputeResource(client, await _find(client, "DC0/host/DC0_H0"))
    with pytest.raises(TypeError, match="is not a ManagedEntity"):
        Entity(client, client.service("propertyCollector"))
    with pytest.raises(TypeError, match="is not a ManagedEntity"):
        from_ref(client, aiovsphere.ManagedObjectReference("Task", "task-1"))
    with pytest.raises(TypeError, match="expected a ManagedObjectReference"):
        VirtualMachine(client, "vm-1")  # type: ignore[arg-type]
    # Subtypes are accepted; from_ref picks the most specific helper.
    cluster_ref = await _find(client, "DC0/host/DC0_C0")
    assert type(ComputeResource(client, cluster_ref)) is ComputeResource
    assert type(from_ref(client, cluster_ref)) is ClusterComputeResource
    pg_ref = aiovsphere.ManagedObjectReference("DistributedVirtualPortgroup", "dvportgroup-13")
    assert type(Network(client, pg_ref)) is Network
    assert type(from_ref(client, client.mo(pg_ref))) is DistributedVirtualPortgroup
    assert type(from_ref(client, vm_ref)) is VirtualMachine
    assert type(from_ref(client, host_ref)) is HostSystem
    assert type(from_ref(client, aiovsphere.ManagedObjectReference(
        "VmwareDistributedVirtualSwitch", "dvs-1"))) is DistributedVirtualSwitch
    assert type(from_ref(client, aiovsphere.ManagedObjectReference(
        "StoragePod", "group-p1"))) is Folder
    assert type(from_ref(client, aiovsphere.ManagedObjectReference(
        "VirtualApp", "resgroup-v1"))) is ResourcePool
    # A managed type this schema does not know: the base helper.
    assert type(from_ref(client, aiovsphere.ManagedObjectReference(
        "FutureEntity", "fe-1"))) is Entity


async def test_identity_repr_and_raw(client: aiovsphere.Client) -> None:
    vm = await _vm(client, "DC0_H0_VM1")
    same = VirtualMachine(client, client.mo(vm.ref))
    assert vm == same and hash(vm) == hash(same) and len({vm, same, vm.ref}) == 1
    assert vm == vm.ref and vm == client.mo(vm.ref) and client.mo(vm.ref) == vm
    assert vm != await _vm(client, "DC0_H0_VM0")
    assert vm.client is client
    assert repr(vm) == f"<VirtualMachine {vm.ref.value}>"
    assert repr(Folder(client, aiovsphere.ManagedObjectReference("StoragePod", "group-p1"))
                ) == "<Folder StoragePod:group-p1>"
    assert vm.raw == vm.ref
    # The raw proxy carries every method the helpers do not cover.
    await vm.raw.RefreshStorageInfo()
    assert await vm.raw.get("name") == {"name": await vm.name()}


async def test_helper_names_are_sent_escaped_and_found_unescaped(
        client: aiovsphere.Client) -> None:
    """Helpers take names as people read them; the API stores them escaped."""
    vm = await _vm(client, "DC0_H0_VM1")
    await vm.rename("ops/web 100%")
    raw = await client.get_properties(vm.ref, ["name"])
    assert raw["name"] == "ops%2fweb 100%25"
    (found,) = await client.finder().find_by_name("ops/web 100%", "VirtualMachine")
    (by_path,) = await client.find("/DC0/vm/ops/web 100%")
    assert found.ref == by_path.ref == vm.ref
    assert found.name == "ops/web 100%"
    assert found.path == "/DC0/vm/ops%2fweb 100%25"
    folder = await (await (await _dc(client)).folders()).vm.create_folder("a\\b")
    assert (await client.get_properties(folder.ref, ["name"]))["name"] == "a%5cb"
    await folder.destroy()
    await vm.rename("DC0_H0_VM1")
