"""The simulator's PropertyCollector, through the aiovsphere client and raw calls:
retrieval (traversal specs, SelectionSpec recursion, paging tokens, faults), filters and
collectors per session, WaitForUpdatesEx (versions, truncation, cancel, partial updates,
missing objects) and the client features built on them (retrieve, watch, InventoryCache,
wait_for_task).

Each test builds a small inventory of its own under a folder of its own (``lab``), added
to ``sim.model`` directly, so it does not depend on the simulator's default inventory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._context import Context, SimFault
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

TINY = InventorySpec(clusters=0, hosts=1, vms=1, dvs=False)
PATHS = ["name", "runtime.powerState", "runtime.host", "datastore", "overallStatus"]


# ---------------------------------------------------------------------------- inventory
def runtime(power: str, host: Ref | None) -> Any:
    return t.VirtualMachineRuntimeInfo(
        connectionState="connected", powerState=power, faultToleranceState="notConfigured",
        toolsInstallerMounted=False, numMksConnections=0, recordReplayState="inactive",
        onlineStandby=False, consolidationNeeded=False, host=host)


@dataclass
class Lab:
    """A small inventory: folder ``lab`` -> datacenter ``LabDC`` with its four folders; VMs
    in ``vm`` and its subfolder ``sub``, cluster ``C0`` (hosts H0, H1; pools Resources and
    RP1), datastore ``ds0``, network ``net0``."""

    folder: Ref
    dc: Ref
    vm_folder: Ref
    sub: Ref
    host_folder: Ref
    ds_folder: Ref
    net_folder: Ref
    cluster: Ref
    hosts: list[Ref]
    pools: list[Ref]
    ds: Ref
    net: Ref
    vms: list[Ref]

    @property
    def entities(self) -> list[Ref]:
        return [self.folder, self.dc, self.vm_folder, self.sub, self.host_folder,
                self.ds_folder, self.net_folder, self.cluster, *self.hosts, *self.pools,
                self.ds, self.net, *self.vms]


def build_lab(sim: Simulator, vms: int = 4) -> Lab:
    """Add a :class:`Lab` with ``vms`` VMs (half in ``vm``, half in ``vm/sub``)."""
    m = sim.model

    def ref(type_name: str, prefix: str) -> Ref:
        return Ref(type_name, m.new_id(prefix))

    def add(r: Ref, **props: Any) -> None:
        m.add(SimObject(r, props))

    lab = Lab(
        folder=ref("Folder", "group-lab"), dc=ref("Datacenter", "datacenter"),
        vm_folder=ref("Folder", "group-v"), sub=ref("Folder", "group-v"),
        host_folder=ref("Folder", "group-h"), ds_folder=ref("Folder", "group-s"),
        net_folder=ref("Folder", "group-n"), cluster=ref("ClusterComputeResource", "domain-c"),
        hosts=[ref("HostSystem", "host") for _ in range(2)],
        pools=[ref("ResourcePool", "resgroup") for _ in range(2)],
        ds=ref("Datastore", "datastore"), net=ref("Network", "network"),
        vms=[ref("VirtualMachine", "vm") for _ in range(vms)])
    top, deep = lab.vms[: vms // 2], lab.vms[vms // 2:]
    add(lab.folder, name="lab", childEntity=(lab.dc,), childType=("Folder", "Datacenter"))
    add(lab.dc, name="LabDC", parent=lab.folder, vmFolder=lab.vm_folder,
        hostFolder=lab.host_folder, datastoreFolder=lab.ds_folder,
        networkFolder=lab.net_folder, datastore=(lab.ds,), network=(lab.net,))
    add(lab.vm_folder, name="vm", parent=lab.dc, childEntity=(*top, lab.sub))
    add(lab.sub, name="sub", parent=lab.vm_folder, childEntity=tuple(deep))
    add(lab.host_folder, name="host", parent=lab.dc, childEntity=(lab.cluster,))
    add(lab.ds_folder, name="datastore", parent=lab.dc, childEntity=(lab.ds,))
    add(lab.net_folder, name="network", parent=lab.dc, childEntity=(lab.net,))
    add(lab.cluster, name="C0", parent=lab.host_folder, host=tuple(lab.hosts),
        resourcePool=lab.pools[0], datastore=(lab.ds,))
    for i, host in enumerate(lab.hosts):
        add(host, name=f"H{i}", parent=lab.cluster, vm=tuple(lab.vms[i::2]))
    add(lab.pools[0], name="Resources", parent=lab.cluster, resourcePool=(lab.pools[1],),
        vm=tuple(top))
    add(lab.pools[1], name="RP1", parent=lab.pools[0], resourcePool=(), vm=tuple(deep))
    add(lab.ds, name="ds0", parent=lab.ds_folder, vm=tuple(lab.vms))
    add(lab.net, name="net0", parent=lab.net_folder, vm=tuple(lab.vms))
    for i, vm in enumerate(lab.vms):
        add(vm, name=f"VM{i}", parent=lab.vm_folder if vm in top else lab.sub,
            runtime=runtime("poweredOff", lab.hosts[i % 2]),
            resourcePool=lab.pools[0] if vm in top else lab.pools[1],
            datastore=(lab.ds,), network=(lab.net,), customValue=(), overallStatus="green")
    return lab


async def until(predicate: Any) -> None:
    """Poll a server-side condition the client cannot observe (a wait is in progress)."""
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never became true")


def session_of(sim: Simulator, client: aiovsphere.Client) -> Any:
    user_session = client.session.user_session
    assert user_session is not None
    return next(s for s in sim.sessions.values() if s.key == user_session.key)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY, task_seconds=0.01) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


@pytest.fixture
def lab(sim: Simulator) -> Lab:
    return build_lab(sim)


# ---------------------------------------------------------------------------- raw helpers
def pc(client: aiovsphere.Client) -> Ref:
    return client.service("propertyCollector")


def vm_spec(refs: list[Ref], paths: list[str], *, report_missing: bool | None = None) -> Any:
    return t.PropertyFilterSpec(
        objectSet=tuple(t.ObjectSpec(obj=r) for r in refs),
        propSet=(t.PropertySpec(type="VirtualMachine", pathSet=tuple(paths)),),
        reportMissingObjectsInResults=report_missing)


def view_spec(view: Ref, type_name: str, paths: list[str]) -> Any:
    return t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=view, skip=True, selectSet=(
            t.TraversalSpec(name="v", type="ContainerView", path="view", skip=False),)),),
        propSet=(t.PropertySpec(type=type_name, pathSet=tuple(paths)),))


async def wait(client: aiovsphere.Client, collector: Ref, version: str, *,
               max_wait: int | None = 0, max_updates: int | None = None) -> Any:
    return await client.invoke(collector, "WaitForUpdatesEx", version=version,
                               options=t.WaitOptions(maxWaitSeconds=max_wait,
                                                     maxObjectUpdates=max_updates))


def summary(update_set: Any) -> list[tuple[str, str, list[tuple[str, str, Any]]]]:
    """[(kind, moref value, [(name, op, val)])] over every filter, in order."""
    out = []
    for fu in update_set.filterSet:
        for ou in fu.objectSet:
            out.append((str(ou.kind.value if hasattr(ou.kind, "value") else ou.kind),
                        ou.obj.value,
                        [(c.name, str(getattr(c.op, "value", c.op)), c.val)
                         for c in ou.changeSet]))
    return out


async def new_collector(client: aiovsphere.Client, spec: Any, partial: bool = False
                        ) -> tuple[Ref, Ref]:
    collector = await client.invoke(pc(client), "CreatePropertyCollector")
    flt = await client.invoke(collector, "CreateFilter", spec=spec, partialUpdates=partial)
    return collector, flt


def full_traversal(root: Ref) -> Any:
    """pyvmomi's/govmomi's classic whole-inventory ObjectSpec: named TraversalSpecs that
    refer to each other (and to themselves) by SelectionSpec."""
    def sel(*names: str) -> tuple[Any, ...]:
        return tuple(t.SelectionSpec(name=n) for n in names)

    specs = (
        t.TraversalSpec(name="visitFolders", type="Folder", path="childEntity", skip=False,
                        selectSet=sel("visitFolders", "dcToVmf", "dcToHf", "dcToDs",
                                      "dcToNet", "crToH", "crToRp", "rpToRp", "rpToVm",
                                      "hToVm")),
        t.TraversalSpec(name="dcToVmf", type="Datacenter", path="vmFolder", skip=False,
                        selectSet=sel("visitFolders")),
        t.TraversalSpec(name="dcToHf", type="Datacenter", path="hostFolder", skip=False,
                        selectSet=sel("visitFolders")),
        t.TraversalSpec(name="dcToDs", type="Datacenter", path="datastoreFolder", skip=False,
                        selectSet=sel("visitFolders")),
        t.TraversalSpec(name="dcToNet", type="Datacenter", path="networkFolder", skip=False,
                        selectSet=sel("visitFolders")),
        t.TraversalSpec(name="crToH", type="ComputeResource", path="host", skip=False,
                        selectSet=sel("hToVm")),
        t.TraversalSpec(name="crToRp", type="ComputeResource", path="resourcePool",
                        skip=False, selectSet=sel("rpToRp", "rpToVm")),
        t.TraversalSpec(name="rpToRp", type="ResourcePool", path="resourcePool", skip=False,
                        selectSet=sel("rpToRp", "rpToVm")),
        t.TraversalSpec(name="rpToVm", type="ResourcePool", path="vm", skip=False),
        t.TraversalSpec(name="hToVm", type="HostSystem", path="vm", skip=False,
                        selectSet=sel("visitFolders")),
    )
    return t.ObjectSpec(obj=root, skip=False, selectSet=specs)


# ---------------------------------------------------------------------------- retrieval
async def test_retrieve_through_container_view_gives_typed_values(
        client: aiovsphere.Client, lab: Lab) -> None:
    async with client.container_view(["VirtualMachine"], container=lab.folder) as view:
        records = await client.retrieve(view, [*PATHS, "customValue"])
    by_name = {r.name: r for r in records}
    assert sorted(by_name) == ["VM0", "VM1", "VM2", "VM3"]
    vm1 = by_name["VM1"]
    assert vm1.obj == lab.vms[1]
    assert vm1.runtime.powerState == t.VirtualMachinePowerState.poweredOff
    assert isinstance(vm1.runtime.powerState, t.VirtualMachinePowerState)
    assert vm1.runtime.host == lab.hosts[1]
    assert vm1.datastore == (lab.ds,)
    assert vm1.overallStatus == t.ManagedEntityStatus.green
    assert vm1.customValue == ()  # an empty array is a value, not unset


async def test_full_traversal_spec_reaches_every_entity_once(
        client: aiovsphere.Client, lab: Lab) -> None:
    spec = t.PropertyFilterSpec(objectSet=(full_traversal(lab.folder),), propSet=(
        t.PropertySpec(type="ManagedEntity", pathSet=("name",)),))
    contents = await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    refs = [c.obj for c in contents]
    assert len(refs) == len(set(refs))  # VMs are reached through folders, pools and hosts
    assert set(refs) == set(lab.entities)
    names = {c.obj: c.propSet[0].val for c in contents}
    assert names[lab.cluster] == "C0" and names[lab.pools[1]] == "RP1"
    assert contents[0].obj == lab.folder  # the ObjectSpec's own object first


async def test_property_spec_type_matches_subtypes(client: aiovsphere.Client, lab: Lab
                                                   ) -> None:
    spec = t.PropertyFilterSpec(objectSet=(full_traversal(lab.folder),), propSet=(
        t.PropertySpec(type="ComputeResource", pathSet=("name", "host")),
        t.PropertySpec(type="VirtualMachine", pathSet=("runtime.powerState",)),
        t.PropertySpec(type="ManagedEntity", pathSet=("name",)),
    ))
    contents = await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    props = {c.obj: {p.name: p.val for p in c.propSet} for c in contents}
    assert props[lab.cluster] == {"name": "C0", "host": tuple(lab.hosts)}
    assert props[lab.vms[0]] == {"runtime.powerState": "poweredOff", "name": "VM0"}
    assert props[lab.ds] == {"name": "ds0"}


async def test_traversal_skip_hides_objects_but_goes_through_them(
        client: aiovsphere.Client, lab: Lab) -> None:
    spec = t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=lab.folder, skip=True, selectSet=(
            t.TraversalSpec(type="Folder", path="childEntity", skip=True, selectSet=(
                t.TraversalSpec(type="Datacenter", path="vmFolder", skip=False),
                t.TraversalSpec(type="HostSystem", path="vm", skip=False),  # no match
            )),
        )),),
        propSet=(t.PropertySpec(type="ManagedEntity", pathSet=("name",)),))
    contents = await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    assert [(c.obj, c.propSet[0].val) for c in contents] == [(lab.vm_folder, "vm")]


async def test_selection_spec_recursion_over_a_cycle_ends(
        client: aiovsphere.Client, sim: Simulator) -> None:
    a, b = Ref("Folder", "group-cyc-a"), Ref("Folder", "group-cyc-b")
    sim.model.add(SimObject(a, {"name": "a", "childEntity": (b,)}))
    sim.model.add(SimObject(b, {"name": "b", "childEntity": (a,)}))
    spec = t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=a, selectSet=(
            t.TraversalSpec(name="loop", type="Folder", path="childEntity",
                            selectSet=(t.SelectionSpec(name="loop"),)),)),),
        propSet=(t.PropertySpec(type="Folder", pathSet=("name",)),))
    contents = await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    assert [c.propSet[0].val for c in contents] == ["a", "b"]


async def test_selection_spec_naming_nothing_is_invalid_argument(
        client: aiovsphere.Client, lab: Lab) -> None:
    spec = t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=lab.folder, selectSet=(t.SelectionSpec(name="nope"),)),),
        propSet=(t.PropertySpec(type="Folder", pathSet=("name",)),))
    with pytest.raises(faults.InvalidArgument) as info:
        await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    assert info.value.fault.invalidProperty == "selectSet"


@pytest.mark.parametrize("path", [
    "nonsense", "runtime.nonsense", "datastore.name", "name.length", "runtime[1]",
    "runtime.host.name", "", "runtime.", "customValue.value",
])
async def test_invalid_path_is_an_invalid_property_fault(
        client: aiovsphere.Client, lab: Lab, path: str) -> None:
    with pytest.raises(faults.InvalidProperty) as info:
        await client.invoke(pc(client), "RetrievePropertiesEx",
                            specSet=(vm_spec(lab.vms[:1], ["name", path]),),
                            options=t.RetrieveOptions())
    assert info.value.fault.name == path


async def test_path_checked_against_the_spec_type_not_the_object(
        client: aiovsphere.Client, lab: Lab) -> None:
    spec = t.PropertyFilterSpec(objectSet=(t.ObjectSpec(obj=lab.vms[0]),), propSet=(
        t.PropertySpec(type="ManagedEntity", pathSet=("runtime.powerState",)),))
    with pytest.raises(faults.InvalidProperty):
        await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    bad_type = t.PropertyFilterSpec(objectSet=(t.ObjectSpec(obj=lab.vms[0]),), propSet=(
        t.PropertySpec(type="NoSuchType", pathSet=("name",)),))
    with pytest.raises(faults.InvalidType):
        await client.invoke(pc(client), "RetrieveProperties", specSet=(bad_type,))


async def test_keyed_paths_and_unset_values(client: aiovsphere.Client, sim: Simulator,
                                            lab: Lab) -> None:
    value = t.CustomFieldStringValue(key=101, value="gold")
    sim.model.update(lab.vms[0], {"customValue": (value,), "runtime": None})
    (record,) = await client.retrieve(lab.vms[0], [
        "customValue[101]", "customValue[101].value", "customValue[7]", "runtime.powerState",
        "name"])
    assert record["customValue[101]"] == value
    assert record["customValue[101].value"] == "gold"
    assert record["customValue[7]"] is None  # no such element: unset, left out
    assert record["runtime.powerState"] is None  # inside an unset property
    contents = await client.invoke(pc(client), "RetrieveProperties", specSet=(
        vm_spec(lab.vms[:1], ["customValue[7]", "runtime.powerState", "name"]),))
    assert [p.name for p in contents[0].propSet] == ["name"]


async def test_all_properties_are_the_set_ones(client: aiovsphere.Client, sim: Simulator,
                                               lab: Lab) -> None:
    sim.model.get(lab.vms[0]).props["notASchemaProperty"] = 1  # type: ignore[union-attr]
    spec = t.PropertyFilterSpec(objectSet=(t.ObjectSpec(obj=lab.vms[0]),), propSet=(
        t.PropertySpec(type="VirtualMachine", all=True),))
    (content,) = await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,))
    assert {p.name for p in content.propSet} == {
        "name", "parent", "runtime", "resourcePool", "datastore", "network", "customValue",
        "overallStatus"}


async def test_missing_object_faults_unless_reported_missing(
        client: aiovsphere.Client, lab: Lab) -> None:
    gone = Ref("VirtualMachine", "vm-404")
    with pytest.raises(faults.ManagedObjectNotFound) as info:
        await client.retrieve([lab.vms[0], gone], ["name"])
    assert info.value.fault.obj == gone
    result = await client.invoke(
        pc(client), "RetrievePropertiesEx", options=t.RetrieveOptions(),
        specSet=(vm_spec([lab.vms[0], gone], ["name"], report_missing=True),))
    assert [c.obj for c in result.objects] == [lab.vms[0]]


async def test_nothing_selected_gives_no_result(client: aiovsphere.Client, lab: Lab) -> None:
    spec = t.PropertyFilterSpec(objectSet=(t.ObjectSpec(obj=lab.vms[0]),), propSet=(
        t.PropertySpec(type="Datastore", pathSet=("name",)),))
    assert await client.invoke(pc(client), "RetrievePropertiesEx", specSet=(spec,),
                               options=t.RetrieveOptions()) is None
    assert await client.invoke(pc(client), "RetrieveProperties", specSet=(spec,)) == ()


# ---------------------------------------------------------------------------- paging
async def test_paging_with_tokens(client: aiovsphere.Client, sim: Simulator) -> None:
    lab = build_lab(sim, vms=5)
    collector = pc(client)
    first = await client.invoke(collector, "RetrievePropertiesEx",
                                specSet=(vm_spec(lab.vms, ["name"]),),
                                options=t.RetrieveOptions(maxObjects=2))
    assert [c.propSet[0].val for c in first.objects] == ["VM0", "VM1"]
    assert first.token is not None
    second = await client.invoke(collector, "ContinueRetrievePropertiesEx", token=first.token)
    assert [c.propSet[0].val for c in second.objects] == ["VM2", "VM3"]
    third = await client.invoke(collector, "ContinueRetrievePropertiesEx", token=second.token)
    assert [c.propSet[0].val for c in third.objects] == ["VM4"]
    assert third.token is None
    with pytest.raises(faults.InvalidArgument) as info:  # a token works once
        await client.invoke(collector, "ContinueRetrievePropertiesEx", token=first.token)
    assert info.value.fault.invalidProperty == "token"


async def test_cancel_frees_a_token_and_tokens_are_per_session_and_collector(
        client: aiovsphere.Client, sim: Simulator, lab: Lab) -> None:
    collector = pc(client)
    result = await client.invoke(collector, "RetrievePropertiesEx",
                                 specSet=(vm_spec(lab.vms, ["name"]),),
                                 options=t.RetrieveOptions(maxObjects=1))
    token = result.token
    async with aiovsphere.connect(sim.url, user="other", password="pw") as other:
        with pytest.raises(faults.InvalidArgument):
            await other.invoke(collector, "ContinueRetrievePropertiesEx", token=token)
    own = await client.invoke(collector, "CreatePropertyCollector")
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(own, "ContinueRetrievePropertiesEx", token=token)
    await client.invoke(collector, "CancelRetrievePropertiesEx", token=token)
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(collector, "ContinueRetrievePropertiesEx", token=token)
    with pytest.raises(faults.InvalidArgument):
        await client.invoke(collector, "CancelRetrievePropertiesEx", token="no-such-token")


async def test_max_objects_must_be_positive(client: aiovsphere.Client, lab: Lab) -> None:
    with pytest.raises(faults.InvalidArgument) as info:
        await client.invoke(pc(client), "RetrievePropertiesEx",
                            specSet=(vm_spec(lab.vms, ["name"]),),
                            options=t.RetrieveOptions(maxObjects=0))
    assert info.value.fault.invalidProperty == "maxObjects"


async def test_client_retrieve_pages_and_iter_retrieve_cancels(
        client: aiovsphere.Client, sim: Simulator) -> None:
    lab = build_lab(sim, vms=7)
    records = await client.retrieve(lab.vms, ["name"], max_objects=3)
    assert [r.name for r in records] == [f"VM{i}" for i in range(7)]
    async with contextlib.aclosing(client.iter_retrieve(lab.vms, ["name"], max_objects=2)
                                   ) as it:
        first = await anext(it)
    assert first.name == "VM0"
    state = sim.model.get(pc(client)).data["pc_sessions"][  # type: ignore[union-attr]
        session_of(sim, client).key]
    assert state.tokens == {}  # CancelRetrievePropertiesEx released the open token


async def test_retrieve_of_thousands_through_a_view(client: aiovsphere.Client,
                                                    sim: Simulator) -> None:
    lab = build_lab(sim, vms=2000)
    async with client.container_view(["VirtualMachine"], container=lab.folder) as view:
        records = await client.retrieve(view, PATHS)
    assert len(records) == 2000
    assert {r.obj for r in records} == set(lab.vms)
    assert all(r.runtime.powerState == "poweredOff" for r in records)


# ---------------------------------------------------------------------------- updates
async def test_versions_modify_and_reuse(client: aiovsphere.Client, sim: Simulator,
                                         lab: Lab) -> None:
    collector, flt = await new_collector(client, vm_spec(lab.vms[:2], ["name"]))
    first = await wait(client, collector, "")
    assert summary(first) == [("enter", lab.vms[0].value, [("name", "assign", "VM0")]),
                              ("enter", lab.vms[1].value, [("name", "assign", "VM1")])]
    assert first.filterSet[0].filter == flt and not first.truncated
    assert await wait(client, collector, first.version) is None  # maxWaitSeconds=0
    sim.model.set(lab.vms[1], "name", "renamed")
    second = await wait(client, collector, first.version)
    assert summary(second) == [("modify", lab.vms[1].value, [("name", "assign", "renamed")])]
    again = await wait(client, collector, first.version)  # re-using a version recovers
    assert summary(again) == summary(second)
    assert await wait(client, collector, second.version) is None
    with pytest.raises(faults.InvalidCollectorVersion):
        await wait(client, collector, "not-a-version")


async def test_enter_and_leave_as_objects_come_and_go(client: aiovsphere.Client,
                                                      sim: Simulator, lab: Lab) -> None:
    view = await client.invoke(client.service("viewManager"), "CreateContainerView",
                               container=lab.folder, type=("VirtualMachine",), recursive=True)
    collector, _flt = await new_collector(client, view_spec(view, "VirtualMachine", ["name"]))
    version = (await wait(client, collector, "")).version
    new_vm = Ref("VirtualMachine", "vm-new")
    sim.model.add(SimObject(new_vm, {"name": "fresh"}))
    sim.model.set(lab.sub, "childEntity", (*lab.vms[2:], new_vm))
    entered = await wait(client, collector, version)
    assert summary(entered) == [("enter", "vm-new", [("name", "assign", "fresh")])]
    sim.model.remove(lab.vms[0])
    left = await wait(client, collector, entered.version)
    assert summary(left) == [("leave", lab.vms[0].value, [])]


async def test_truncation_continues_without_waiting(client: aiovsphere.Client,
                                                    sim: Simulator) -> None:
    lab = build_lab(sim, vms=7)
    collector, _flt = await new_collector(client, vm_spec(lab.vms, ["name"]))
    sizes = []
    version = ""
    while True:
        update_set = await wait(client, collector, version, max_wait=None, max_updates=3)
        sizes.append((len(summary(update_set)), bool(update_set.truncated)))
        if update_set.truncated:
            truncated_version = update_set.version
        version = update_set.version
        if not update_set.truncated:
            break
    assert sizes == [(3, True), (3, True), (1, False)]
    with pytest.raises(faults.InvalidCollectorVersion):  # a truncated version works once
        await wait(client, collector, truncated_version)
    assert await wait(client, collector, version) is None


async def test_server_policy_caps_an_answer_at_100_object_updates(
        client: aiovsphere.Client, sim: Simulator) -> None:
    lab = build_lab(sim, vms=150)
    collector, _flt = await new_collector(client, vm_spec(lab.vms, ["name"]))
    first = await wait(client, collector, "")
    assert len(summary(first)) == 100 and first.truncated
    rest = await wait(client, collector, first.version)
    assert len(summary(rest)) == 50 and not rest.truncated
    names = [c[2][0][2] for c in summary(first) + summary(rest)]
    assert names == [f"VM{i}" for i in range(150)]


async def test_max_wait_seconds_returns_a_change_made_during_the_wait(
        client: aiovsphere.Client, sim: Simulator, lab: Lab) -> None:
    collector, _flt = await new_collector(client, vm_spec(lab.vms[:1], ["runtime.powerState"]))
    version = (await wait(client, collector, "")).version

    async def later() -> None:
        await asyncio.sleep(0.05)
        sim.model.set(lab.vms[0], "runtime.powerState", "poweredOn")

    changer = asyncio.create_task(later())
    async with asyncio.timeout(10):
        update_set = await wait(client, collector, version, max_wait=30)
    await changer
    assert summary(update_set) == [
        ("modify", lab.vms[0].value, [("runtime.powerState", "assign", "poweredOn")])]


async def test_cancel_wait_for_updates_ends_the_wait(client: aiovsphere.Client,
                                                     sim: Simulator, lab: Lab) -> None:
    collector, _flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    version = (await wait(client, collector, "")).version
    waiting = asyncio.create_task(wait(client, collector, version, max_wait=None))
    state = sim.model.get(collector).data["pc_state"]  # type: ignore[union-attr]
    async with asyncio.timeout(10):
        await until(lambda: bool(state.waits))
        await client.invoke(collector, "CancelWaitForUpdates")
        with pytest.raises(faults.RequestCanceled):
            await waiting
    assert not state.waits


async def test_concurrent_waits_on_one_collector_both_answer(
        client: aiovsphere.Client, sim: Simulator, lab: Lab) -> None:
    collector, _flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    version = (await wait(client, collector, "")).version
    state = sim.model.get(collector).data["pc_state"]  # type: ignore[union-attr]
    waits = [asyncio.create_task(wait(client, collector, version, max_wait=30))
             for _ in range(2)]
    async with asyncio.timeout(10):
        await until(lambda: len(state.waits) == 2)
        sim.model.set(lab.vms[0], "name", "both")
        answers = await asyncio.gather(*waits)
    expected = [("modify", lab.vms[0].value, [("name", "assign", "both")])]
    assert [summary(a) for a in answers] == [expected, expected]


async def test_destroying_a_collector_cancels_its_wait_and_filters(
        client: aiovsphere.Client, sim: Simulator, lab: Lab) -> None:
    collector, flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    version = (await wait(client, collector, "")).version
    waiting = asyncio.create_task(wait(client, collector, version, max_wait=None))
    state = sim.model.get(collector).data["pc_state"]  # type: ignore[union-attr]
    async with asyncio.timeout(10):
        await until(lambda: bool(state.waits))
        await client.invoke(collector, "DestroyPropertyCollector")
        with pytest.raises(faults.RequestCanceled):
            await waiting
    assert flt not in sim.model and collector not in sim.model
    with pytest.raises(faults.ManagedObjectNotFound):
        await wait(client, collector, "")
    with pytest.raises(faults.NotSupported):
        await client.invoke(pc(client), "DestroyPropertyCollector")


async def test_destroy_property_filter(client: aiovsphere.Client, sim: Simulator,
                                       lab: Lab) -> None:
    collector, flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    other = await client.invoke(collector, "CreateFilter", spec=vm_spec(lab.vms[1:2], ["name"]),
                                partialUpdates=False)
    assert await client.get_properties(collector, ["filter"]) == {"filter": (flt, other)}
    assert await client.get_properties(flt, ["partialUpdates"]) == {"partialUpdates": False}
    await client.invoke(flt, "DestroyPropertyFilter")
    assert await client.get_properties(collector, ["filter"]) == {"filter": (other,)}
    update_set = await wait(client, collector, "")
    assert [fu.filter for fu in update_set.filterSet] == [other]


async def test_missing_objects_are_reported_once(client: aiovsphere.Client, sim: Simulator,
                                                 lab: Lab) -> None:
    gone = Ref("VirtualMachine", "vm-404")
    with pytest.raises(faults.ManagedObjectNotFound):
        await new_collector(client, vm_spec([lab.vms[0], gone], ["name"]))
    collector, _flt = await new_collector(
        client, vm_spec([lab.vms[0], gone], ["name"], report_missing=True))
    first = await wait(client, collector, "")
    (fu,) = first.filterSet
    assert [m.obj for m in fu.missingSet] == [gone]
    assert type(fu.missingSet[0].fault.fault).__name__ == "ManagedObjectNotFound"
    assert summary(first) == [("enter", lab.vms[0].value, [("name", "assign", "VM0")])]
    sim.model.remove(lab.vms[0])
    second = await wait(client, collector, first.version)
    assert summary(second) == [("leave", lab.vms[0].value, [])]
    assert all(not fu.missingSet for fu in second.filterSet)


async def test_partial_updates_report_inner_paths(client: aiovsphere.Client,
                                                  sim: Simulator, lab: Lab) -> None:
    collector, _flt = await new_collector(
        client, vm_spec(lab.vms[:1], ["customValue", "runtime"]), partial=True)
    version = (await wait(client, collector, "")).version
    vm = lab.vms[0]

    async def step(**props: Any) -> list[tuple[str, str, Any]]:
        nonlocal version
        sim.model.update(vm, props)
        update_set = await wait(client, collector, version)
        version = update_set.version
        ((_kind, _obj, changes),) = summary(update_set)
        return changes

    gold = t.CustomFieldStringValue(key=101, value="gold")
    assert await step(customValue=(gold,)) == [("customValue[101]", "add", gold)]
    assert await step(customValue=(t.CustomFieldStringValue(key=101, value="lead"),)) == [
        ("customValue[101].value", "assign", "lead")]
    assert await step(customValue=()) == [("customValue[101]", "remove", None)]
    on = runtime("poweredOn", lab.hosts[0])
    assert await step(runtime=on) == [("runtime.powerState", "assign", "poweredOn")]
    assert await step(runtime=on.model_copy(update={"host": None})) == [
        ("runtime.host", "assign", None)]


async def test_whole_properties_without_partial_updates(client: aiovsphere.Client,
                                                        sim: Simulator, lab: Lab) -> None:
    collector, _flt = await new_collector(
        client, vm_spec(lab.vms[:1], ["runtime", "runtime.powerState", "name"]))
    version = (await wait(client, collector, "")).version
    on = runtime("poweredOn", lab.hosts[0])
    sim.model.set(lab.vms[0], "runtime", on)
    update_set = await wait(client, collector, version)
    assert summary(update_set) == [("modify", lab.vms[0].value, [
        ("runtime", "assign", on), ("runtime.powerState", "assign", "poweredOn")])]
    sim.model.update(lab.vms[0], {"runtime": None, "name": None})
    gone = await wait(client, collector, update_set.version)
    assert summary(gone) == [("modify", lab.vms[0].value, [
        ("runtime", "assign", None), ("runtime.powerState", "indirectRemove", None),
        ("name", "assign", None)])]


async def test_legacy_wait_and_check_for_updates(client: aiovsphere.Client, sim: Simulator,
                                                 lab: Lab) -> None:
    collector, _flt = await new_collector(client, vm_spec(lab.vms, ["name"]))
    first = await client.invoke(collector, "CheckForUpdates", version="")
    assert len(summary(first)) == 4 and not first.truncated
    assert await client.invoke(collector, "CheckForUpdates", version=first.version) is None
    sim.model.set(lab.vms[3], "name", "x")
    async with asyncio.timeout(10):
        update_set = await client.invoke(collector, "WaitForUpdates", version=first.version)
    assert summary(update_set) == [("modify", lab.vms[3].value, [("name", "assign", "x")])]
    truncated = await wait(client, collector, "", max_updates=1)
    assert truncated.truncated
    with pytest.raises(faults.InvalidCollectorVersion):
        await client.invoke(collector, "WaitForUpdates", version=truncated.version)


async def test_wait_options_are_checked(client: aiovsphere.Client, lab: Lab) -> None:
    collector, _flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    with pytest.raises(faults.InvalidArgument):
        await wait(client, collector, "", max_wait=-1)
    with pytest.raises(faults.InvalidArgument):
        await wait(client, collector, "", max_updates=0)


# ---------------------------------------------------------------------------- sessions
async def test_collectors_and_filters_belong_to_their_session(
        client: aiovsphere.Client, sim: Simulator, lab: Lab) -> None:
    own, _own_filter = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
    shared = pc(client)
    shared_filter = await client.invoke(shared, "CreateFilter",
                                        spec=vm_spec(lab.vms[1:2], ["name"]),
                                        partialUpdates=False)
    assert own.value.startswith(f"session[{session_of(sim, client).key}]")
    async with aiovsphere.connect(sim.url, user="other", password="pw") as other:
        with pytest.raises(faults.ManagedObjectNotFound):
            await wait(other, own, "")
        with pytest.raises(faults.ManagedObjectNotFound):
            await other.invoke(shared_filter, "DestroyPropertyFilter")
        assert await other.get_properties(shared, ["filter"]) == {"filter": ()}
        theirs = await wait(other, shared, "")
        assert theirs.filterSet == ()  # the other session's filter is not reported
    assert await client.get_properties(shared, ["filter"]) == {"filter": (shared_filter,)}
    mine = await wait(client, shared, "")
    assert [fu.filter for fu in mine.filterSet] == [shared_filter]


async def test_session_end_drops_collectors_filters_and_waits(
        sim: Simulator, lab: Lab) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        session = session_of(sim, client)
        shared = pc(client)
        await client.invoke(shared, "CreateFilter", spec=vm_spec(lab.vms[:1], ["name"]),
                            partialUpdates=False)
        collector, _flt = await new_collector(client, vm_spec(lab.vms[:1], ["name"]))
        version = (await wait(client, collector, "")).version
        waiting = asyncio.create_task(wait(client, collector, version, max_wait=None))
        state = sim.model.get(collector).data["pc_state"]  # type: ignore[union-attr]
        async with asyncio.timeout(10):
            await until(lambda: bool(state.waits))
            sim.end_session(session)
            with pytest.raises(aiovsphere.SoapFault) as info:
                await waiting
        assert info.value.fault_name in ("NotAuthenticated", "ManagedObjectNotFound")
        assert not state.waits
        assert [o for o in sim.model if o.owner == session.key] == []
        await wait(client, shared, "")  # a new session's state prunes ended ones
        states = sim.model.get(shared).data["pc_sessions"]  # type: ignore[union-attr]
        assert session.key not in states


# ---------------------------------------------------------------------------- client layer
async def test_client_watch_sees_enter_modify_leave(client: aiovsphere.Client,
                                                    sim: Simulator, lab: Lab) -> None:
    seen = []
    async with asyncio.timeout(10), contextlib.aclosing(
            client.watch(lab.vms[:2], ["name", "runtime.powerState"])) as changes:
        async for change in changes:
            seen.append((change.kind, change.obj, {c.name: c.val for c in change.changes}))
            if len(seen) == 2:
                sim.model.set(lab.vms[1], "runtime.powerState", "poweredOn")
            elif len(seen) == 3:
                sim.model.remove(lab.vms[0])
            elif len(seen) == 4:
                break
    assert seen == [
        ("enter", lab.vms[0], {"name": "VM0", "runtime.powerState": "poweredOff"}),
        ("enter", lab.vms[1], {"name": "VM1", "runtime.powerState": "poweredOff"}),
        ("modify", lab.vms[1], {"runtime.powerState": "poweredOn"}),
        ("leave", lab.vms[0], {}),
    ]


async def test_inventory_cache_follows_the_simulator(client: aiovsphere.Client,
                                                     sim: Simulator) -> None:
    lab = build_lab(sim, vms=250)  # more than one WaitForUpdatesEx answer
    async with client.inventory_cache("VirtualMachine", ["name", "runtime.powerState"],
                                      container=lab.folder) as cache:
        assert len(cache.snapshot()) == 250
        sim.model.set(lab.vms[17], "runtime.powerState", "poweredOn")
        sim.model.remove(lab.vms[3])
        snap = await cache.wait_until(
            lambda s: lab.vms[3] not in s and s[lab.vms[17]].runtime.powerState == "poweredOn",
            timeout=10)
        assert len(snap) == 249
        assert snap[lab.vms[18]].name == "VM18"


async def test_wait_for_task_through_a_collector(client: aiovsphere.Client,
                                                 sim: Simulator, lab: Lab) -> None:
    from aiovsphere.simulator._tasks import start_task

    ctx = Context(sim, session_of(sim, client), "PowerOnVM_Task")
    vm = sim.model.get(lab.vms[0])
    assert vm is not None
    seen: list[int] = []

    async def work(progress: Any) -> None:
        sim.model.set(vm.ref, "runtime.powerState", "poweredOn")

    task = start_task(ctx, vm, "PowerOnVM_Task", work)
    async with asyncio.timeout(10):
        assert await client.wait_for_task(task, progress=seen.append) is None
    assert seen[-1] == 100
    assert sim.model.get(task).props["info"].state == "success"  # type: ignore[union-attr]
    (record,) = await client.retrieve(lab.vms[0], ["runtime.powerState"])
    assert record.runtime.powerState == "poweredOn"


async def test_fetch_reads_one_property(client: aiovsphere.Client, sim: Simulator,
                                        lab: Lab) -> None:
    """The undocumented Fetch pyvmomi 8+ uses for every property read (the handler; the
    request itself needs the codec to know the method)."""
    from aiovsphere.simulator._handlers.property_collector import fetch

    ctx = Context(sim, session_of(sim, client), "Fetch")
    vm = sim.model.get(lab.vms[0])
    assert vm is not None
    assert fetch(ctx, vm, "name") == "VM0"
    assert fetch(ctx, vm, "datastore").item_type == "ManagedObjectReference"
    assert fetch(ctx, vm, "runtime.powerState") is t.VirtualMachinePowerState.poweredOff
    assert fetch(ctx, vm, "runtime.question") is None
    with pytest.raises(SimFault) as info:
        fetch(ctx, vm, "nonsense")
    assert type(info.value.fault).__name__ == "InvalidProperty"
