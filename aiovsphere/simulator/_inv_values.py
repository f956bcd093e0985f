"""Typed property values of the simulated inventory (pure builders, no model access).

Every builder returns the client's own frozen data objects (``aiovsphere.vim.types``),
so what the simulator serves is what the client decodes. Values that are identical for
many objects (device controllers, a VM's resource allocation, the runtime of every VM on
one host at build time...) are built once and shared: they are immutable, and a change
through :meth:`~aiovsphere.simulator._model.Model.set` rebuilds only the changed object.

Sizes and counts follow vcsim's VPX model where tests may compare them (a VM has 1 vCPU
and 32 MB; a host 2 cores at 2294 MHz and ~4 GB); identifiers follow vCenter (VM BIOS
UUIDs ``42xxxxxx-...``, instance UUIDs ``50xxxxxx-...``, MACs ``00:50:56:8x:xx:xx``,
datastore URLs ``ds:///vmfs/volumes/<uuid>/``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from aiovsphere.vim import types as t
from aiovsphere.vim._moref import ManagedObjectReference as Ref

__all__ = [
    "DATASTORE_BYTES",
    "DESCRIPTOR_BYTES",
    "DISK_KB",
    "DISK_USED",
    "ESXI_ABOUT",
    "ESXI_BUILD",
    "ESXI_VERSION",
    "GRAY",
    "GREEN",
    "GUEST_FULL_NAME",
    "GUEST_ID",
    "HOST_CPU_CORES",
    "HOST_CPU_MHZ",
    "HOST_CPU_MODEL",
    "HOST_CPU_PKGS",
    "HOST_MEMORY",
    "HW_VERSION",
    "LOG_BYTES",
    "NVRAM_BYTES",
    "VMSD_BYTES",
    "VMX_BYTES",
    "VM_CPUS",
    "VM_MEMORY_MB",
    "DvsNic",
    "allocation",
    "base_devices",
    "cluster_config",
    "cluster_config_ex",
    "compute_config_ex",
    "compute_summary",
    "config_summary",
    "connect_info",
    "content_uuid",
    "datastore_mounts",
    "datastore_values",
    "default_devices",
    "det_uuid",
    "disk",
    "dvs_uuid",
    "dvs_values",
    "entity",
    "fixed_devices",
    "guest_summary",
    "hardware_summary",
    "host_config",
    "host_hardware",
    "host_ip",
    "host_network",
    "host_runtime",
    "host_summary",
    "layout_ex",
    "mac_address",
    "network_summary",
    "nic",
    "pool_config",
    "pool_runtime",
    "pool_summary",
    "portgroup_config",
    "quick_stats",
    "root_permissions",
    "storage_info",
    "storage_summary",
    "vm_capability",
    "vm_config",
    "vm_file_sizes",
    "vm_files",
    "vm_guest",
    "vm_ip",
    "vm_runtime",
    "vm_summary",
    "wire_controllers",
]

_T = TypeVar("_T", bound=t.DataObject)


def _new(cls: type[_T], **values: Any) -> _T:
    """``cls(**values)`` without pydantic validation, for the per-VM hot path: the values
    must already have the field types (tuples for arrays, typed data objects). The
    inventory tests encode every value through the codec, which checks them."""
    return cast(_T, cls._from_wire(values))


GREEN = t.ManagedEntityStatus.green
GRAY = t.ManagedEntityStatus.gray

# ---------------------------------------------------------------- sizes (vcsim's where it matters)
VM_CPUS = 1
VM_MEMORY_MB = 32
DISK_KB = 1024 * 1024  # 1 GiB, thin
DISK_USED = 64 * 1024 * 1024  # what the thin disk's flat file holds
VMX_BYTES = 2_826
NVRAM_BYTES = 270_840
LOG_BYTES = 262_144
VMSD_BYTES = 0
DESCRIPTOR_BYTES = 512
DATASTORE_BYTES = 2 * 1024**4  # 2 TiB per datastore

HOST_CPU_PKGS = 2
HOST_CPU_CORES = 2
HOST_CPU_MHZ = 2294
HOST_MEMORY = 4_294_430_720
HOST_CPU_MODEL = "Intel(R) Core(TM) i7-3615QM CPU @ 2.30GHz"

ESXI_VERSION = "8.0.3"
ESXI_BUILD = "24022510"


# ---------------------------------------------------------------- identifiers
def _digest(seed: int, kind: str, key: object) -> str:
    return hashlib.md5(f"{seed}:{kind}:{key}".encode(), usedforsecurity=False).hexdigest()


def det_uuid(seed: int, kind: str, key: object, prefix: str = "") -> str:
    """A deterministic UUID string for (``seed``, ``kind``, ``key``); ``prefix`` replaces
    its first hex digits (vCenter: VM BIOS UUIDs start ``42``, instance UUIDs ``50``)."""
    h = prefix + _digest(seed, kind, key)[len(prefix):]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def content_uuid(seed: int, key: object) -> str:
    """A VMFS-style volume UUID (``5f1a2b3c-4d5e6f70-1a2b-0050568a1b2c``)."""
    h = _digest(seed, "vmfs", key)
    return f"{h[:8]}-{h[8:16]}-{h[16:20]}-0050568{h[20:25]}"


def dvs_uuid(seed: int, key: object) -> str:
    """vCenter's DVS UUID form: ``50 1e 2f ... 3a-4b 5c ... 6d``."""
    h = _digest(seed, "dvs", key)
    pairs = ["50"] + [h[i:i + 2] for i in range(2, 32, 2)]
    return " ".join(pairs[:8]) + "-" + " ".join(pairs[8:])


def mac_address(seed: int, n: int) -> str:
    """A vCenter-assigned MAC (``00:50:56:80:00:00`` to ``00:50:56:bf:ff:ff``), unique
    for ``n`` below 2**22."""
    v = (n + seed * 7919) % (1 << 22)
    return f"00:50:56:{0x80 | (v >> 16):02x}:{(v >> 8) & 0xFF:02x}:{v & 0xFF:02x}"


def vm_ip(n: int) -> str:
    """The guest IP of the ``n``-th VM (1-based): ``10.1.0.1`` onwards."""
    n -= 1
    return f"10.{1 + n // 64_516}.{(n // 254) % 254}.{n % 254 + 1}"


def host_ip(n: int) -> str:
    """The management IP of the ``n``-th host (1-based): ``10.0.0.11`` onwards."""
    n += 10
    return f"10.0.{n // 254}.{n % 254 + 1}"


def _kb(n: int) -> str:
    return f"{n:,} KB"


# ---------------------------------------------------------------- ManagedEntity basics
def entity(name: str, parent: Ref | None) -> dict[str, Any]:
    """The ManagedEntity properties every entity has (``effectiveRole`` is dynamic)."""
    return {
        "name": name, "parent": parent, "overallStatus": GREEN, "configStatus": GREEN,
        "alarmActionsEnabled": True, "availableField": (), "value": (), "customValue": (),
        "configIssue": (), "permission": (), "disabledMethod": (), "recentTask": (),
        "declaredAlarmState": (), "triggeredAlarmState": (), "tag": (),
    }


def root_permissions(root: Ref) -> tuple[t.Permission, ...]:
    """The administrator permissions vCenter sets on the root folder."""
    return (
        t.Permission(entity=root, principal="VSPHERE.LOCAL\\Administrator", group=False,
                     roleId=-1, propagate=True),
        t.Permission(entity=root, principal="VSPHERE.LOCAL\\Administrators", group=True,
                     roleId=-1, propagate=True),
    )


# ---------------------------------------------------------------- virtual machine
_CAPABILITY: t.VirtualMachineCapability | None = None


def vm_capability() -> t.VirtualMachineCapability:
    """What a vSphere 8 VM supports (shared by every VM)."""
    global _CAPABILITY
    if _CAPABILITY is None:
        yes = True
        _CAPABILITY = t.VirtualMachineCapability(
            snapshotOperationsSupported=yes, multipleSnapshotsSupported=yes,
            snapshotConfigSupported=yes, poweredOffSnapshotsSupported=yes,
            memorySnapshotsSupported=yes, revertToSnapshotSupported=yes,
            quiescedSnapshotsSupported=yes, disableSnapshotsSupported=False,
            lockSnapshotsSupported=yes, consolePreferencesSupported=False,
            cpuFeatureMaskSupported=yes, s1AcpiManagementSupported=yes,
            settingScreenResolutionSupported=False, toolsAutoUpdateSupported=False,
            vmNpivWwnSupported=yes, npivWwnOnNonRdmVmSupported=yes,
            vmNpivWwnDisableSupported=yes, vmNpivWwnUpdateSupported=yes,
            swapPlacementSupported=yes, toolsSyncTimeSupported=yes,
            virtualMmuUsageSupported=yes, diskSharesSupported=yes,
            bootOptionsSupported=yes, bootRetryOptionsSupported=yes,
            settingVideoRamSizeSupported=yes, settingDisplayTopologySupported=False,
            recordReplaySupported=False, changeTrackingSupported=yes,
            multipleCoresPerSocketSupported=yes, hostBasedReplicationSupported=yes,
            guestAutoLockSupported=yes, memoryReservationLockSupported=yes,
            featureRequirementSupported=yes, poweredOnMonitorTypeChangeSupported=yes,
            seSparseDiskSupported=yes, nestedHVSupported=yes, vPMCSupported=yes,
            secureBootSupported=yes, perVmEvcSupported=yes,
            virtualMmuUsageIgnored=yes, virtualExecUsageIgnored=yes,
            diskOnlySnapshotOnSuspendedVMSupported=yes, toolsSyncTimeAllowSupported=yes,
            sevSupported=False, pmemFailoverSupported=yes, requireSgxAttestationSupported=False,
            changeModeDisksSupported=yes,
        )
    return _CAPABILITY


class DvsNic:
    """Where a VM's NIC connects: a standard network (by name) or a DVS portgroup."""

    __slots__ = ("backing", "network", "summary")

    def __init__(self, network: Ref, name: str, *, switch_uuid: str | None = None,
                 portgroup_key: str | None = None) -> None:
        self.network = network
        if switch_uuid is None:
            self.backing: t.VirtualDeviceBackingInfo = t.VirtualEthernetCardNetworkBackingInfo(
                deviceName=name, network=network, useAutoDetect=False)
            self.summary = name
        else:
            self.backing = t.VirtualEthernetCardDistributedVirtualPortBackingInfo(
                port=t.DistributedVirtualSwitchPortConnection(
                    switchUuid=switch_uuid, portgroupKey=portgroup_key))
            self.summary = f"DVSwitch: {switch_uuid}"


def _desc(label: str, summary: str | None = None) -> t.Description:
    return _new(t.Description, label=label, summary=label if summary is None else summary)


def _connect(connected: bool, *, start: bool = True) -> t.VirtualDeviceConnectInfo:
    return t.VirtualDeviceConnectInfo(startConnected=start, allowGuestControl=True,
                                      connected=connected, status="ok" if connected else
                                      "untried")


_CONNECTED = _connect(True)
_DISCONNECTED = _connect(False)
_CDROM_CONNECT = _connect(False, start=False)


def connect_info(connected: bool) -> t.VirtualDeviceConnectInfo:
    """A NIC's ``connectable`` (shared instances)."""
    return _CONNECTED if connected else _DISCONNECTED


_FIXED: tuple[t.VirtualDevice, ...] | None = None


def fixed_devices() -> tuple[t.VirtualDevice, ...]:
    """The devices every VM has, shared: IDE 0/1 (200, 201), PS2 (300), PCI (100),
    SIO (400), keyboard (600), pointing device (700), video card (500), VMCI (12000),
    the paravirtual SCSI controller 0 (1000) and the CD/DVD drive (3000 on IDE 0)."""
    global _FIXED
    if _FIXED is None:
        _FIXED = (
            t.VirtualIDEController(key=200, deviceInfo=_desc("IDE 0"), busNumber=0,
                                   device=(3000,)),
            t.VirtualIDEController(key=201, deviceInfo=_desc("IDE 1"), busNumber=1),
            t.VirtualPS2Controller(key=300, deviceInfo=_desc("PS2 controller 0"),
                                   busNumber=0, device=(600, 700)),
            t.VirtualPCIController(key=100, deviceInfo=_desc("PCI controller 0"),
                                   busNumber=0, device=(500, 12000, 1000, 4000)),
            t.VirtualSIOController(key=400, deviceInfo=_desc("SIO controller 0"),
                                   busNumber=0),
            t.VirtualKeyboard(key=600, deviceInfo=_desc("Keyboard", "Keyboard"),
                              controllerKey=300, unitNumber=0),
            t.VirtualPointingDevice(
                key=700, deviceInfo=_desc("Pointing device", "Pointing device; Device"),
                backing=t.VirtualPointingDeviceDeviceBackingInfo(
                    deviceName="", useAutoDetect=False, hostPointingDevice="autodetect"),
                controllerKey=300, unitNumber=1),
            t.VirtualMachineVideoCard(
                key=500, deviceInfo=_desc("Video card ", "Video card"), controllerKey=100,
                unitNumber=0, videoRamSizeInKB=4096, numDisplays=1, useAutoDetect=False,
                enable3DSupport=False, use3dRenderer="automatic",
                graphicsMemorySizeInKB=262144),
            t.VirtualMachineVMCIDevice(
                key=12000, deviceInfo=_desc(
                    "VMCI device", "Device on the virtual machine PCI bus that provides "
                    "support for the virtual machine communication interface"),
                controllerKey=100, unitNumber=17, id=-1,
                allowUnrestrictedCommunication=False, filterEnable=True),
            t.ParaVirtualSCSIController(
                key=1000, deviceInfo=_desc("SCSI controller 0", "VMware paravirtual SCSI"),
                controllerKey=100, unitNumber=3, busNumber=0, device=(2000,),
                hotAddRemove=True, sharedBus=t.VirtualSCSISharing.noSharing,
                scsiCtlrUnitNumber=7),
            t.VirtualCdrom(
                key=3000, deviceInfo=_desc("CD/DVD drive 1", "Remote device"),
                backing=t.VirtualCdromRemotePassthroughBackingInfo(
                    deviceName="", useAutoDetect=False, exclusive=False),
                connectable=_CDROM_CONNECT, controllerKey=200, unitNumber=0),
        )
    return _FIXED


def base_devices() -> tuple[t.VirtualDevice, ...]:
    """What vCenter gives a VM created without devices: IDE 0/1, PS2, PCI and SIO
    controllers, keyboard, pointing device, video card and VMCI (shared instances;
    :func:`wire_controllers` fills in the controllers' ``device`` lists)."""
    global _BASE
    if _BASE is None:
        fixed = fixed_devices()
        _BASE = tuple(
            d.model_copy(update={"device": ()}) if d.key == 200 else
            d.model_copy(update={"device": (500, 12000)}) if d.key == 100 else d
            for d in fixed if d.key not in (1000, 3000))
    return _BASE


_BASE: tuple[t.VirtualDevice, ...] | None = None


def wire_controllers(devices: Sequence[t.VirtualDevice]) -> tuple[t.VirtualDevice, ...]:
    """``devices`` with each controller's ``device`` listing the keys of the devices
    attached to it (unchanged instances where already right)."""
    children: dict[int, list[int]] = {}
    for d in devices:
        if d.controllerKey is not None:
            children.setdefault(d.controllerKey, []).append(d.key)
    out: list[t.VirtualDevice] = []
    for d in devices:
        if isinstance(d, t.VirtualController):
            keys = tuple(children.get(d.key, ()))
            if tuple(d.device) != keys:
                d = d.model_copy(update={"device": keys})
        out.append(d)
    return tuple(out)


def disk(key: int, file_name: str, datastore: Ref, *, capacity_kb: int = DISK_KB,
         controller: int = 1000, unit: int = 0, uuid: str | None = None,
         number: int = 1) -> t.VirtualDisk:
    """A thin-provisioned flat disk ``Hard disk <number>`` backed by ``file_name``."""
    return _new(
        t.VirtualDisk,
        key=key, deviceInfo=_desc(f"Hard disk {number}", _kb(capacity_kb)),
        backing=_new(
            t.VirtualDiskFlatVer2BackingInfo,
            fileName=file_name, datastore=datastore, diskMode="persistent", split=False,
            writeThrough=False, thinProvisioned=True, eagerlyScrub=False, uuid=uuid,
            contentId=None, digestEnabled=False, sharing="sharingNone"),
        controllerKey=controller, unitNumber=unit, capacityInKB=capacity_kb,
        capacityInBytes=capacity_kb * 1024, storageIOAllocation=None)


_SLOTS: dict[int, t.VirtualDevicePciBusSlotInfo] = {}


def _slot(n: int) -> t.VirtualDevicePciBusSlotInfo:
    slot = _SLOTS.get(n)
    if slot is None:
        slot = _SLOTS[n] = t.VirtualDevicePciBusSlotInfo(pciSlotNumber=n)
    return slot


def nic(key: int, mac: str, where: DvsNic, connected: bool, *, number: int = 1,
        unit: int = 7) -> t.VirtualVmxnet3:
    """A VMXNET 3 adapter ``Network adapter <number>`` with a vCenter-assigned MAC."""
    return _new(
        t.VirtualVmxnet3,
        key=key, deviceInfo=_desc(f"Network adapter {number}", where.summary),
        backing=where.backing, connectable=connect_info(connected),
        slotInfo=_slot(160 + 32 * (number - 1)),
        controllerKey=100, unitNumber=unit, addressType="assigned", macAddress=mac,
        wakeOnLanEnabled=True, uptCompatibilityEnabled=True)


def default_devices(vmdk: str, datastore: Ref, mac: str, where: DvsNic, connected: bool,
                    disk_uuid: str) -> tuple[t.VirtualDevice, ...]:
    """The fixed devices plus disk 2000 (``vmdk``) and NIC 4000 (``mac`` on ``where``)."""
    return (*fixed_devices(), disk(2000, vmdk, datastore, uuid=disk_uuid),
            nic(4000, mac, where, connected))


# Shared pieces of VirtualMachineConfigInfo.
_ALLOC_CPU = t.ResourceAllocationInfo(reservation=0, expandableReservation=False, limit=-1,
                                      shares=t.SharesInfo(shares=1000, level="normal"))
_ALLOC_MEM = t.ResourceAllocationInfo(reservation=0, expandableReservation=False, limit=-1,
                                      shares=t.SharesInfo(shares=320, level="normal"))
_TOOLS = t.ToolsConfigInfo(toolsVersion=12352, toolsInstallType="guestToolsTypeOpenVMTools",
                           afterPowerOn=True, afterResume=True, beforeGuestStandby=True,
                           beforeGuestShutdown=True, toolsUpgradePolicy="manual",
                           syncTimeWithHostAllowed=True, syncTimeWithHost=False)
_FLAGS = t.VirtualMachineFlagInfo(disableAcceleration=False, enableLogging=True,
                                  useToe=False, runWithDebugInfo=False,
                                  monitorType="release", htSharing="any",
                                  snapshotDisabled=False, snapshotLocked=False,
                                  diskUuidEnabled=False, virtualMmuUsage="automatic",
                                  virtualExecUsage="hvAuto", snapshotPowerOffBehavior="powerOff",
                                  recordReplayEnabled=False, faultToleranceType="unset",
                                  cbrcCacheEnabled=False, vvtdEnabled=False, vbsEnabled=False)
_POWER_OPS = t.VirtualMachineDefaultPowerOpInfo(
    powerOffType="soft", suspendType="hard", resetType="soft", defaultPowerOffType="soft",
    defaultSuspendType="hard", defaultResetType="soft", standbyAction="checkpoint")
_BOOT = t.VirtualMachineBootOptions(bootDelay=0, enterBIOSSetup=False, efiSecureBootEnabled=False,
                                    bootRetryEnabled=False, bootRetryDelay=10000,
                                    networkBootProtocol="ipv4")
_LATENCY = t.LatencySensitivity(level=t.LatencySensitivitySensitivityLevel.normal)
_CONSOLE = t.VirtualMachineConsolePreferences(powerOnWhenOpened=False,
                                              enterFullScreenOnPowerOn=False,
                                              closeOnPowerOffOrSuspend=False)

GUEST_ID = "otherGuest"
GUEST_FULL_NAME = "Other (32-bit)"
HW_VERSION = "vmx-21"


def vm_files(vmx: str) -> t.VirtualMachineFileInfo:
    """``files`` for a VM whose configuration file is ``vmx`` (``[ds] dir/name.vmx``)."""
    folder = vmx.rsplit("/", 1)[0] + "/" if "/" in vmx else vmx.rsplit(" ", 1)[0] + " "
    return _new(t.VirtualMachineFileInfo, vmPathName=vmx, snapshotDirectory=folder,
                                    suspendDirectory=folder, logDirectory=folder)


def vm_config(*, name: str, uuid: str, instance_uuid: str, vmx: str,
              devices: tuple[t.VirtualDevice, ...], created: _dt.datetime,
              datastore_urls: tuple[t.VirtualMachineConfigInfoDatastoreUrlPair, ...],
              num_cpu: int = VM_CPUS, cores_per_socket: int = 1,
              memory_mb: int = VM_MEMORY_MB, guest_id: str = GUEST_ID,
              guest_full_name: str = GUEST_FULL_NAME, version: str = HW_VERSION,
              annotation: str | None = None, template: bool = False,
              files: t.VirtualMachineFileInfo | None = None,
              extra_config: tuple[t.OptionValue, ...] = (),
              firmware: str = "bios",
              cpu_allocation: t.ResourceAllocationInfo | None = None,
              memory_allocation: t.ResourceAllocationInfo | None = None,
              change_version: str | None = None) -> t.VirtualMachineConfigInfo:
    """A VM's ``config`` (VirtualMachineConfigInfo)."""
    return _new(
        t.VirtualMachineConfigInfo,
        changeVersion=change_version or created.isoformat().replace("+00:00", "Z"),
        modified=created, name=name, guestFullName=guest_full_name, version=version,
        uuid=uuid, createDate=created, instanceUuid=instance_uuid, npivTemporaryDisabled=True,
        locationId=None, template=template, guestId=guest_id, alternateGuestName="",
        annotation=annotation, files=files or vm_files(vmx), tools=_TOOLS, flags=_FLAGS,
        consolePreferences=_CONSOLE, defaultPowerOps=_POWER_OPS,
        rebootPowerOff=False,
        hardware=_new(t.VirtualHardware, numCPU=num_cpu, numCoresPerSocket=cores_per_socket,
                                   autoCoresPerSocket=True, memoryMB=memory_mb,
                                   virtualICH7MPresent=False, virtualSMCPresent=False,
                                   device=devices, motherboardLayout="i440bxHostBridge",
                                   simultaneousThreads=1),
        cpuAllocation=cpu_allocation or _ALLOC_CPU,
        memoryAllocation=memory_allocation or _ALLOC_MEM,
        latencySensitivity=_LATENCY, memoryHotAddEnabled=False, cpuHotAddEnabled=False,
        cpuHotRemoveEnabled=False, extraConfig=extra_config, datastoreUrl=datastore_urls,
        swapPlacement="inherit", bootOptions=_BOOT, changeTrackingEnabled=False,
        firmware=firmware, maxMksConnections=40, guestAutoLockEnabled=True,
        memoryReservationLockedToMax=False, initialOverhead=None, nestedHVEnabled=False,
        vPMCEnabled=False, scheduledHardwareUpgradeInfo=None, vmxConfigChecksum=None,
        messageBusTunnelEnabled=False, guestIntegrityInfo=None, migrateEncryption="opportunistic",
        sgxInfo=None, ftEncryptionMode="ftEncryptionOpportunistic", sevEnabled=False,
        numaInfo=None, pmemFailoverEnabled=False, vmxStatsCollectionEnabled=True,
        vmOpNotificationToAppEnabled=False, vmOpNotificationTimeout=None,
        deviceSwap=None, pmem=None, deviceGroups=None, fixedPassthruHotPlugEnabled=False,
        metroFtEnabled=None, metroFtHostGroup=None)


def vm_runtime(host: Ref | None, power: str, boot_time: _dt.datetime | None,
               memory_mb: int = VM_MEMORY_MB) -> t.VirtualMachineRuntimeInfo:
    """A VM's ``runtime`` (also ``summary.runtime``)."""
    on = power == "poweredOn"
    return t.VirtualMachineRuntimeInfo(
        device=(), host=host, connectionState=t.VirtualMachineConnectionState.connected,
        powerState=power, faultToleranceState=t.VirtualMachineFaultToleranceState.notConfigured,
        toolsInstallerMounted=False, bootTime=boot_time if power != "poweredOff" else None,
        maxCpuUsage=HOST_CPU_MHZ if on else None,
        maxMemoryUsage=memory_mb if on else None, numMksConnections=0,
        recordReplayState=t.VirtualMachineRecordReplayState.inactive, onlineStandby=False,
        consolidationNeeded=False, paused=False, snapshotInBackground=False,
        instantCloneFrozen=False, suspendTime=None, suspendInterval=0 if on else None,
        cryptoState="unlocked", memoryOverhead=None)


def vm_guest(power: str, *, ip: str | None, host_name: str, mac: str,
             network_name: str, guest_id: str = GUEST_ID,
             guest_full_name: str = GUEST_FULL_NAME) -> t.GuestInfo:
    """A VM's ``guest``: VMware Tools running with ``ip`` when powered on; tools not
    running and no addresses when off or suspended."""
    on = power == "poweredOn"
    nic_info = _new(
        t.GuestNicInfo,
        network=network_name, ipAddress=(ip,) if on and ip else (), macAddress=mac,
        connected=on, deviceConfigId=4000,
        ipConfig=_new(t.NetIpConfigInfo, ipAddress=(_new(
            t.NetIpConfigInfoIpAddress,
            ipAddress=ip, prefixLength=16, origin="dhcp", state="preferred"),))
        if on and ip else None)
    return _new(
        t.GuestInfo,
        toolsStatus=t.VirtualMachineToolsStatus.toolsOk if on
        else t.VirtualMachineToolsStatus.toolsNotRunning,
        toolsVersionStatus="guestToolsUnmanaged",
        toolsVersionStatus2="guestToolsUnmanaged",
        toolsRunningStatus="guestToolsRunning" if on else "guestToolsNotRunning",
        toolsVersion="12352", toolsInstallType="guestToolsTypeOpenVMTools",
        guestId=guest_id if on else None, guestFamily="otherGuestFamily" if on else None,
        guestFullName=guest_full_name if on else None,
        hostName=host_name if on else None, ipAddress=ip if on else None,
        net=(nic_info,), guestState="running" if on else "notRunning",
        appHeartbeatStatus="appStatusGray", guestKernelCrashed=False,
        appState="none", guestOperationsReady=on,
        interactiveGuestOperationsReady=False, guestStateChangeSupported=on,
        hwVersion=HW_VERSION)


def guest_summary(guest: t.GuestInfo) -> t.VirtualMachineGuestSummary:
    """``summary.guest`` from ``guest``."""
    return _new(
        t.VirtualMachineGuestSummary,
        guestId=guest.guestId, guestFullName=guest.guestFullName,
        toolsStatus=guest.toolsStatus, toolsVersionStatus=guest.toolsVersionStatus,
        toolsVersionStatus2=guest.toolsVersionStatus2,
        toolsRunningStatus=guest.toolsRunningStatus, hostName=guest.hostName,
        ipAddress=guest.ipAddress, hwVersion=guest.hwVersion)


def config_summary(config: t.VirtualMachineConfigInfo, *, num_nics: int | None = None,
                   num_disks: int | None = None) -> t.VirtualMachineConfigSummary:
    """``summary.config`` from ``config``."""
    devices = config.hardware.device
    if num_nics is None:
        num_nics = sum(isinstance(d, t.VirtualEthernetCard) for d in devices)
    if num_disks is None:
        num_disks = sum(isinstance(d, t.VirtualDisk) for d in devices)
    return _new(
        t.VirtualMachineConfigSummary,
        name=config.name, template=config.template, vmPathName=config.files.vmPathName or "",
        memorySizeMB=config.hardware.memoryMB, cpuReservation=0, memoryReservation=0,
        numCpu=config.hardware.numCPU, numEthernetCards=num_nics,
        numVirtualDisks=num_disks, uuid=config.uuid, instanceUuid=config.instanceUuid,
        guestId=config.guestId, guestFullName=config.guestFullName,
        annotation=config.annotation, installBootRequired=False,
        hwVersion=config.version, tpmPresent=False, numVmiopBackings=0)


_QUICK_OFF = t.VirtualMachineQuickStats(
    overallCpuUsage=0, overallCpuDemand=0, guestMemoryUsage=0, hostMemoryUsage=0,
    guestHeartbeatStatus=GRAY, distributedCpuEntitlement=0, distributedMemoryEntitlement=0,
    staticCpuEntitlement=0, staticMemoryEntitlement=0, privateMemory=0, sharedMemory=0,
    swappedMemory=0, balloonedMemory=0, consumedOverheadMemory=0, ftLogBandwidth=-1,
    ftSecondaryLatency=-1, ftLatencyStatus=GRAY, compressedMemory=0, uptimeSeconds=0,
    ssdSwappedMemory=0, grantedMemory=0, activeMemory=0)


def quick_stats(power: str, memory_mb: int = VM_MEMORY_MB,
                uptime: int = 0) -> t.VirtualMachineQuickStats:
    """``summary.quickStats``: a small steady load when powered on."""
    if power != "poweredOn":
        return _QUICK_OFF
    return _QUICK_OFF.model_copy(update={
        "overallCpuUsage": 23, "overallCpuDemand": 23, "guestMemoryUsage": memory_mb // 8,
        "hostMemoryUsage": memory_mb + 9, "guestHeartbeatStatus": GREEN,
        "distributedCpuEntitlement": 23, "distributedMemoryEntitlement": memory_mb // 2,
        "staticCpuEntitlement": HOST_CPU_MHZ, "staticMemoryEntitlement": memory_mb + 22,
        "privateMemory": memory_mb, "consumedOverheadMemory": 9, "uptimeSeconds": uptime,
        "grantedMemory": memory_mb, "activeMemory": memory_mb // 8,
        "ftLatencyStatus": GRAY})


def vm_summary(vm: Ref, config: t.VirtualMachineConfigInfo,
               runtime: t.VirtualMachineRuntimeInfo, guest: t.GuestInfo,
               storage: t.VirtualMachineStorageSummary,
               quick: t.VirtualMachineQuickStats | None = None, *,
               config_sum: t.VirtualMachineConfigSummary | None = None,
               guest_sum: t.VirtualMachineGuestSummary | None = None
               ) -> t.VirtualMachineSummary:
    """A VM's ``summary`` from its parts."""
    return _new(
        t.VirtualMachineSummary,
        vm=vm, runtime=runtime, guest=guest_sum or guest_summary(guest),
        config=config_sum or config_summary(config), storage=storage,
        quickStats=quick or quick_stats(str(runtime.powerState)),
        overallStatus=GREEN)


def vm_file_sizes(disk_kb: Sequence[int]) -> tuple[int, int]:
    """(committed, uncommitted) bytes of a VM with thin disks of ``disk_kb``."""
    committed = VMX_BYTES + NVRAM_BYTES + LOG_BYTES + VMSD_BYTES
    uncommitted = 0
    for kb in disk_kb:
        used = min(DISK_USED, kb * 1024)
        committed += DESCRIPTOR_BYTES + used
        uncommitted += kb * 1024 - used
    return committed, uncommitted


def storage_summary(committed: int, uncommitted: int,
                    when: _dt.datetime) -> t.VirtualMachineStorageSummary:
    return t.VirtualMachineStorageSummary(committed=committed, uncommitted=uncommitted,
                                          unshared=committed, timestamp=when)


def storage_info(usage: dict[Ref, tuple[int, int]],
                 when: _dt.datetime) -> t.VirtualMachineStorageInfo:
    """``storage``: per-datastore (committed, uncommitted) bytes."""
    return t.VirtualMachineStorageInfo(perDatastoreUsage=tuple(
        t.VirtualMachineUsageOnDatastore(datastore=ds, committed=c, uncommitted=u, unshared=c)
        for ds, (c, u) in usage.items()), timestamp=when)


def layout_ex(vmx: str, disks: Sequence[tuple[int, str, int]],
              when: _dt.datetime) -> t.VirtualMachineFileLayoutEx:
    """``layoutEx``: the VM's files (vmx, nvram, vmsd, log, each disk's descriptor and
    flat extent) with sizes; ``disks`` are (device key, vmdk path, capacity KB)."""
    base = vmx.removesuffix(".vmx")
    folder = vmx.rsplit("/", 1)[0] if "/" in vmx else vmx.rsplit(" ", 1)[0]
    files = [
        (f"{base}.vmx", "config", VMX_BYTES),
        (f"{base}.nvram", "nvram", NVRAM_BYTES),
        (f"{base}.vmsd", "snapshotList", VMSD_BYTES),
        (f"{folder}/vmware.log", "log", LOG_BYTES),
    ]
    disk_layouts = []
    for key, vmdk, kb in disks:
        first = len(files)
        files.append((vmdk, "diskDescriptor", DESCRIPTOR_BYTES))
        files.append((vmdk.removesuffix(".vmdk") + "-flat.vmdk", "diskExtent",
                      min(DISK_USED, kb * 1024)))
        disk_layouts.append(_new(t.VirtualMachineFileLayoutExDiskLayout, key=key, chain=(
            _new(t.VirtualMachineFileLayoutExDiskUnit, fileKey=(first, first + 1)),)))
    return _new(
        t.VirtualMachineFileLayoutEx,
        file=tuple(_new(
            t.VirtualMachineFileLayoutExFileInfo,
            key=i, name=name, type=kind, size=size, uniqueSize=size, accessible=True)
            for i, (name, kind, size) in enumerate(files)),
        disk=tuple(disk_layouts), snapshot=(), timestamp=when)


# ---------------------------------------------------------------- host
ESXI_ABOUT = t.AboutInfo(
    name="VMware ESXi", fullName=f"VMware ESXi {ESXI_VERSION} build-{ESXI_BUILD}",
    vendor="VMware, Inc.", version=ESXI_VERSION, build=ESXI_BUILD, localeVersion="INTL",
    localeBuild="000", osType="vmnix-x86", productLineId="embeddedEsx", apiType="HostAgent",
    apiVersion="8.0.3.0", licenseProductName="VMware ESX Server",
    licenseProductVersion="8.0")


def host_runtime(boot: _dt.datetime, *, maintenance: bool = False,
                 connection: str = "connected", power: str = "poweredOn"
                 ) -> t.HostRuntimeInfo:
    return t.HostRuntimeInfo(
        connectionState=connection, powerState=power, standbyMode="none",
        inMaintenanceMode=maintenance, inQuarantineMode=False, bootTime=boot,
        hostMaxVirtualDiskCapacity=68_169_720_922_112, statelessNvdsMigrationReady="notNeeded",
        partialMaintenanceMode=(), stateEncryption=None)


def host_hardware(uuid: str) -> t.HostHardwareInfo:
    hz = HOST_CPU_MHZ * 1_000_000
    return t.HostHardwareInfo(
        systemInfo=t.HostSystemInfo(vendor="VMware, Inc.", model="VMware Virtual Platform",
                                    uuid=uuid, serialNumber=f"VMware-{uuid[:18]}"),
        cpuPowerManagementInfo=t.HostCpuPowerManagementInfo(currentPolicy="Balanced",
                                                           hardwareSupport=""),
        cpuInfo=t.HostCpuInfo(numCpuPackages=HOST_CPU_PKGS, numCpuCores=HOST_CPU_CORES,
                              numCpuThreads=HOST_CPU_CORES, hz=hz),
        cpuPkg=tuple(t.HostCpuPackage(index=i, vendor="intel", hz=hz, busHz=100_000_000,
                                      description=HOST_CPU_MODEL, threadId=(i,))
                     for i in range(HOST_CPU_PKGS)),
        memorySize=HOST_MEMORY,
        numaInfo=t.HostNumaInfo(type="NUMA", numNodes=1, numaNode=(t.HostNumaNode(
            typeId=0, cpuID=tuple(range(HOST_CPU_CORES)), memoryRangeBegin=0,
            memoryRangeLength=HOST_MEMORY),)),
        smcPresent=False,
        biosInfo=t.HostBIOSInfo(biosVersion="6.00", releaseDate=_dt.datetime(
            2020, 11, 12, tzinfo=_dt.UTC), vendor="Phoenix Technologies LTD"),
    )


def hardware_summary(hw: t.HostHardwareInfo) -> t.HostHardwareSummary:
    return t.HostHardwareSummary(
        vendor=hw.systemInfo.vendor, model=hw.systemInfo.model, uuid=hw.systemInfo.uuid,
        memorySize=hw.memorySize, cpuModel=HOST_CPU_MODEL, cpuMhz=HOST_CPU_MHZ,
        numCpuPkgs=hw.cpuInfo.numCpuPackages, numCpuCores=hw.cpuInfo.numCpuCores,
        numCpuThreads=hw.cpuInfo.numCpuThreads, numNics=2, numHBAs=3)


_POLICY = t.HostNetworkPolicy(
    security=t.HostNetworkSecurityPolicy(allowPromiscuous=False, macChanges=False,
                                         forgedTransmits=False),
    nicTeaming=t.HostNicTeamingPolicy(
        policy="loadbalance_srcid", reversePolicy=True, notifySwitches=True,
        rollingOrder=False,
        failureCriteria=t.HostNicFailureCriteria(checkSpeed="minimum", speed=10,
                                                 checkDuplex=False, fullDuplex=False,
                                                 checkErrorPercent=False, percentage=0,
                                                 checkBeacon=False),
        nicOrder=t.HostNicOrderPolicy(activeNic=("vmnic0",), standbyNic=())),
    offloadPolicy=t.HostNetOffloadCapabilities(csumOffload=True, tcpSegmentation=True,
                                               zeroCopyXmit=True),
    shapingPolicy=t.HostNetworkTrafficShapingPolicy(enabled=False))


def host_network(ip: str, mac: str, networks: Sequence[str]) -> t.HostNetworkInfo:
    """``config.network``: vSwitch0 on vmnic0 with ``networks`` (standard portgroups) and
    the ``Management Network`` whose vmk0 has ``ip``."""
    vswitch_key = "key-vim.host.VirtualSwitch-vSwitch0"
    pg_names = [*networks, "Management Network"]
    portgroups = tuple(t.HostPortGroup(
        key=f"key-vim.host.PortGroup-{name}", port=(), computedPolicy=_POLICY,
        spec=t.HostPortGroupSpec(name=name, vlanId=0, vswitchName="vSwitch0",
                                 policy=t.HostNetworkPolicy())) for name in pg_names)
    link = t.PhysicalNicLinkInfo(speedMb=10000, duplex=True)
    return t.HostNetworkInfo(
        vswitch=(t.HostVirtualSwitch(
            name="vSwitch0", key=vswitch_key, numPorts=2560, numPortsAvailable=2544,
            mtu=1500,
            spec=t.HostVirtualSwitchSpec(
                numPorts=128, bridge=t.HostVirtualSwitchBondBridge(nicDevice=("vmnic0",)),
                policy=_POLICY, mtu=1500)),),
        portgroup=portgroups,
        pnic=(t.PhysicalNic(
            key="key-vim.host.PhysicalNic-vmnic0", device="vmnic0", pci="0000:0b:00.0",
            driver="nvmxnet3", linkSpeed=link, validLinkSpecification=(link,),
            spec=t.PhysicalNicSpec(linkSpeed=link), wakeOnLanSupported=False, mac=mac,
            autoNegotiateSupported=False, resourcePoolSchedulerAllowed=True,
            vmDirectPathGen2Supported=False),),
        vnic=(t.HostVirtualNic(
            device="vmk0", key="key-vim.host.VirtualNic-vmk0",
            portgroup="Management Network",
            spec=t.HostVirtualNicSpec(
                ip=t.HostIpConfig(dhcp=False, ipAddress=ip, subnetMask="255.255.0.0"),
                mac=mac, portgroup="Management Network", mtu=1500, tsoEnabled=True,
                netStackInstanceKey="defaultTcpipStack")),),
        dnsConfig=t.HostDnsConfig(dhcp=False, hostName="localhost", domainName="localdomain",
                                  address=("10.0.0.2",), searchDomain=("localdomain",)),
        ipRouteConfig=t.HostIpRouteConfig(defaultGateway="10.0.0.1"),
        atBootIpV6Enabled=False, ipV6Enabled=False,
    )


def host_config(host: Ref, network: t.HostNetworkInfo) -> t.HostConfigInfo:
    """``config``: product, network, hyper-threading."""
    return t.HostConfigInfo(
        host=host, product=ESXI_ABOUT, network=network,
        hyperThread=t.HostHyperThreadScheduleInfo(available=False, active=False, config=False),
        vmotion=t.HostVMotionInfo(netConfig=t.HostVMotionNetConfig(
            candidateVnic=network.vnic, selectedVnic=None)),
    )


def host_summary(host: Ref, name: str, hw: t.HostHardwareSummary,
                 runtime: t.HostRuntimeInfo, uptime: int = 0,
                 management_ip: str | None = None) -> t.HostListSummary:
    return t.HostListSummary(
        host=host, hardware=hw, runtime=runtime,
        config=t.HostConfigSummary(name=name, port=443, product=ESXI_ABOUT,
                                   vmotionEnabled=True, faultToleranceEnabled=False,
                                   agentVmDatastore=None, agentVmNetwork=None),
        quickStats=t.HostListSummaryQuickStats(
            overallCpuUsage=67, overallMemoryUsage=1404, distributedCpuFairness=10000,
            distributedMemoryFairness=10000, availablePMemCapacity=0, uptime=uptime),
        overallStatus=GREEN, rebootRequired=False, managementServerIp=management_ip,
        maxEVCModeKey="intel-ivybridge", currentEVCModeKey=None,
        currentEVCGraphicsModeKey=None, gateway=None, tpmAttestation=None,
        trustAuthorityAttestationInfos=())


# ---------------------------------------------------------------- compute resources, pools
def compute_summary(hosts: int, *, cluster: bool
                    ) -> t.ComputeResourceSummary | t.ClusterComputeResourceSummary:
    cpu = hosts * HOST_CPU_CORES * HOST_CPU_MHZ
    memory = hosts * HOST_MEMORY
    cores = hosts * HOST_CPU_CORES
    common: dict[str, Any] = dict(
        totalCpu=cpu, totalMemory=memory, numCpuCores=cores, numCpuThreads=cores,
        effectiveCpu=cpu, effectiveMemory=memory // (1024 * 1024), numHosts=hosts,
        numEffectiveHosts=hosts, overallStatus=GREEN)
    if not cluster:
        return t.ComputeResourceSummary(**common)
    return t.ClusterComputeResourceSummary(**common, currentFailoverLevel=0, numVmotions=0,
                                           currentBalance=0, drsScore=100)


def cluster_config() -> t.ClusterConfigInfo:
    return t.ClusterConfigInfo(
        dasConfig=t.ClusterDasConfigInfo(enabled=False, vmMonitoring="vmMonitoringDisabled",
                                         hostMonitoring="enabled",
                                         admissionControlEnabled=True, failoverLevel=1),
        drsConfig=t.ClusterDrsConfigInfo(enabled=True, enableVmBehaviorOverrides=True,
                                         defaultVmBehavior="fullyAutomated", vmotionRate=3),
        rule=(), dasVmConfig=(), drsVmConfig=())


def cluster_config_ex() -> t.ClusterConfigInfoEx:
    base = cluster_config()
    return t.ClusterConfigInfoEx(
        vmSwapPlacement="vmDirectory", spbmEnabled=True, defaultHardwareVersionKey=None,
        dasConfig=base.dasConfig, drsConfig=base.drsConfig,
        dpmConfigInfo=t.ClusterDpmConfigInfo(enabled=False,
                                             defaultDpmBehavior="automated",
                                             hostPowerActionRate=3),
        proactiveDrsConfig=t.ClusterProactiveDrsConfigInfo(enabled=False))


def compute_config_ex() -> t.ComputeResourceConfigInfo:
    return t.ComputeResourceConfigInfo(vmSwapPlacement="vmDirectory", spbmEnabled=True,
                                       defaultHardwareVersionKey=None)


def allocation(*, reservation: int, expandable: bool, limit: int, shares: int,
               level: str) -> t.ResourceAllocationInfo:
    return t.ResourceAllocationInfo(reservation=reservation, expandableReservation=expandable,
                                    limit=limit, shares=t.SharesInfo(shares=shares, level=level),
                                    overheadLimit=None)


def pool_config(pool: Ref, *, root: bool, hosts: int, when: _dt.datetime,
                cpu: t.ResourceAllocationInfo | None = None,
                memory: t.ResourceAllocationInfo | None = None) -> t.ResourceConfigSpec:
    """A pool's ``config``: a root pool reserves what its hosts have; a child pool has
    vCenter's defaults (no reservation, expandable, unlimited, normal shares)."""
    if root:
        mhz = hosts * HOST_CPU_CORES * HOST_CPU_MHZ
        mb = hosts * HOST_MEMORY // (1024 * 1024)
        cpu = cpu or allocation(reservation=mhz, expandable=False, limit=mhz,
                                shares=4000 * hosts, level="normal")
        memory = memory or allocation(reservation=mb, expandable=False, limit=mb,
                                      shares=163840 * hosts, level="normal")
    else:
        cpu = cpu or allocation(reservation=0, expandable=True, limit=-1, shares=4000,
                                level="normal")
        memory = memory or allocation(reservation=0, expandable=True, limit=-1,
                                      shares=163840, level="normal")
    return t.ResourceConfigSpec(entity=pool, changeVersion=None, lastModified=when,
                                cpuAllocation=cpu, memoryAllocation=memory)


def pool_runtime(hosts: int) -> t.ResourcePoolRuntimeInfo:
    mhz = hosts * HOST_CPU_CORES * HOST_CPU_MHZ
    mem = hosts * HOST_MEMORY
    return t.ResourcePoolRuntimeInfo(
        memory=t.ResourcePoolResourceUsage(reservationUsed=0, reservationUsedForVm=0,
                                           unreservedForPool=mem, unreservedForVm=mem,
                                           overallUsage=0, maxUsage=mem),
        cpu=t.ResourcePoolResourceUsage(reservationUsed=0, reservationUsedForVm=0,
                                        unreservedForPool=mhz, unreservedForVm=mhz,
                                        overallUsage=0, maxUsage=mhz),
        overallStatus=GREEN, sharesScalable="disabled")


def pool_summary(name: str, config: t.ResourceConfigSpec,
                 runtime: t.ResourcePoolRuntimeInfo) -> t.ResourcePoolSummary:
    return t.ResourcePoolSummary(
        name=name, config=config, runtime=runtime,
        quickStats=t.ResourcePoolQuickStats(
            overallCpuUsage=0, overallCpuDemand=0, guestMemoryUsage=0, hostMemoryUsage=0,
            distributedCpuEntitlement=0, distributedMemoryEntitlement=0,
            staticCpuEntitlement=0, staticMemoryEntitlement=0, privateMemory=0,
            sharedMemory=0, swappedMemory=0, balloonedMemory=0, overheadMemory=0,
            consumedOverheadMemory=0, compressedMemory=0),
        configuredMemoryMB=0)


# ---------------------------------------------------------------- datastores
def datastore_values(ds: Ref, name: str, volume_uuid: str, *, free: int,
                     uncommitted: int, when: _dt.datetime,
                     capacity: int = DATASTORE_BYTES) -> dict[str, Any]:
    """``summary``, ``info`` (VmfsDatastoreInfo) and ``capability`` of a VMFS datastore."""
    url = f"ds:///vmfs/volumes/{volume_uuid}/"
    return {
        "summary": t.DatastoreSummary(
            datastore=ds, name=name, url=url, capacity=capacity, freeSpace=free,
            uncommitted=uncommitted, accessible=True, multipleHostAccess=True, type="VMFS",
            maintenanceMode="normal"),
        "info": t.VmfsDatastoreInfo(
            name=name, url=url, freeSpace=free, maxFileSize=70_368_744_177_664,
            maxVirtualDiskCapacity=68_169_720_922_112,
            maxMemoryFileSize=70_368_744_177_664, timestamp=when, containerId=volume_uuid,
            maxPhysicalRDMFileSize=70_368_744_177_664,
            maxVirtualRDMFileSize=68_169_720_922_112,
            vmfs=t.HostVmfsVolume(
                type="VMFS", name=name, capacity=capacity, blockSizeMb=1, blockSize=1024,
                unmapGranularity=1024, unmapPriority="low", maxBlocks=63_963_136,
                majorVersion=6, version="6.82", uuid=volume_uuid,
                extent=(t.HostScsiDiskPartition(diskName="mpx.vmhba0:C0:T1:L0", partition=1),),
                vmfsUpgradable=False, ssd=True, local=False, scsiDiskType="native512")),
        "capability": t.DatastoreCapability(
            directoryHierarchySupported=True, rawDiskMappingsSupported=True,
            perFileThinProvisioningSupported=True, storageIORMSupported=True,
            nativeSnapshotSupported=False, topLevelDirectoryCreateSupported=True,
            seSparseSupported=True, vmfsSparseSupported=True, vsanSparseSupported=False,
            upitSupported=None, vmdkExpandSupported=True, clusteredVmdkSupported=False),
    }


def datastore_mounts(hosts: Sequence[Ref], volume_uuid: str) -> tuple[t.DatastoreHostMount, ...]:
    info = t.HostMountInfo(path=f"/vmfs/volumes/{volume_uuid}", accessMode="readWrite",
                           mounted=True, accessible=True, vmknicActive=None)
    return tuple(t.DatastoreHostMount(key=h, mountInfo=info) for h in hosts)


# ---------------------------------------------------------------- networks
def network_summary(net: Ref, name: str) -> t.NetworkSummary:
    return t.NetworkSummary(network=net, name=name, accessible=True, ipPoolName="")


_PRODUCT = t.DistributedVirtualSwitchProductSpec(
    name="DVS", vendor="VMware, Inc.", version="8.0.3", build=ESXI_BUILD,
    forwardingClass="etherswitch")
_TEAMING = t.VmwareUplinkPortTeamingPolicy(
    inherited=False, policy=t.StringPolicy(inherited=False, value="loadbalance_srcid"),
    reversePolicy=t.BoolPolicy(inherited=False, value=True),
    notifySwitches=t.BoolPolicy(inherited=False, value=True),
    rollingOrder=t.BoolPolicy(inherited=False, value=False))
_PG_POLICY = t.VMwareDVSPortgroupPolicy(
    blockOverrideAllowed=True, shapingOverrideAllowed=False,
    vendorConfigOverrideAllowed=False, livePortMovingAllowed=False,
    portConfigResetAtDisconnect=True, networkResourcePoolOverrideAllowed=False,
    trafficFilterOverrideAllowed=False, vlanOverrideAllowed=False,
    uplinkTeamingOverrideAllowed=False, securityPolicyOverrideAllowed=False,
    ipfixOverrideAllowed=False, macManagementOverrideAllowed=False)


def dvs_values(dvs: Ref, name: str, uuid: str, hosts: Sequence[Ref],
               portgroups: Sequence[tuple[Ref, str]], uplink: Ref, num_ports: int,
               when: _dt.datetime) -> dict[str, Any]:
    """``config``, ``summary``, ``capability``, ``uuid`` of a VmwareDistributedVirtualSwitch
    with ``hosts`` as members and ``portgroups`` (moref, name), uplink included."""
    members = tuple(t.DistributedVirtualSwitchHostMember(
        config=t.DistributedVirtualSwitchHostMemberConfigInfo(
            host=h, maxProxySwitchPorts=512, vendorSpecificConfig=(),
            backing=t.DistributedVirtualSwitchHostMemberPnicBacking(pnicSpec=(
                t.DistributedVirtualSwitchHostMemberPnicSpec(
                    pnicDevice="vmnic1", uplinkPortKey=None,
                    uplinkPortgroupKey=uplink.value),))),
        productInfo=_PRODUCT, uplinkPortKey=(), status="up", statusDetail="")
        for h in hosts)
    default_port = t.VMwareDVSPortSetting(
        vlan=t.VmwareDistributedVirtualSwitchVlanIdSpec(inherited=False, vlanId=0),
        uplinkTeamingPolicy=_TEAMING)
    config = t.VMwareDVSConfigInfo(
        uuid=uuid, name=name, numStandalonePorts=0, numPorts=num_ports, maxPorts=2_147_483_647,
        uplinkPortPolicy=t.DVSNameArrayUplinkPortPolicy(
            uplinkPortName=("uplink1", "uplink2", "uplink3", "uplink4")),
        uplinkPortgroup=(uplink,), defaultPortConfig=default_port, host=members,
        productInfo=_PRODUCT, targetInfo=None, extensionKey=None, vendorSpecificConfig=(),
        policy=t.DVSPolicy(autoPreInstallAllowed=False, autoUpgradeAllowed=False,
                           partialUpgradeAllowed=False),
        description=None, configVersion="1", contact=t.DVSContactInfo(name="", contact=""),
        switchIpAddress=None, createTime=when, networkResourceManagementEnabled=True,
        defaultProxySwitchMaxNumPorts=512, healthCheckConfig=(),
        infrastructureTrafficResourceConfig=(),
        netResourcePoolTrafficResourceConfig=(), networkResourceControlVersion="version3",
        vmVnicNetworkResourcePool=(), pnicCapacityRatioForReservation=0,
        vspanSession=(), pvlanConfig=(), maxMtu=1500, linkDiscoveryProtocolConfig=
        t.LinkDiscoveryProtocolConfig(protocol="cdp", operation="listen"),
        ipfixConfig=None, lacpGroupConfig=(), lacpApiVersion="multipleLag",
        multicastFilteringMode="legacyFiltering", networkOffloadSpecId=None,
        networkOffloadConfig=None)
    summary = t.DVSSummary(
        name=name, uuid=uuid, numPorts=num_ports, productInfo=_PRODUCT,
        hostMember=tuple(hosts), vm=(), host=tuple(hosts),
        portgroupName=tuple(n for _, n in portgroups), description=None,
        contact=t.DVSContactInfo(name="", contact=""), numHosts=len(hosts))
    capability = t.DVSCapability(
        dvsOperationSupported=True, dvPortGroupOperationSupported=True,
        dvPortOperationSupported=True)
    return {"uuid": uuid, "config": config, "summary": summary, "capability": capability,
            "networkResourcePool": ()}


def portgroup_config(pg: Ref, name: str, dvs: Ref, *, uplink: bool, num_ports: int,
                     when: _dt.datetime) -> t.DVPortgroupConfigInfo:
    vlan: t.VmwareDistributedVirtualSwitchVlanSpec
    if uplink:
        vlan = t.VmwareDistributedVirtualSwitchTrunkVlanSpec(
            inherited=False, vlanId=(t.NumericRange(start=0, end=4094),))
    else:
        vlan = t.VmwareDistributedVirtualSwitchVlanIdSpec(inherited=False, vlanId=0)
    return t.DVPortgroupConfigInfo(
        key=pg.value, name=name, numPorts=num_ports, distributedVirtualSwitch=dvs,
        defaultPortConfig=t.VMwareDVSPortSetting(vlan=vlan, uplinkTeamingPolicy=_TEAMING),
        description=None, type="earlyBinding", backingType="standard", policy=_PG_POLICY,
        portNameFormat=None, scope=(), vendorSpecificConfig=(), configVersion="1",
        autoExpand=True, vmVnicNetworkResourcePoolKey=None, uplink=uplink,
        transportZoneUuid=None, transportZoneName=None, logicalSwitchUuid=None,
        segmentId=None)
