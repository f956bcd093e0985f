"""The simulator's inventory: shape, names, links, typed values, and the internal API.

Model-level tests build ``sim.model`` without serving it (``_inventory.build``);
client-level tests start a :class:`Simulator`, read it with aiovsphere and compare with
the model and with vcsim's VPX model (the shared ``vcsim_url`` fixture, 8 VMs).
"""

from __future__ import annotations

import collections
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from lxml import etree

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator
from aiovsphere.simulator._context import SimFault
from aiovsphere.simulator._inv_api import (
    add_entity,
    compute_resource_of,
    datacenter_of,
    link_child,
    move_entity,
    new_vm,
    remove_entity,
    rename_entity,
    root_pool,
    set_vm_power,
    sync_vm,
    unlink_child,
    vm_host,
)
from aiovsphere.simulator._inventory import build
from aiovsphere.simulator._model import Model, SimObject
from aiovsphere.simulator._service import ROOT_FOLDER, SERVICE_INSTANCE
from aiovsphere.soap.codec import decode_value, encode_value
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref
from aiovsphere.vim._schema import PropInfo, schema

ENTITY_TYPES = ("Folder", "Datacenter", "ComputeResource", "ClusterComputeResource",
                "HostSystem", "ResourcePool", "VirtualMachine", "Datastore", "Network",
                "VmwareDistributedVirtualSwitch", "DistributedVirtualPortgroup")
COMPANIONS = ("EnvironmentBrowser", "HostDatastoreBrowser", "HostDatastoreSystem",
              "HostNetworkSystem")
CR_TYPES = ("ComputeResource", "ClusterComputeResource")


def built(spec: InventorySpec | None = None, *, esx: bool = False) -> Simulator:
    """A simulator whose model is built but not served."""
    sim = Simulator(spec, esx=esx)
    build(sim)
    return sim


def of_type(model: Model, type_name: str) -> list[SimObject]:
    return model.of_type(type_name)


def named(model: Model, type_name: str, name: str) -> SimObject:
    (obj,) = [o for o in model.of_type(type_name) if o.props.get("name") == name]
    return obj


def names(model: Model, type_name: str) -> set[str]:
    return {str(o.props["name"]) for o in model.of_type(type_name)}


def counts(model: Model) -> dict[str, int]:
    wanted = (*ENTITY_TYPES, *COMPANIONS)
    c = collections.Counter(o.type for o in model if o.type in wanted)
    return {k: c[k] for k in wanted}


def expected_counts(spec: InventorySpec) -> dict[str, int]:
    dcs = spec.datacenters
    hosts = dcs * (spec.hosts + spec.clusters * spec.cluster_hosts)
    computes = dcs * (spec.hosts + spec.clusters)
    return {
        "Folder": 1 + 4 * dcs, "Datacenter": dcs, "ComputeResource": dcs * spec.hosts,
        "ClusterComputeResource": dcs * spec.clusters, "HostSystem": hosts,
        "ResourcePool": computes + dcs * spec.clusters * spec.resource_pools,
        "VirtualMachine": spec.vm_count, "Datastore": dcs * spec.datastores,
        "Network": dcs, "VmwareDistributedVirtualSwitch": dcs if spec.dvs else 0,
        "DistributedVirtualPortgroup": 2 * dcs if spec.dvs else 0,
        "EnvironmentBrowser": computes, "HostDatastoreBrowser": hosts + dcs * spec.datastores,
        "HostDatastoreSystem": hosts, "HostNetworkSystem": hosts,
    }


# ------------------------------------------------------------------ consistency checks
def _refs(value: Any) -> Iterator[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from _refs(item)
    elif isinstance(value, t.DataObject):
        for item in value.__dict__.values():
            yield from _refs(item)


def link_problems(model: Model) -> list[str]:
    """Every way the inventory's two-way links, copies and references can disagree."""
    out: list[str] = []

    def get(ref: Ref) -> SimObject:
        obj = model.get(ref)
        assert obj is not None, ref
        return obj

    def lists(holder: Ref, prop: str, member: Ref, why: str) -> None:
        obj = model.get(holder)
        if obj is None or member not in tuple(obj.props.get(prop) or ()):
            out.append(f"{why}: {holder}.{prop} lacks {member}")

    for o in model:
        if o.type not in ENTITY_TYPES and o.type not in COMPANIONS:
            continue
        p = o.props
        for ref in _refs(tuple(p.values())):
            if model.get(ref) is None and not (o.type == "VirtualMachine" and ref.type == "Task"):
                out.append(f"{o.ref}: dangling reference {ref}")
        if o.type not in ENTITY_TYPES:
            continue
        parent = p.get("parent")
        if parent is not None:
            par = get(parent)
            if par.type == "Folder":
                lists(parent, "childEntity", o.ref, "parent")
            elif par.type == "Datacenter":
                if o.ref not in (par.props["vmFolder"], par.props["hostFolder"],
                                 par.props["datastoreFolder"], par.props["networkFolder"]):
                    out.append(f"{o.ref}: not a folder of its datacenter {parent}")
            elif par.type in CR_TYPES:
                if o.type == "HostSystem":
                    lists(parent, "host", o.ref, "parent")
                elif par.props["resourcePool"] != o.ref:
                    out.append(f"{o.ref}: not the root pool of {parent}")
            elif par.type == "ResourcePool":
                lists(parent, "resourcePool", o.ref, "parent")
        elif o.ref not in (ROOT_FOLDER, Ref("Folder", "ha-folder-root")):
            out.append(f"{o.ref}: no parent")
        if o.type == "Folder":
            for c in p["childEntity"]:
                if get(c).props.get("parent") != o.ref:
                    out.append(f"{c}: parent is not {o.ref}")
        elif o.type == "VirtualMachine":
            runtime = p["runtime"]
            lists(runtime.host, "vm", o.ref, "runtime.host")
            lists(p["resourcePool"], "vm", o.ref, "resourcePool")
            for ds in p["datastore"]:
                lists(ds, "vm", o.ref, "datastore")
            for net in p["network"]:
                lists(net, "vm", o.ref, "network")
            summary, config = p["summary"], p["config"]
            if summary.runtime != runtime or summary.vm != o.ref:
                out.append(f"{o.ref}: summary.runtime/vm disagree")
            if not p["name"] == config.name == summary.config.name:
                out.append(f"{o.ref}: names disagree")
            if (summary.config.numCpu, summary.config.memorySizeMB) != (
                    config.hardware.numCPU, config.hardware.memoryMB):
                out.append(f"{o.ref}: summary.config disagrees with config.hardware")
            disks = [d for d in config.hardware.device if isinstance(d, t.VirtualDisk)]
            nics = [d for d in config.hardware.device if isinstance(d, t.VirtualEthernetCard)]
            if (summary.config.numVirtualDisks, summary.config.numEthernetCards) != (
                    len(disks), len(nics)):
                out.append(f"{o.ref}: device counts disagree")
            if not {d.backing.datastore for d in disks} <= set(p["datastore"]):
                out.append(f"{o.ref}: a disk's datastore is not in datastore")
            if summary.guest.ipAddress != p["guest"].ipAddress:
                out.append(f"{o.ref}: summary.guest disagrees")
            usage = sum(u.committed for u in p["storage"].perDatastoreUsage)
            if usage != summary.storage.committed:
                out.append(f"{o.ref}: storage and summary.storage disagree")
            keys = [d.key for d in config.hardware.device]
            if len(keys) != len(set(keys)):
                out.append(f"{o.ref}: duplicate device keys")
            for d in config.hardware.device:
                if isinstance(d, t.VirtualController):
                    attached = [x.key for x in config.hardware.device
                                if x.controllerKey == d.key]
                    if list(d.device) != attached:
                        out.append(f"{o.ref}: controller {d.key} lists {d.device}")
        elif o.type == "HostSystem":
            for vm in p["vm"]:
                if get(vm).props["runtime"].host != o.ref:
                    out.append(f"{vm}: runtime.host is not {o.ref}")
            for ds in p["datastore"]:
                if o.ref not in {m.key for m in get(ds).props["host"]}:
                    out.append(f"{ds}: not mounted on {o.ref}")
            for net in p["network"]:
                lists(net, "host", o.ref, "host.network")
            if p["summary"].config.name != p["name"] or p["summary"].host != o.ref:
                out.append(f"{o.ref}: summary disagrees")
        elif o.type == "ResourcePool":
            for vm in p["vm"]:
                if get(vm).props["resourcePool"] != o.ref:
                    out.append(f"{vm}: resourcePool is not {o.ref}")
            for child in p["resourcePool"]:
                if get(child).props["parent"] != o.ref:
                    out.append(f"{child}: parent is not {o.ref}")
            owner = get(p["owner"])
            if owner.type not in CR_TYPES:
                out.append(f"{o.ref}: owner {owner.ref} is no compute resource")
            if p["summary"].name != p["name"]:
                out.append(f"{o.ref}: summary.name disagrees")
        elif o.type in CR_TYPES:
            for host in p["host"]:
                if get(host).props["parent"] != o.ref:
                    out.append(f"{host}: parent is not {o.ref}")
            pool = get(p["resourcePool"])
            if pool.props["parent"] != o.ref or pool.props["owner"] != o.ref:
                out.append(f"{pool.ref}: parent/owner is not {o.ref}")
            if p["summary"].numHosts != len(p["host"]):
                out.append(f"{o.ref}: summary.numHosts disagrees")
        elif o.type == "Datastore":
            for mount in p["host"]:
                lists(mount.key, "datastore", o.ref, "datastore.host")
            for vm in p["vm"]:
                lists(vm, "datastore", o.ref, "datastore.vm")
            committed = sum(u.committed for vm in p["vm"]
                            for u in get(vm).props["storage"].perDatastoreUsage
                            if u.datastore == o.ref)
            summary = p["summary"]
            if summary.freeSpace != summary.capacity - committed:
                out.append(f"{o.ref}: freeSpace {summary.freeSpace} != capacity - "
                           f"{committed}")
            if p["info"].freeSpace != summary.freeSpace or summary.name != p["name"]:
                out.append(f"{o.ref}: info and summary disagree")
        elif o.type in ("Network", "DistributedVirtualPortgroup"):
            for host in p["host"]:
                lists(host, "network", o.ref, "network.host")
            for vm in p["vm"]:
                lists(vm, "network", o.ref, "network.vm")
            if p["summary"].name != p["name"]:
                out.append(f"{o.ref}: summary.name disagrees")
        elif o.type == "VmwareDistributedVirtualSwitch":
            for pg in p["portgroup"]:
                if get(pg).props["config"].distributedVirtualSwitch != o.ref:
                    out.append(f"{pg}: switch is not {o.ref}")
            if tuple(p["summary"].portgroupName) != tuple(
                    get(pg).props["name"] for pg in p["portgroup"]):
                out.append(f"{o.ref}: summary.portgroupName disagrees")
        elif o.type == "Datacenter":
            under = _under(model, p["datastoreFolder"])
            if set(p["datastore"]) != {r for r in under if r.type == "Datastore"}:
                out.append(f"{o.ref}: datastore list disagrees with its folder")
            under = _under(model, p["networkFolder"])
            if set(p["network"]) != {r for r in under if r.type in (
                    "Network", "DistributedVirtualPortgroup")}:
                out.append(f"{o.ref}: network list disagrees with its folder")
    return out


def _under(model: Model, folder: Ref) -> set[Ref]:
    out: set[Ref] = set()
    obj = model.get(folder)
    for child in obj.props.get("childEntity", ()) if obj is not None else ():
        out.add(child)
        out |= _under(model, child)
    return out


def _declared(type_name: str) -> dict[str, PropInfo]:
    s = schema()
    out: dict[str, PropInfo] = {}
    current: str | None = type_name
    while current:
        m = s.managed(current)
        for p in m.props:
            out.setdefault(p.name, p)
        current = m.base
    return out


def value_problems(model: Model) -> list[str]:
    """Properties that are not the type's, required ones missing, and values that do not
    encode as their declared type or do not decode back equal."""
    out: list[str] = []
    for o in model:
        if o.type not in ENTITY_TYPES and o.type not in COMPANIONS:
            continue
        declared = _declared(o.type)
        present = set(o.props) | set(o.dynamic)
        out += [f"{o.type}.{n}: not a property" for n in present - set(declared)]
        out += [f"{o.type}.{n}: required but unset" for n, p in declared.items()
                if not p.optional and (n not in present or (
                    n in o.props and o.props[n] is None))]
        for name, value in o.props.items():
            p = declared.get(name)
            if p is None or value is None:
                continue
            if p.array and not isinstance(value, tuple):
                out.append(f"{o.type}.{name}: an array that is not a tuple")
                continue
            for item in value if p.array else (value,):
                try:
                    back = decode_value(etree.fromstring(encode_value(item, p.type)), p.type)
                except Exception as exc:
                    out.append(f"{o.type}.{name}: {type(exc).__name__}: {exc}")
                    continue
                if back != item:
                    out.append(f"{o.type}.{name}: decodes to a different value")
    return sorted(set(out))


def test_the_checks_catch_broken_links_and_values() -> None:
    model = built().model
    vm = named(model, "VirtualMachine", "DC0_H0_VM0")
    host = vm.props["runtime"].host
    model.update(host, {"vm": ()})
    model.update(vm.ref, {"network": (Ref("Network", "network-999999"),)})
    model.update(vm.ref, {"config": vm.props["config"].model_copy(update={"name": "other"})})
    problems = link_problems(model)
    assert f"runtime.host: {host}.vm lacks {vm.ref}" in problems
    assert f"{vm.ref}: dangling reference Network:network-999999" in problems
    assert f"{vm.ref}: names disagree" in problems
    model.update(vm.ref, {"guestHeartbeatStatus": None, "bogus": 1, "datastore": [1]})
    assert value_problems(model) == [
        "VirtualMachine.bogus: not a property",
        "VirtualMachine.datastore: an array that is not a tuple",
        "VirtualMachine.guestHeartbeatStatus: required but unset"]


# ------------------------------------------------------------------ shape and names
def test_default_spec_is_vcsims_vpx_model() -> None:
    sim = built()
    model = sim.model
    assert counts(model) == expected_counts(InventorySpec())
    assert counts(model)["VirtualMachine"] == 4
    assert names(model, "Datacenter") == {"DC0"}
    assert names(model, "ClusterComputeResource") == {"DC0_C0"}
    assert names(model, "ComputeResource") == {"DC0_H0"}
    assert names(model, "HostSystem") == {"DC0_H0", "DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"}
    assert names(model, "ResourcePool") == {"Resources"}
    assert names(model, "VirtualMachine") == {"DC0_H0_VM0", "DC0_H0_VM1", "DC0_C0_RP0_VM0",
                                              "DC0_C0_RP0_VM1"}
    assert names(model, "Datastore") == {"LocalDS_0"}
    assert names(model, "Network") == {"VM Network"}
    assert names(model, "VmwareDistributedVirtualSwitch") == {"DVS0"}
    assert names(model, "DistributedVirtualPortgroup") == {"DVS0-DVUplinks-9", "DC0_DVPG0"}
    assert names(model, "Folder") == {"Datacenters", "vm", "host", "datastore", "network"}
    # vCenter's moref forms, numbered from one counter in vcsim's order.
    root = model.get(ROOT_FOLDER)
    assert root is not None and root.props["name"] == "Datacenters"
    (dc,) = of_type(model, "Datacenter")
    assert dc.ref == Ref("Datacenter", "datacenter-2")
    assert [dc.props[f].value for f in ("vmFolder", "hostFolder", "datastoreFolder",
                                        "networkFolder")] == [
        "group-v3", "group-h4", "group-s5", "group-n6"]
    assert named(model, "Network", "VM Network").ref.value == "network-7"
    assert named(model, "VmwareDistributedVirtualSwitch", "DVS0").ref.value == "dvs-9"
    assert named(model, "DistributedVirtualPortgroup", "DC0_DVPG0").ref.value == \
        "dvportgroup-13"
    patterns = {"ComputeResource": r"domain-s\d+", "ClusterComputeResource": r"domain-c\d+",
                "HostSystem": r"host-\d+", "ResourcePool": r"resgroup-\d+",
                "VirtualMachine": r"vm-\d+", "Datastore": r"datastore-\d+"}
    for type_name, pattern in patterns.items():
        assert all(re.fullmatch(pattern, o.ref.value) for o in of_type(model, type_name))
    assert root.props["childEntity"] == (dc.ref,)
    assert link_problems(model) == []


@pytest.mark.parametrize("spec", [
    InventorySpec.for_vm_count(8),
    InventorySpec(datacenters=2, clusters=2, cluster_hosts=2, hosts=2, vms=3,
                  resource_pools=2, datastores=3, dvs=False),
    InventorySpec(clusters=0, hosts=1, vms=0),
    InventorySpec.for_vm_count(120),
], ids=["8vms", "2dc-nodvs", "empty", "120vms"])
def test_counts_names_and_links_follow_the_spec(spec: InventorySpec) -> None:
    model = built(spec).model
    assert counts(model) == expected_counts(spec)
    assert len(of_type(model, "VirtualMachine")) == spec.vm_count
    for d in range(spec.datacenters):
        for h in range(spec.hosts):
            assert {f"DC{d}_H{h}_VM{i}" for i in range(spec.vms)} <= names(
                model, "VirtualMachine")
        for c in range(spec.clusters):
            assert {f"DC{d}_C{c}_RP0_VM{i}" for i in range(spec.vms)} <= names(
                model, "VirtualMachine")
            assert {f"DC{d}_C{c}_H{h}" for h in range(spec.cluster_hosts)} <= names(
                model, "HostSystem")
            assert {f"DC{d}_C{c}_RP{i}" for i in range(1, spec.resource_pools + 1)} <= \
                names(model, "ResourcePool")
    assert names(model, "Datastore") == {f"LocalDS_{i}" for i in range(spec.datastores)}
    assert link_problems(model) == []
    if spec.datastores > 1 and spec.vm_count:  # VMs go to the datastores in turn
        assert all(o.props["vm"] for o in of_type(model, "Datastore"))
    # A cluster's VMs are spread over its hosts in turn.
    for cluster in of_type(model, "ClusterComputeResource"):
        per_host = [len(model.get(h).props["vm"]) for h in cluster.props["host"]]  # type: ignore[union-attr]
        assert sum(per_host) == spec.vms and max(per_host) - min(per_host) <= 1


def test_child_pools_and_cluster_values() -> None:
    model = built(InventorySpec(resource_pools=2)).model
    cluster = named(model, "ClusterComputeResource", "DC0_C0")
    root = model.get(cluster.props["resourcePool"])
    assert root is not None and root.props["name"] == "Resources"
    children = [model.get(r) for r in root.props["resourcePool"]]
    assert [c.props["name"] for c in children if c] == ["DC0_C0_RP1", "DC0_C0_RP2"]
    assert all(c.props["vm"] == () and c.props["owner"] == cluster.ref for c in children if c)
    assert len(root.props["vm"]) == 2 and len(root.props["childConfiguration"]) == 2
    child = children[0]
    assert child is not None
    config = child.props["config"]
    assert (config.cpuAllocation.limit, config.cpuAllocation.expandableReservation,
            config.memoryAllocation.shares.level) == (-1, True, "normal")
    summary = cluster.props["summary"]
    assert isinstance(summary, t.ClusterComputeResourceSummary)
    assert (summary.numHosts, summary.numCpuCores) == (3, 6)
    assert summary.totalMemory == 3 * 4_294_430_720
    assert cluster.props["configurationEx"].drsConfig.enabled is True


def test_property_values_are_typed_complete_and_round_trip() -> None:
    for sim in (built(InventorySpec(resource_pools=1, datastores=2)), built(esx=True)):
        assert value_problems(sim.model) == []


def test_vm_values() -> None:
    model = built(InventorySpec.for_vm_count(8)).model
    vm = named(model, "VirtualMachine", "DC0_H0_VM0")
    p = vm.props
    ds = named(model, "Datastore", "LocalDS_0")
    pg = named(model, "DistributedVirtualPortgroup", "DC0_DVPG0")
    host = named(model, "HostSystem", "DC0_H0")
    config: t.VirtualMachineConfigInfo = p["config"]
    assert config.files.vmPathName == "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmx"
    assert (config.hardware.numCPU, config.hardware.memoryMB, config.guestId) == (
        1, 32, "otherGuest")
    assert config.uuid.startswith("42") and config.instanceUuid.startswith("50")  # type: ignore[union-attr]
    devices = {d.key: d for d in config.hardware.device}
    assert {200, 201, 300, 100, 400, 600, 700, 500, 12000, 1000, 2000, 3000, 4000} == set(
        devices)
    disk = devices[2000]
    assert isinstance(disk, t.VirtualDisk) and disk.controllerKey == 1000
    assert isinstance(disk.backing, t.VirtualDiskFlatVer2BackingInfo)
    assert disk.backing.fileName == "[LocalDS_0] DC0_H0_VM0/DC0_H0_VM0.vmdk"
    assert disk.backing.datastore == ds.ref and disk.capacityInKB == 1024 * 1024
    nic = devices[4000]
    assert isinstance(nic, t.VirtualVmxnet3)
    assert re.fullmatch(r"00:50:56:[89ab][0-9a-f](:[0-9a-f]{2}){2}", nic.macAddress or "")
    assert isinstance(nic.backing, t.VirtualEthernetCardDistributedVirtualPortBackingInfo)
    assert nic.backing.port.portgroupKey == pg.ref.value
    assert nic.connectable is not None and nic.connectable.connected is True
    assert isinstance(devices[1000], t.ParaVirtualSCSIController)
    assert devices[1000].device == (2000,) and devices[100].device == (500, 12000, 1000, 4000)
    assert isinstance(devices[3000], t.VirtualCdrom) and devices[200].device == (3000,)
    runtime = p["runtime"]
    assert (runtime.powerState, runtime.connectionState, runtime.host) == (
        "poweredOn", "connected", host.ref)
    assert runtime.bootTime is not None and runtime.bootTime.tzinfo is not None
    guest = p["guest"]
    assert (guest.toolsStatus, guest.guestState, guest.hostName) == (
        "toolsOk", "running", "dc0-h0-vm0")
    assert guest.ipAddress == "10.1.0.1" and guest.net[0].macAddress == nic.macAddress
    assert p["summary"].config.vmPathName == config.files.vmPathName
    assert p["summary"].quickStats.guestHeartbeatStatus == "green"
    assert (p["datastore"], p["network"], p["parentVApp"], p["snapshot"], p["rootSnapshot"]) \
        == ((ds.ref,), (pg.ref,), None, None, ())
    assert p["resourcePool"] == model.get(host.props["parent"]).props["resourcePool"]  # type: ignore[union-attr]
    files = {f.type: f for f in p["layoutEx"].file}
    assert files["config"].name == config.files.vmPathName
    assert files["diskDescriptor"].name == disk.backing.fileName
    assert p["summary"].storage.committed == sum(f.size for f in p["layoutEx"].file)
    # Identifiers are unique.
    vms = of_type(model, "VirtualMachine")
    for attr in ("uuid", "instanceUuid"):
        assert len({getattr(v.props["config"], attr) for v in vms}) == len(vms)
    assert len({v.props["guest"].ipAddress for v in vms}) == len(vms)
    macs = {d.macAddress for v in vms for d in v.props["config"].hardware.device
            if isinstance(d, t.VirtualEthernetCard)}
    assert len(macs) == len(vms)


def test_host_datastore_and_network_values() -> None:
    model = built().model
    host = named(model, "HostSystem", "DC0_C0_H1")
    p = host.props
    assert (p["runtime"].connectionState, p["runtime"].powerState,
            p["runtime"].inMaintenanceMode) == ("connected", "poweredOn", False)
    hw = p["summary"].hardware
    assert (hw.vendor, hw.numCpuCores, hw.memorySize) == ("VMware, Inc.", 2, 4_294_430_720)
    assert hw == t.HostHardwareSummary(
        vendor=p["hardware"].systemInfo.vendor, model=p["hardware"].systemInfo.model,
        uuid=p["hardware"].systemInfo.uuid, memorySize=p["hardware"].memorySize,
        cpuModel=hw.cpuModel, cpuMhz=hw.cpuMhz, numCpuPkgs=p["hardware"].cpuInfo.numCpuPackages,
        numCpuCores=p["hardware"].cpuInfo.numCpuCores,
        numCpuThreads=p["hardware"].cpuInfo.numCpuThreads, numNics=2, numHBAs=3)
    vnic = p["config"].network.vnic[0]
    assert re.fullmatch(r"10\.0\.\d+\.\d+", vnic.spec.ip.ipAddress)
    ips = {h.props["config"].network.vnic[0].spec.ip.ipAddress
           for h in of_type(model, "HostSystem")}
    assert len(ips) == 4  # one management IP per host
    assert p["config"].product.apiType == "HostAgent"
    for manager in ("datastoreSystem", "networkSystem"):
        ref = getattr(p["configManager"], manager)
        assert model.get(ref) is not None
    browser = model.get(p["datastoreBrowser"])
    assert browser is not None and browser.props["datastore"] == p["datastore"]
    ds = named(model, "Datastore", "LocalDS_0")
    s = ds.props["summary"]
    assert (s.type, s.accessible, s.name, s.datastore) == ("VMFS", True, "LocalDS_0", ds.ref)
    assert s.url.startswith("ds:///vmfs/volumes/") and s.url == ds.props["info"].url
    assert s.capacity > s.freeSpace > 0
    assert {m.key for m in ds.props["host"]} == {h.ref for h in of_type(model, "HostSystem")}
    assert len(ds.props["vm"]) == 4 and model.get(ds.props["browser"]) is not None
    switch = named(model, "VmwareDistributedVirtualSwitch", "DVS0")
    config = switch.props["config"]
    assert isinstance(config, t.VMwareDVSConfigInfo) and config.name == "DVS0"
    assert {m.config.host for m in config.host} == {h.ref for h in of_type(model, "HostSystem")}
    assert switch.props["uuid"] == config.uuid == switch.props["summary"].uuid
    pg = named(model, "DistributedVirtualPortgroup", "DC0_DVPG0")
    assert pg.props["key"] == pg.ref.value == pg.props["config"].key
    assert pg.props["config"].distributedVirtualSwitch == switch.ref
    uplink = named(model, "DistributedVirtualPortgroup", "DVS0-DVUplinks-9")
    assert uplink.props["config"].uplink is True and uplink.props["vm"] == ()
    assert len(pg.props["vm"]) == 4 and len(pg.props["host"]) == 4
    net = named(model, "Network", "VM Network")
    assert net.props["vm"] == () and len(net.props["host"]) == 4  # VMs are on the DVPG


def test_without_a_switch_nics_use_vm_network() -> None:
    model = built(InventorySpec(dvs=False)).model
    net = named(model, "Network", "VM Network")
    assert len(net.props["vm"]) == 4
    vm = model.get(net.props["vm"][0])
    assert vm is not None and vm.props["network"] == (net.ref,)
    nic = next(d for d in vm.props["config"].hardware.device if d.key == 4000)
    assert isinstance(nic.backing, t.VirtualEthernetCardNetworkBackingInfo)
    assert (nic.backing.deviceName, nic.backing.network) == ("VM Network", net.ref)


def test_esx_model_shape() -> None:
    sim = built(InventorySpec(vms=3), esx=True)
    model = sim.model
    content = model.get(SERVICE_INSTANCE).props["content"]  # type: ignore[union-attr]
    assert content.rootFolder == Ref("Folder", "ha-folder-root")
    assert model.get(ROOT_FOLDER) is None
    expected = {
        Ref("Folder", "ha-folder-root"): "ha-folder-root",
        Ref("Datacenter", "ha-datacenter"): "ha-datacenter",
        Ref("Folder", "ha-folder-vm"): "vm", Ref("Folder", "ha-folder-host"): "host",
        Ref("Folder", "ha-folder-datastore"): "datastore",
        Ref("Folder", "ha-folder-network"): "network",
        Ref("ComputeResource", "ha-compute-res"): "localhost.localdomain",
        Ref("HostSystem", "ha-host"): "localhost.localdomain",
        Ref("ResourcePool", "ha-root-pool"): "Resources",
        Ref("Network", "HaNetwork-VM Network"): "VM Network",
    }
    for ref, name in expected.items():
        obj = model.get(ref)
        assert obj is not None and obj.props["name"] == name, ref
    assert counts(model)["VirtualMachine"] == 3 and counts(model)["HostSystem"] == 1
    vms = of_type(model, "VirtualMachine")
    assert sorted(v.props["name"] for v in vms) == ["ha-host_VM0", "ha-host_VM1", "ha-host_VM2"]
    assert all(v.ref.value.isdigit() for v in vms)  # ESXi: vim.VirtualMachine:3
    assert all(v.props["runtime"].host == Ref("HostSystem", "ha-host") for v in vms)
    (ds,) = of_type(model, "Datastore")
    assert ds.props["name"] == "LocalDS_0" and ds.ref.value in ds.props["summary"].url
    assert model.get(Ref("Folder", "ha-folder-vm")).props["childType"] == ("VirtualMachine",)  # type: ignore[union-attr]
    assert counts(model)["VmwareDistributedVirtualSwitch"] == 0
    made = new_vm(sim, Ref("Folder", "ha-folder-vm"), None, Ref("HostSystem", "ha-host"),
                  "extra")
    assert made.ref.value.isdigit() and made.props["resourcePool"] == Ref(
        "ResourcePool", "ha-root-pool")
    assert made.props["network"] == (Ref("Network", "HaNetwork-VM Network"),)
    assert link_problems(model) == []


# ------------------------------------------------------------------ the internal API
@pytest.fixture
def sim() -> Simulator:
    return built(InventorySpec.for_vm_count(8))


def _dc0(sim: Simulator) -> SimObject:
    return named(sim.model, "Datacenter", "DC0")


def test_lookups(sim: Simulator) -> None:
    model = sim.model
    vm = named(model, "VirtualMachine", "DC0_C0_RP0_VM1")
    host = vm_host(sim, vm.ref)
    assert host is not None and model.get(host).props["name"].startswith("DC0_C0_H")  # type: ignore[union-attr]
    dc = _dc0(sim)
    for name, type_name in (("DC0_C0_RP0_VM1", "VirtualMachine"),
                            ("DC0_C0_H2", "HostSystem"), ("LocalDS_0", "Datastore"),
                            ("DC0_DVPG0", "DistributedVirtualPortgroup"), ("DC0", "Datacenter")):
        found = datacenter_of(sim, named(model, type_name, name).ref)
        assert found is not None and found.ref == dc.ref
    assert datacenter_of(sim, ROOT_FOLDER) is None
    assert datacenter_of(sim, Ref("VirtualMachine", "vm-999999")) is None
    assert vm_host(sim, Ref("VirtualMachine", "vm-999999")) is None
    cluster = named(model, "ClusterComputeResource", "DC0_C0")
    assert compute_resource_of(sim, vm.ref) is cluster
    assert root_pool(sim, vm.ref) == cluster.props["resourcePool"]


def test_new_vm_by_name_links_everywhere(sim: Simulator) -> None:
    model = sim.model
    dc = _dc0(sim)
    cluster = named(model, "ClusterComputeResource", "DC0_C0")
    ds = named(model, "Datastore", "LocalDS_0")
    free = ds.props["summary"].freeSpace
    before = model.version
    vm = new_vm(sim, dc.props["vmFolder"], cluster.props["resourcePool"], None, "web-1")
    assert model.version > before and model.get(vm.ref) is vm
    p = vm.props
    assert re.fullmatch(r"vm-\d+", vm.ref.value) and p["name"] == "web-1"
    assert p["runtime"].powerState == "poweredOff" and p["runtime"].bootTime is None
    assert p["guest"].ipAddress is None and p["guest"].toolsRunningStatus == "guestToolsNotRunning"
    host = p["runtime"].host
    assert host in cluster.props["host"]
    assert p["config"].files.vmPathName == "[LocalDS_0] web-1/web-1.vmx"
    disk = next(d for d in p["config"].hardware.device if isinstance(d, t.VirtualDisk))
    assert disk.backing.fileName == "[LocalDS_0] web-1/web-1.vmdk"
    assert ds.props["summary"].freeSpace == free - p["summary"].storage.committed
    assert vm.ref in model.get(dc.props["vmFolder"]).props["childEntity"]  # type: ignore[union-attr]
    assert link_problems(model) == []
    macs = [d.macAddress for o in of_type(model, "VirtualMachine")
            for d in o.props["config"].hardware.device if isinstance(d, t.VirtualEthernetCard)]
    assert len(macs) == len(set(macs)) == 9
    # The least-loaded host of the cluster takes the next one (ties: the first).
    counts_before = {h: len(model.get(h).props["vm"]) for h in cluster.props["host"]}  # type: ignore[union-attr]
    second = new_vm(sim, dc.props["vmFolder"], cluster.props["resourcePool"], None, "web-2")
    least = min(counts_before.values())
    assert counts_before[second.props["runtime"].host] == least
    assert value_problems(model) == []


def test_new_vm_from_a_spec(sim: Simulator) -> None:
    model = sim.model
    dc = _dc0(sim)
    host = named(model, "HostSystem", "DC0_H0")
    net = named(model, "Network", "VM Network")
    spec = t.VirtualMachineConfigSpec(
        name="db-1", guestId="otherLinux64Guest", numCPUs=2, memoryMB=64,
        files=t.VirtualMachineFileInfo(vmPathName="[LocalDS_0]"),
        deviceChange=(
            t.VirtualDeviceConfigSpec(operation="add", device=t.ParaVirtualSCSIController(
                key=-100, busNumber=0, sharedBus="noSharing")),
            t.VirtualDeviceConfigSpec(operation="add", fileOperation="create",
                                      device=t.VirtualDisk(
                key=-1, controllerKey=-100, capacityInKB=2048,
                backing=t.VirtualDiskFlatVer2BackingInfo(fileName="", diskMode="persistent",
                                                         thinProvisioned=True))),
            t.VirtualDeviceConfigSpec(operation="add", device=t.VirtualDisk(
                key=-2, controllerKey=-100, capacityInKB=4096,
                backing=t.VirtualDiskFlatVer2BackingInfo(fileName="", diskMode="persistent"))),
            t.VirtualDeviceConfigSpec(operation="add", device=t.VirtualE1000(
                key=-3, backing=t.VirtualEthernetCardNetworkBackingInfo(
                    deviceName="VM Network"))),
        ))
    vm = new_vm(sim, dc.props["vmFolder"], None, host.ref, spec)
    config = vm.props["config"]
    devices = {d.key: d for d in config.hardware.device}
    assert {1000, 2000, 2001, 4000} <= set(devices)
    assert devices[2000].controllerKey == devices[2001].controllerKey == 1000
    assert (devices[2000].unitNumber, devices[2001].unitNumber) == (0, 1)
    assert devices[1000].device == (2000, 2001)
    assert devices[2000].backing.fileName == "[LocalDS_0] db-1/db-1.vmdk"
    assert devices[2001].backing.fileName == "[LocalDS_0] db-1/db-1_1.vmdk"
    nic = devices[4000]
    assert isinstance(nic, t.VirtualE1000) and nic.backing.network == net.ref
    assert nic.macAddress and nic.addressType == "assigned" and nic.controllerKey == 100
    assert (config.hardware.numCPU, config.hardware.memoryMB) == (2, 64)
    assert config.guestFullName == "Other Linux (64-bit)"
    assert vm.props["network"] == (net.ref,) and vm.ref in net.props["vm"]
    assert vm.props["resourcePool"] == root_pool(sim, host.ref)
    assert vm.props["summary"].config.numVirtualDisks == 2
    assert link_problems(model) == [] and value_problems(model) == []


def test_new_vm_faults(sim: Simulator) -> None:
    model = sim.model
    folder = _dc0(sim).props["vmFolder"]
    host = named(model, "HostSystem", "DC0_H0").ref
    with pytest.raises(SimFault) as info:
        new_vm(sim, folder, None, host, "DC0_H0_VM0")
    assert isinstance(info.value.fault, t.DuplicateName) and info.value.fault.name == "DC0_H0_VM0"
    with pytest.raises(SimFault) as info:
        new_vm(sim, folder, None, host, t.VirtualMachineConfigSpec(
            name="x", files=t.VirtualMachineFileInfo(vmPathName="[nope]")))
    assert isinstance(info.value.fault, t.InvalidDatastorePath)
    with pytest.raises(SimFault) as info:
        new_vm(sim, Ref("Folder", "group-v999999"), None, host, "x")
    assert isinstance(info.value.fault, t.ManagedObjectNotFound)
    with pytest.raises(SimFault) as info:
        new_vm(sim, folder, None, None, "x")
    assert isinstance(info.value.fault, t.InvalidArgument)
    assert len(of_type(model, "VirtualMachine")) == 8


def test_power_changes_follow_through(sim: Simulator) -> None:
    model = sim.model
    vm = named(model, "VirtualMachine", "DC0_H0_VM1")
    ip = vm.props["guest"].ipAddress
    set_vm_power(sim, vm.ref, "poweredOff")
    p = vm.props
    assert (p["runtime"].powerState, p["runtime"].bootTime) == ("poweredOff", None)
    assert p["guest"].ipAddress is None and p["guest"].guestState == "notRunning"
    assert p["guestHeartbeatStatus"] == "gray" and p["summary"].quickStats.overallCpuUsage == 0
    nic = next(d for d in p["config"].hardware.device if d.key == 4000)
    assert nic.connectable.connected is False
    set_vm_power(sim, vm.ref, "poweredOn")
    p = vm.props
    assert p["runtime"].powerState == "poweredOn" and p["runtime"].bootTime is not None
    assert p["guest"].ipAddress == ip and p["summary"].guest.ipAddress == ip
    set_vm_power(sim, vm.ref, "suspended")
    assert vm.props["runtime"].suspendTime is not None
    assert vm.props["guest"].toolsRunningStatus == "guestToolsNotRunning"
    assert link_problems(model) == [] and value_problems(model) == []


def test_rename_updates_every_copy(sim: Simulator) -> None:
    model = sim.model
    vm = named(model, "VirtualMachine", "DC0_H0_VM0")
    rename_entity(sim, vm.ref, "renamed")
    assert vm.props["name"] == vm.props["config"].name == vm.props["summary"].config.name == \
        "renamed"
    pg = named(model, "DistributedVirtualPortgroup", "DC0_DVPG0")
    rename_entity(sim, pg.ref, "web-tier")
    switch = named(model, "VmwareDistributedVirtualSwitch", "DVS0")
    assert "web-tier" in switch.props["summary"].portgroupName
    assert pg.props["config"].name == pg.props["summary"].name == "web-tier"
    ds = named(model, "Datastore", "LocalDS_0")
    rename_entity(sim, ds.ref, "shared")
    assert ds.props["summary"].name == ds.props["info"].name == ds.props["info"].vmfs.name == \
        "shared"
    host = named(model, "HostSystem", "DC0_H0")
    rename_entity(sim, host.ref, "esx-1")
    assert host.props["summary"].config.name == "esx-1"
    assert link_problems(model) == []


def test_remove_a_vm_unlinks_it_and_frees_its_space(sim: Simulator) -> None:
    model = sim.model
    ds = named(model, "Datastore", "LocalDS_0")
    free = ds.props["summary"].freeSpace
    vm = named(model, "VirtualMachine", "DC0_C0_RP0_VM2")
    committed = vm.props["summary"].storage.committed
    host, pool = vm.props["runtime"].host, vm.props["resourcePool"]
    remove_entity(sim, vm.ref)
    assert model.get(vm.ref) is None
    assert vm.ref not in model.get(host).props["vm"]  # type: ignore[union-attr]
    assert vm.ref not in model.get(pool).props["vm"]  # type: ignore[union-attr]
    assert vm.ref not in ds.props["vm"]
    assert ds.props["summary"].freeSpace == free + committed
    remove_entity(sim, vm.ref)  # gone already: nothing happens
    assert link_problems(model) == []


def test_remove_containers_recursively(sim: Simulator) -> None:
    model = sim.model
    cluster = named(model, "ClusterComputeResource", "DC0_C0")
    hosts = cluster.props["host"]
    remove_entity(sim, cluster.ref)
    assert all(model.get(h) is None for h in hosts)
    assert names(model, "VirtualMachine") == {f"DC0_H0_VM{i}" for i in range(4)}
    assert len(named(model, "Datastore", "LocalDS_0").props["host"]) == 1
    switch = named(model, "VmwareDistributedVirtualSwitch", "DVS0")
    assert [m.config.host for m in switch.props["config"].host] == [
        named(model, "HostSystem", "DC0_H0").ref]
    assert link_problems(model) == []
    remove_entity(sim, named(model, "DistributedVirtualPortgroup", "DC0_DVPG0").ref)
    assert switch.props["summary"].portgroupName == ("DVS0-DVUplinks-9",)
    assert all(o.props["network"] != () for o in of_type(model, "VirtualMachine"))
    dc = _dc0(sim)
    remove_entity(sim, dc.ref)
    left = {o.type for o in model} & {*ENTITY_TYPES, *COMPANIONS}
    assert left == {"Folder"} and model.get(ROOT_FOLDER).props["childEntity"] == ()  # type: ignore[union-attr]
    assert link_problems(model) == []


def test_sync_vm_after_a_config_change(sim: Simulator) -> None:
    model = sim.model
    vm = named(model, "VirtualMachine", "DC0_H0_VM2")
    ds = named(model, "Datastore", "LocalDS_0")
    free = ds.props["summary"].freeSpace
    config = vm.props["config"]
    extra = t.VirtualDisk(key=2001, controllerKey=1000, unitNumber=1, capacityInKB=8192,
                          backing=t.VirtualDiskFlatVer2BackingInfo(
                              fileName="[LocalDS_0] DC0_H0_VM2/DC0_H0_VM2_1.vmdk",
                              diskMode="persistent", datastore=ds.ref))
    devices = (*(d.model_copy(update={"device": (2000, 2001)}) if d.key == 1000 else d
                 for d in config.hardware.device), extra)
    model.set(vm.ref, "config", config.model_copy(update={
        "hardware": config.hardware.model_copy(update={"device": devices, "numCPU": 4})}))
    sync_vm(sim, vm.ref)
    summary = vm.props["summary"]
    assert (summary.config.numVirtualDisks, summary.config.numCpu) == (2, 4)
    assert "[LocalDS_0] DC0_H0_VM2/DC0_H0_VM2_1.vmdk" in {
        f.name for f in vm.props["layoutEx"].file}
    grown = summary.storage.committed
    assert ds.props["summary"].freeSpace < free
    assert link_problems(model) == []
    assert grown == sum(f.size for f in vm.props["layoutEx"].file)


def test_links_and_moves(sim: Simulator) -> None:
    model = sim.model
    dc = _dc0(sim)
    vm_folder = dc.props["vmFolder"]
    sub = Ref("Folder", model.new_id("group-v").replace("-", "", 1))
    add_entity(sim, sub, {"name": "apps", "parent": vm_folder, "childEntity": (),
                          "childType": ("Folder", "VirtualMachine", "VirtualApp"),
                          "overallStatus": "green", "configStatus": "green"})
    link_child(sim, vm_folder, sub)
    link_child(sim, vm_folder, sub)  # once only
    assert model.get(vm_folder).props["childEntity"].count(sub) == 1  # type: ignore[union-attr]
    vm = named(model, "VirtualMachine", "DC0_H0_VM3")
    before = model.version
    move_entity(sim, vm.ref, sub)
    assert model.version > before
    assert vm.props["parent"] == sub and model.get(sub).props["childEntity"] == (vm.ref,)  # type: ignore[union-attr]
    assert vm.ref not in model.get(vm_folder).props["childEntity"]  # type: ignore[union-attr]
    assert datacenter_of(sim, vm.ref) is dc
    unlink_child(sim, sub, vm.ref)
    unlink_child(sim, sub, vm.ref)  # absent: no error
    unlink_child(sim, Ref("Folder", "group-v999999"), vm.ref)
    assert model.get(sub).props["childEntity"] == ()  # type: ignore[union-attr]


def test_build_time_for_1000_vms() -> None:
    spec = InventorySpec.for_vm_count(1000)
    sim = Simulator(spec)
    start = time.perf_counter()
    cpu = time.process_time()
    build(sim)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(of_type(sim.model, "VirtualMachine")) == spec.vm_count == 1000
    print(f"\ninventory of {spec.vm_count} VMs built in {wall:.3f} s ({cpu:.3f} s CPU)")


# ------------------------------------------------------------------ through the client
@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Simulator]:
    async with Simulator(InventorySpec.for_vm_count(8)) as sim:
        yield sim


@pytest.fixture(scope="module")
async def client(served: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(served.url, user="admin", password="pw") as c:
        yield c


async def _names_by_type(client: aiovsphere.Client) -> dict[str, set[str]]:
    async with client.container_view(["ManagedEntity"]) as view:
        records = await client.retrieve(view, ["name"], type="ManagedEntity")
    out: dict[str, set[str]] = collections.defaultdict(set)
    for r in records:
        kind = r.obj.type
        if kind == "VmwareDistributedVirtualSwitch":  # vcsim 0.24 reports the base type
            kind = "DistributedVirtualSwitch"
        out[kind].add(r.name)
    return dict(out)


async def test_names_per_type_match_vcsim(client: aiovsphere.Client, vcsim_url: str) -> None:
    ours = await _names_by_type(client)
    async with aiovsphere.connect(vcsim_url, user="u", password="p") as vcsim:
        theirs = await _names_by_type(vcsim)
    assert ours == theirs
    assert ours["VirtualMachine"] == {f"DC0_H0_VM{i}" for i in range(4)} | {
        f"DC0_C0_RP0_VM{i}" for i in range(4)}


async def test_every_property_reads_back_as_the_model_holds_it(
        served: Simulator, client: aiovsphere.Client) -> None:
    model = served.model
    picks = [next(iter(of_type(model, kind))) for kind in (*ENTITY_TYPES, *COMPANIONS)]
    for obj in picks:
        (record,) = await client.retrieve([obj.ref], None)
        read = dict(record.items())
        for name, value in obj.props.items():
            got = read.get(name)
            if value in (None, ()):
                assert got in (None, ()), (obj.ref, name)
            else:
                assert got == value, (obj.ref, name)
        if obj.type in ENTITY_TYPES:
            assert read["effectiveRole"] == (-1,)


async def test_values_decode_as_typed_objects(client: aiovsphere.Client,
                                              served: Simulator) -> None:
    vm = named(served.model, "VirtualMachine", "DC0_C0_RP0_VM0").ref
    props = await client.get_properties(vm, ["config.hardware.device", "runtime.host",
                                             "summary.storage.committed", "guest.net",
                                             "config.files.vmPathName"])
    devices = props["config.hardware.device"]
    assert any(isinstance(d, t.VirtualVmxnet3) for d in devices)
    assert any(isinstance(d, t.VirtualDisk) for d in devices)
    assert isinstance(props["runtime.host"], aiovsphere.ManagedObjectReference)
    assert props["runtime.host"].type == "HostSystem"
    assert isinstance(props["summary.storage.committed"], int)
    assert props["config.files.vmPathName"] == \
        "[LocalDS_0] DC0_C0_RP0_VM0/DC0_C0_RP0_VM0.vmx"
    assert props["guest.net"][0].ipAddress[0].startswith("10.1.")


async def test_read_only_users_see_their_role(served: Simulator) -> None:
    async with aiovsphere.connect(served.url, user="readonly-1", password="pw") as c:
        props = await c.get_properties(c.content.rootFolder, ["effectiveRole", "name"])
    assert props == {"effectiveRole": (-2,), "name": "Datacenters"}


async def test_esx_model_through_the_client() -> None:
    async with Simulator(esx=True) as sim, \
            aiovsphere.connect(sim.url, user="root", password="pw") as c:
        assert c.content.rootFolder == Ref("Folder", "ha-folder-root")
        by_type = await _names_by_type(c)
    assert by_type["Datacenter"] == {"ha-datacenter"}
    assert by_type["HostSystem"] == {"localhost.localdomain"}
    assert by_type["VirtualMachine"] == {"ha-host_VM0", "ha-host_VM1"}
    assert by_type["Network"] == {"VM Network"}
