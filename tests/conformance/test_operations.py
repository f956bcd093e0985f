"""Conformance of operations: tasks (power off/on, typed results and faults), rename with
escaped names, clone, destroy, reconfigure, snapshots, and the events they post.

Each test works on VMs of its own (by name), so the order of the tests does not matter.
"""

from __future__ import annotations

import datetime as dt

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.objects import VirtualMachine
from aiovsphere.vim import types as t
from tests.conformance.conftest import Backend, Ref, find_vm, power_state, run

CLONE_SPEC = t.VirtualMachineCloneSpec(location=t.VirtualMachineRelocateSpec(),
                                       powerOn=False, template=False)


def _str(value: object) -> str:
    return str(getattr(value, "value", value))


# ---------------------------------------------------------------------------- tasks
async def test_power_off_and_on_through_wait_for_task(client: aiovsphere.Client,
                                                      backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM0")
    task = await client.invoke(vm, "PowerOffVM_Task")
    first = (await client.get_properties(task, ["info"]))["info"]
    seen: list[int] = []
    assert await client.wait_for_task(task, progress=seen.append) is None  # void result
    assert await power_state(client, vm) == "poweredOff"
    info = (await client.get_properties(task, ["info"]))["info"]
    assert (info.key, info.task, info.entity) == (task.value, task, vm)
    assert (_str(info.state), info.descriptionId) == ("success", "VirtualMachine.powerOff")
    assert info.error is None and info.result is None
    assert info.queueTime <= info.startTime <= info.completeTime
    assert isinstance(info.reason, t.TaskReasonUser)
    assert seen[-1] == 100
    if backend.vcsim:  # vcsim deviation: a task is done when the call returns, no progress
        assert _str(first.state) == "success" and seen == [100]
        # vcsim deviation: its own task name, the moref as entityName, user "vcsim"
        assert (info.name, info.entityName, info.reason.userName) == (
            "PowerOff", vm.value, "vcsim")
    else:  # vCenter: queued -> running (progress) -> success
        assert _str(first.state) in ("queued", "running")
        assert len(seen) > 1 and seen == sorted(seen)
        assert (info.name, info.entityName, info.reason.userName) == (
            "PowerOffVM_Task", "DC0_H0_VM0", "conformance")
        assert info.progress == 100
    assert await run(client, vm, "PowerOnVM_Task") is None
    assert await power_state(client, vm) == "poweredOn"


async def test_invalid_power_state_is_the_task_fault(client: aiovsphere.Client) -> None:
    vm = await find_vm(client, "DC0_H0_VM1")
    on_again = await client.invoke(vm, "PowerOnVM_Task")  # already on: the task fails
    with pytest.raises(faults.InvalidPowerState) as info:
        await client.wait_for_task(on_again)
    assert info.value.task == on_again
    assert isinstance(info.value, faults.InvalidState)
    assert isinstance(info.value.fault, t.InvalidPowerState)
    assert _str(info.value.fault.existingState) == "poweredOn"
    assert _str(info.value.fault.requestedState) == "poweredOn"
    task_info = (await client.get_properties(on_again, ["info"]))["info"]
    assert _str(task_info.state) == "error"
    assert isinstance(task_info.error.fault, t.InvalidPowerState)
    # Several tasks at once: one fails, the other succeeds, each with its own outcome.
    tasks = [await client.invoke(vm, "PowerOnVM_Task"), await client.invoke(vm, "PowerOffVM_Task")]
    failed, off = await client.wait_for_tasks(tasks, return_exceptions=True)
    assert isinstance(failed, faults.InvalidPowerState) and failed.task == tasks[0]
    assert off is None and await power_state(client, vm) == "poweredOff"
    with pytest.raises(faults.InvalidPowerState) as info:
        await run(client, vm, "PowerOffVM_Task")
    assert _str(info.value.fault.existingState) == "poweredOff"
    await run(client, vm, "PowerOnVM_Task")


# ---------------------------------------------------------------------------- rename
async def test_rename_with_escaped_names(client: aiovsphere.Client, backend: Backend) -> None:
    vm = VirtualMachine(client, await find_vm(client, "DC0_H0_VM3"))
    await vm.rename("ops/web 100%")  # the helper escapes, as the API expects
    assert await client.get_properties(vm.ref, ["name"]) == {"name": "ops%2fweb 100%25"}
    (found,) = await client.finder().find_by_name("ops/web 100%", "VirtualMachine")
    (by_path,) = await client.find("/DC0/vm/ops%2fweb 100%25")
    assert found.ref == by_path.ref == vm.ref
    assert (found.name, found.path) == ("ops/web 100%", "/DC0/vm/ops%2fweb 100%25")
    assert await client.invoke(client.service("searchIndex"), "FindByInventoryPath",
                               inventoryPath="DC0/vm/ops%2fweb 100%25") == vm.ref
    # Through the raw method, unescaped: vCenter stores the name escaped.
    await run(client, vm.ref, "Rename_Task", newName="a/b%c")
    name = (await client.get_properties(vm.ref, ["name"]))["name"]
    if backend.vcsim:  # vcsim deviation: stores the name verbatim
        assert name == "a/b%c"
    else:
        assert name == "a%2fb%25c"
    await vm.rename("DC0_H0_VM3")
    assert await vm.name() == "DC0_H0_VM3"


async def test_rename_faults(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_C0_RP0_VM0")
    sibling = await find_vm(client, "DC0_C0_RP0_VM1")
    if backend.vcsim:  # vcsim deviation: a sibling's name is an InvalidArgument
        with pytest.raises(faults.InvalidArgument):
            await run(client, vm, "Rename_Task", newName="DC0_C0_RP0_VM1")
    else:  # vCenter: DuplicateName, naming the object that has the name
        with pytest.raises(faults.DuplicateName) as info:
            await run(client, vm, "Rename_Task", newName="DC0_C0_RP0_VM1")
        assert (info.value.fault.name, info.value.fault.object) == ("DC0_C0_RP0_VM1", sibling)
        assert info.value.task is not None
    if backend.vcsim:
        pass  # vcsim deviation: accepts an empty name, then dies renaming the VM again
    else:  # vCenter: InvalidName
        with pytest.raises(faults.InvalidName):
            await run(client, vm, "Rename_Task", newName="")
    assert (await client.get_properties(vm, ["name"]))["name"] == "DC0_C0_RP0_VM0"
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.invoke(Ref("VirtualMachine", "vm-999999"), "Rename_Task", newName="x")


# ---------------------------------------------------------------------------- clone, destroy
async def test_clone_and_destroy(client: aiovsphere.Client, backend: Backend) -> None:
    source = await find_vm(client, "DC0_C0_RP0_VM1")
    src = await client.get_properties(source, ["parent", "config.hardware.numCPU",
                                               "config.hardware.memoryMB"])
    clone = await run(client, source, "CloneVM_Task", folder=src["parent"], name="clone-1",
                      spec=CLONE_SPEC)
    assert isinstance(clone, Ref) and clone.type == "VirtualMachine" and clone != source
    props = await client.get_properties(clone, ["name", "parent", "runtime.powerState",
                                                "config.hardware.numCPU",
                                                "config.hardware.memoryMB", "config.template"])
    assert props["name"] == "clone-1" and props["parent"] == src["parent"]
    assert _str(props["runtime.powerState"]) == "poweredOff"
    assert props["config.template"] is False
    assert (props["config.hardware.numCPU"], props["config.hardware.memoryMB"]) == (
        src["config.hardware.numCPU"], src["config.hardware.memoryMB"])
    assert await find_vm(client, "clone-1") == clone
    # A running VM cannot be destroyed; a powered-off one can, and is gone.
    with pytest.raises(faults.InvalidPowerState):
        await run(client, source, "Destroy_Task")
    assert await run(client, clone, "Destroy_Task") is None
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(clone, ["name"])
    assert await client.find("/DC0/vm/clone-*") == []
    kinds = [(type(e).__name__, e.vm.name) async for e in client.events(types=[
        "VmBeingClonedEvent", "VmClonedEvent", "VmRemovedEvent"])]
    assert kinds[-3:] == [("VmBeingClonedEvent", "DC0_C0_RP0_VM1"),
                          ("VmClonedEvent", "clone-1"), ("VmRemovedEvent", "clone-1")]
    # A clone may not take a name the folder holds already.
    if backend.vcsim:  # vcsim deviation: makes a second VM of that name
        twin = await run(client, source, "CloneVM_Task", folder=src["parent"],
                         name="DC0_H0_VM0", spec=CLONE_SPEC)
        await run(client, twin, "Destroy_Task")
    else:  # vCenter: DuplicateName
        with pytest.raises(faults.DuplicateName):
            await run(client, source, "CloneVM_Task", folder=src["parent"],
                      name="DC0_H0_VM0", spec=CLONE_SPEC)
    assert [f.name for f in await client.find("/DC0/vm/DC0_H0_VM0")] == ["DC0_H0_VM0"]


async def test_reconfigure(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_H0_VM2")
    more_cpus = t.VirtualMachineConfigSpec(numCPUs=2)
    if backend.vcsim:  # vcsim deviation: changes the CPUs of a running VM without hot-add
        await run(client, vm, "ReconfigVM_Task", spec=more_cpus)
        await run(client, vm, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(numCPUs=1))
    else:  # vCenter: not while running unless CPU hot-add is enabled
        with pytest.raises(faults.InvalidState):
            await run(client, vm, "ReconfigVM_Task", spec=more_cpus)
    await run(client, vm, "PowerOffVM_Task")
    assert await run(client, vm, "ReconfigVM_Task", spec=t.VirtualMachineConfigSpec(
        numCPUs=2, memoryMB=64, annotation="conformance")) is None
    props = await client.get_properties(vm, ["config.hardware.numCPU",
                                             "config.hardware.memoryMB", "config.annotation",
                                             "summary.config.numCpu"])
    assert props == {"config.hardware.numCPU": 2, "config.hardware.memoryMB": 64,
                     "config.annotation": "conformance", "summary.config.numCpu": 2}
    await run(client, vm, "PowerOnVM_Task")


# ---------------------------------------------------------------------------- snapshots
async def test_snapshots_create_list_revert_remove(client: aiovsphere.Client,
                                                   backend: Backend) -> None:
    ref = await find_vm(client, "DC0_C0_RP0_VM2")
    vm = VirtualMachine(client, ref)
    assert await vm.list_snapshots() == []
    with pytest.raises(faults.NotFound):  # no current snapshot
        await run(client, ref, "RevertToCurrentSnapshot_Task")
    s1 = await run(client, ref, "CreateSnapshot_Task", name="s1", memory=False,
                   quiesce=False)
    s2 = await run(client, ref, "CreateSnapshot_Task", name="s2", description="second",
                   memory=False, quiesce=False)
    assert isinstance(s1, Ref) and s1.type == s2.type == "VirtualMachineSnapshot"
    snaps = await vm.list_snapshots()
    assert [(s.path, s.ref, s.parent) for s in snaps] == [("s1", s1, None),
                                                        ("s1/s2", s2, s1)]
    assert snaps[1].description == "second"
    assert isinstance(snaps[0].created, dt.datetime) and snaps[0].created.tzinfo is not None
    info = (await client.get_properties(ref, ["snapshot"]))["snapshot"]
    assert info.currentSnapshot == s2
    # A running VM snapshotted without its memory.
    if backend.vcsim:  # vcsim deviation: records the VM's power state as it was
        assert {_str(s.state) for s in snaps} == {"poweredOn"}
    else:  # vCenter: the snapshot holds a powered-off VM
        assert {_str(s.state) for s in snaps} == {"poweredOff"}
    assert await run(client, s1, "RevertToSnapshot_Task") is None
    assert (await client.get_properties(ref, ["snapshot"]))["snapshot"].currentSnapshot == s1
    if backend.vcsim:  # vcsim deviation: a revert moves currentSnapshot only
        assert await power_state(client, ref) == "poweredOn"
    else:  # vCenter: the VM takes the snapshot's power state
        assert await power_state(client, ref) == "poweredOff"
    assert await run(client, s1, "RemoveSnapshot_Task", removeChildren=True) is None
    assert await vm.list_snapshots() == []
    assert (await client.get_properties(ref, ["snapshot"])).get("snapshot") is None
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(s1, ["config"])
    if backend.vcsim:  # vcsim deviation: the removed children stay as objects
        assert (await client.get_properties(s2, ["vm"]))["vm"] == ref
    else:  # vCenter: removeChildren removes the child snapshots too
        with pytest.raises(faults.ManagedObjectNotFound):
            await client.get_properties(s2, ["vm"])


# ---------------------------------------------------------------------------- events
async def test_power_events(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_C0_RP0_VM3")
    host = (await client.get_properties(vm, ["runtime.host"]))["runtime.host"]
    host_name = (await client.get_properties(host, ["name"]))["name"]
    await run(client, vm, "PowerOffVM_Task")
    (event,) = [e async for e in client.events(entity=vm, types=["VmPoweredOffEvent"])]
    assert isinstance(event, t.VmPoweredOffEvent)
    assert (event.vm.vm, event.vm.name) == (vm, "DC0_C0_RP0_VM3")
    assert event.userName == "conformance"
    assert (event.datacenter.name, event.computeResource.name, event.host.name) == (
        "DC0", "DC0_C0", host_name)
    assert event.fullFormattedMessage == f"DC0_C0_RP0_VM3 on {host_name} in DC0 is powered off"
    assert event.createdTime.utcoffset() == dt.timedelta(0)
    await run(client, vm, "PowerOnVM_Task")
    kinds = [type(e).__name__ async for e in client.events(entity=vm, recursion="self")]
    if backend.vcsim:  # vcsim deviation: no TaskEvent for tasks
        assert "TaskEvent" not in kinds
    else:  # vCenter posts a TaskEvent as each task starts
        assert kinds.count("TaskEvent") == 2
        kinds = [k for k in kinds if k != "TaskEvent"]
    assert kinds[-4:] == ["VmStoppingEvent", "VmPoweredOffEvent", "VmStartingEvent",
                          "VmPoweredOnEvent"]
    # QueryEvents: newest first.
    latest = await client.invoke(client.service("eventManager"), "QueryEvents",
                                 filter=t.EventFilterSpec(
                                     entity=t.EventFilterSpecByEntity(entity=vm,
                                                                      recursion="self"),
                                     eventTypeId=("VmPoweredOffEvent", "VmPoweredOnEvent")))
    assert [type(e).__name__ for e in latest][:2] == ["VmPoweredOnEvent", "VmPoweredOffEvent"]
    assert latest[0].key > latest[1].key


async def test_event_history_collector(client: aiovsphere.Client, backend: Backend) -> None:
    vm = await find_vm(client, "DC0_C0_RP0_VM1")
    await run(client, vm, "PowerOffVM_Task")
    await run(client, vm, "PowerOnVM_Task")
    spec = t.EventFilterSpec(entity=t.EventFilterSpecByEntity(entity=vm, recursion="self"),
                             eventTypeId=("VmPoweredOffEvent",), userName=None)
    manager = client.service("eventManager")
    collector = await client.invoke(manager, "CreateCollectorForEvents", filter=spec)
    try:
        await client.invoke(collector, "SetCollectorPageSize", maxCount=10)
        page = (await client.get_properties(collector, ["latestPage"]))["latestPage"]
        assert page and {type(e).__name__ for e in page} == {"VmPoweredOffEvent"}
        assert all(e.vm.vm == vm for e in page)
        await client.invoke(collector, "RewindCollector")
        read = await client.invoke(collector, "ReadNextEvents", maxCount=10)
        assert sorted(e.key for e in read) == sorted(e.key for e in page)
        assert await client.invoke(collector, "ReadNextEvents", maxCount=10) in (None, ())
        await client.invoke(collector, "ResetCollector")
        before = await client.invoke(collector, "ReadPreviousEvents", maxCount=10) or ()
        if backend.vcsim:  # vcsim deviation: after a reset, reads the latest page again
            assert [e.key for e in before] == [e.key for e in page]
        else:  # vCenter: a reset goes to just before the latest page: nothing older here
            assert tuple(before) == ()
    finally:
        await client.invoke(collector, "DestroyCollector")
    with pytest.raises(faults.ManagedObjectNotFound):
        await client.get_properties(collector, ["latestPage"])
