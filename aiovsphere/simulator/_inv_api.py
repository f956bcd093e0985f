"""Inventory operations the method handlers share: lookups, links, VM creation, removal.

Every change goes through ``sim.model`` (:meth:`~aiovsphere.simulator._model.Model.add`,
``remove``, ``update``), so property-collector waiters see it. The functions keep the
inventory's two-way links consistent: a VM is in its folder's ``childEntity``, its pool's
and its host's ``vm``, its datastores' and networks' ``vm``; a datastore's ``freeSpace``
follows the VM files on it; values that repeat elsewhere (``summary.config.name``,
``summary.runtime``...) change together.

- :func:`vm_host`, :func:`datacenter_of`, :func:`compute_resource_of`, :func:`root_pool`
- :func:`link_child`, :func:`unlink_child`, :func:`move_entity`
- :func:`new_vm` (CreateVM_Task, CloneVM_Task), :func:`remove_entity` (Destroy_Task)
- :func:`rename_entity`, :func:`set_vm_power`, :func:`sync_vm` (after ReconfigVM_Task)
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator import _inv_values as v
from aiovsphere.simulator._context import SimFault, fault, now
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._server import Simulator

__all__ = [
    "InventoryState",
    "add_entity",
    "compute_resource_of",
    "datacenter_of",
    "effective_role",
    "link_child",
    "make_vm_props",
    "move_entity",
    "new_vm",
    "remove_entity",
    "rename_entity",
    "root_pool",
    "set_vm_power",
    "state",
    "sync_vm",
    "unlink_child",
    "vm_host",
]

_STATE = "_inventory_state"

# vCenter's device key ranges by device kind (first key of each range).
_KEY_BASE: tuple[tuple[str, int], ...] = (
    ("VirtualIDEController", 200), ("VirtualPS2Controller", 300),
    ("VirtualSIOController", 400), ("VirtualMachineVideoCard", 500),
    ("VirtualKeyboard", 600), ("VirtualPointingDevice", 700),
    ("VirtualSCSIController", 1000), ("VirtualDisk", 2000), ("VirtualCdrom", 3000),
    ("VirtualEthernetCard", 4000), ("VirtualUSBController", 7000),
    ("VirtualFloppy", 8000), ("VirtualSerialPort", 9000), ("VirtualParallelPort", 10000),
    ("VirtualSATAController", 15000), ("VirtualNVMEController", 31000),
)
_GUEST_NAMES = {
    "otherGuest": "Other (32-bit)", "otherGuest64": "Other (64-bit)",
    "otherLinux64Guest": "Other Linux (64-bit)", "otherLinuxGuest": "Other Linux (32-bit)",
    "ubuntu64Guest": "Ubuntu Linux (64-bit)", "centos8_64Guest": "CentOS 8 (64-bit)",
    "rhel9_64Guest": "Red Hat Enterprise Linux 9 (64-bit)",
    "debian12_64Guest": "Debian GNU/Linux 12 (64-bit)",
    "windows2019srv_64Guest": "Microsoft Windows Server 2019 (64-bit)",
    "windows2019srvNext_64Guest": "Microsoft Windows Server 2022 (64-bit)",
    "windows9_64Guest": "Microsoft Windows 10 (64-bit)",
}


class InventoryState:
    """What the inventory builder and these functions keep between calls (per simulator):
    the seed, the boot time of the build, counters for guest IPs and MACs, each
    datacenter's default NIC target, and caches of shared values."""

    def __init__(self, sim: Simulator) -> None:
        self.seed = sim.seed
        self.esx = sim.inventory.esx_host
        self.boot = now()
        self.vm_serial = 0
        self.host_serial = 0
        self.nic_targets: dict[Ref, v.DvsNic] = {}  # datacenter -> default NIC backing
        self.runtimes: dict[tuple[Ref | None, str], t.VirtualMachineRuntimeInfo] = {}
        self.storage: dict[tuple[int, int], t.VirtualMachineStorageSummary] = {}
        self.storage_info: dict[tuple[tuple[Ref, int, int], ...], t.VirtualMachineStorageInfo] = {}
        self.ds_urls: dict[Ref, t.VirtualMachineConfigInfoDatastoreUrlPair] = {}
        self.quick: dict[tuple[str, int], t.VirtualMachineQuickStats] = {}

    def runtime(self, host: Ref | None, power: str) -> t.VirtualMachineRuntimeInfo:
        """The (shared) runtime of a VM on ``host`` in ``power`` state, booted at build."""
        key = (host, power)
        value = self.runtimes.get(key)
        if value is None:
            value = self.runtimes[key] = v.vm_runtime(host, power, self.boot)
        return value

    def quick_stats(self, power: str, memory_mb: int) -> t.VirtualMachineQuickStats:
        key = (power, memory_mb)
        value = self.quick.get(key)
        if value is None:
            value = self.quick[key] = v.quick_stats(power, memory_mb)
        return value

    def storage_summary(self, committed: int, uncommitted: int
                        ) -> t.VirtualMachineStorageSummary:
        key = (committed, uncommitted)
        value = self.storage.get(key)
        if value is None:
            value = self.storage[key] = v.storage_summary(committed, uncommitted, self.boot)
        return value

    def storage_of(self, usage: dict[Ref, tuple[int, int]]) -> t.VirtualMachineStorageInfo:
        key = tuple((ds, c, u) for ds, (c, u) in usage.items())
        value = self.storage_info.get(key)
        if value is None:
            value = self.storage_info[key] = v.storage_info(usage, self.boot)
        return value


def state(sim: Simulator) -> InventoryState:
    """The inventory state of ``sim`` (made on first use)."""
    st: InventoryState | None = sim.__dict__.get(_STATE)
    if st is None:
        st = sim.__dict__[_STATE] = InventoryState(sim)
    return st


def effective_role(ctx: Context) -> tuple[int, ...]:
    """``effectiveRole`` as the caller sees it: Admin (-1), or ReadOnly (-2)."""
    session = ctx.session
    return (-2,) if session is not None and session.read_only else (-1,)


def add_entity(sim: Simulator, ref: Ref, props: dict[str, Any]) -> SimObject:
    """Add a managed entity (``effectiveRole`` served per session) to the model."""
    return sim.model.add(SimObject(ref, props, dynamic={"effectiveRole": effective_role}))


# ------------------------------------------------------------------------- lookups
def _obj(sim: Simulator, ref: Ref) -> SimObject:
    obj = sim.model.get(ref)
    if obj is None:
        raise fault("ManagedObjectNotFound", obj=ref)
    return obj


def vm_host(sim: Simulator, vm: Ref) -> Ref | None:
    """The host a VM runs on (``runtime.host``), ``None`` for an unknown VM."""
    obj = sim.model.get(vm)
    if obj is None:
        return None
    runtime = obj.props.get("runtime")
    return runtime.host if runtime is not None else None


def datacenter_of(sim: Simulator, ref: Ref) -> SimObject | None:
    """The Datacenter that holds ``ref`` (itself for a datacenter), ``None`` above one."""
    obj = sim.model.get(ref)
    seen = 0
    while obj is not None and seen < 1000:
        if obj.type == "Datacenter":
            return obj
        parent = obj.props.get("parent")
        if parent is None and obj.type == "VirtualMachine":
            parent = obj.props.get("parentVApp")
        if parent is None:
            return None
        obj = sim.model.get(parent)
        seen += 1
    return None


def compute_resource_of(sim: Simulator, ref: Ref) -> SimObject | None:
    """The (Cluster)ComputeResource of a host, pool or VM (``None`` if none)."""
    obj = sim.model.get(ref)
    if obj is None:
        return None
    if obj.type == "VirtualMachine":
        pool = obj.props.get("resourcePool")
        if pool is None:
            host = vm_host(sim, ref)
            return compute_resource_of(sim, host) if host is not None else None
        return compute_resource_of(sim, pool)
    if obj.type == "HostSystem":
        parent = obj.props.get("parent")
        return sim.model.get(parent) if parent is not None else None
    if obj.type in ("ResourcePool", "VirtualApp"):
        owner = obj.props.get("owner")
        return sim.model.get(owner) if owner is not None else None
    if obj.type in ("ComputeResource", "ClusterComputeResource"):
        return obj
    return None


def root_pool(sim: Simulator, ref: Ref) -> Ref | None:
    """The root resource pool of the compute resource of ``ref`` (host, pool, VM...)."""
    cr = compute_resource_of(sim, ref)
    return cr.props.get("resourcePool") if cr is not None else None


def _children_named(sim: Simulator, folder: SimObject, name: str) -> SimObject | None:
    for child in folder.props.get("childEntity", ()):
        obj = sim.model.get(child)
        if obj is not None and obj.props.get("name") == name:
            return obj
    return None


# ------------------------------------------------------------------------- links
def link_child(sim: Simulator, parent: Ref, child: Ref, prop: str = "childEntity", *,
               set_parent: bool = False) -> None:
    """Append ``child`` to ``parent``'s array property ``prop`` (once); with
    ``set_parent``, also point ``child.parent`` at ``parent``."""
    obj = _obj(sim, parent)
    items = tuple(obj.props.get(prop) or ())
    if child not in items:
        sim.model.update(parent, {prop: (*items, child)})
    if set_parent:
        sim.model.update(child, {"parent": parent})


def unlink_child(sim: Simulator, parent: Ref, child: Ref, prop: str = "childEntity") -> None:
    """Remove ``child`` from ``parent``'s array property ``prop`` (no error if absent,
    or if ``parent`` is gone)."""
    obj = sim.model.get(parent)
    if obj is None:
        return
    items = tuple(obj.props.get(prop) or ())
    if child in items:
        sim.model.update(obj.ref, {prop: tuple(i for i in items if i != child)})


def move_entity(sim: Simulator, ref: Ref, new_parent: Ref) -> None:
    """Move an entity into folder ``new_parent`` (MoveIntoFolder_Task): unlinked from
    the old parent's ``childEntity``, linked into the new one, ``parent`` updated.
    Raises the ManagedObjectNotFound SimFault, changing nothing, when either is gone."""
    obj = _obj(sim, ref)
    _obj(sim, new_parent)
    old = obj.props.get("parent")
    if old is not None:
        unlink_child(sim, old, ref)
    link_child(sim, new_parent, ref, set_parent=True)


# ------------------------------------------------------------------------- renames
def rename_entity(sim: Simulator, ref: Ref, name: str) -> None:
    """Set ``name`` and the copies of it other properties hold (``config.name`` and
    ``summary.config.name`` of a VM, ``summary.name`` of datastores, networks and pools,
    ``summary.config.name`` of a host, ``config.name`` of switches and portgroups)."""
    obj = _obj(sim, ref)
    p = obj.props
    changes: dict[str, Any] = {"name": name}
    kind = obj.type
    if kind == "VirtualMachine":
        if p.get("config") is not None:
            changes["config"] = p["config"].model_copy(update={"name": name})
        summary = p.get("summary")
        if summary is not None and summary.config is not None:
            changes["summary"] = summary.model_copy(update={
                "config": summary.config.model_copy(update={"name": name})})
    elif kind == "HostSystem":
        summary = p.get("summary")
        if summary is not None:
            changes["summary"] = summary.model_copy(update={
                "config": summary.config.model_copy(update={"name": name})})
    elif kind == "Datastore":
        changes["summary"] = p["summary"].model_copy(update={"name": name})
        info = p["info"]
        update: dict[str, Any] = {"name": name}
        if getattr(info, "vmfs", None) is not None:
            update["vmfs"] = info.vmfs.model_copy(update={"name": name})
        changes["info"] = info.model_copy(update=update)
    elif kind in ("Network", "DistributedVirtualPortgroup", "OpaqueNetwork"):
        changes["summary"] = p["summary"].model_copy(update={"name": name})
        if kind == "DistributedVirtualPortgroup":
            changes["config"] = p["config"].model_copy(update={"name": name})
            switch = p["config"].distributedVirtualSwitch
            sw = sim.model.get(switch) if switch is not None else None
            if sw is not None:
                names = tuple(name if pg == ref else _name(sim, pg)
                              for pg in sw.props.get("portgroup", ()))
                sim.model.update(sw.ref, {"summary": sw.props["summary"].model_copy(
                    update={"portgroupName": names})})
    elif kind in ("VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"):
        changes["config"] = p["config"].model_copy(update={"name": name})
        changes["summary"] = p["summary"].model_copy(update={"name": name})
    elif kind in ("ResourcePool", "VirtualApp"):
        changes["summary"] = p["summary"].model_copy(update={"name": name})
    sim.model.update(ref, changes)


def _name(sim: Simulator, ref: Ref) -> str:
    obj = sim.model.get(ref)
    return str(obj.props.get("name", "")) if obj is not None else ""


# ------------------------------------------------------------------------- VMs
def _vm_ref(sim: Simulator) -> Ref:
    value = sim.model.new_id("vm")
    if state(sim).esx:  # ESXi names VMs by number: vim.VirtualMachine:12
        value = value.split("-", 1)[1]
    return Ref("VirtualMachine", value)


def _ds_name(path: str) -> tuple[str, str]:
    """``"[ds1] a/b.vmx"`` -> ("ds1", "a/b.vmx")."""
    if not path.startswith("["):
        return "", path
    close = path.find("]")
    if close < 0:
        return "", path
    return path[1:close], path[close + 1:].strip().lstrip("/")


class _Derived:
    """What a VM's devices and vmx path imply: disks, datastores, networks, space."""

    __slots__ = ("datastores", "disks", "networks", "nics", "usage")

    def __init__(self, vmx_ds: Ref, devices: Iterable[t.VirtualDevice]) -> None:
        self.disks: list[tuple[int, str, int]] = []
        datastores = [vmx_ds]
        networks: list[Ref] = []
        usage: dict[Ref, list[int]] = {vmx_ds: [0, 0]}
        base_c, base_u = v.vm_file_sizes(())
        usage[vmx_ds][0] += base_c
        self.nics = 0
        disk_type, nic_type = t.VirtualDisk, t.VirtualEthernetCard
        for d in devices:
            if isinstance(d, disk_type):
                backing = d.backing
                file_name = getattr(backing, "fileName", None) or ""
                ds = getattr(backing, "datastore", None) or vmx_ds
                kb = d.capacityInKB or (d.capacityInBytes or 0) // 1024
                self.disks.append((d.key, file_name, kb))
                c, u = v.vm_file_sizes((kb,))
                row = usage.setdefault(ds, [0, 0])
                row[0] += c - base_c
                row[1] += u - base_u
                if ds not in datastores:
                    datastores.append(ds)
            elif isinstance(d, nic_type):
                self.nics += 1
                net = _nic_network(d)
                if net is not None and net not in networks:
                    networks.append(net)
        self.datastores = tuple(datastores)
        self.networks = tuple(networks)
        self.usage = {ds: (c, u) for ds, (c, u) in usage.items()}


def _nic_network(d: t.VirtualEthernetCard) -> Ref | None:
    backing = d.backing
    if isinstance(backing, t.VirtualEthernetCardNetworkBackingInfo):
        return backing.network
    if isinstance(backing, t.VirtualEthernetCardDistributedVirtualPortBackingInfo):
        key = backing.port.portgroupKey
        return Ref("DistributedVirtualPortgroup", key) if key else None
    return None


def make_vm_props(sim: Simulator, ref: Ref, *, name: str, folder: Ref, pool: Ref,
                  host: Ref, vmx: str, vmx_ds: Ref, devices: tuple[t.VirtualDevice, ...],
                  power: str, mac: str, ip: str, env_browser: Ref | None,
                  network_name: str, uuid: str | None = None,
                  instance_uuid: str | None = None, created: _dt.datetime | None = None,
                  config_args: dict[str, Any] | None = None,
                  derived: _Derived | None = None) -> tuple[dict[str, Any], _Derived]:
    """Every property of a VM (links included, nothing added to the model)."""
    st = state(sim)
    serial = int(ref.value.rsplit("-", 1)[-1]) if ref.value[-1].isdigit() else 0
    if derived is None:
        derived = _Derived(vmx_ds, devices)
    when = created or st.boot
    urls = []
    for ds in derived.datastores:
        pair = st.ds_urls.get(ds)
        if pair is not None:
            urls.append(pair)
    config = v.vm_config(
        name=name, vmx=vmx, devices=devices, created=when, datastore_urls=tuple(urls),
        uuid=uuid or v.det_uuid(st.seed, "bios", serial, "42"),
        instance_uuid=instance_uuid or v.det_uuid(st.seed, "instance", serial, "50"),
        **(config_args or {}))
    memory = config.hardware.memoryMB
    runtime = st.runtime(host, power) if created is None else v.vm_runtime(
        host, power, created if power == "poweredOn" else None, memory)
    guest = v.vm_guest(power, ip=ip, host_name=name.lower().replace("_", "-"), mac=mac,
                       network_name=network_name, guest_id=config.guestId,
                       guest_full_name=config.guestFullName)
    committed = sum(c for c, _ in derived.usage.values())
    uncommitted = sum(u for _, u in derived.usage.values())
    storage = st.storage_summary(committed, uncommitted)
    props = v.entity(name, folder)
    props.update({
        "capability": v.vm_capability(),
        "config": config,
        "layout": None,
        "layoutEx": v.layout_ex(vmx, derived.disks, when),
        "storage": st.storage_of(derived.usage),
        "environmentBrowser": env_browser,
        "resourcePool": pool,
        "parentVApp": None,
        "resourceConfig": None,
        "runtime": runtime,
        "guest": guest,
        "summary": v.vm_summary(ref, config, runtime, guest, storage,
                                st.quick_stats(power, memory),
                                config_sum=v.config_summary(config, num_nics=derived.nics,
                                                            num_disks=len(derived.disks))),
        "datastore": derived.datastores,
        "network": derived.networks,
        "snapshot": None,
        "rootSnapshot": (),
        "guestHeartbeatStatus": v.GREEN if power == "poweredOn" else v.GRAY,
    })
    return props, derived


def new_vm(sim: Simulator, folder: Ref, pool: Ref | None, host: Ref | None,
           config_spec_or_name: t.VirtualMachineConfigSpec | str,
           datastore: Ref | None = None, *, power_state: str = "poweredOff",
           template: bool = False) -> SimObject:
    """Create a VM (what CreateVM_Task and CloneVM_Task do), link it everywhere and
    return it.

    ``config_spec_or_name``: a VirtualMachineConfigSpec, or just a name for a VM like the
    built ones (SCSI controller, 1 GiB disk, NIC, CD-ROM). From a spec: ``name``,
    ``guestId``, ``numCPUs``, ``numCoresPerSocket``, ``memoryMB``, ``version``,
    ``annotation``, ``uuid``, ``instanceUuid``, ``extraConfig``, ``firmware``,
    ``cpuAllocation``/``memoryAllocation``, ``files.vmPathName`` (``"[ds]"`` puts the VM
    in ``[ds] name/name.vmx``) and ``deviceChange`` "add" entries (keys <= 0 get vCenter's
    key ranges and controller references are remapped; a NIC gets a new MAC unless its
    ``addressType`` is ``manual``; a disk with an empty ``fileName`` gets
    ``[ds] name/name.vmdk``, ``name_1.vmdk``...: a clone clears the source's file names).
    With no devices the VM
    has vCenter's default controllers only.

    ``host``: defaults to the compute resource's connected host with the fewest VMs;
    ``pool``: defaults to the host's root pool; ``datastore``: defaults to the one
    ``files.vmPathName`` names, else the host's first.

    Faults (SimFault): ManagedObjectNotFound for unknown folder/pool/host/datastore,
    DuplicateName when the folder already holds an entity of that name, InvalidArgument
    for a missing name or no usable host, InvalidDatastorePath for an unknown datastore
    name, InvalidDeviceSpec for a NIC whose network is not found.
    """
    model = sim.model
    st = state(sim)
    spec: t.VirtualMachineConfigSpec
    default_layout = isinstance(config_spec_or_name, str)
    if isinstance(config_spec_or_name, str):
        spec = t.VirtualMachineConfigSpec(name=config_spec_or_name)
    else:
        spec = config_spec_or_name
    name = spec.name
    if not name:
        raise fault("InvalidArgument", "A specified parameter was not correct: name",
                    invalidProperty="name")
    folder_obj = _obj(sim, folder)
    existing = _children_named(sim, folder_obj, name)
    if existing is not None:
        raise SimFault(t.DuplicateName(name=name, object=existing.ref),
                       f"The name '{name}' already exists.")
    if pool is not None:
        _obj(sim, pool)
    if host is None:
        if pool is None:
            raise fault("InvalidArgument", "A specified parameter was not correct: pool",
                        invalidProperty="pool")
        host = _pick_host(sim, pool)
    host_obj = _obj(sim, host)
    if pool is None:
        pool = root_pool(sim, host)
        if pool is None:
            raise fault("InvalidArgument", "A specified parameter was not correct: pool",
                        invalidProperty="pool")
    dc = datacenter_of(sim, folder)
    vmx, vmx_ds = _placement(sim, dc, host_obj, spec, name, datastore)
    ref = _vm_ref(sim)
    st.vm_serial += 1
    serial = st.vm_serial
    mac = v.mac_address(st.seed, serial)
    target = st.nic_targets.get(dc.ref) if dc is not None else None
    if default_layout:
        if target is None:
            raise fault("InvalidArgument", "no network for the VM's NIC",
                        invalidProperty="network")
        ds_name = _ds_name(vmx)[0]
        devices = v.default_devices(
            f"[{ds_name}] {name}/{name}.vmdk", vmx_ds, mac, target,
            power_state == "poweredOn", v.det_uuid(st.seed, "disk", ref.value, "6000C29"))
    else:
        devices = _spec_devices(sim, dc, spec, name, vmx, vmx_ds, mac, power_state)
    network_name = target.summary if target is not None else ""
    cr = compute_resource_of(sim, host)
    config_args = _config_args(spec, template)
    props, derived = make_vm_props(
        sim, ref, name=name, folder=folder, pool=pool, host=host, vmx=vmx, vmx_ds=vmx_ds,
        devices=devices, power=power_state, mac=mac, ip=v.vm_ip(serial),
        env_browser=cr.props.get("environmentBrowser") if cr is not None else None,
        network_name=_first_network_name(sim, devices) or network_name,
        uuid=spec.uuid, instance_uuid=spec.instanceUuid, created=now(),
        config_args=config_args)
    for ds in derived.datastores:
        _obj(sim, ds)
    obj = add_entity(sim, ref, props)
    link_child(sim, folder, ref)
    link_child(sim, pool, ref, "vm")
    link_child(sim, host, ref, "vm")
    for ds in derived.datastores:
        link_child(sim, ds, ref, "vm")
    for net in derived.networks:
        if model.get(net) is not None:
            link_child(sim, net, ref, "vm")
    for ds, (c, u) in derived.usage.items():
        _adjust_space(sim, ds, c, u)
    return obj


def _first_network_name(sim: Simulator, devices: Sequence[t.VirtualDevice]) -> str | None:
    for d in devices:
        if isinstance(d, t.VirtualEthernetCard):
            net = _nic_network(d)
            if net is not None:
                return _name(sim, net) or None
    return None


def _config_args(spec: t.VirtualMachineConfigSpec, template: bool) -> dict[str, Any]:
    guest_id = spec.guestId or v.GUEST_ID
    args: dict[str, Any] = {
        "num_cpu": spec.numCPUs or v.VM_CPUS,
        "cores_per_socket": spec.numCoresPerSocket or 1,
        "memory_mb": spec.memoryMB or v.VM_MEMORY_MB,
        "guest_id": guest_id,
        "guest_full_name": _GUEST_NAMES.get(guest_id, guest_id),
        "version": spec.version or v.HW_VERSION,
        "annotation": spec.annotation,
        "template": template,
        "extra_config": tuple(spec.extraConfig),
        "firmware": spec.firmware or "bios",
    }
    if spec.cpuAllocation is not None:
        args["cpu_allocation"] = _full_allocation(spec.cpuAllocation, 1000)
    if spec.memoryAllocation is not None:
        args["memory_allocation"] = _full_allocation(spec.memoryAllocation, 320)
    return args


def _full_allocation(a: t.ResourceAllocationInfo, shares: int) -> t.ResourceAllocationInfo:
    return v.allocation(
        reservation=a.reservation if a.reservation is not None else 0,
        expandable=bool(a.expandableReservation),
        limit=a.limit if a.limit is not None else -1,
        shares=a.shares.shares if a.shares is not None else shares,
        level=str(a.shares.level) if a.shares is not None else "normal")


def _pick_host(sim: Simulator, pool: Ref) -> Ref:
    cr = compute_resource_of(sim, pool)
    best: tuple[int, int, Ref] | None = None
    for i, h in enumerate(cr.props.get("host", ()) if cr is not None else ()):
        obj = sim.model.get(h)
        if obj is None:
            continue
        runtime = obj.props.get("runtime")
        if runtime is None or runtime.connectionState != "connected" \
                or runtime.inMaintenanceMode:
            continue
        key = (len(obj.props.get("vm", ())), i, h)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None:
        raise fault("InvalidArgument", "No host is compatible with the virtual machine.",
                    invalidProperty="host")
    return best[2]


def _datastores_of(sim: Simulator, dc: SimObject | None, host: SimObject) -> list[SimObject]:
    refs = list(host.props.get("datastore", ()))
    if dc is not None:
        refs += [r for r in dc.props.get("datastore", ()) if r not in refs]
    return [o for o in (sim.model.get(r) for r in refs) if o is not None]


def _placement(sim: Simulator, dc: SimObject | None, host: SimObject,
               spec: t.VirtualMachineConfigSpec, name: str,
               datastore: Ref | None) -> tuple[str, Ref]:
    path = spec.files.vmPathName if spec.files is not None else None
    ds_name, rest = _ds_name(path or "")
    ds_obj: SimObject | None = None
    if datastore is not None:
        ds_obj = _obj(sim, datastore)
    elif ds_name:
        ds_obj = next((o for o in _datastores_of(sim, dc, host)
                       if o.props.get("name") == ds_name), None)
        if ds_obj is None:
            raise fault("InvalidDatastorePath",
                        f"Invalid datastore path '{path}'.", datastorePath=path or "")
    else:
        candidates = _datastores_of(sim, dc, host)
        if not candidates:
            raise fault("InvalidArgument", "no datastore for the VM",
                        invalidProperty="datastore")
        ds_obj = candidates[0]
    ds_name = str(ds_obj.props.get("name"))
    if rest.endswith(".vmx"):
        vmx = f"[{ds_name}] {rest}"
    elif rest:
        vmx = f"[{ds_name}] {rest.rstrip('/')}/{name}.vmx"
    else:
        vmx = f"[{ds_name}] {name}/{name}.vmx"
    return vmx, ds_obj.ref


def _key_base(device: t.VirtualDevice) -> int:
    for type_name, base in _KEY_BASE:
        if isinstance(device, getattr(t, type_name)):
            return base
    return 13000


def _spec_devices(sim: Simulator, dc: SimObject | None, spec: t.VirtualMachineConfigSpec,
                  name: str, vmx: str, vmx_ds: Ref, mac: str, power: str
                  ) -> tuple[t.VirtualDevice, ...]:
    st = state(sim)
    base = list(v.base_devices())
    used = {d.key for d in base}
    remap: dict[int, int] = {}
    added: list[t.VirtualDevice] = []
    for change in spec.deviceChange:
        if change.operation not in (None, "add"):
            continue
        d = change.device
        key = d.key
        if key is None or key <= 0 or key in used:
            if key is not None and key in used and any(
                    b.key == key and type(b) is type(d) for b in base):
                base = [b for b in base if b.key != key]  # the spec replaces a default
            else:
                new = _key_base(d)
                while new in used:
                    new += 1
                if key is not None:
                    remap[key] = new
                key = new
        used.add(key)
        added.append(d.model_copy(update={"key": key}) if key != d.key else d)
    ds_name = _ds_name(vmx)[0]
    folder = vmx.rsplit("/", 1)[0] if "/" in vmx else f"[{ds_name}] {name}"
    disks = nics = 0
    out: list[t.VirtualDevice] = []
    units: dict[int, set[int]] = {}
    for d in base:
        if d.controllerKey is not None and d.unitNumber is not None:
            units.setdefault(d.controllerKey, set()).add(d.unitNumber)
    for d in added:
        update: dict[str, Any] = {}
        controller = d.controllerKey
        if controller is not None and controller in remap:
            controller = update["controllerKey"] = remap[controller]
        if controller is None and isinstance(d, t.VirtualEthernetCard):
            controller = update["controllerKey"] = 100
        if controller is not None:
            taken = units.setdefault(controller, set())
            unit = d.unitNumber
            if unit is None or unit in taken:
                unit = 0
                while unit in taken or (unit == 7 and _is_scsi(added, controller)):
                    unit += 1
                update["unitNumber"] = unit
            taken.add(unit)
        if isinstance(d, t.VirtualDisk):
            disks += 1
            backing = d.backing
            kb = d.capacityInKB or (d.capacityInBytes or 0) // 1024 or v.DISK_KB
            file_name = getattr(backing, "fileName", "") if backing is not None else ""
            ds_ref = getattr(backing, "datastore", None) if backing is not None else None
            if not file_name:
                suffix = "" if disks == 1 else f"_{disks - 1}"
                file_name = f"{folder}/{name}{suffix}.vmdk"
                ds_ref = vmx_ds
            elif ds_ref is None:
                ds_ref = _datastore_named(sim, dc, _ds_name(file_name)[0]) or vmx_ds
            if isinstance(backing, t.VirtualDiskFlatVer2BackingInfo):
                backing = backing.model_copy(update={
                    "fileName": file_name, "datastore": ds_ref,
                    "diskMode": backing.diskMode or "persistent",
                    "uuid": backing.uuid or v.det_uuid(st.seed, "disk",
                                                       f"{name}/{d.key}", "6000C29")})
            else:
                backing = t.VirtualDiskFlatVer2BackingInfo(
                    fileName=file_name, datastore=ds_ref, diskMode="persistent",
                    thinProvisioned=True)
            update.update(backing=backing, capacityInKB=kb, capacityInBytes=kb * 1024,
                          deviceInfo=t.Description(label=f"Hard disk {disks}",
                                                   summary=f"{kb:,} KB"))
        elif isinstance(d, t.VirtualEthernetCard):
            nics += 1
            target = _nic_target(sim, dc, d)
            if d.addressType != "manual" or not d.macAddress:
                update["macAddress"] = mac if nics == 1 else v.mac_address(
                    st.seed, (1 << 21) + st.vm_serial * 8 + nics)
                update["addressType"] = "assigned"
            update["backing"] = target.backing
            connectable = d.connectable or v.connect_info(power == "poweredOn")
            if d.connectable is not None:
                connectable = connectable.model_copy(update={
                    "connected": bool(connectable.startConnected) and power == "poweredOn"})
            update["connectable"] = connectable
            update["deviceInfo"] = t.Description(label=f"Network adapter {nics}",
                                                 summary=target.summary)
        elif d.deviceInfo is None:
            update["deviceInfo"] = t.Description(label=f"{type(d).__name__} {d.key}",
                                                 summary=type(d).__name__)
        out.append(d.model_copy(update=update) if update else d)
    return v.wire_controllers([*base, *out])


def _is_scsi(devices: Sequence[t.VirtualDevice], controller: int) -> bool:
    return any(d.key == controller and isinstance(d, t.VirtualSCSIController)
               for d in devices) or controller == 1000


def _datastore_named(sim: Simulator, dc: SimObject | None, name: str) -> Ref | None:
    if dc is None:
        return None
    for ref in dc.props.get("datastore", ()):
        if _name(sim, ref) == name:
            return ref  # type: ignore[no-any-return]
    return None


def _nic_target(sim: Simulator, dc: SimObject | None, d: t.VirtualEthernetCard) -> v.DvsNic:
    backing = d.backing
    st = state(sim)
    default = st.nic_targets.get(dc.ref) if dc is not None else None
    if isinstance(backing, t.VirtualEthernetCardDistributedVirtualPortBackingInfo):
        key = backing.port.portgroupKey
        pg = sim.model.get(Ref("DistributedVirtualPortgroup", key)) if key else None
        if pg is None:
            raise fault("InvalidDeviceSpec", f"portgroup {key!r} not found",
                        property="backing", deviceIndex=0)
        sw = sim.model.get(pg.props["config"].distributedVirtualSwitch)
        return v.DvsNic(pg.ref, str(pg.props["name"]),
                        switch_uuid=str(sw.props["uuid"]) if sw is not None else "",
                        portgroup_key=pg.ref.value)
    if isinstance(backing, t.VirtualEthernetCardNetworkBackingInfo):
        wanted = backing.deviceName
        for ref in dc.props.get("network", ()) if dc is not None else ():
            obj = sim.model.get(ref)
            if obj is None or (obj.props.get("name") != wanted and ref != backing.network):
                continue
            if obj.type == "DistributedVirtualPortgroup":
                sw = sim.model.get(obj.props["config"].distributedVirtualSwitch)
                return v.DvsNic(ref, str(obj.props["name"]),
                                switch_uuid=str(sw.props["uuid"]) if sw is not None else "",
                                portgroup_key=ref.value)
            return v.DvsNic(ref, str(obj.props["name"]))
        raise fault("InvalidDeviceSpec", f"network {wanted!r} not found",
                    property="backing", deviceIndex=0)
    if default is None:
        raise fault("InvalidDeviceSpec", "no network for the NIC", property="backing",
                    deviceIndex=0)
    return default


def _adjust_space(sim: Simulator, ds: Ref, committed: int, uncommitted: int) -> None:
    """Take ``committed`` bytes (give back when negative) from datastore ``ds``."""
    obj = sim.model.get(ds)
    if obj is None or (not committed and not uncommitted):
        return
    summary = obj.props["summary"]
    free = max(0, summary.freeSpace - committed)
    changes: dict[str, Any] = {"summary": summary.model_copy(update={
        "freeSpace": free, "uncommitted": max(0, (summary.uncommitted or 0) + uncommitted)})}
    info = obj.props.get("info")
    if info is not None:
        changes["info"] = info.model_copy(update={"freeSpace": free})
    sim.model.update(ds, changes)


def set_vm_power(sim: Simulator, vm: Ref, power: str) -> None:
    """Put a VM in ``power`` state (``poweredOn``, ``poweredOff``, ``suspended``) with
    what follows from it: ``runtime`` and ``summary.runtime`` (``bootTime`` set at power
    on, cleared at power off), ``guest`` (tools running and the IP while on), quick
    stats, ``guestHeartbeatStatus`` and the NICs' ``connectable.connected``."""
    obj = _obj(sim, vm)
    p = obj.props
    runtime: t.VirtualMachineRuntimeInfo = p["runtime"]
    config: t.VirtualMachineConfigInfo | None = p.get("config")
    memory = config.hardware.memoryMB if config is not None else v.VM_MEMORY_MB
    on = power == "poweredOn"
    when = now()
    boot = runtime.bootTime
    if on and runtime.powerState != "poweredOn" and runtime.powerState != "suspended":
        boot = when
    elif power == "poweredOff":
        boot = None
    new_runtime = runtime.model_copy(update={
        "powerState": power, "bootTime": boot,
        "suspendTime": when if power == "suspended" else None,
        "maxCpuUsage": v.HOST_CPU_MHZ if on else None,
        "maxMemoryUsage": memory if on else None,
        "suspendInterval": 0 if on else None})
    guest: t.GuestInfo | None = p.get("guest")
    ip = guest.ipAddress if guest is not None else None
    ip = ip or obj.data.get("ip")
    host_name = (guest.hostName if guest is not None else None) or obj.data.get(
        "hostName") or str(p.get("name", "")).lower()
    if ip:
        obj.data["ip"] = ip
    obj.data["hostName"] = host_name
    changes: dict[str, Any] = {"runtime": new_runtime,
                               "guestHeartbeatStatus": v.GREEN if on else v.GRAY}
    mac = ""
    network_name = ""
    if config is not None:
        devices = []
        for d in config.hardware.device:
            if isinstance(d, t.VirtualEthernetCard):
                if not mac:
                    mac = d.macAddress or ""
                    summary = d.deviceInfo.summary if d.deviceInfo is not None else ""
                    net = _nic_network(d)
                    network_name = _name(sim, net) if net is not None else summary
                c = d.connectable
                if c is not None and c.startConnected and bool(c.connected) != on:
                    d = d.model_copy(update={"connectable": v.connect_info(on)})
            devices.append(d)
        new_devices = tuple(devices)
        if new_devices != tuple(config.hardware.device):
            config = config.model_copy(update={"hardware": config.hardware.model_copy(
                update={"device": new_devices})})
            changes["config"] = config
    new_guest = v.vm_guest(
        power, ip=ip, host_name=host_name, mac=mac, network_name=network_name,
        guest_id=config.guestId if config is not None else v.GUEST_ID,
        guest_full_name=config.guestFullName if config is not None else v.GUEST_FULL_NAME)
    changes["guest"] = new_guest
    summary = p["summary"]
    changes["summary"] = summary.model_copy(update={
        "runtime": new_runtime, "guest": v.guest_summary(new_guest),
        "quickStats": state(sim).quick_stats(power, memory)})
    sim.model.update(vm, changes)


def sync_vm(sim: Simulator, vm: Ref) -> None:
    """Recompute what a VM's ``config`` implies after a handler changed it
    (ReconfigVM_Task): ``summary.config``, ``summary.runtime``, ``summary.guest``,
    ``layoutEx``, ``storage``, ``summary.storage``, the ``datastore`` and ``network``
    lists (and the back links of datastores and networks), datastore free space."""
    obj = _obj(sim, vm)
    p = obj.props
    config: t.VirtualMachineConfigInfo = p["config"]
    vmx = config.files.vmPathName or ""
    old_ds: tuple[Ref, ...] = tuple(p.get("datastore", ()))
    old_net: tuple[Ref, ...] = tuple(p.get("network", ()))  # read before the update
    vmx_ds = _datastore_named(sim, datacenter_of(sim, vm), _ds_name(vmx)[0]) or (
        old_ds[0] if old_ds else None)
    if vmx_ds is None:
        raise fault("InvalidState", "the VM has no datastore")
    derived = _Derived(vmx_ds, config.hardware.device)
    st = state(sim)
    old_usage = {u.datastore: (u.committed, u.uncommitted)
                 for u in (p["storage"].perDatastoreUsage if p.get("storage") else ())}
    committed = sum(c for c, _ in derived.usage.values())
    uncommitted = sum(u for _, u in derived.usage.values())
    summary = p["summary"]
    changes: dict[str, Any] = {
        "layoutEx": v.layout_ex(vmx, derived.disks, now()),
        "storage": st.storage_of(derived.usage),
        "datastore": derived.datastores,
        "network": derived.networks,
        "summary": summary.model_copy(update={
            "config": v.config_summary(config, num_nics=derived.nics,
                                       num_disks=len(derived.disks)),
            "runtime": p["runtime"],
            "guest": v.guest_summary(p["guest"]) if p.get("guest") is not None
            else summary.guest,
            "storage": st.storage_summary(committed, uncommitted),
            "quickStats": st.quick_stats(str(p["runtime"].powerState),
                                         config.hardware.memoryMB)}),
    }
    sim.model.update(vm, changes)
    for ds in old_ds:
        if ds not in derived.datastores:
            unlink_child(sim, ds, vm, "vm")
    for ds in derived.datastores:
        if sim.model.get(ds) is not None:
            link_child(sim, ds, vm, "vm")
    for net in old_net:
        if net not in derived.networks:
            unlink_child(sim, net, vm, "vm")
    for net in derived.networks:
        if sim.model.get(net) is not None:
            link_child(sim, net, vm, "vm")
    for ds in {*old_usage, *derived.usage}:
        c0, u0 = old_usage.get(ds, (0, 0))
        c1, u1 = derived.usage.get(ds, (0, 0))
        _adjust_space(sim, ds, c1 - c0, u1 - u0)


# ------------------------------------------------------------------------- removal
def _contained(obj: SimObject) -> list[Ref]:
    p = obj.props
    kind = obj.type
    if kind == "Folder":
        return list(p.get("childEntity", ()))
    if kind == "Datacenter":
        return [r for r in (p.get("vmFolder"), p.get("hostFolder"), p.get("datastoreFolder"),
                            p.get("networkFolder")) if r is not None]
    if kind in ("ComputeResource", "ClusterComputeResource"):
        pool = p.get("resourcePool")
        return [*([pool] if pool is not None else []), *p.get("host", ())]
    if kind in ("ResourcePool", "VirtualApp"):
        return [*p.get("resourcePool", ()), *p.get("vm", ())]
    if kind == "HostSystem":
        return list(p.get("vm", ()))
    if kind in ("VmwareDistributedVirtualSwitch", "DistributedVirtualSwitch"):
        return list(p.get("portgroup", ()))
    if kind == "VirtualMachine":
        return list(p.get("rootSnapshot", ()))
    if kind == "VirtualMachineSnapshot":
        return list(p.get("childSnapshot", ()))
    return []


def remove_entity(sim: Simulator, ref: Ref) -> None:
    """Remove an entity and everything it contains (a folder's children, a datacenter's
    folders, a compute resource's pools and hosts, a pool's child pools and VMs, a host's
    VMs, a switch's portgroups, a VM's snapshots), unlinking each from every list that
    names it (parents, ``vm``/``host``/``datastore``/``network`` back links, the DVS
    member list) and returning a VM's space to its datastores. Handlers that want
    vCenter's "move the VMs to the parent pool" semantics move them first.
    Unknown ``ref``: nothing happens."""
    obj = sim.model.get(ref)
    if obj is None:
        return
    for child in _contained(obj):
        remove_entity(sim, child)
    _unlink(sim, obj)
    sim.model.remove(obj.ref)
    for companion in obj.data.get("companions", ()):
        sim.model.remove(companion)


def _unlink(sim: Simulator, obj: SimObject) -> None:
    p = obj.props
    ref = obj.ref
    kind = obj.type
    parent = p.get("parent")
    if parent is not None:
        parent_obj = sim.model.get(parent)
        if parent_obj is not None:
            if parent_obj.type == "Folder":
                unlink_child(sim, parent, ref)
            elif kind in ("ResourcePool", "VirtualApp"):
                unlink_child(sim, parent, ref, "resourcePool")
            elif kind == "HostSystem":
                unlink_child(sim, parent, ref, "host")
                _refresh_compute_summary(sim, parent)
    if kind == "VirtualMachine":
        pool = p.get("resourcePool")
        if pool is not None:
            unlink_child(sim, pool, ref, "vm")
        host = vm_host(sim, ref)
        if host is not None:
            unlink_child(sim, host, ref, "vm")
        for ds in p.get("datastore", ()):
            unlink_child(sim, ds, ref, "vm")
        for net in p.get("network", ()):
            unlink_child(sim, net, ref, "vm")
        storage = p.get("storage")
        for u in storage.perDatastoreUsage if storage is not None else ():
            _adjust_space(sim, u.datastore, -u.committed, -(u.uncommitted or 0))
    elif kind == "HostSystem":
        for ds in p.get("datastore", ()):
            ds_obj = sim.model.get(ds)
            if ds_obj is not None:
                mounts = tuple(m for m in ds_obj.props.get("host", ()) if m.key != ref)
                sim.model.update(ds, {"host": mounts})
        for net in p.get("network", ()):
            unlink_child(sim, net, ref, "host")
            net_obj = sim.model.get(net)
            if net_obj is not None and net_obj.type == "DistributedVirtualPortgroup":
                _drop_dvs_member(sim, net_obj.props["config"].distributedVirtualSwitch, ref)
    elif kind == "Datastore":
        for mount in p.get("host", ()):
            unlink_child(sim, mount.key, ref, "datastore")
            cr = compute_resource_of(sim, mount.key)
            if cr is not None:
                unlink_child(sim, cr.ref, ref, "datastore")
        dc = datacenter_of(sim, ref)
        if dc is not None:
            unlink_child(sim, dc.ref, ref, "datastore")
    elif kind in ("Network", "DistributedVirtualPortgroup", "OpaqueNetwork"):
        for host in p.get("host", ()):
            unlink_child(sim, host, ref, "network")
            cr = compute_resource_of(sim, host)
            if cr is not None:
                unlink_child(sim, cr.ref, ref, "network")
        dc = datacenter_of(sim, ref)
        if dc is not None:
            unlink_child(sim, dc.ref, ref, "network")
        if kind == "DistributedVirtualPortgroup":
            switch = p["config"].distributedVirtualSwitch
            sw = sim.model.get(switch) if switch is not None else None
            if sw is not None:
                unlink_child(sim, sw.ref, ref, "portgroup")
                names = tuple(_name(sim, pg) for pg in sw.props.get("portgroup", ()))
                sim.model.update(sw.ref, {"summary": sw.props["summary"].model_copy(
                    update={"portgroupName": names})})


def _drop_dvs_member(sim: Simulator, switch: Ref | None, host: Ref) -> None:
    sw = sim.model.get(switch) if switch is not None else None
    if sw is None:
        return
    config = sw.props["config"]
    members = tuple(m for m in config.host if m.config.host != host)
    if len(members) == len(config.host):
        return
    summary = sw.props["summary"]
    hosts = tuple(h for h in summary.hostMember if h != host)
    sim.model.update(sw.ref, {
        "config": config.model_copy(update={"host": members}),
        "summary": summary.model_copy(update={"hostMember": hosts, "host": hosts,
                                              "numHosts": len(hosts)})})


def _refresh_compute_summary(sim: Simulator, cr: Ref) -> None:
    obj = sim.model.get(cr)
    if obj is None:
        return
    hosts = len(obj.props.get("host", ()))
    sim.model.update(cr, {"summary": v.compute_summary(
        hosts, cluster=obj.type == "ClusterComputeResource")})
