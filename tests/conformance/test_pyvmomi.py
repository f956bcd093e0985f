"""pyvmomi against the embedded simulator, over HTTPS: proof that the simulator speaks
vim25 as vCenter does, not a dialect only aiovsphere understands.

pyvmomi (a test dependency, pinned in the ``dev`` extra) negotiates its version from
``/sdk/vimServiceVersions.xml``, logs in, lists the inventory as its users do (a
ContainerView and PropertyCollector.RetrieveContents), reads properties through the
undocumented ``PropertyCollector.Fetch``, waits for tasks with ``pyVim.task.WaitForTask``
(CreateFilter + WaitForUpdates) and reads events (EventManager.QueryEvents and an
EventHistoryCollector). pyvmomi blocks, so it runs in a worker thread
(``asyncio.to_thread``) while the simulator serves on the test's loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pyVim.connect import Disconnect, SmartConnect, SmartStubAdapter
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from aiovsphere.simulator import InventorySpec, Simulator
from tests.conformance.conftest import ALL_VMS, HOSTS, VM_COUNT

USER, PASSWORD = "pyvmomi-user", "pyvmomi-pw"


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(inventory=InventorySpec.for_vm_count(VM_COUNT), https=True) as sim:
        yield sim


def _address(sim: Simulator) -> tuple[str, int]:
    url = urlsplit(sim.url)
    assert url.scheme == "https" and url.hostname and url.port
    return url.hostname, url.port


def pinned_context(sim: Simulator) -> ssl.SSLContext:
    """An SSL context that trusts the simulator's self-signed certificate only, after
    checking it is the one whose SHA-256 thumbprint the simulator published."""
    pem = ssl.get_server_certificate(_address(sim))
    assert hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() == sim.thumbprint
    return ssl.create_default_context(cadata=pem)  # hostname 127.0.0.1 is checked too


def connect(sim: Simulator, context: ssl.SSLContext | None = None, *, user: str = USER,
            password: str = PASSWORD) -> Any:
    """SmartConnect to ``sim`` (blocking: call it in a worker thread), by default with
    :func:`pinned_context`."""
    host, port = _address(sim)
    return SmartConnect(host=host, port=port, user=user, pwd=password,
                        sslContext=context or pinned_context(sim))


@pytest.fixture
async def si(sim: Simulator) -> AsyncIterator[Any]:
    """A pyvmomi ServiceInstance logged in to ``sim``; Disconnect (Logout) afterwards."""
    instance = await asyncio.to_thread(connect, sim)
    try:
        yield instance
    finally:
        await asyncio.to_thread(Disconnect, instance)


def _container_view(content: Any, kind: type) -> Iterator[Any]:
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        yield view
    finally:
        view.DestroyView()


def _retrieve(content: Any, kind: type, paths: list[str]) -> dict[Any, dict[str, Any]]:
    """``{object: {path: value}}`` of every ``kind`` in the inventory, as pyvmomi users
    write it: a ContainerView, a TraversalSpec over its ``view``, RetrieveContents."""
    pc = vmodl.query.PropertyCollector
    for view in _container_view(content, kind):
        spec = pc.FilterSpec(
            objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[
                pc.TraversalSpec(name="view", path="view", skip=False,
                                 type=vim.view.ContainerView)])],
            propSet=[pc.PropertySpec(type=kind, pathSet=paths)])
        result = content.propertyCollector.RetrieveContents([spec])
        return {o.obj: {p.name: p.val for p in o.propSet} for o in result}
    raise AssertionError("unreachable")


def _vm(content: Any, name: str) -> Any:
    vm = content.searchIndex.FindByInventoryPath(f"DC0/vm/{name}")
    assert isinstance(vm, vim.VirtualMachine), name
    return vm


# ---------------------------------------------------------------------------- tests
async def test_connects_over_https_pinned_to_the_certificate(sim: Simulator) -> None:
    def body() -> None:
        instance = connect(sim)
        try:
            content = instance.RetrieveContent()
            assert content.about.apiType == "VirtualCenter"
            assert content.about.apiVersion == sim.api_version == "8.0.3.0"
            # pyvmomi chose the newest version both know: the one the simulator serves.
            assert instance._stub.versionId == '"urn:vim25/8.0.3.0"'
            session = content.sessionManager.currentSession
            assert session.userName == USER
            assert [s.userName for s in content.sessionManager.sessionList] == [USER]
        finally:
            Disconnect(instance)

    await asyncio.to_thread(body)
    assert sim.sessions == {}  # Disconnect logged out
    # Without the pinned certificate, verification fails: the TLS is real.
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.to_thread(connect, sim, ssl.create_default_context())
    # Empty credentials: InvalidLogin, as pyvmomi's typed fault. (SmartConnect would leave
    # its connection open when the login fails, so the stub is made and closed here.)
    def bad_login() -> None:
        host, port = _address(sim)
        stub = SmartStubAdapter(host=host, port=port, sslContext=pinned_context(sim))
        try:
            content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
            content.sessionManager.Login("", "")
        finally:
            stub.DropConnections()

    with pytest.raises(vim.fault.InvalidLogin):
        await asyncio.to_thread(bad_login)


async def test_lists_the_inventory(si: Any) -> None:
    def body() -> None:
        content = si.RetrieveContent()
        vms = _retrieve(content, vim.VirtualMachine,
                        ["name", "runtime.powerState", "config.hardware.numCPU",
                         "runtime.host"])
        assert sorted(p["name"] for p in vms.values()) == ALL_VMS
        assert all(isinstance(vm, vim.VirtualMachine) for vm in vms)
        assert {p["runtime.powerState"] for p in vms.values()} == {"poweredOn"}
        assert {p["config.hardware.numCPU"] for p in vms.values()} == {1}
        hosts = _retrieve(content, vim.HostSystem, ["name", "summary.hardware.numCpuCores"])
        assert sorted(p["name"] for p in hosts.values()) == HOSTS
        assert all(isinstance(p["runtime.host"], vim.HostSystem) and p["runtime.host"] in hosts
                   for p in vms.values())
        # Properties read one at a time (pyvmomi's accessors: PropertyCollector.Fetch).
        vm = _vm(content, "DC0_H0_VM0")
        assert vm.name == "DC0_H0_VM0"
        assert vm.runtime.host.name == "DC0_H0"
        assert isinstance(vm.config, vim.vm.ConfigInfo)
        assert vm.config.files.vmPathName == "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx"
        assert any(isinstance(d, vim.vm.device.VirtualDisk) for d in vm.config.hardware.device)
        datacenter = content.rootFolder.childEntity[0]
        assert isinstance(datacenter, vim.Datacenter) and datacenter.name == "DC0"

    await asyncio.to_thread(body)


async def test_powers_a_vm_off_and_on_and_waits_for_the_tasks(sim: Simulator, si: Any) -> None:
    calls_before = dict(sim.faults.calls)

    def body() -> None:
        vm = _vm(si.RetrieveContent(), "DC0_H0_VM1")
        assert vm.runtime.powerState == "poweredOn"
        assert WaitForTask(vm.PowerOffVM_Task()) == "success"
        assert vm.runtime.powerState == "poweredOff"
        task = vm.PowerOnVM_Task()
        assert isinstance(task, vim.Task)
        assert WaitForTask(task) == "success"
        assert vm.runtime.powerState == "poweredOn"
        info = task.info
        assert (info.state, info.entity, info.entityName, info.descriptionId) == (
            "success", vm, "DC0_H0_VM1", "VirtualMachine.powerOn")
        assert info.result is None and info.progress == 100
        # A failing task: WaitForTask raises the task's fault, typed by pyvmomi.
        with pytest.raises(vim.fault.InvalidPowerState) as failed:
            WaitForTask(vm.PowerOnVM_Task())
        assert failed.value.existingState == "poweredOn"

    await asyncio.to_thread(body)
    calls = {m: n - calls_before.get(m, 0) for m, n in sim.faults.calls.items()}
    assert calls["WaitForUpdates"] >= 3 and calls["CreateFilter"] == 3  # pyVim.task's way
    assert calls["DestroyPropertyFilter"] == 3
    assert calls["Fetch"] > 0


async def test_reads_events(si: Any) -> None:
    def body() -> None:
        content = si.RetrieveContent()
        vm = _vm(content, "DC0_C0_RP0_VM0")
        WaitForTask(vm.PowerOffVM_Task())
        WaitForTask(vm.PowerOnVM_Task())
        manager = content.eventManager
        about_vm = vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self")
        power = ["VmPoweredOffEvent", "VmPoweredOnEvent"]
        queried = manager.QueryEvents(vim.event.EventFilterSpec(entity=about_vm,
                                                                eventTypeId=power))
        assert [type(e) for e in queried] == [vim.event.VmPoweredOnEvent,
                                              vim.event.VmPoweredOffEvent]  # newest first
        off = queried[1]
        assert off.vm.vm == vm and off.vm.name == "DC0_C0_RP0_VM0"
        assert off.userName == USER and off.datacenter.name == "DC0"
        assert off.fullFormattedMessage.endswith(" in DC0 is powered off")

        collector = manager.CreateCollectorForEvents(
            vim.event.EventFilterSpec(entity=about_vm, eventTypeId=power))
        try:
            collector.SetCollectorPageSize(10)
            assert [e.key for e in collector.latestPage] == [e.key for e in queried]
            collector.RewindCollector()
            read = collector.ReadNextEvents(10)
            assert [type(e) for e in read] == [vim.event.VmPoweredOffEvent,
                                               vim.event.VmPoweredOnEvent]  # oldest first
            assert collector.ReadNextEvents(10) == []
        finally:
            collector.DestroyCollector()
        with pytest.raises(vmodl.fault.ManagedObjectNotFound):
            collector.ReadNextEvents(1)

    await asyncio.to_thread(body)
