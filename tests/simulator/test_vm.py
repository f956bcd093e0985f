"""VirtualMachine and ManagedEntity methods of the simulator: power and guest power,
rename, destroy, reconfigure (devices too), clone, templates, snapshots; the faults and
events vCenter uses, the properties kept consistent, NoPermission for read-only users;
and the aiovsphere.objects.VirtualMachine helpers on top."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.objects import Folder, ResourcePool, VirtualMachine
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.simulator._eventlog import events_of
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

# The default inventory: DC0_H0 (standalone) with DC0_H0_VM0/1, cluster DC0_C0 (hosts
# DC0_C0_H0..2) with DC0_C0_RP0_VM0/1 in its root pool; every VM powered on.


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(task_seconds=0) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def named(sim: Simulator, name: str, kind: str = "VirtualMachine") -> SimObject:
    return next(o for o in sim.model.of_type(kind) if o.props.get("name") == name)


def dc_folder(sim: Simulator, which: str = "vmFolder") -> SimObject:
    obj = sim.model.get(named(sim, "DC0", "Datacenter").props[which])
    assert obj is not None
    return obj


async def run(client: aiovsphere.Client, ref: Ref, method: str, **params: Any) -> Any:
    task = await client.invoke(ref, method, **params)
    assert task.type == "Task"
    return await aiovsphere.wait_for_task(client, task)


def events_since(sim: Simulator, mark: int, ref: Ref | None = None) -> list[str]:
    """Event type names posted after ``mark`` events (about VM ``ref`` when given)."""
    out = []
    for event in events_of(sim)[mark:]:
        vm = getattr(event, "vm", None)
        if ref is None or (vm is not None and vm.vm == ref):
            out.append(type(event).__name__)
    return out


def refs(obj: SimObject, prop: str) -> tuple[Ref, ...]:
    return tuple(obj.props.get(prop) or ())


def off(sim: Simulator, vm: SimObject) -> None:
    """Power ``vm`` off directly in the model (setup, not under test)."""
    from aiovsphere.simulator._inv_api import set_vm_power

    set_vm_power(sim, vm.ref, "poweredOff")


# ---------------------------------------------------------------------- power
async def test_power_cycle_keeps_runtime_summary_and_guest_consistent(
        sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    ip = vm.props["guest"].ipAddress
    assert vm.props["runtime"].powerState == "poweredOn" and ip
    mark = len(events_of(sim))
    await run(client, vm.ref, "PowerOffVM_Task")
    p = await client.get_properties(vm.ref, [
        "runtime.powerState", "summary.runtime.powerState", "runtime.bootTime",
        "guest.guestState", "guest.toolsRunningStatus", "guest.ipAddress",
        "guestHeartbeatStatus", "summary.quickStats.guestHeartbeatStatus",
        "summary.guest.ipAddress", "disabledMethod"])
    assert p["runtime.powerState"] == p["summary.runtime.powerState"] == "poweredOff"
    assert "runtime.bootTime" not in p and "guest.ipAddress" not in p
    assert "summary.guest.ipAddress" not in p
    assert p["guest.guestState"] == "notRunning"
    assert p["guest.toolsRunningStatus"] == "guestToolsNotRunning"
    assert p["guestHeartbeatStatus"] == p["summary.quickStats.guestHeartbeatStatus"] == "gray"
    assert "PowerOffVM_Task" in p["disabledMethod"]
    assert "PowerOnVM_Task" not in p["disabledMethod"]

    await run(client, vm.ref, "PowerOnVM_Task")
    runtime = vm.props["runtime"]
    assert runtime.powerState == vm.props["summary"].runtime.powerState == "poweredOn"
    boot = runtime.bootTime
    assert boot is not None and vm.props["summary"].runtime.bootTime == boot
    guest = vm.props["guest"]
    assert guest.guestState == "running" and guest.ipAddress == ip
    assert guest.toolsRunningStatus == "guestToolsRunning"
    assert vm.props["guestHeartbeatStatus"] == "green"
    assert vm.props["summary"].guest.ipAddress == ip
    assert "PowerOnVM_Task" in vm.props["disabledMethod"]

    await run(client, vm.ref, "ResetVM_Task")
    reset_boot = vm.props["runtime"].bootTime
    assert vm.props["runtime"].powerState == "poweredOn" and reset_boot >= boot
    await run(client, vm.ref, "SuspendVM_Task")
    runtime = vm.props["runtime"]
    assert runtime.powerState == "suspended" and runtime.suspendTime is not None
    assert vm.props["summary"].runtime.powerState == "suspended"
    assert vm.props["guest"].guestState == "notRunning"
    await run(client, vm.ref, "PowerOnVM_Task")  # resume: the boot time stays
    assert vm.props["runtime"].powerState == "poweredOn"
    assert vm.props["runtime"].bootTime == reset_boot
    assert vm.props["runtime"].suspendTime is None
    assert events_since(sim, mark, vm.ref) == [
        "TaskEvent", "VmStoppingEvent", "VmPoweredOffEvent",
        "TaskEvent", "VmStartingEvent", "VmPoweredOnEvent",
        "TaskEvent", "VmResettingEvent",
        "TaskEvent", "VmSuspendingEvent", "VmSuspendedEvent",
        "TaskEvent", "VmResumingEvent", "VmPoweredOnEvent"]
    messages = [e.fullFormattedMessage for e in events_of(sim)[mark:]
                if isinstance(e, t.VmPoweredOnEvent)]
    assert messages[0] == "DC0_H0_VM0 on DC0_H0 in DC0 is powered on"


@pytest.mark.parametrize(("setup", "method", "requested", "existing"), [
    (None, "PowerOnVM_Task", "poweredOn", "poweredOn"),
    ("off", "PowerOffVM_Task", "poweredOff", "poweredOff"),
    ("off", "ResetVM_Task", "poweredOn", "poweredOff"),
    ("off", "SuspendVM_Task", "suspended", "poweredOff"),
    ("suspend", "SuspendVM_Task", "suspended", "suspended"),
    ("suspend", "ResetVM_Task", "poweredOn", "suspended"),
])
async def test_power_operations_in_the_wrong_state(
        sim: Simulator, client: aiovsphere.Client, setup: str | None, method: str,
        requested: str, existing: str) -> None:
    vm = named(sim, "DC0_H0_VM1")
    if setup == "off":
        await run(client, vm.ref, "PowerOffVM_Task")
    elif setup == "suspend":
        await run(client, vm.ref, "SuspendVM_Task")
    with pytest.raises(faults.InvalidPowerState) as caught:
        await run(client, vm.ref, method)
    fault = caught.value.fault
    assert isinstance(fault, t.InvalidPowerState)
    assert (fault.requestedState, fault.existingState) == (requested, existing)
    assert caught.value.task is not None
    assert vm.props["runtime"].powerState == existing


async def test_power_off_a_suspended_vm(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM1")
    await run(client, vm.ref, "SuspendVM_Task")
    await run(client, vm.ref, "PowerOffVM_Task")
    assert vm.props["runtime"].powerState == "poweredOff"


async def test_power_on_moves_to_a_host_of_the_same_cluster(
        sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_C0_RP0_VM0")
    current = sim.model.get(vm.props["runtime"].host)
    assert current is not None
    other = next(h for h in sim.model.of_type("HostSystem")
                 if h.props["parent"] == current.props["parent"] and h is not current)
    standalone = named(sim, "DC0_H0", "HostSystem")
    await run(client, vm.ref, "PowerOffVM_Task")
    await run(client, vm.ref, "PowerOnVM_Task", host=other.ref)
    assert vm.props["runtime"].host == vm.props["summary"].runtime.host == other.ref
    assert vm.ref in refs(other, "vm") and vm.ref not in refs(current, "vm")
    await run(client, vm.ref, "PowerOffVM_Task")
    await run(client, vm.ref, "PowerOnVM_Task", host=standalone.ref)  # not its cluster's
    assert vm.props["runtime"].host == other.ref


async def test_power_on_refused_on_a_host_in_maintenance_mode(
        sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM1")
    await run(client, vm.ref, "PowerOffVM_Task")
    host = named(sim, "DC0_H0", "HostSystem")
    sim.model.set(host.ref, "runtime.inMaintenanceMode", True)
    with pytest.raises(faults.InvalidHostState):
        await run(client, vm.ref, "PowerOnVM_Task")
    assert vm.props["runtime"].powerState == "poweredOff"


# ---------------------------------------------------------------------- guest power
async def _until(sim: Simulator, done: Any) -> None:
    while not done():
        await sim.model.wait_changed(sim.model.version, None)


async def test_shutdown_guest_powers_off_after_the_call(sim: Simulator,
                                                        client: aiovsphere.Client) -> None:
    sim.task_seconds = 0.2  # the guest acts that long after the call returns
    vm = named(sim, "DC0_H0_VM0")
    mark = len(events_of(sim))
    assert await client.invoke(vm.ref, "ShutdownGuest") is None
    assert vm.props["guest"].guestState == "shuttingDown"
    assert vm.props["runtime"].powerState == "poweredOn"
    await _until(sim, lambda: vm.props["runtime"].powerState == "poweredOff")
    assert vm.props["guest"].guestState == "notRunning"
    assert events_since(sim, mark, vm.ref) == ["VmGuestShutdownEvent", "VmPoweredOffEvent"]
    with pytest.raises(faults.InvalidPowerState) as caught:
        await client.invoke(vm.ref, "ShutdownGuest")
    assert caught.value.task is None  # not a task: the call fails
    assert caught.value.fault.existingState == "poweredOff"


async def test_guest_operations_need_vmware_tools(sim: Simulator,
                                                  client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    sim.model.set(vm.ref, "guest.toolsRunningStatus", "guestToolsNotRunning")
    for method in ("ShutdownGuest", "RebootGuest", "StandbyGuest"):
        with pytest.raises(faults.ToolsUnavailable):
            await client.invoke(vm.ref, method)
    assert vm.props["runtime"].powerState == "poweredOn"


async def test_reboot_and_standby_guest(sim: Simulator, client: aiovsphere.Client) -> None:
    sim.task_seconds = 0.2  # the guest acts that long after the call returns
    vm = named(sim, "DC0_H0_VM0")
    boot = vm.props["runtime"].bootTime
    mark = len(events_of(sim))
    await client.invoke(vm.ref, "RebootGuest")
    assert vm.props["guest"].guestState == "resetting"
    await _until(sim, lambda: vm.props["guest"].guestState == "running")
    assert vm.props["runtime"].powerState == "poweredOn"
    assert vm.props["runtime"].bootTime >= boot
    await client.invoke(vm.ref, "StandbyGuest")
    await _until(sim, lambda: vm.props["runtime"].powerState == "suspended")
    assert events_since(sim, mark, vm.ref) == ["VmGuestRebootEvent", "VmGuestStandbyEvent",
                                               "VmSuspendedEvent"]
    with pytest.raises(faults.InvalidPowerState):
        await client.invoke(vm.ref, "RebootGuest")


# ---------------------------------------------------------------------- rename
async def test_rename_a_vm(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    mark = len(events_of(sim))
    await run(client, vm.ref, "Rename_Task", newName="web-1")
    p = await client.get_properties(vm.ref, ["name", "config.name", "summary.config.name"])
    assert set(p.values()) == {"web-1"}
    renamed = [e for e in events_of(sim)[mark:] if isinstance(e, t.VmRenamedEvent)]
    assert [(e.oldName, e.newName) for e in renamed] == [("DC0_H0_VM0", "web-1")]
    await run(client, vm.ref, "Rename_Task", newName="a/b")  # stored escaped
    assert vm.props["name"] == "a%2fb"
    await run(client, vm.ref, "Rename_Task", newName="a%2fb")  # the same name: no change
    assert len([e for e in events_of(sim) if isinstance(e, t.VmRenamedEvent)]) == 2


@pytest.mark.parametrize(("new_name", "fault_type"), [
    ("DC0_H0_VM1", faults.DuplicateName),  # a sibling in the same folder
    ("", faults.InvalidName),
    ("x" * 81, faults.InvalidName),
])
async def test_rename_refused(sim: Simulator, client: aiovsphere.Client, new_name: str,
                              fault_type: type[Exception]) -> None:
    vm = named(sim, "DC0_H0_VM0")
    with pytest.raises(fault_type) as caught:
        await run(client, vm.ref, "Rename_Task", newName=new_name)
    assert caught.value.task is not None  # type: ignore[attr-defined]
    if fault_type is faults.DuplicateName:
        assert caught.value.fault.object == named(sim, "DC0_H0_VM1").ref  # type: ignore[attr-defined]
    assert vm.props["name"] == vm.props["config"].name == "DC0_H0_VM0"


async def test_rename_other_entities(sim: Simulator, client: aiovsphere.Client) -> None:
    dc = named(sim, "DC0", "Datacenter")
    folder = dc_folder(sim)
    await run(client, dc.ref, "Rename_Task", newName="east")
    assert dc.props["name"] == "east"
    assert any(isinstance(e, t.DatacenterRenamedEvent) and e.newName == "east"
               for e in events_of(sim))
    ds = named(sim, "LocalDS_0", "Datastore")
    await run(client, ds.ref, "Rename_Task", newName="fast")
    assert ds.props["summary"].name == ds.props["info"].name == "fast"
    sub = await client.invoke(folder.ref, "CreateFolder", name="apps")
    with pytest.raises(faults.DuplicateName):  # a VM there has that name
        await run(client, sub, "Rename_Task", newName="DC0_H0_VM0")
    await run(client, sub, "Rename_Task", newName="services")
    assert sim.model.get(sub).props["name"] == "services"  # type: ignore[union-attr]
    with pytest.raises(faults.NotSupported):
        await run(client, named(sim, "DC0_H0", "HostSystem").ref, "Rename_Task",
                  newName="h")


# ---------------------------------------------------------------------- destroy
async def test_destroy_a_vm(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    with pytest.raises(faults.InvalidPowerState) as caught:
        await run(client, vm.ref, "Destroy_Task")
    assert caught.value.fault.requestedState == "poweredOff"
    assert caught.value.fault.existingState == "poweredOn"
    assert sim.model.get(vm.ref) is vm
    snapshot = await run(client, vm.ref, "CreateSnapshot_Task", name="s", memory=False,
                         quiesce=False)
    await run(client, vm.ref, "PowerOffVM_Task")
    holders = [sim.model.get(vm.props["parent"]), sim.model.get(vm.props["resourcePool"]),
               sim.model.get(vm.props["runtime"].host),
               *(sim.model.get(r) for r in vm.props["datastore"]),
               *(sim.model.get(r) for r in vm.props["network"])]
    mark = len(events_of(sim))
    await run(client, vm.ref, "Destroy_Task")
    assert sim.model.get(vm.ref) is None and sim.model.get(snapshot) is None
    for holder, prop in zip(holders, ("childEntity", "vm", "vm", "vm", "vm"), strict=True):
        assert holder is not None and vm.ref not in refs(holder, prop)
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(vm.ref, ["name"])
    removed = [e for e in events_of(sim)[mark:] if isinstance(e, t.VmRemovedEvent)]
    assert len(removed) == 1 and removed[0].vm.vm == vm.ref


async def test_destroy_a_folder_with_what_it_holds(sim: Simulator,
                                                   client: aiovsphere.Client) -> None:
    root = dc_folder(sim)
    apps = await client.invoke(root.ref, "CreateFolder", name="apps")
    sub = await client.invoke(apps, "CreateFolder", name="sub")
    first, second = named(sim, "DC0_H0_VM0"), named(sim, "DC0_H0_VM1")
    await run(client, first.ref, "PowerOffVM_Task")
    await run(client, sub, "MoveIntoFolder_Task", list=(first.ref,))
    await run(client, apps, "MoveIntoFolder_Task", list=(second.ref,))  # powered on
    # The powered-on VM stops the destroy; what went first stays destroyed (vCenter).
    with pytest.raises(faults.InvalidPowerState):
        await run(client, apps, "Destroy_Task")
    assert sim.model.get(sub) is None and sim.model.get(first.ref) is None
    assert sim.model.get(apps) is not None and sim.model.get(second.ref) is second
    await run(client, second.ref, "PowerOffVM_Task")
    await run(client, apps, "Destroy_Task")
    assert sim.model.get(apps) is None and sim.model.get(second.ref) is None
    assert apps not in refs(root, "childEntity")
    empty = await client.invoke(root.ref, "CreateFolder", name="empty")
    await run(client, empty, "Destroy_Task")
    assert sim.model.get(empty) is None
    for special in (root.ref, client.content.rootFolder):
        with pytest.raises(faults.NotSupported):
            await run(client, special, "Destroy_Task")


async def test_destroy_a_resource_pool_moves_its_vms_up() -> None:
    async with Simulator(InventorySpec(resource_pools=1), task_seconds=0) as sim, \
            aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        pool = named(sim, "DC0_C0_RP1", "ResourcePool")
        parent = sim.model.get(pool.props["parent"])
        assert parent is not None
        store = named(sim, "LocalDS_0", "Datastore")
        spec = t.VirtualMachineConfigSpec(name="in-pool", numCPUs=1, memoryMB=64,
                                          guestId="otherGuest", files=t.VirtualMachineFileInfo(
                                              vmPathName=f"[{store.props['name']}]"))
        vm_ref = await run(client, dc_folder(sim).ref, "CreateVM_Task", config=spec,
                           pool=pool.ref)
        assert vm_ref in refs(pool, "vm")
        with pytest.raises(faults.NotSupported):  # the root pool
            await run(client, parent.ref, "Destroy_Task")
        await run(client, pool.ref, "Destroy_Task")
        assert sim.model.get(pool.ref) is None
        assert pool.ref not in refs(parent, "resourcePool")
        vm = sim.model.get(vm_ref)
        assert vm is not None and vm.props["resourcePool"] == parent.ref
        assert vm_ref in refs(parent, "vm")
        assert any(isinstance(e, t.ResourcePoolDestroyedEvent) for e in events_of(sim))


# ---------------------------------------------------------------------- reconfigure
async def test_reconfigure_cpu_memory_annotation(sim: Simulator,
                                                 client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    await run(client, vm.ref, "PowerOffVM_Task")
    version = vm.props["config"].changeVersion
    mark = len(events_of(sim))
    spec = t.VirtualMachineConfigSpec(numCPUs=4, memoryMB=2048, annotation="db server")
    await run(client, vm.ref, "ReconfigVM_Task", spec=spec)
    p = await client.get_properties(vm.ref, [
        "config.hardware.numCPU", "config.hardware.memoryMB", "config.annotation",
        "summary.config.numCpu", "summary.config.memorySizeMB", "summary.config.annotation"])
    assert p == {"config.hardware.numCPU": 4, "config.hardware.memoryMB": 2048,
                 "config.annotation": "db server", "summary.config.numCpu": 4,
                 "summary.config.memorySizeMB": 2048,
                 "summary.config.annotation": "db server"}
    assert vm.props["config"].changeVersion != version
    events = [e for e in events_of(sim)[mark:] if isinstance(e, t.VmReconfiguredEvent)]
    assert len(events) == 1 and events[0].configSpec == spec


async def test_reconfigure_a_running_vm_needs_hot_add(sim: Simulator,
                                                      client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    for spec in (t.VirtualMachineConfigSpec(numCPUs=2),
                 t.VirtualMachineConfigSpec(memoryMB=2048),
                 t.VirtualMachineConfigSpec(numCoresPerSocket=1, numCPUs=2),
                 t.VirtualMachineConfigSpec(guestId="ubuntu64Guest"),
                 t.VirtualMachineConfigSpec(cpuHotAddEnabled=True)):
        with pytest.raises(faults.InvalidPowerState) as caught:
            await run(client, vm.ref, "ReconfigVM_Task", spec=spec)
        fault = caught.value.fault
        assert (fault.requestedState, fault.existingState) == (
            "poweredOff", "poweredOn")
    assert vm.props["config"].hardware.numCPU == 1
    await run(client, vm.ref, "PowerOffVM_Task")
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        cpuHotAddEnabled=True, memoryHotAddEnabled=True))
    await run(client, vm.ref, "PowerOnVM_Task")
    memory = vm.props["config"].hardware.memoryMB
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        numCPUs=2, memoryMB=memory * 2))
    assert vm.props["config"].hardware.numCPU == 2
    assert vm.props["summary"].config.memorySizeMB == memory * 2
    for spec in (t.VirtualMachineConfigSpec(numCPUs=1),  # no cpuHotRemoveEnabled
                 t.VirtualMachineConfigSpec(memoryMB=memory)):  # memory never shrinks hot
        with pytest.raises(faults.InvalidPowerState):
            await run(client, vm.ref, "ReconfigVM_Task", spec=spec)


@pytest.mark.parametrize(("spec", "prop"), [
    (t.VirtualMachineConfigSpec(numCPUs=0), "numCPUs"),
    (t.VirtualMachineConfigSpec(memoryMB=1023), "memoryMB"),
    (t.VirtualMachineConfigSpec(numCPUs=3, numCoresPerSocket=2), "numCoresPerSocket"),
    (t.VirtualMachineConfigSpec(guestId="no-such-guest"), "guestId"),
])
async def test_reconfigure_invalid_values(sim: Simulator, client: aiovsphere.Client,
                                          spec: t.VirtualMachineConfigSpec,
                                          prop: str) -> None:
    vm = named(sim, "DC0_H0_VM1")
    await run(client, vm.ref, "PowerOffVM_Task")
    before = vm.props["config"]
    with pytest.raises(faults.InvalidArgument) as caught:
        await run(client, vm.ref, "ReconfigVM_Task", spec=spec)
    assert caught.value.fault.invalidProperty == prop
    assert vm.props["config"] is before  # nothing changed


async def test_reconfigure_name_extra_config_and_change_version(
        sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    extra = (t.OptionValue(key="a", value="1"), t.OptionValue(key="b", value="2"))
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        extraConfig=extra, name="renamed"))
    assert vm.props["name"] == vm.props["summary"].config.name == "renamed"
    assert any(isinstance(e, t.VmRenamedEvent) and e.newName == "renamed"
               for e in events_of(sim))
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        extraConfig=(t.OptionValue(key="a", value="3"), t.OptionValue(key="b", value=""))))
    options = {o.key: o.value for o in vm.props["config"].extraConfig}
    assert options.get("a") == "3" and "b" not in options
    with pytest.raises(faults.DuplicateName):
        await run(client, vm.ref, "ReconfigVM_Task",
                  spec=t.VirtualMachineConfigSpec(name="DC0_H0_VM1"))
    stale = vm.props["config"].changeVersion
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        annotation="x", changeVersion=stale))
    with pytest.raises(faults.ConcurrentAccess):
        await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
            annotation="y", changeVersion=stale))
    assert vm.props["config"].annotation == "x"


async def test_reconfigure_devices(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    devices = {d.key: d for d in vm.props["config"].hardware.device}
    assert {2000, 4000, 1000} <= set(devices)
    disk = t.VirtualDisk(key=-1, controllerKey=1000, capacityInKB=2 * 1024 * 1024,
                         backing=t.VirtualDiskFlatVer2BackingInfo(fileName="",
                                                                  diskMode="persistent"))
    nic = t.VirtualVmxnet3(key=-2, backing=t.VirtualEthernetCardNetworkBackingInfo(
        deviceName="VM Network"))
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        deviceChange=(t.VirtualDeviceConfigSpec(operation="add", fileOperation="create",
                                                device=disk),
                      t.VirtualDeviceConfigSpec(operation="add", device=nic))))
    now = {d.key: d for d in vm.props["config"].hardware.device}
    new_disk, new_nic = now[2001], now[4001]
    assert isinstance(new_disk, t.VirtualDisk) and new_disk.unitNumber == 1
    assert new_disk.backing.fileName == "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0_1.vmdk"
    assert new_disk.capacityInBytes == 2 * 1024 ** 3
    assert new_disk.deviceInfo.label == "Hard disk 2"
    assert 2001 in now[1000].device  # the controller lists it
    assert isinstance(new_nic, t.VirtualVmxnet3) and new_nic.macAddress.startswith("00:50:56")
    assert new_nic.macAddress != devices[4000].macAddress
    network = named(sim, "VM Network", "Network")
    assert new_nic.backing.network == network.ref
    assert network.ref in vm.props["network"] and vm.ref in refs(network, "vm")
    summary = vm.props["summary"].config
    assert (summary.numVirtualDisks, summary.numEthernetCards) == (2, 2)

    # Edit: grow a disk; shrinking is refused (InvalidDeviceSpec names the change).
    bigger = new_disk.model_copy(update={"capacityInKB": 4 * 1024 * 1024,
                                         "capacityInBytes": None})
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        deviceChange=(t.VirtualDeviceConfigSpec(operation="edit", device=bigger),)))
    grown = next(d for d in vm.props["config"].hardware.device if d.key == 2001)
    assert grown.capacityInBytes == 4 * 1024 ** 3
    assert grown.deviceInfo.summary == "4,194,304 KB"
    smaller = grown.model_copy(update={"capacityInKB": 1024, "capacityInBytes": None})
    with pytest.raises(faults.InvalidDeviceSpec) as caught:
        await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
            deviceChange=(t.VirtualDeviceConfigSpec(operation="edit", device=smaller),)))
    assert caught.value.fault.deviceIndex == 0

    # Remove: the NIC goes, and with it the network; a spec that also names an unknown
    # device changes nothing.
    config = vm.props["config"]
    with pytest.raises(faults.InvalidDeviceSpec) as caught:
        await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
            deviceChange=(t.VirtualDeviceConfigSpec(operation="remove", device=new_nic),
                          t.VirtualDeviceConfigSpec(operation="remove",
                                                    device=grown.model_copy(
                                                        update={"key": 2999})))))
    assert caught.value.fault.deviceIndex == 1
    assert vm.props["config"] is config
    await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        deviceChange=(t.VirtualDeviceConfigSpec(operation="remove", device=new_nic),)))
    assert 4001 not in {d.key for d in vm.props["config"].hardware.device}
    assert network.ref not in vm.props["network"] and vm.ref not in refs(network, "vm")
    with pytest.raises(faults.InvalidDeviceSpec):  # the SCSI controller still has disks
        await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
            deviceChange=(t.VirtualDeviceConfigSpec(operation="remove",
                                                    device=devices[1000]),)))
    unknown = t.VirtualVmxnet3(key=-1, backing=t.VirtualEthernetCardNetworkBackingInfo(
        deviceName="no such network"))
    with pytest.raises(faults.InvalidDeviceBacking):
        await run(client, vm.ref, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
            deviceChange=(t.VirtualDeviceConfigSpec(operation="add", device=unknown),)))


async def test_reconfigure_a_template(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM1")
    await run(client, vm.ref, "PowerOffVM_Task")
    await client.invoke(vm.ref, "MarkAsTemplate")
    await run(client, vm.ref, "ReconfigVM_Task",
              spec=t.VirtualMachineConfigSpec(annotation="golden"))
    assert vm.props["config"].annotation == "golden"
    with pytest.raises(faults.NotSupported):
        await run(client, vm.ref, "ReconfigVM_Task",
                  spec=t.VirtualMachineConfigSpec(numCPUs=2))


# ---------------------------------------------------------------------- clone
async def test_clone_a_vm(sim: Simulator, client: aiovsphere.Client) -> None:
    source = named(sim, "DC0_H0_VM0")
    folder = dc_folder(sim)
    mark = len(events_of(sim))
    spec = t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                     powerOn=False, template=False)
    ref = await run(client, source.ref, "CloneVM_Task", folder=folder.ref, name="copy",
                    spec=spec)
    clone = sim.model.get(ref)
    assert clone is not None and ref.type == "VirtualMachine" and ref != source.ref
    c, s = clone.props["config"], source.props["config"]
    assert clone.props["name"] == c.name == "copy"
    assert c.files.vmPathName == "[LocalDS_0] copy/copy.vmx"
    assert (c.hardware.numCPU, c.hardware.memoryMB) == (s.hardware.numCPU, s.hardware.memoryMB)
    assert c.uuid != s.uuid and c.instanceUuid != s.instanceUuid
    disks = [d for d in c.hardware.device if isinstance(d, t.VirtualDisk)]
    assert [d.backing.fileName for d in disks] == ["[LocalDS_0] copy/copy.vmdk"]
    macs = {d.macAddress for d in c.hardware.device if isinstance(d, t.VirtualEthernetCard)}
    source_macs = {d.macAddress for d in s.hardware.device
                   if isinstance(d, t.VirtualEthernetCard)}
    assert macs and not macs & source_macs
    assert clone.props["runtime"].powerState == "poweredOff"
    assert clone.props["snapshot"] is None
    assert clone.props["parent"] == folder.ref and ref in refs(folder, "childEntity")
    assert clone.props["resourcePool"] == source.props["resourcePool"]
    assert clone.props["runtime"].host == source.props["runtime"].host
    assert clone.props["summary"].config.name == "copy"
    assert clone.props["summary"].vm == ref
    being = [e for e in events_of(sim)[mark:] if isinstance(e, t.VmBeingClonedEvent)]
    cloned = [e for e in events_of(sim)[mark:] if isinstance(e, t.VmClonedEvent)]
    assert len(being) == 1 and being[0].vm.vm == source.ref and being[0].destName == "copy"
    assert len(cloned) == 1 and cloned[0].vm.vm == ref and cloned[0].sourceVm.vm == source.ref
    with pytest.raises(faults.DuplicateName):
        await run(client, source.ref, "CloneVM_Task", folder=folder.ref, name="copy",
                  spec=spec)
    with pytest.raises(faults.NotSupported):  # not a VM folder
        await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim, "hostFolder").ref,
                  name="elsewhere", spec=spec)


async def test_clone_with_config_power_on_and_placement(sim: Simulator,
                                                        client: aiovsphere.Client) -> None:
    source = named(sim, "DC0_C0_RP0_VM0")
    hosts = [h for h in sim.model.of_type("HostSystem") if h.props["name"].startswith("DC0_C0")]
    target = next(h for h in hosts if h.ref != source.props["runtime"].host)
    spec = t.VirtualMachineCloneSpec(
        location=t.VirtualMachineRelocateSpec(host=target.ref), powerOn=True,
        template=False, config=t.VirtualMachineConfigSpec(numCPUs=2, annotation="copy"))
    ref = await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim).ref,
                    name="big-copy", spec=spec)
    clone = sim.model.get(ref)
    assert clone is not None
    assert clone.props["runtime"].powerState == "poweredOn"
    assert clone.props["guest"].ipAddress
    assert clone.props["guest"].ipAddress != source.props["guest"].ipAddress
    assert clone.props["config"].hardware.numCPU == 2
    assert clone.props["summary"].config.annotation == "copy"
    assert clone.props["runtime"].host == target.ref and ref in refs(target, "vm")
    outside = named(sim, "DC0_H0", "HostSystem")
    with pytest.raises(faults.InvalidArgument) as caught:
        await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim).ref, name="x",
                  spec=t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(
                      host=outside.ref), powerOn=False, template=False))
    assert caught.value.fault.invalidProperty == "spec.location.host"
    with pytest.raises(faults.InvalidArgument):
        await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim).ref, name="y",
                  spec=t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                                 powerOn=True, template=True))


async def test_clone_onto_another_datastore() -> None:
    async with Simulator(InventorySpec(datastores=2), task_seconds=0) as sim, \
            aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        source = named(sim, "DC0_H0_VM0")  # on LocalDS_0
        target = named(sim, "LocalDS_1", "Datastore")
        free = target.props["summary"].freeSpace
        ref = await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim).ref,
                        name="moved", spec=t.VirtualMachineCloneSpec(
                            location=t.VirtualMachineRelocateSpec(datastore=target.ref),
                            powerOn=False, template=False))
        clone = sim.model.get(ref)
        assert clone is not None
        assert clone.props["config"].files.vmPathName == "[LocalDS_1] moved/moved.vmx"
        disk = next(d for d in clone.props["config"].hardware.device
                    if isinstance(d, t.VirtualDisk))
        assert disk.backing.fileName == "[LocalDS_1] moved/moved.vmdk"
        assert disk.backing.datastore == target.ref
        assert clone.props["datastore"] == (target.ref,) and ref in refs(target, "vm")
        assert target.props["summary"].freeSpace < free


async def test_clone_to_a_template_then_deploy(sim: Simulator,
                                               client: aiovsphere.Client) -> None:
    source = named(sim, "DC0_H0_VM0")
    folder = dc_folder(sim)
    template = await run(client, source.ref, "CloneVM_Task", folder=folder.ref,
                         name="golden", spec=t.VirtualMachineCloneSpec(
                             location=t.VirtualMachineRelocateSpec(), powerOn=False,
                             template=True))
    obj = sim.model.get(template)
    assert obj is not None
    assert obj.props["config"].template is True and obj.props["summary"].config.template
    assert obj.props["resourcePool"] is None
    assert template not in refs(sim.model.get(source.props["resourcePool"]), "vm")  # type: ignore[arg-type]
    no_pool = t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                        powerOn=False, template=False)
    with pytest.raises(faults.InvalidArgument) as caught:
        await run(client, template, "CloneVM_Task", folder=folder.ref, name="app-1",
                  spec=no_pool)
    assert caught.value.fault.invalidProperty == "spec.location.pool"
    pool = source.props["resourcePool"]
    mark = len(events_of(sim))
    deployed = await run(client, template, "CloneVM_Task", folder=folder.ref, name="app-1",
                         spec=t.VirtualMachineCloneSpec(
                             location=t.VirtualMachineRelocateSpec(pool=pool),
                             powerOn=False, template=False))
    vm = sim.model.get(deployed)
    assert vm is not None and vm.props["config"].template is False
    assert vm.props["resourcePool"] == pool
    kinds = [type(e).__name__ for e in events_of(sim)[mark:]]
    assert "VmBeingDeployedEvent" in kinds and "VmDeployedEvent" in kinds
    assert "VmClonedEvent" not in kinds
    with pytest.raises(faults.InvalidState):
        await run(client, template, "PowerOnVM_Task")


async def test_clone_from_a_snapshot(sim: Simulator, client: aiovsphere.Client) -> None:
    source = named(sim, "DC0_H0_VM0")
    await run(client, source.ref, "PowerOffVM_Task")
    snapshot = await run(client, source.ref, "CreateSnapshot_Task", name="base",
                         memory=False, quiesce=False)
    await run(client, source.ref, "ReconfigVM_Task",
              spec=t.VirtualMachineConfigSpec(numCPUs=4))
    spec = t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                     powerOn=False, template=False, snapshot=snapshot)
    ref = await run(client, source.ref, "CloneVM_Task", folder=dc_folder(sim).ref,
                    name="from-base", spec=spec)
    assert sim.model.get(ref).props["config"].hardware.numCPU == 1  # type: ignore[union-attr]
    other = named(sim, "DC0_H0_VM1")
    with pytest.raises(faults.InvalidArgument) as caught:
        await run(client, other.ref, "CloneVM_Task", folder=dc_folder(sim).ref,
                  name="wrong", spec=spec)
    assert caught.value.fault.invalidProperty == "spec.snapshot"


# ---------------------------------------------------------------------- templates
async def test_mark_as_template_and_back(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_C0_RP0_VM1")
    pool = sim.model.get(vm.props["resourcePool"])
    assert pool is not None
    with pytest.raises(faults.InvalidPowerState):
        await client.invoke(vm.ref, "MarkAsTemplate")
    with pytest.raises(faults.NotSupported):  # not a template
        await client.invoke(vm.ref, "MarkAsVirtualMachine", pool=pool.ref)
    await run(client, vm.ref, "PowerOffVM_Task")
    await client.invoke(vm.ref, "MarkAsTemplate")
    p = await client.get_properties(vm.ref, ["config.template", "summary.config.template",
                                             "resourcePool"])
    assert p == {"config.template": True, "summary.config.template": True}
    assert vm.ref not in refs(pool, "vm")
    with pytest.raises(faults.NotSupported):
        await client.invoke(vm.ref, "MarkAsTemplate")
    with pytest.raises(faults.InvalidArgument):  # a host outside the pool's cluster
        await client.invoke(vm.ref, "MarkAsVirtualMachine", pool=pool.ref,
                            host=named(sim, "DC0_H0", "HostSystem").ref)
    host = next(h for h in sim.model.of_type("HostSystem")
                if h.props["name"] == "DC0_C0_H2")
    await client.invoke(vm.ref, "MarkAsVirtualMachine", pool=pool.ref, host=host.ref)
    assert vm.props["config"].template is False
    assert vm.props["resourcePool"] == pool.ref and vm.ref in refs(pool, "vm")
    assert vm.props["runtime"].host == host.ref and vm.ref in refs(host, "vm")
    await run(client, vm.ref, "PowerOnVM_Task")


# ---------------------------------------------------------------------- snapshots
def tree(vm: SimObject) -> list[tuple[str, str, str | None]]:
    """(path, state, parent name) of every snapshot, depth first."""
    out: list[tuple[str, str, str | None]] = []

    def walk(nodes: Any, prefix: str, parent: str | None) -> None:
        for node in nodes or ():
            path = f"{prefix}/{node.name}" if prefix else node.name
            out.append((path, str(node.state), parent))
            walk(node.childSnapshotList, path, node.name)

    info = vm.props["snapshot"]
    walk(info.rootSnapshotList if info is not None else (), "", None)
    return out


async def test_snapshot_tree(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")  # powered on
    a = await run(client, vm.ref, "CreateSnapshot_Task", name="a", description="first",
                  memory=False, quiesce=False)
    b = await run(client, vm.ref, "CreateSnapshot_Task", name="b", memory=True,
                  quiesce=True)
    assert a.type == b.type == "VirtualMachineSnapshot"
    # Without memory a running VM's snapshot is a powered-off one (vCenter).
    assert tree(vm) == [("a", "poweredOff", None), ("a/b", "poweredOn", "a")]
    info = vm.props["snapshot"]
    assert info.currentSnapshot == b and vm.props["rootSnapshot"] == (a,)
    root = info.rootSnapshotList[0]
    assert (root.description, root.id, root.vm, root.quiesced) == ("first", 1, vm.ref, False)
    assert root.childSnapshotList[0].id == 2 and root.childSnapshotList[0].quiesced is True
    p = await client.get_properties(a, ["config", "childSnapshot", "vm"])
    assert p["childSnapshot"] == (b,) and p["vm"] == vm.ref
    assert p["config"].hardware.numCPU == vm.props["config"].hardware.numCPU
    assert (await client.get_properties(b, ["childSnapshot"])).get("childSnapshot") in (
        None, ())
    p = await client.get_properties(vm.ref, ["snapshot.currentSnapshot"])
    assert p["snapshot.currentSnapshot"] == b
    with pytest.raises(faults.InvalidName):
        await run(client, vm.ref, "CreateSnapshot_Task", name="", memory=False,
                  quiesce=False)
    await client.invoke(a, "RenameSnapshot", name="base", description="renamed")
    assert vm.props["snapshot"].rootSnapshotList[0].name == "base"
    assert vm.props["snapshot"].rootSnapshotList[0].description == "renamed"


async def test_revert_restores_power_state_and_config(sim: Simulator,
                                                      client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    running = await run(client, vm.ref, "CreateSnapshot_Task", name="running", memory=True,
                        quiesce=False)
    await run(client, vm.ref, "PowerOffVM_Task")
    stopped = await run(client, vm.ref, "CreateSnapshot_Task", name="stopped",
                        memory=False, quiesce=False)
    await run(client, vm.ref, "ReconfigVM_Task",
              spec=t.VirtualMachineConfigSpec(numCPUs=4, memoryMB=4096))
    mark = len(events_of(sim))
    await run(client, running, "RevertToSnapshot_Task")
    assert vm.props["runtime"].powerState == "poweredOn"
    assert vm.props["config"].hardware.numCPU == vm.props["summary"].config.numCpu == 1
    assert vm.props["snapshot"].currentSnapshot == running
    assert "VmPoweredOnEvent" in events_since(sim, mark, vm.ref)
    await run(client, stopped, "RevertToSnapshot_Task")
    assert vm.props["runtime"].powerState == "poweredOff"
    await run(client, running, "RevertToSnapshot_Task", suppressPowerOn=True)
    assert vm.props["runtime"].powerState == "suspended"
    await run(client, vm.ref, "PowerOnVM_Task")
    await run(client, vm.ref, "RevertToCurrentSnapshot_Task")
    assert vm.props["snapshot"].currentSnapshot == running
    assert vm.props["runtime"].powerState == "poweredOn"
    task = await client.invoke(running, "RevertToSnapshot_Task")
    info = (await client.get_properties(task, ["info"]))["info"]
    assert info.entity == vm.ref and info.descriptionId == "VirtualMachineSnapshot.revert"
    await aiovsphere.wait_for_task(client, task)


async def test_remove_snapshots(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM1")
    await run(client, vm.ref, "PowerOffVM_Task")

    async def take(name: str) -> Ref:
        return await run(client, vm.ref, "CreateSnapshot_Task",  # type: ignore[no-any-return]
                         name=name, memory=False, quiesce=False)

    a = await take("a")
    b = await take("b")
    await run(client, a, "RevertToSnapshot_Task")
    c = await take("c")
    d = await take("d")
    assert [p for p, _, _ in tree(vm)] == ["a", "a/b", "a/c", "a/c/d"]
    # Removing the current snapshot makes its parent current.
    await run(client, d, "RemoveSnapshot_Task", removeChildren=False)
    assert vm.props["snapshot"].currentSnapshot == c and sim.model.get(d) is None
    # Children move up to the parent.
    await run(client, a, "RemoveSnapshot_Task", removeChildren=False)
    assert [p for p, _, _ in tree(vm)] == ["b", "c"]
    assert vm.props["rootSnapshot"] == (b, c)
    with pytest.raises(faults.ManagedObjectNotFound):
        await run(client, a, "RevertToSnapshot_Task")
    e = await take("e")  # a child of the current one, c
    await run(client, c, "RemoveSnapshot_Task", removeChildren=True)
    assert [p for p, _, _ in tree(vm)] == ["b"] and sim.model.get(e) is None
    assert vm.props["snapshot"].currentSnapshot is None  # c was a root
    await take("f")
    await run(client, vm.ref, "RemoveAllSnapshots_Task")
    assert vm.props["snapshot"] is None and vm.props["rootSnapshot"] == ()
    assert not [o for o in sim.model.of_type("VirtualMachineSnapshot")
                if o.props["vm"] == vm.ref]
    with pytest.raises(faults.NotFound):
        await run(client, vm.ref, "RevertToCurrentSnapshot_Task")


# ---------------------------------------------------------------------- permissions
async def test_read_only_users_change_nothing(sim: Simulator,
                                              client: aiovsphere.Client) -> None:
    vm = named(sim, "DC0_H0_VM0")
    snapshot = await run(client, vm.ref, "CreateSnapshot_Task", name="s", memory=False,
                         quiesce=False)
    pool = vm.props["resourcePool"]
    calls: list[tuple[Ref, str, dict[str, Any]]] = [
        (vm.ref, "PowerOnVM_Task", {}), (vm.ref, "PowerOffVM_Task", {}),
        (vm.ref, "ResetVM_Task", {}), (vm.ref, "SuspendVM_Task", {}),
        (vm.ref, "ShutdownGuest", {}), (vm.ref, "RebootGuest", {}),
        (vm.ref, "StandbyGuest", {}), (vm.ref, "Rename_Task", {"newName": "x"}),
        (vm.ref, "Destroy_Task", {}),
        (vm.ref, "ReconfigVM_Task", {"spec": t.VirtualMachineConfigSpec(numCPUs=2)}),
        (vm.ref, "CloneVM_Task", {"folder": dc_folder(sim).ref, "name": "c",
                                  "spec": t.VirtualMachineCloneSpec(
                                      location=t.VirtualMachineRelocateSpec(),
                                      powerOn=False, template=False)}),
        (vm.ref, "MarkAsTemplate", {}), (vm.ref, "MarkAsVirtualMachine", {"pool": pool}),
        (vm.ref, "CreateSnapshot_Task", {"name": "t", "memory": False, "quiesce": False}),
        (vm.ref, "RevertToCurrentSnapshot_Task", {}),
        (vm.ref, "RemoveAllSnapshots_Task", {}),
        (snapshot, "RevertToSnapshot_Task", {}),
        (snapshot, "RemoveSnapshot_Task", {"removeChildren": False}),
        (snapshot, "RenameSnapshot", {"name": "n"}),
        (dc_folder(sim).ref, "Destroy_Task", {}),
    ]
    tasks = len(sim.model.of_type("Task"))
    async with aiovsphere.connect(sim.url, user="readonly-ann", password="pw") as reader:
        for ref, method, params in calls:
            with pytest.raises(faults.NoPermission):
                await reader.invoke(ref, method, **params)
    assert len(sim.model.of_type("Task")) == tasks
    assert vm.props["name"] == "DC0_H0_VM0"
    assert vm.props["runtime"].powerState == "poweredOn"


# ---------------------------------------------------------------------- the SDK's helpers
async def test_object_helpers(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = VirtualMachine(client, named(sim, "DC0_C0_RP0_VM1").ref)
    seen: list[int] = []
    await vm.power_off(progress=seen.append)
    assert seen[-1] == 100 and await vm.power_state() == "poweredOff"
    await vm.reconfigure(t.VirtualMachineConfigSpec(numCPUs=2, memoryMB=2048))
    props = await vm.get("config.hardware.numCPU", "config.hardware.memoryMB")
    assert props == {"config.hardware.numCPU": 2, "config.hardware.memoryMB": 2048}
    await vm.rename("renamed-vm")
    assert await vm.name() == "renamed-vm"
    with pytest.raises(faults.DuplicateName) as caught:
        await vm.rename("DC0_C0_RP0_VM0")
    assert caught.value.task is not None
    folders = await (await vm.datacenter()).folders()  # type: ignore[union-attr]
    target = await folders.vm.create_folder("clones")
    clone = await vm.clone("clone-1", target)
    assert await clone.parent() == target and await target.children() == [clone]
    assert await clone.get("config.hardware.numCPU") == {"config.hardware.numCPU": 2}
    second = await vm.clone("clone-2", pool=await vm.resource_pool(), power_on=True)
    assert await second.parent() == folders.vm
    assert await second.power_state() == "poweredOn"
    assert isinstance(await second.resource_pool(), ResourcePool)
    await second.power_off()
    for each in (clone, second):
        await each.destroy()
        with pytest.raises(faults.ManagedObjectNotFound):
            await each.get("name")
    assert await target.children() == []
    assert isinstance(target, Folder)
    await vm.power_on()
    await vm.shutdown_guest()
    for _ in range(100):
        if await vm.power_state() == "poweredOff":
            break
        await asyncio.sleep(0.01)
    assert await vm.power_state() == "poweredOff"


async def test_snapshot_helpers(sim: Simulator, client: aiovsphere.Client) -> None:
    vm = VirtualMachine(client, named(sim, "DC0_C0_RP0_VM0").ref)
    assert await vm.list_snapshots() == [] and await vm.current_snapshot() is None
    a = await vm.create_snapshot("a", "first")
    b = await vm.create_snapshot("b", memory=True)
    snaps = await vm.list_snapshots()
    assert [(s.path, s.ref, s.parent, s.state) for s in snaps] == [
        ("a", a, None, "poweredOff"), ("a/b", b, a, "poweredOn")]
    assert snaps[0].description == "first" and snaps[0].created is not None
    await vm.revert_to_snapshot("a")
    assert (await vm.current_snapshot()).ref == a  # type: ignore[union-attr]
    assert await vm.power_state() == "poweredOff"  # a has no memory
    c = await vm.create_snapshot("c")
    assert [s.path for s in await vm.list_snapshots()] == ["a", "a/b", "a/c"]
    await vm.revert_to_snapshot(b)
    assert await vm.power_state() == "poweredOn"
    await vm.remove_snapshot("a/b")
    await vm.remove_snapshot("a")
    assert [(s.path, s.ref) for s in await vm.list_snapshots()] == [("c", c)]
    await vm.remove_all_snapshots()
    assert await vm.snapshot_tree() == ()
    with pytest.raises(faults.NotFound):
        await vm.revert_to_snapshot()
