"""Every codec type as vcsim really sends it: decoded into the right Python types."""

from __future__ import annotations

import asyncio
from datetime import datetime

import aiovsphere
from aiovsphere._property import container_view, retrieve_pages, view_filter_spec
from aiovsphere.vim import types as t
from aiovsphere.vim.anytype import AnyArray


async def _all_of(client: aiovsphere.Client, type_: str) -> list[t.ObjectContent]:
    out: list[t.ObjectContent] = []
    async with container_view(client, [type_]) as view:
        async for page in retrieve_pages(client, [view_filter_spec(view, type_, None)]):
            out.extend(page)
    return out


async def test_all_properties_of_every_vm_decode_typed(observer: aiovsphere.Client) -> None:
    vms = await _all_of(observer, "VirtualMachine")
    assert len(vms) >= 2
    for content in vms:
        assert content.obj.type == "VirtualMachine"
        props = {p.name: p.val for p in content.propSet}
        assert isinstance(props["name"], str)
        config = props["config"]
        assert isinstance(config, t.VirtualMachineConfigInfo)
        assert isinstance(config.hardware.numCPU, int)
        assert isinstance(config.hardware.memoryMB, int)
        # Polymorphic arrays: every device is a subtype of VirtualDevice, decoded by xsi:type.
        devices = config.hardware.device
        assert devices and all(isinstance(d, t.VirtualDevice) for d in devices)
        assert len({type(d).__name__ for d in devices}) > 3
        assert any(isinstance(d, t.VirtualEthernetCard) for d in devices)
        # Enums decode to enum members.
        runtime = props["runtime"]
        assert runtime.powerState in set(t.VirtualMachinePowerState)
        assert isinstance(runtime.powerState, t.VirtualMachinePowerState)
        # Morefs keep their managed type.
        assert isinstance(runtime.host, aiovsphere.ManagedObjectReference)
        assert runtime.host.type == "HostSystem"
        # Longs, booleans, dateTimes.
        storage = props["summary"].storage
        assert isinstance(storage.committed, int)
        assert isinstance(config.template, bool)
        if config.createDate is not None:
            assert isinstance(config.createDate, datetime) and config.createDate.tzinfo
        # anyType: OptionValue.value in extraConfig.
        for option in config.extraConfig:
            assert isinstance(option, t.OptionValue)
            assert isinstance(option.key, str)
        # Arrays of morefs.
        assert all(d.type == "Datastore" for d in props["datastore"])


async def test_host_and_datastore_properties_decode(observer: aiovsphere.Client) -> None:
    hosts = await _all_of(observer, "HostSystem")
    assert hosts
    for content in hosts:
        props = {p.name: p.val for p in content.propSet}
        hw = props["summary"].hardware
        assert isinstance(hw.memorySize, int) and hw.memorySize > 0
        assert isinstance(hw.cpuMhz, int)
        assert props["runtime"].connectionState in set(t.HostSystemConnectionState)
    stores = await _all_of(observer, "Datastore")
    assert stores
    for content in stores:
        summary = {p.name: p.val for p in content.propSet}["summary"]
        assert isinstance(summary.capacity, int) and summary.capacity > 0
        assert isinstance(summary.accessible, bool)


async def test_array_of_string_in_any_type_position(observer: aiovsphere.Client) -> None:
    # PropertyCollector `val` is anyType: an array property arrives as ArrayOfX.
    async with container_view(observer, ["VirtualMachine"]) as view:
        pages = [p async for p in retrieve_pages(
            observer, [view_filter_spec(view, "VirtualMachine", ["datastore", "name"])])]
    contents = [c for page in pages for c in page]
    for content in contents:
        props = {p.name: p.val for p in content.propSet}
        assert isinstance(props["datastore"], AnyArray)
        assert props["datastore"].item_type == "ManagedObjectReference"
        assert all(isinstance(r, aiovsphere.ManagedObjectReference) for r in props["datastore"])


async def test_method_proxies_call_any_method(observer: aiovsphere.Client) -> None:
    si = observer.service_instance
    now = await si.CurrentTime()
    assert isinstance(now, datetime) and now.tzinfo is not None
    async with container_view(observer, ["VirtualMachine"]) as view:
        views = await observer.get_properties(view, ["view"])
    vm = observer.mo(views["view"][0])
    task = await vm.PowerOffVM_Task()
    assert isinstance(task, aiovsphere.ManagedObjectReference) and task.type == "Task"
    info = await _finished(observer, task)
    assert isinstance(info, t.TaskInfo)
    assert info.descriptionId == "VirtualMachine.powerOff"
    assert info.state == t.TaskInfoState.success
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOff"
    info = await _finished(observer, await vm.PowerOnVM_Task())
    assert info.state == t.TaskInfoState.success
    assert (await vm.get("runtime.powerState"))["runtime.powerState"] == "poweredOn"


async def _finished(client: aiovsphere.Client, task: aiovsphere.ManagedObjectReference
                    ) -> t.TaskInfo:
    # Polling is fine in a test; the task layer (issue 3) waits with WaitForUpdatesEx.
    for _ in range(200):
        info = (await client.get_properties(task, ["info"]))["info"]
        if info.state in (t.TaskInfoState.success, t.TaskInfoState.error):
            return info  # type: ignore[no-any-return]
        await asyncio.sleep(0.01)
    raise AssertionError("task did not finish")
