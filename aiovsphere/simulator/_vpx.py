"""Builds the VPX (vCenter) and ESX inventories from ``sim.inventory``.

VPX, as vcsim's model names it, with vCenter's moref values::

    Datacenters (group-d1)
    └─ DC0 (datacenter-2): vm (group-v3), host (group-h4), datastore (group-s5),
       network (group-n6)
       ├─ network: VM Network (network-7), DVS0 (dvs-9: VmwareDistributedVirtualSwitch)
       │  with DVS0-DVUplinks-9 (dvportgroup-11) and DC0_DVPG0 (dvportgroup-13), then
       │  ``spec.portgroups - 1`` more portgroups DC0_DVPG1... and ``spec.networks - 1``
       │  more standard networks "VM Network 1"... (every host connects to all of them)
       ├─ host: DC0_H0 (domain-sN: ComputeResource) with host DC0_H0 (host-N) and pool
       │  Resources (resgroup-N); DC0_C0 (domain-cN: ClusterComputeResource) with hosts
       │  DC0_C0_H0..., pool Resources and its child pools DC0_C0_RP1...
       ├─ datastore: LocalDS_0 (datastore-N), VMFS, mounted on every host of the DC
       └─ vm: DC0_H0_VM0... (on each standalone host), DC0_C0_RP0_VM0... (in each
          cluster's root pool, hosts taken in turn), powered on, NIC on DC0_DVPG0
          (on "VM Network" without a DVS), files on the DC's datastores in turn

Moref numbers come from one counter (:meth:`Model.new_id`), in vcsim's order: ids vcsim
spends on the tasks that create the switch and its portgroups are skipped, so the default
inventory's first morefs (and so the uplink portgroup's name ``DVS0-DVUplinks-9``) are
vcsim's.

ESX (``spec.esx_host``), as ESXi names things: root folder ``ha-folder-root``,
``ha-datacenter`` with ``ha-folder-vm``/``-host``/``-datastore``/``-network``, compute
resource ``ha-compute-res`` and host ``ha-host`` (both ``localhost.localdomain``), pool
``ha-root-pool``, network ``HaNetwork-VM Network`` (and ``HaNetwork-VM Network 1``... with
``spec.networks`` > 1), datastore ``LocalDS_0`` (moref: its
VMFS UUID), VMs ``ha-host_VM0``... with numeric morefs (``vim.VirtualMachine:3``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator import _inv_values as v
from aiovsphere.simulator._inv_api import make_vm_props, state
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._service import ROOT_FOLDER, SERVICE_INSTANCE
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._inv_api import InventoryState
    from aiovsphere.simulator._server import Simulator

__all__ = ["build_inventory"]

_FILE_QUERIES: tuple[t.FileQuery, ...] | None = None


def _file_queries() -> tuple[t.FileQuery, ...]:
    global _FILE_QUERIES
    if _FILE_QUERIES is None:
        _FILE_QUERIES = (
            t.FolderFileQuery(), t.VmConfigFileQuery(), t.TemplateConfigFileQuery(),
            t.VmDiskFileQuery(), t.VmLogFileQuery(), t.VmNvramFileQuery(),
            t.VmSnapshotFileQuery(), t.IsoImageFileQuery(), t.FloppyImageFileQuery())
    return _FILE_QUERIES


@dataclass
class _Host:
    ref: Ref
    name: str
    cr: Ref
    vms: list[Ref] = field(default_factory=list)


@dataclass
class _Compute:
    ref: Ref
    name: str
    pool: Ref
    hosts: list[_Host]
    children: list[tuple[Ref, str]] = field(default_factory=list)  # child pools
    vms: list[Ref] = field(default_factory=list)  # VMs in the root pool

    @property
    def cluster(self) -> bool:
        return self.ref.type == "ClusterComputeResource"


@dataclass
class _Datacenter:
    """One datacenter's morefs, gathered before the objects are made (links need all)."""

    ref: Ref
    name: str
    parent: Ref
    vm_folder: Ref
    host_folder: Ref
    ds_folder: Ref
    net_folder: Ref
    standard: list[Ref]  # standard networks: "VM Network", "VM Network 1"...
    dvs: Ref | None = None
    uplink: Ref | None = None
    portgroups: list[Ref] = field(default_factory=list)  # DC0_DVPG0, DC0_DVPG1...
    computes: list[_Compute] = field(default_factory=list)
    datastores: list[tuple[Ref, str, str]] = field(default_factory=list)  # ref, name, uuid
    vms: list[Ref] = field(default_factory=list)
    ds_vms: dict[Ref, list[Ref]] = field(default_factory=dict)
    usage: dict[Ref, list[int]] = field(default_factory=dict)  # committed, uncommitted
    esx: bool = False

    @property
    def hosts(self) -> list[_Host]:
        return [h for c in self.computes for h in c.hosts]

    @property
    def network(self) -> Ref:
        """The first standard network ("VM Network": the VMs' without a switch)."""
        return self.standard[0]

    @property
    def portgroup(self) -> Ref | None:
        """The first portgroup (``DC0_DVPG0``: the VMs'), ``None`` without a switch."""
        return self.portgroups[0] if self.portgroups else None

    @property
    def networks(self) -> tuple[Ref, ...]:
        """What a host of this datacenter connects to (and the datacenter lists): the
        standard networks, then the switch's uplink portgroup and portgroups."""
        if self.uplink is not None and self.portgroups:
            return (*self.standard, self.uplink, *self.portgroups)
        return tuple(self.standard)


def _network_name(index: int) -> str:
    """The name of standard network ``index``: "VM Network", "VM Network 1"..."""
    return "VM Network" if index == 0 else f"VM Network {index}"


def build_inventory(sim: Simulator) -> None:
    """Add the inventory ``sim.inventory`` describes to ``sim.model`` (full garbage
    collections are deferred meanwhile: a big inventory is hundreds of thousands of
    long-lived objects that each full pass would walk again)."""
    from aiovsphere._gc import deferred_full_collections

    st = state(sim)
    with deferred_full_collections():
        if sim.inventory.esx_host:
            _build_esx(sim, st)
        else:
            _build_vpx(sim, st)


# --------------------------------------------------------------------------- VPX
def _build_vpx(sim: Simulator, st: InventoryState) -> None:
    spec = sim.inventory
    model = sim.model

    def new(prefix: str) -> str:
        """The next moref value: ``datacenter-2``, ``group-v3``, ``domain-c8``."""
        number = model.new_id("x").rsplit("-", 1)[1]
        return f"{prefix}{number}" if prefix.endswith(("-v", "-h", "-s", "-n", "-c", "-d")) \
            else f"{prefix}-{number}"

    new("group-d")  # the root folder is group-d1
    dcs: list[_Datacenter] = []
    for d in range(spec.datacenters):
        name = f"DC{d}"
        dc = _Datacenter(
            ref=Ref("Datacenter", new("datacenter")), name=name, parent=ROOT_FOLDER,
            vm_folder=Ref("Folder", new("group-v")), host_folder=Ref("Folder", new("group-h")),
            ds_folder=Ref("Folder", new("group-s")), net_folder=Ref("Folder", new("group-n")),
            standard=[Ref("Network", new("network"))])
        if spec.dvs:
            new("task")  # vcsim: CreateDVS_Task
            dc.dvs = Ref("VmwareDistributedVirtualSwitch", new("dvs"))
            new("task")  # vcsim: AddDVPortgroup_Task (uplinks)
            dc.uplink = Ref("DistributedVirtualPortgroup", new("dvportgroup"))
            for _ in range(spec.portgroups):
                new("task")  # vcsim: AddDVPortgroup_Task
                dc.portgroups.append(Ref("DistributedVirtualPortgroup", new("dvportgroup")))
        dc.standard += [Ref("Network", new("network")) for _ in range(1, spec.networks)]
        for h in range(spec.hosts):
            host_name = f"{name}_H{h}"
            cr = Ref("ComputeResource", new("domain-s"))
            host = _Host(Ref("HostSystem", new("host")), host_name, cr)
            dc.computes.append(_Compute(cr, host_name, Ref("ResourcePool", new("resgroup")),
                                        [host]))
        for c in range(spec.clusters):
            cluster_name = f"{name}_C{c}"
            cr = Ref("ClusterComputeResource", new("domain-c"))
            pool = Ref("ResourcePool", new("resgroup"))
            hosts = [_Host(Ref("HostSystem", new("host")), f"{cluster_name}_H{h}", cr)
                     for h in range(spec.cluster_hosts)]
            compute = _Compute(cr, cluster_name, pool, hosts)
            compute.children = [(Ref("ResourcePool", new("resgroup")), f"{cluster_name}_RP{i}")
                                for i in range(1, spec.resource_pools + 1)]
            dc.computes.append(compute)
        dc.datastores = [(Ref("Datastore", new("datastore")), f"LocalDS_{i}",
                          v.content_uuid(st.seed, f"{name}/{i}"))
                         for i in range(spec.datastores)]
        dcs.append(dc)
    objects: list[SimObject] = []
    for dc in dcs:
        _register_networks(st, dc)
        _make_vms(sim, st, dc, objects)
    for dc in dcs:
        _make_datacenter(sim, st, dc, objects)
    root = _entity_obj(ROOT_FOLDER, "Datacenters", None, {
        "childEntity": tuple(dc.ref for dc in dcs), "childType": ("Folder", "Datacenter"),
        "permission": v.root_permissions(ROOT_FOLDER)})
    for obj in [root, *objects]:
        model.add(obj)


# --------------------------------------------------------------------------- ESX
def _build_esx(sim: Simulator, st: InventoryState) -> None:
    spec = sim.inventory
    root = Ref("Folder", "ha-folder-root")
    volume = v.content_uuid(st.seed, "ha-datacenter/0")
    host = _Host(Ref("HostSystem", "ha-host"), "localhost.localdomain",
                 Ref("ComputeResource", "ha-compute-res"))
    dc = _Datacenter(
        ref=Ref("Datacenter", "ha-datacenter"), name="ha-datacenter", parent=root,
        vm_folder=Ref("Folder", "ha-folder-vm"), host_folder=Ref("Folder", "ha-folder-host"),
        ds_folder=Ref("Folder", "ha-folder-datastore"),
        net_folder=Ref("Folder", "ha-folder-network"),
        standard=[Ref("Network", f"HaNetwork-{_network_name(i)}")
                  for i in range(spec.networks)], esx=True,
        computes=[_Compute(host.cr, host.name, Ref("ResourcePool", "ha-root-pool"), [host])],
    )
    dc.datastores = [(Ref("Datastore", volume if i == 0 else v.content_uuid(
        st.seed, f"ha-datacenter/{i}")), f"LocalDS_{i}", volume if i == 0 else
        v.content_uuid(st.seed, f"ha-datacenter/{i}")) for i in range(max(1, spec.datastores))]
    objects: list[SimObject] = []
    _register_networks(st, dc)
    _make_vms(sim, st, dc, objects, names=[f"ha-host_VM{i}" for i in range(spec.vms)])
    _make_datacenter(sim, st, dc, objects)
    root_obj = _entity_obj(root, "ha-folder-root", None, {
        "childEntity": (dc.ref,), "childType": ("Datacenter",)})
    for obj in [root_obj, *objects]:
        sim.model.add(obj)
    sim.model.set(SERVICE_INSTANCE, "content.rootFolder", root)


# --------------------------------------------------------------------------- pieces
def _entity_obj(ref: Ref, name: str, parent: Ref | None, extra: dict[str, Any]) -> SimObject:
    from aiovsphere.simulator._inv_api import effective_role

    props = v.entity(name, parent)
    props.update(extra)
    return SimObject(ref, props, dynamic={"effectiveRole": effective_role})


def _register_networks(st: InventoryState, dc: _Datacenter) -> None:
    """The datacenter's default NIC target and the datastores' URL pairs."""
    if dc.portgroup is not None and dc.dvs is not None:  # the VMs' NICs: DC0_DVPG0
        st.nic_targets[dc.ref] = v.DvsNic(
            dc.portgroup, f"{dc.name}_DVPG0", switch_uuid=v.dvs_uuid(st.seed, dc.dvs.value),
            portgroup_key=dc.portgroup.value)
    else:
        st.nic_targets[dc.ref] = v.DvsNic(dc.network, "VM Network")
    for ref, name, volume in dc.datastores:
        st.ds_urls[ref] = t.VirtualMachineConfigInfoDatastoreUrlPair(
            name=name, url=f"/vmfs/volumes/{volume}")


def _make_vms(sim: Simulator, st: InventoryState, dc: _Datacenter, out: list[SimObject],
              names: list[str] | None = None) -> None:
    """The datacenter's VMs (``sim.inventory.vms`` per standalone host and per cluster)."""
    spec = sim.inventory
    target = st.nic_targets[dc.ref]
    network_name = "VM Network" if dc.portgroup is None else f"{dc.name}_DVPG0"
    placements: list[tuple[str, _Compute, _Host]] = []
    for compute in dc.computes:
        if compute.cluster:
            for i in range(spec.vms):
                placements.append((f"{compute.name}_RP0_VM{i}", compute,
                                   compute.hosts[i % len(compute.hosts)]
                                   if compute.hosts else _no_host(compute)))
        else:
            host = compute.hosts[0]
            for i in range(spec.vms):
                placements.append((names[i] if names is not None else f"{host.name}_VM{i}",
                                   compute, host))
    env = {c.ref: _env_browser(c.ref) for c in dc.computes}
    on = True
    for index, (name, compute, host) in enumerate(placements):
        ds_ref, ds_name, _ = dc.datastores[index % len(dc.datastores)]
        ref = Ref("VirtualMachine", sim.model.new_id("vm"))
        if dc.esx:
            ref = Ref("VirtualMachine", ref.value.split("-", 1)[1])
        st.vm_serial += 1
        mac = v.mac_address(st.seed, st.vm_serial)
        vmx = f"[{ds_name}] {name}/{name}.vmx"
        devices = v.default_devices(f"[{ds_name}] {name}/{name}.vmdk", ds_ref, mac, target,
                                    on, v.det_uuid(st.seed, "disk", ref.value, "6000C29"))
        props, derived = make_vm_props(
            sim, ref, name=name, folder=dc.vm_folder, pool=compute.pool, host=host.ref,
            vmx=vmx, vmx_ds=ds_ref, devices=devices, power="poweredOn", mac=mac,
            ip=v.vm_ip(st.vm_serial), env_browser=env[compute.ref], network_name=network_name)
        out.append(_vm_obj(ref, props))
        dc.vms.append(ref)
        host.vms.append(ref)
        compute.vms.append(ref)
        for ds, (c, u) in derived.usage.items():
            row = dc.usage.setdefault(ds, [0, 0])
            row[0] += c
            row[1] += u
            dc.ds_vms.setdefault(ds, []).append(ref)


def _no_host(compute: _Compute) -> _Host:
    raise ValueError(f"cluster {compute.name} has no hosts for its VMs "
                     "(InventorySpec.cluster_hosts is 0)")


def _vm_obj(ref: Ref, props: dict[str, Any]) -> SimObject:
    from aiovsphere.simulator._inv_api import effective_role

    return SimObject(ref, props, dynamic={"effectiveRole": effective_role})


def _env_browser(cr: Ref) -> Ref:
    if cr.value == "ha-compute-res":
        return Ref("EnvironmentBrowser", "ha-env-browser")
    return Ref("EnvironmentBrowser", f"envbrowser-{cr.value.rsplit('-', 1)[-1]}")


def _make_datacenter(sim: Simulator, st: InventoryState, dc: _Datacenter,
                     out: list[SimObject]) -> None:
    """Everything of ``dc`` but its VMs: folders, networks, switch, hosts, compute
    resources, pools, datastores (with the VM lists now known)."""
    esx = dc.esx
    ds_refs = tuple(ref for ref, _, _ in dc.datastores)
    hosts = dc.hosts
    host_refs = tuple(h.ref for h in hosts)
    networks = dc.networks
    uses_dvs = dc.portgroup is not None
    net_vms = () if uses_dvs else tuple(dc.vms)
    when = st.boot
    # The datacenter and its folders.
    out.append(_entity_obj(dc.ref, dc.name, dc.parent, {
        "vmFolder": dc.vm_folder, "hostFolder": dc.host_folder,
        "datastoreFolder": dc.ds_folder, "networkFolder": dc.net_folder,
        "datastore": ds_refs, "network": networks,
        "configuration": t.DatacenterConfigInfo(defaultHardwareVersionKey=None,
                                                maximumHardwareVersionKey="vmx-21"),
    }))
    net_children: list[Ref] = list(dc.standard)
    if dc.dvs is not None and dc.uplink is not None and dc.portgroups:
        net_children += [dc.dvs, dc.uplink, *dc.portgroups]
    folders = (
        (dc.vm_folder, "vm", tuple(dc.vms), ("Folder", "VirtualMachine", "VirtualApp")),
        (dc.host_folder, "host", tuple(c.ref for c in dc.computes),
         ("Folder", "ComputeResource")),
        (dc.ds_folder, "datastore", ds_refs, ("Folder", "Datastore", "StoragePod")),
        (dc.net_folder, "network", tuple(net_children),
         ("Folder", "Network", "DistributedVirtualSwitch")),
    )
    for ref, name, children, all_types in folders:
        child_type: tuple[str, ...] = all_types
        if esx:
            child_type = tuple(c for c in child_type if c not in (
                "Folder", "VirtualApp", "StoragePod", "DistributedVirtualSwitch"))
        out.append(_entity_obj(ref, name, dc.ref, {"childEntity": children,
                                                   "childType": child_type}))
    # Networks.
    for i, net in enumerate(dc.standard):
        out.append(_entity_obj(net, _network_name(i), dc.net_folder, {
            "summary": v.network_summary(net, _network_name(i)), "host": host_refs,
            "vm": net_vms if i == 0 else ()}))
    if dc.dvs is not None and dc.uplink is not None and dc.portgroups:
        switch_name = "DVS0"
        uplink_name = f"{switch_name}-DVUplinks-{dc.dvs.value.rsplit('-', 1)[-1]}"
        uuid = v.dvs_uuid(st.seed, dc.dvs.value)
        uplink_ports = max(4, 4 * len(hosts))
        # Port keys: DC0_DVPG0 0-7, the uplinks' next, then 8 for each further portgroup.
        pgs: list[tuple[Ref, str, bool, int, int, tuple[Ref, ...]]] = [
            (dc.uplink, uplink_name, True, uplink_ports, 8, ())]
        for i, pg in enumerate(dc.portgroups):
            first = 0 if i == 0 else 8 + uplink_ports + 8 * (i - 1)
            pgs.append((pg, f"{dc.name}_DVPG{i}", False, 8, first,
                        tuple(dc.vms) if i == 0 else ()))
        switch_values = v.dvs_values(
            dc.dvs, switch_name, uuid, host_refs, [(pg, name) for pg, name, *_ in pgs],
            dc.uplink, uplink_ports + 8 * len(dc.portgroups), when)
        out.append(_entity_obj(dc.dvs, switch_name, dc.net_folder, {
            **switch_values, "portgroup": tuple(pg for pg, *_ in pgs)}))
        for pg, name, uplink, ports, first, vms in pgs:
            out.append(_entity_obj(pg, name, dc.net_folder, {
                "key": pg.value,
                "config": v.portgroup_config(pg, name, dc.dvs, uplink=uplink, num_ports=ports,
                                             when=when),
                "summary": v.network_summary(pg, name), "host": host_refs, "vm": vms,
                "portKeys": tuple(str(i) for i in range(first, first + ports))}))
    # Compute resources, hosts, pools.
    for compute in dc.computes:
        _make_compute(sim, st, dc, compute, out)
    # Datastores.
    for ref, name, volume in dc.datastores:
        committed, uncommitted = dc.usage.get(ref, [0, 0])
        values = v.datastore_values(ref, name, volume, free=v.DATASTORE_BYTES - committed,
                                    uncommitted=uncommitted, when=when)
        browser = (Ref("HostDatastoreBrowser", "ha-host-datastorebrowser") if esx else
                   Ref("HostDatastoreBrowser", f"datastoreBrowser-{ref.value}"))
        obj = _entity_obj(ref, name, dc.ds_folder, {
            **values, "browser": browser, "host": v.datastore_mounts(host_refs, volume),
            "vm": tuple(dc.ds_vms.get(ref, ())), "iormConfiguration": None})
        if not esx:
            out.append(SimObject(browser, {"datastore": (ref,),
                                           "supportedType": _file_queries()}))
            obj.data["companions"] = (browser,)
        out.append(obj)


def _make_compute(sim: Simulator, st: InventoryState, dc: _Datacenter, compute: _Compute,
                  out: list[SimObject]) -> None:
    esx = dc.esx
    ds_refs = tuple(ref for ref, _, _ in dc.datastores)
    networks = dc.networks
    host_refs = tuple(h.ref for h in compute.hosts)
    when = st.boot
    n_hosts = len(compute.hosts)
    env = _env_browser(compute.ref)
    props: dict[str, Any] = {
        "resourcePool": compute.pool, "host": host_refs, "datastore": ds_refs,
        "network": networks, "environmentBrowser": env,
        "summary": v.compute_summary(n_hosts, cluster=compute.cluster),
        "configurationEx": v.cluster_config_ex() if compute.cluster else v.compute_config_ex(),
        "lifecycleManaged": False,
    }
    if compute.cluster:
        props.update({
            "configuration": v.cluster_config(), "summaryEx": props["summary"],
            "recommendation": (), "drsRecommendation": (), "migrationHistory": (),
            "actionHistory": (), "drsFault": ()})
    cr_obj = _entity_obj(compute.ref, compute.name, dc.host_folder, props)
    first_browser = (Ref("HostDatastoreBrowser", "ha-host-datastorebrowser") if esx else
                     Ref("HostDatastoreBrowser", f"datastoreBrowser-{host_refs[0].value}")
                     if host_refs else None)
    out.append(SimObject(env, {"datastoreBrowser": first_browser}))
    cr_obj.data["companions"] = (env,)
    out.append(cr_obj)
    # Pools: the root pool "Resources" and its children.
    runtime = v.pool_runtime(n_hosts)
    root_config = v.pool_config(compute.pool, root=True, hosts=n_hosts, when=when)
    child_configs = [v.pool_config(ref, root=False, hosts=n_hosts, when=when)
                     for ref, _ in compute.children]
    out.append(_entity_obj(compute.pool, "Resources", compute.ref, {
        "owner": compute.ref, "config": root_config, "runtime": runtime,
        "summary": v.pool_summary("Resources", root_config, runtime),
        "resourcePool": tuple(ref for ref, _ in compute.children),
        "vm": tuple(compute.vms), "childConfiguration": tuple(child_configs),
        "namespace": None}))
    for (ref, name), config in zip(compute.children, child_configs, strict=True):
        out.append(_entity_obj(ref, name, compute.pool, {
            "owner": compute.ref, "config": config, "runtime": runtime,
            "summary": v.pool_summary(name, config, runtime), "resourcePool": (),
            "vm": (), "childConfiguration": (), "namespace": None}))
    for host in compute.hosts:
        _make_host(sim, st, dc, host, out)


def _make_host(sim: Simulator, st: InventoryState, dc: _Datacenter, host: _Host,
               out: list[SimObject]) -> None:
    esx = dc.esx
    ref = host.ref
    st.host_serial += 1
    serial = st.host_serial
    ds_refs = tuple(r for r, _, _ in dc.datastores)
    uuid = v.det_uuid(st.seed, "host", ref.value)
    ip = "127.0.0.1" if esx else v.host_ip(serial)
    mac_tail = v.det_uuid(st.seed, "host-mac", ref.value)[:6]
    mac = f"00:0c:29:{mac_tail[0:2]}:{mac_tail[2:4]}:{mac_tail[4:6]}"
    hardware = v.host_hardware(uuid)
    runtime = v.host_runtime(st.boot)
    network = v.host_network(ip, mac, [_network_name(i) for i in range(len(dc.standard))])
    if esx:
        ds_system = Ref("HostDatastoreSystem", "ha-datastoresystem")
        net_system = Ref("HostNetworkSystem", "networkSystem")
        browser = Ref("HostDatastoreBrowser", "ha-host-datastorebrowser")
    else:
        number = ref.value.rsplit("-", 1)[-1]
        ds_system = Ref("HostDatastoreSystem", f"datastoreSystem-{number}")
        net_system = Ref("HostNetworkSystem", f"networkSystem-{number}")
        browser = Ref("HostDatastoreBrowser", f"datastoreBrowser-{ref.value}")
    obj = _entity_obj(ref, host.name, host.cr, {
        "runtime": runtime,
        "summary": v.host_summary(ref, host.name, v.hardware_summary(hardware), runtime,
                                  management_ip=None if esx else "127.0.0.1"),
        "hardware": hardware,
        "capability": None,
        "config": v.host_config(ref, network),
        "configManager": t.HostConfigManager(datastoreSystem=ds_system,
                                             networkSystem=net_system),
        "licensableResource": t.HostLicensableResourceInfo(resource=(
            t.KeyAnyValue(key="numCpuPackages", value=v.HOST_CPU_PKGS),
            t.KeyAnyValue(key="numCpuCores", value=v.HOST_CPU_CORES))),
        "datastoreBrowser": browser,
        "datastore": ds_refs,
        "network": dc.networks,
        "vm": tuple(host.vms),
        "systemResources": None,
    })
    out.append(SimObject(ds_system, {
        "datastore": ds_refs,
        "capabilities": t.HostDatastoreSystemCapabilities(
            nfsMountCreationRequired=True, nfsMountCreationSupported=True,
            localDatastoreSupported=False, vmfsExtentExpansionSupported=True)}))
    out.append(SimObject(net_system, {
        "networkInfo": network, "dnsConfig": network.dnsConfig,
        "ipRouteConfig": network.ipRouteConfig,
        "capabilities": t.HostNetCapabilities(
            canSetPhysicalNicLinkSpeed=True, supportsNicTeaming=True,
            nicTeamingPolicy=("loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid",
                              "failover_explicit"),
            supportsVlan=True, usesServiceConsoleNic=False, supportsNetworkHints=True,
            maxPortGroupsPerVswitch=None, vswitchConfigSupported=True,
            vnicConfigSupported=True, ipRouteConfigSupported=True, dnsConfigSupported=True,
            dhcpOnVnicSupported=True, ipV6Supported=True)}))
    out.append(SimObject(browser, {"datastore": ds_refs, "supportedType": _file_queries()}))
    obj.data["companions"] = (ds_system, net_system, browser)
    out.append(obj)
