"""pyvmomi against the embedded simulator over HTTPS, where pyvmomi does things its own
way: every property of one object of every managed type read through its accessors
(the undocumented ``Fetch``), ``RetrieveContents`` with ``all=True``, partial updates
decoded by pyvmomi, paging, typed faults, a read-only user, a terminated session.
pyvmomi blocks, so it runs in a worker thread while the simulator serves on the loop."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, vim, vmodl

import aiovsphere
from aiovsphere.simulator import Simulator

PC = vmodl.query.PropertyCollector


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(https=True, task_seconds=0) as sim:
        yield sim


def _connect(sim: Simulator, user: str = "admin") -> Any:
    url = urlsplit(sim.url)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the certificate is checked in tests/conformance
    return SmartConnect(host=url.hostname, port=url.port, user=user, pwd="pw",
                        sslContext=context)


def _one_of_each(sim: Simulator) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for obj in sim.model:
        if obj.owner is None:
            seen.setdefault(obj.type, obj.ref.value)
    return sorted(seen.items())


async def test_every_property_of_every_type_through_fetch_and_retrieve_contents(
        sim: Simulator) -> None:
    sample = _one_of_each(sim)

    def body() -> tuple[int, dict[str, str]]:
        si = _connect(sim)
        try:
            content = si.RetrieveContent()
            problems: dict[str, str] = {}
            count = 0
            for type_name, value in sample:
                cls = VmomiSupport.GetWsdlType("urn:vim25", type_name)
                obj = cls(value, si._stub)
                for prop in cls._GetPropertyList():
                    if not VmomiSupport.IsChildVersion(si._stub.version, prop.version):
                        continue  # newer than the version negotiated (8.0.3): pyvmomi refuses
                    count += 1
                    try:
                        getattr(obj, prop.name)  # Fetch
                    except Exception as exc:
                        problems[f"{type_name}.{prop.name}"] = repr(exc)[:200]
                spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)],
                                     propSet=[PC.PropertySpec(type=cls, all=True)])
                try:
                    found = content.propertyCollector.RetrieveContents([spec])
                    assert [o.obj for o in found] == [obj]
                except Exception as exc:
                    problems[f"{type_name} all=True"] = repr(exc)[:200]
            return count, problems
        finally:
            Disconnect(si)

    count, problems = await asyncio.to_thread(body)
    assert problems == {}
    assert count > 250 and len(sample) >= 30


async def test_partial_updates_paging_and_typed_faults(sim: Simulator) -> None:
    def body() -> None:
        si = _connect(sim)
        try:
            content = si.RetrieveContent()
            vm = content.searchIndex.FindByInventoryPath("DC0/vm/DC0_H0_VM0")
            collector = content.propertyCollector.CreatePropertyCollector()
            try:
                collector.CreateFilter(PC.FilterSpec(
                    objectSet=[PC.ObjectSpec(obj=vm)],
                    propSet=[PC.PropertySpec(type=vim.VirtualMachine,
                                             pathSet=["config", "summary", "name"])]), True)
                first = collector.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
                nic = vim.vm.device.VirtualE1000(
                    key=-1, backing=vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(
                        deviceName="VM Network"))
                assert WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(
                    annotation="from pyvmomi", deviceChange=[vim.vm.device.VirtualDeviceSpec(
                        operation="add", device=nic)]))) == "success"
                update = collector.WaitForUpdatesEx(first.version,
                                                    PC.WaitOptions(maxWaitSeconds=5))
                changes = {c.name: c for f in update.filterSet for o in f.objectSet
                           for c in o.changeSet}
                assert changes["config.annotation"].val == "from pyvmomi"
                added = [c for c in changes.values() if c.op == "add"]
                assert len(added) == 1
                assert isinstance(added[0].val, vim.vm.device.VirtualE1000)
                assert added[0].name == f"config.hardware.device[{added[0].val.key}]"
                assert collector.CheckForUpdates(update.version) is None
            finally:
                collector.DestroyPropertyCollector()
            # Paging through RetrievePropertiesEx / ContinueRetrievePropertiesEx.
            walk = PC.TraversalSpec(name="walk", type=vim.Folder, path="childEntity",
                                    selectSet=[PC.SelectionSpec(name="walk"),
                                               PC.TraversalSpec(type=vim.Datacenter,
                                                                path="vmFolder",
                                                                selectSet=[PC.SelectionSpec(
                                                                    name="walk")])])
            spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder,
                                                          selectSet=[walk])],
                                 propSet=[PC.PropertySpec(type=vim.ManagedEntity,
                                                          pathSet=["name"])])
            page = content.propertyCollector.RetrievePropertiesEx(
                [spec], PC.RetrieveOptions(maxObjects=2))
            names = [p.val for o in page.objects for p in o.propSet]
            while page.token:
                page = content.propertyCollector.ContinueRetrievePropertiesEx(page.token)
                names += [p.val for o in page.objects for p in o.propSet]
            assert len(names) == len(set(names)) and "DC0_H0_VM0" in names
            # Faults come typed, with their members.
            with pytest.raises(vmodl.query.InvalidProperty) as bad:
                content.propertyCollector.RetrieveContents([PC.FilterSpec(
                    objectSet=[PC.ObjectSpec(obj=vm)],
                    propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["nope"])])])
            assert bad.value.name == "nope"
            with pytest.raises(vim.fault.InvalidPowerState) as state:
                WaitForTask(vm.PowerOnVM_Task())
            assert state.value.existingState == "poweredOn"
        finally:
            Disconnect(si)

    await asyncio.to_thread(body)


async def test_a_read_only_user_and_a_terminated_session(sim: Simulator) -> None:
    def read_only() -> None:
        si = _connect(sim, user="readonly-py")
        try:
            vm = si.RetrieveContent().searchIndex.FindByInventoryPath("DC0/vm/DC0_H0_VM1")
            with pytest.raises(vim.fault.NoPermission) as denied:
                vm.PowerOffVM_Task()
            assert denied.value.privilegeId == "VirtualMachine.Interact.PowerOff"
            assert vm.runtime.powerState == "poweredOn"
        finally:
            Disconnect(si)

    await asyncio.to_thread(read_only)
    si = await asyncio.to_thread(_connect, sim, "victim")
    try:
        key = await asyncio.to_thread(lambda: si.content.sessionManager.currentSession.key)
        async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                      thumbprint=sim.thumbprint) as admin:
            await admin.invoke(admin.service("sessionManager"), "TerminateSession",
                               sessionId=[key])
        with pytest.raises(vim.fault.NotAuthenticated):
            await asyncio.to_thread(lambda: si.content.rootFolder.name)
    finally:
        await asyncio.to_thread(Disconnect, si)
