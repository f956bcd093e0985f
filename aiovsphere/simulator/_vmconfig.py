"""Applying a VirtualMachineConfigSpec to a simulated VM (ReconfigVM_Task, CloneVM_Task).

:func:`apply_config` validates the whole spec first and raises the fault vCenter raises
(nothing has changed then), and only then writes: ``config`` (``hardware.numCPU``,
``memoryMB``, ``numCoresPerSocket``, ``device``, ``annotation``, ``extraConfig``,
``changeVersion``, ``modified``...) and ``name``, then what follows from them through the
inventory's ``sync_vm`` (``summary``, ``layoutEx``, ``storage``, ``network`` and
``datastore`` with the networks' and datastores' ``vm`` lists, datastore space).

Faults, as vCenter: ConcurrentAccess (``changeVersion`` is not the current one),
NotSupported (a template takes only ``name`` and ``annotation``), InvalidPowerState
(``requestedState`` poweredOff: a change the running VM cannot take, such as more CPUs
without ``cpuHotAddEnabled``, less memory, other cores per socket, another guest OS),
InvalidArgument (``invalidProperty``: numCPUs, memoryMB, numCoresPerSocket, guestId),
InvalidName / DuplicateName (``name``), InvalidDeviceSpec (``deviceIndex``: the index in
``deviceChange``; unknown key to edit or remove, taken unit number, missing controller,
a controller that still has devices), InvalidDeviceBacking (an unknown network),
InvalidDatastore (a disk on an unknown datastore).

Device keys: a new device's key (negative, zero, or taken) becomes a fresh key in its
class's range (disks from 2000, CD-ROMs 3000, NICs 4000, SCSI controllers 1000...), and
``controllerKey`` references to the temporary key in the same spec follow it. New NICs get
a vCenter-style MAC (``00:50:56:8x``), new disks a file under the VM's directory
(``[ds] vm/vm_1.vmdk``), every new device a label (``Hard disk 2``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import fault, now
from aiovsphere.simulator._vmutil import (
    datacenter_of,
    invalid_power_state,
    mac_address,
    power_state,
    remove_ref,
    siblings_named,
    value_at,
    vim_fault,
)

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context, SimFault
    from aiovsphere.simulator._model import Model, SimObject

__all__ = ["MAX_NAME", "apply_config", "check_name", "disk_size_summary", "rebuild_counts",
           "sync"]

MAX_NAME = 80  # vCenter's limit for an entity name
MAX_CPUS = 768

# Key ranges (vCenter/ESXi): the first key of a device class.
_KEY_BASES: tuple[tuple[str, int], ...] = (
    ("VirtualDisk", 2000), ("VirtualCdrom", 3000), ("VirtualEthernetCard", 4000),
    ("VirtualSCSIController", 1000), ("VirtualIDEController", 200),
    ("VirtualAHCIController", 15000), ("VirtualSATAController", 15000),
    ("VirtualNVMEController", 31000), ("VirtualUSBXHCIController", 14000),
    ("VirtualUSBController", 7000), ("VirtualFloppy", 8000), ("VirtualSerialPort", 9000),
    ("VirtualParallelPort", 10000), ("VirtualSoundCard", 5000),
)
_LABELS: tuple[tuple[str, str], ...] = (
    ("VirtualDisk", "Hard disk"), ("VirtualCdrom", "CD/DVD drive"),
    ("VirtualEthernetCard", "Network adapter"), ("VirtualSCSIController", "SCSI controller"),
    ("VirtualIDEController", "IDE"), ("VirtualAHCIController", "SATA controller"),
    ("VirtualNVMEController", "NVME controller"),
    ("VirtualUSBXHCIController", "USB xHCI controller"),
    ("VirtualUSBController", "USB controller"), ("VirtualFloppy", "Floppy drive"),
    ("VirtualSerialPort", "Serial port"), ("VirtualParallelPort", "Parallel port"),
    ("VirtualSoundCard", "Sound card"),
)
# Fields that can change only while the VM is powered off.
_OFF_ONLY = ("guestId", "firmware", "cpuHotAddEnabled", "cpuHotRemoveEnabled",
             "memoryHotAddEnabled", "nestedHVEnabled")
_HARDWARE_OFF_ONLY = ("numCoresPerSocket", "virtualICH7MPresent", "virtualSMCPresent")
# VirtualMachineConfigSpec field -> VirtualMachineConfigInfo field, copied when set.
_SCALARS = ("alternateGuestName", "annotation", "uuid", "instanceUuid", "locationId",
            "npivTemporaryDisabled", "npivOnNonRdmDisks", "cpuHotAddEnabled",
            "cpuHotRemoveEnabled", "memoryHotAddEnabled", "nestedHVEnabled",
            "changeTrackingEnabled", "firmware", "guestAutoLockEnabled",
            "memoryReservationLockedToMax", "messageBusTunnelEnabled", "vPMCEnabled",
            "maxMksConnections", "swapPlacement", "vAssertsEnabled", "tools", "flags",
            "consolePreferences", "bootOptions", "latencySensitivity", "managedBy",
            "cpuAffinity", "memoryAffinity", "networkShaper", "repConfig", "ftInfo",
            "sgxInfo", "guestMonitoringModeInfo", "sevEnabled", "vmxStatsCollectionEnabled",
            "vmOpNotificationToAppEnabled", "vmOpNotificationTimeout", "simultaneousThreads",
            "fixedPassthruHotPlugEnabled", "tdxEnabled", "sevSnpEnabled")
_GUEST_NAMES = {
    "otherGuest": "Other (32-bit)", "otherGuest64": "Other (64-bit)",
    "otherLinux64Guest": "Other Linux (64-bit)", "otherLinuxGuest": "Other Linux (32-bit)",
    "ubuntu64Guest": "Ubuntu Linux (64-bit)", "centos64Guest": "CentOS 4/5 or later (64-bit)",
    "rhel8_64Guest": "Red Hat Enterprise Linux 8 (64-bit)",
    "rhel9_64Guest": "Red Hat Enterprise Linux 9 (64-bit)",
    "debian11_64Guest": "Debian GNU/Linux 11 (64-bit)",
    "debian12_64Guest": "Debian GNU/Linux 12 (64-bit)",
    "windows9Server64Guest": "Microsoft Windows Server 2016 or later (64-bit)",
    "windows2019srv_64Guest": "Microsoft Windows Server 2019 (64-bit)",
    "windows2022srvNext_64Guest": "Microsoft Windows Server 2025 (64-bit)",
    "windows9_64Guest": "Microsoft Windows 10 (64-bit)",
    "windows11_64Guest": "Microsoft Windows 11 (64-bit)",
    "dosGuest": "MS-DOS",
}


def check_name(model: Model, obj: SimObject, name: str, parent: SimObject | None = None,
               ) -> str:
    """``name`` as vCenter stores it (``/`` as ``%2f``...); InvalidName for an empty or
    blank name or one over 80 characters, DuplicateName for a sibling's (in ``parent``,
    default the entity's own; escaped and unescaped spellings are the same name)."""
    from aiovsphere.simulator._handlers.folders import store_name
    from aiovsphere.simulator._handlers.search import name_key

    stored = store_name(name or "")
    if not name or not name.strip() or len(name_key(stored)) > MAX_NAME:
        raise vim_fault("InvalidName", f"The name '{name}' is invalid.", name=name or "",
                        entity=obj.ref)
    other = siblings_named(model, obj, stored, parent)
    if other is not None:
        raise vim_fault("DuplicateName", f"The name '{name_key(stored)}' already exists.",
                        name=stored, object=other.ref)
    return stored


def _isinstance(device: Any, name: str) -> bool:
    from aiovsphere.vim import types as t

    cls = getattr(t, name, None)
    return cls is not None and isinstance(device, cls)


def _class_of(device: Any, table: tuple[tuple[str, Any], ...], default: Any) -> Any:
    for name, value in table:
        if _isinstance(device, name):
            return value
    return default


def disk_size_summary(kb: int) -> str:
    """vCenter's disk summary: ``"16,777,216 KB"``."""
    return f"{kb:,} KB"


@dataclass
class _Plan:
    """What a spec changes, computed before anything is written."""

    config: dict[str, Any] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    devices: list[Any] | None = None
    name: str | None = None
    extra: tuple[Any, ...] | None = None


def apply_config(ctx: Context, vm: SimObject, spec: Any, *, creating: bool = False) -> None:
    """Validate ``spec`` (a VirtualMachineConfigSpec) against ``vm`` and apply it; raise
    the vCenter fault (before any change) when it cannot be. ``creating``: the VM is
    being made (a clone), so power-state and template rules do not apply."""
    plan = _plan(ctx, vm, spec, creating=creating)
    _commit(ctx, vm, plan)


def _plan(ctx: Context, vm: SimObject, spec: Any, *, creating: bool) -> _Plan:
    from aiovsphere.vim import types as t

    model = ctx.model
    config = vm.props.get("config")
    if config is None or config.hardware is None:
        raise fault("InvalidState", "The virtual machine has no configuration.")
    hardware = config.hardware
    plan = _Plan()
    if not creating and config.template:
        allowed = {"name", "annotation", "changeVersion"}
        given = {k for k, v in spec if v is not None and v != () and k not in (
            "dynamicType", "dynamicProperty")}
        if given - allowed:
            raise fault("NotSupported", "The operation is not supported on the object.")
    if spec.changeVersion is not None and config.changeVersion is not None \
            and spec.changeVersion != config.changeVersion:
        raise fault("ConcurrentAccess", "Cannot complete operation due to concurrent "
                    "modification by another operation.")
    state = "poweredOff" if creating else power_state(vm)
    off = state == "poweredOff"

    def needs_off() -> SimFault:
        return invalid_power_state(state, "poweredOff")

    # CPUs, cores, memory.
    cpus = spec.numCPUs
    cores = spec.numCoresPerSocket
    if cpus is not None and cpus != hardware.numCPU:
        if not 1 <= cpus <= MAX_CPUS:
            raise fault("InvalidArgument", "A specified parameter was not correct: numCPUs",
                        invalidProperty="numCPUs")
        current = hardware.numCPU or 1
        if not off and (state != "poweredOn" or (cpus > current and not config.cpuHotAddEnabled)
                        or (cpus < current and not config.cpuHotRemoveEnabled)):
            raise needs_off()
        plan.hardware["numCPU"] = cpus
    if cores is not None and cores != hardware.numCoresPerSocket:
        if cores < 1:
            raise fault("InvalidArgument", "A specified parameter was not correct: "
                        "numCoresPerSocket", invalidProperty="numCoresPerSocket")
        plan.hardware["numCoresPerSocket"] = cores
    total = plan.hardware.get("numCPU", hardware.numCPU or 1)
    per_socket = plan.hardware.get("numCoresPerSocket", hardware.numCoresPerSocket or 1)
    if ("numCPU" in plan.hardware or "numCoresPerSocket" in plan.hardware) \
            and total % per_socket:
        raise fault("InvalidArgument", f"The number of virtual CPUs ({total}) must be a "
                    f"multiple of the number of cores per socket ({per_socket}).",
                    invalidProperty="numCoresPerSocket")
    memory = spec.memoryMB
    if memory is not None and memory != hardware.memoryMB:
        if memory < 4 or memory % 4:
            raise fault("InvalidArgument", "A specified parameter was not correct: memoryMB",
                        invalidProperty="memoryMB")
        current = hardware.memoryMB or 0
        if not off and (state != "poweredOn" or memory < current
                        or not config.memoryHotAddEnabled):
            raise needs_off()
        plan.hardware["memoryMB"] = int(memory)
    for name in ("virtualICH7MPresent", "virtualSMCPresent"):
        value = getattr(spec, name)
        if value is not None and value != getattr(hardware, name):
            plan.hardware[name] = value
    # Fields a running VM cannot change.
    if not off:
        if any(name in plan.hardware for name in _HARDWARE_OFF_ONLY):
            raise needs_off()
        for name in _OFF_ONLY:
            value = getattr(spec, name, None)
            if value is not None and value != getattr(config, name, None):
                raise needs_off()
    # Guest OS.
    if spec.guestId is not None and spec.guestId != config.guestId:
        if spec.guestId not in {g.value for g in t.VirtualMachineGuestOsIdentifier}:
            raise fault("InvalidArgument", "A specified parameter was not correct: guestId",
                        invalidProperty="guestId")
        plan.config["guestId"] = spec.guestId
        plan.config["guestFullName"] = _GUEST_NAMES.get(spec.guestId, spec.guestId)
    # Name.
    if spec.name is not None and spec.name != vm.props.get("name"):
        plan.name = check_name(model, vm, spec.name)
    # Plain fields.
    for name in _SCALARS:
        value = getattr(spec, name, None)
        if value is None:
            continue
        if name == "tools" and config.tools is not None:
            value = _merge(config.tools, value)
        plan.config[name] = value
    for name in ("cpuAllocation", "memoryAllocation"):
        value = getattr(spec, name)
        if value is not None:
            current = getattr(config, name)
            plan.config[name] = _merge(current, value) if current is not None else value
    if spec.extraConfig:
        plan.extra = _merge_options(config.extraConfig or (), spec.extraConfig)
    if spec.deviceChange:
        _plan_devices(ctx, vm, config, list(hardware.device or ()), spec.deviceChange, plan,
                      running=not off)
    return plan


def _merge(current: Any, new: Any) -> Any:
    """``current`` with every field ``new`` sets (same type assumed)."""
    updates = {k: v for k, v in new if v is not None and k not in ("dynamicType",)}
    try:
        return current.model_copy(update=updates)
    except (AttributeError, TypeError):
        return new


def _merge_options(current: Sequence[Any], changes: Sequence[Any]) -> tuple[Any, ...]:
    """extraConfig: a key's new value replaces its old one; an empty value removes it."""
    out = {o.key: o for o in current}
    for option in changes:
        if option.value in (None, ""):
            out.pop(option.key, None)
        else:
            out[option.key] = option
    return tuple(out.values())


# ---------------------------------------------------------------------- devices
def _plan_devices(ctx: Context, vm: SimObject, config: Any, devices: list[Any],
                  changes: Sequence[Any], plan: _Plan, *, running: bool) -> None:
    from aiovsphere.vim import types as t

    model = ctx.model
    keymap: dict[int, int] = {}
    by_key = {d.key: d for d in devices}
    datacenter = datacenter_of(model, vm)
    vm_name = plan.name or str(vm.props.get("name"))
    for index, change in enumerate(changes):
        def invalid(prop: str | None = None, index: int = index,
                    backing: bool = False) -> SimFault:
            name = "InvalidDeviceBacking" if backing else "InvalidDeviceSpec"
            return fault(name, f"Invalid configuration for device '{index}'.",
                         deviceIndex=index, property=prop)

        operation = str(change.operation) if change.operation is not None else None
        device = change.device
        old: Any = None
        new: Any = None
        if device is None or operation not in ("add", "remove", "edit"):
            raise invalid("operation")
        if operation == "remove":
            old = by_key.get(device.key)
            if old is None:
                raise invalid("device.key")
            if any(d.controllerKey == old.key for d in by_key.values()):
                raise invalid("device")  # a controller that still has devices
            del by_key[old.key]
            continue
        if operation == "edit":
            old = by_key.get(device.key)
            if old is None:
                raise invalid("device.key")
            updates: dict[str, Any] = {}
            for name in ("controllerKey", "unitNumber", "deviceInfo", "backing",
                         "connectable"):
                if getattr(device, name) is None:
                    updates[name] = getattr(old, name)
            if isinstance(old, t.VirtualEthernetCard) and getattr(device, "macAddress",
                                                                  None) is None:
                updates["macAddress"] = old.macAddress
                updates["addressType"] = getattr(device, "addressType", None) or \
                    old.addressType
            new = device.model_copy(update=updates) if updates else device
            if type(new) is not type(old) and not isinstance(new, type(old)) \
                    and not isinstance(old, type(new)):
                raise invalid("device")
            if isinstance(new, t.VirtualDisk):
                new = _disk_capacity(new)
                if (new.capacityInKB or 0) < (old.capacityInKB or 0):
                    raise invalid("device.capacityInKB")
                if new.deviceInfo is not None and new.capacityInKB != old.capacityInKB:
                    new = new.model_copy(update={"deviceInfo": new.deviceInfo.model_copy(
                        update={"summary": disk_size_summary(new.capacityInKB or 0)})})
            if isinstance(new, t.VirtualEthernetCard):
                new = _nic_backing(model, datacenter, new, invalid)
            by_key[old.key] = new
            continue
        # add
        new = device
        if new.controllerKey is not None and new.controllerKey in keymap:
            new = new.model_copy(update={"controllerKey": keymap[new.controllerKey]})
        key = new.key
        if key is None or key <= 0 or key in by_key:
            fresh = _new_key(by_key, new)
            if key is not None:
                keymap[key] = fresh
            new = new.model_copy(update={"key": fresh})
        if isinstance(new, t.VirtualController):
            new = new.model_copy(update={"device": ()})
        controller_key = new.controllerKey
        if controller_key is None and isinstance(new, t.VirtualEthernetCard):
            controller_key = 100
            new = new.model_copy(update={"controllerKey": 100})
        controller = by_key.get(controller_key) if controller_key is not None else None
        if controller_key is not None and controller is None and controller_key != 100:
            raise invalid("device.controllerKey")
        if controller is None and isinstance(new, (t.VirtualDisk, t.VirtualCdrom)):
            raise invalid("device.controllerKey")
        if new.unitNumber is None and controller_key is not None:
            unit = _free_unit(by_key, controller_key, controller, new)
            if unit is None:
                raise invalid("device.unitNumber")
            new = new.model_copy(update={"unitNumber": unit})
        elif new.unitNumber is not None and controller_key is not None and any(
                d.controllerKey == controller_key and d.unitNumber == new.unitNumber
                for d in by_key.values()):
            raise invalid("device.unitNumber")
        if isinstance(new, t.VirtualEthernetCard):
            new = _nic_backing(model, datacenter, new, invalid)
            if not new.macAddress or str(new.addressType or "") not in ("manual",):
                if not new.macAddress:
                    new = new.model_copy(update={
                        "macAddress": mac_address(ctx, vm.ref, new.key, str(index)),
                        "addressType": new.addressType or "assigned"})
            if new.connectable is None:
                new = new.model_copy(update={"connectable": t.VirtualDeviceConnectInfo(
                    startConnected=True, allowGuestControl=True, connected=running,
                    status="ok" if running else "untried")})
        if isinstance(new, t.VirtualDisk):
            new = _disk_capacity(new)
            new = _disk_backing(model, vm, datacenter, new, change, by_key, vm_name,
                                invalid)
        if new.deviceInfo is None or not new.deviceInfo.label:
            family = sum(1 for d in by_key.values() if _class_of(d, _LABELS, None)
                         == _class_of(new, _LABELS, None))
            label = f"{_class_of(new, _LABELS, type(new).__name__)} {family + 1}"
            summary = _summary_of(model, new)
            new = new.model_copy(update={"deviceInfo": t.Description(label=label,
                                                                     summary=summary)})
        by_key[new.key] = new
    from aiovsphere.simulator._inv_values import wire_controllers

    plan.devices = list(wire_controllers(list(by_key.values())))


def _new_key(by_key: dict[int, Any], device: Any) -> int:
    base: int = _class_of(device, _KEY_BASES, 13000)
    key = base
    while key in by_key:
        key += 1
    return key


def _free_unit(by_key: dict[int, Any], controller_key: int, controller: Any,
               device: Any) -> int | None:
    from aiovsphere.vim import types as t

    taken = {d.unitNumber for d in by_key.values()
             if d.controllerKey == controller_key and d.unitNumber is not None}
    if controller_key == 100 or controller is None or isinstance(controller,
                                                                 t.VirtualPCIController):
        start, stop = 7, 64  # PCI slots of NICs
    elif isinstance(controller, t.VirtualSCSIController):
        taken.add(controller.scsiCtlrUnitNumber if controller.scsiCtlrUnitNumber is not None
                  else 7)
        start, stop = 0, 16
    elif isinstance(controller, t.VirtualIDEController):
        start, stop = 0, 2
    elif isinstance(controller, (t.VirtualSATAController, t.VirtualAHCIController)):
        start, stop = 0, 30
    elif isinstance(controller, t.VirtualNVMEController):
        start, stop = 0, 15
    else:
        start, stop = 0, 32
    return next((u for u in range(start, stop) if u not in taken), None)


def _network_of(nic: Any) -> Any:
    from aiovsphere.vim import types as t
    from aiovsphere.vim._moref import ManagedObjectReference as Ref

    backing = nic.backing
    if isinstance(backing, t.VirtualEthernetCardDistributedVirtualPortBackingInfo):
        key = backing.port.portgroupKey if backing.port is not None else None
        return Ref("DistributedVirtualPortgroup", key) if key else None
    return getattr(backing, "network", None)


def _nic_backing(model: Model, datacenter: SimObject | None, nic: Any, invalid: Any) -> Any:
    from aiovsphere.vim import types as t

    backing = nic.backing
    if isinstance(backing, t.VirtualEthernetCardNetworkBackingInfo):
        network = model.get(backing.network) if backing.network is not None else None
        if network is None:
            network = _by_name(model, datacenter, "network", backing.deviceName)
        if network is None:
            raise invalid("device.backing.deviceName", backing=True)
        return nic.model_copy(update={"backing": backing.model_copy(update={
            "network": network.ref, "deviceName": network.props.get("name")})})
    if isinstance(backing, t.VirtualEthernetCardDistributedVirtualPortBackingInfo):
        key = backing.port.portgroupKey if backing.port is not None else None
        portgroup = next((o for o in model.of_type("DistributedVirtualPortgroup")
                          if o.ref.value == key or value_at(o, "key") == key), None)
        if portgroup is None:
            raise invalid("device.backing.port.portgroupKey", backing=True)
    return nic


def _by_name(model: Model, datacenter: SimObject | None, prop: str, name: str | None,
             ) -> SimObject | None:
    if name is None:
        return None
    refs = datacenter.props.get(prop) or () if datacenter is not None else ()
    for ref in refs:
        obj = model.get(ref)
        if obj is not None and obj.props.get("name") == name:
            return obj
    kinds = ("Network", "DistributedVirtualPortgroup", "OpaqueNetwork") \
        if prop == "network" else ("Datastore",)
    return next((o for kind in kinds for o in model.of_type(kind)
                 if o.props.get("name") == name), None)


def _disk_capacity(disk: Any) -> Any:
    kb, size = disk.capacityInKB, disk.capacityInBytes
    if size is not None and (kb is None or kb * 1024 != size):
        return disk.model_copy(update={"capacityInKB": size // 1024})
    if kb is not None and size is None:
        return disk.model_copy(update={"capacityInBytes": kb * 1024})
    return disk


def _disk_backing(model: Model, vm: SimObject, datacenter: SimObject | None, disk: Any,
                  change: Any, by_key: dict[int, Any], vm_name: str, invalid: Any) -> Any:
    backing = disk.backing
    if backing is None or not hasattr(backing, "fileName"):
        return disk
    name = backing.fileName or ""
    create = str(change.fileOperation or "") == "create"
    ds_name, _, path = name.partition("]")
    ds_name = ds_name.lstrip("[").strip()
    path = path.strip()
    store = model.get(backing.datastore) if backing.datastore is not None else None
    if store is None and ds_name:
        store = _by_name(model, datacenter, "datastore", ds_name)
        if store is None:
            raise vim_fault("InvalidDatastore", f"The datastore '{ds_name}' is not "
                            "accessible.", name=ds_name)
    vmx = str(value_at(vm, "config.files.vmPathName", ""))
    if store is None:
        vmx_ds = vmx.partition("]")[0].lstrip("[").strip()
        store = _by_name(model, datacenter, "datastore", vmx_ds) if vmx_ds else None
    if store is None:
        raise invalid("device.backing.fileName")
    ds_label = store.props.get("name")
    if not path:
        if not create:
            raise invalid("device.backing.fileName")
        folder = vmx.partition("]")[2].strip().rpartition("/")[0] or vm_name
        used = {getattr(d.backing, "fileName", None) for d in by_key.values()}
        index = 0
        while True:
            file = f"{vm_name}.vmdk" if index == 0 else f"{vm_name}_{index}.vmdk"
            path = f"{folder}/{file}"
            if f"[{ds_label}] {path}" not in used:
                break
            index += 1
    updates: dict[str, Any] = {"fileName": f"[{ds_label}] {path}", "datastore": store.ref}
    for flag in ("thinProvisioned", "eagerlyScrub", "split", "writeThrough",
                 "digestEnabled"):
        if hasattr(backing, flag) and getattr(backing, flag) is None:
            updates[flag] = False
    if hasattr(backing, "diskMode") and backing.diskMode is None:
        updates["diskMode"] = "persistent"
    return disk.model_copy(update={"backing": backing.model_copy(update=updates)})


def _summary_of(model: Model, device: Any) -> str:
    from aiovsphere.vim import types as t

    if isinstance(device, t.VirtualDisk):
        return disk_size_summary(device.capacityInKB or 0)
    if isinstance(device, t.VirtualEthernetCard):
        ref = _network_of(device)
        network = model.get(ref) if ref is not None else None
        if network is not None:
            return str(network.props.get("name"))
        return str(getattr(device.backing, "deviceName", "") or "")
    if isinstance(device, t.VirtualCdrom):
        file = getattr(device.backing, "fileName", None)
        return f"ISO {file}" if file else "Remote device"
    return type(device).__name__


# ---------------------------------------------------------------------- commit
def _commit(ctx: Context, vm: SimObject, plan: _Plan) -> None:

    model = ctx.model
    config = vm.props["config"]
    hardware = config.hardware
    hw_updates = dict(plan.hardware)
    if plan.devices is not None:
        hw_updates["device"] = tuple(plan.devices)
    updates: dict[str, Any] = dict(plan.config)
    if hw_updates:
        updates["hardware"] = hardware.model_copy(update=hw_updates)
    if plan.extra is not None:
        updates["extraConfig"] = plan.extra
    if plan.name is not None:
        updates["name"] = plan.name
        vm.props["name"] = plan.name
    stamp = now()
    updates["modified"] = stamp
    updates["changeVersion"] = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    config = vm.props["config"] = config.model_copy(update=updates)
    if "cpuAllocation" in plan.config or "memoryAllocation" in plan.config:
        resource = vm.props.get("resourceConfig")
        if resource is not None:
            vm.props["resourceConfig"] = resource.model_copy(update={
                "cpuAllocation": config.cpuAllocation,
                "memoryAllocation": config.memoryAllocation, "lastModified": stamp})
    if "guestId" in plan.config and power_state(vm) == "poweredOn":
        guest = vm.props.get("guest")
        if guest is not None:
            vm.props["guest"] = guest.model_copy(update={
                "guestId": config.guestId, "guestFullName": config.guestFullName})
    model.touch()
    sync(ctx, vm)


def sync(ctx: Context, vm: SimObject) -> None:
    """Recompute what ``config`` implies (the inventory's ``sync_vm``: ``summary``,
    ``layoutEx``, ``storage``, ``datastore`` and ``network`` with their back links,
    datastore space); :func:`rebuild_counts` for a VM the inventory cannot place."""
    from aiovsphere.simulator._context import SimFault
    from aiovsphere.simulator._inv_api import sync_vm

    before = tuple(vm.props.get("network") or ())
    try:
        sync_vm(ctx.sim, vm.ref)
    except (SimFault, KeyError, AttributeError):
        rebuild_counts(vm)
        ctx.model.touch()
        return
    # sync_vm reads the old ``network`` list after replacing it: unlink the networks the
    # VM left here.
    after = tuple(vm.props.get("network") or ())
    for ref in before:
        if ref not in after:
            remove_ref(ctx.model, ref, "vm", vm.ref)


def rebuild_counts(vm: SimObject) -> None:
    """``summary.config`` from ``config``: name, numCpu, memorySizeMB, NIC and disk counts,
    annotation, guest, UUIDs, template, reservations, path."""
    from aiovsphere.vim import types as t

    config = vm.props.get("config")
    summary = vm.props.get("summary")
    if config is None or summary is None or summary.config is None or config.hardware is None:
        return
    hardware = config.hardware
    devices = hardware.device or ()
    base = summary.config
    updates: dict[str, Any] = {
        "name": vm.props.get("name"), "template": bool(config.template),
        "numCpu": hardware.numCPU, "memorySizeMB": hardware.memoryMB,
        "numEthernetCards": sum(isinstance(d, t.VirtualEthernetCard) for d in devices),
        "numVirtualDisks": sum(isinstance(d, t.VirtualDisk) for d in devices),
        "annotation": config.annotation, "guestId": config.guestId,
        "guestFullName": config.guestFullName, "uuid": config.uuid,
        "instanceUuid": config.instanceUuid,
        "vmPathName": config.files.vmPathName if config.files is not None else None,
    }
    if config.cpuAllocation is not None and config.cpuAllocation.reservation is not None:
        updates["cpuReservation"] = config.cpuAllocation.reservation
    if config.memoryAllocation is not None and \
            config.memoryAllocation.reservation is not None:
        updates["memoryReservation"] = config.memoryAllocation.reservation
    changes: dict[str, Any] = {"config": base.model_copy(update=updates)}
    if summary.guest is not None:
        changes["guest"] = summary.guest.model_copy(update={
            "guestId": config.guestId, "guestFullName": config.guestFullName})
    vm.props["summary"] = summary.model_copy(update=changes)
