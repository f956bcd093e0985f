"""VirtualMachine and ManagedEntity methods: power, guest power, rename, destroy,
reconfigure, clone, templates (vim.VirtualMachine, vim.ManagedEntity).

Every modifying method starts with ``ctx.require_write()`` (NoPermission for a read-only
user: a fault of the *call*). As on vCenter, the state checks of a ``*_Task`` method run
in the task, so a refused operation is a failed task (``info.error``) with the fault
vCenter raises: InvalidPowerState (``requestedState`` / ``existingState``), InvalidState,
DuplicateName, InvalidName, InvalidArgument (``invalidProperty``), NotSupported,
ManagedObjectNotFound (the VM went away while the task was queued). Tasks on one VM run
one at a time, in order (:mod:`aiovsphere.simulator._tasks`).

Events (vCenter's types and messages): VmStartingEvent/VmPoweredOnEvent,
VmResumingEvent, VmStoppingEvent/VmPoweredOffEvent, VmResettingEvent,
VmSuspendingEvent/VmSuspendedEvent, VmGuestShutdownEvent, VmGuestRebootEvent,
VmGuestStandbyEvent, VmRenamedEvent (DatacenterRenamedEvent, DatastoreRenamedEvent...),
VmRemovedEvent, VmReconfiguredEvent, VmBeingClonedEvent/VmClonedEvent and, from a
template, VmBeingDeployedEvent/VmDeployedEvent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiovsphere.simulator._context import Context, SimFault, fault
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._eventlog import post_event
from aiovsphere.simulator._inv_api import new_vm, remove_entity, rename_entity
from aiovsphere.simulator._inv_api import state as inventory_state
from aiovsphere.simulator._inv_values import vm_ip
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._tasks import Progress, start_task
from aiovsphere.simulator._vmconfig import apply_config, check_name, sync
from aiovsphere.simulator._vmutil import (
    add_ref,
    children_of,
    compute_resource_of,
    descendants,
    hosts_of,
    invalid_power_state,
    power_state,
    remove_ref,
    set_power_state,
    value_at,
    vim_fault,
    vm_host,
)
from aiovsphere.vim._moref import ManagedObjectReference as Ref

# ---------------------------------------------------------------------- helpers


def alive(ctx: Context, obj: SimObject) -> None:
    """ManagedObjectNotFound when ``obj`` left the inventory (e.g. while a task waited)."""
    if ctx.model.get(obj.ref) is not obj:
        raise fault("ManagedObjectNotFound", obj=obj.ref)


def is_template(vm: SimObject) -> bool:
    return bool(value_at(vm, "config.template", False))


def vm_event(ctx: Context, type_name: str, vm: SimObject, **fields: Any) -> Any:
    """Post a VmEvent of ``type_name`` about ``vm`` (entity arguments, ``template`` and
    vCenter's message come from the event catalogue)."""
    return post_event(ctx, type_name, vm, **fields)


def _running_check(ctx: Context, vm: SimObject) -> None:
    """What every operation on a VM needs: the VM exists and is connected."""
    alive(ctx, vm)
    state = value_at(vm, "runtime.connectionState", "connected")
    if str(state) != "connected":
        raise fault("InvalidState", "The operation is not allowed in the current "
                    f"connection state of the virtual machine ({state}).")


def _host_usable(ctx: Context, host: SimObject | None) -> None:
    if host is not None and value_at(host, "runtime.inMaintenanceMode", False):
        raise fault("InvalidHostState", "The operation is not allowed in the current state "
                    "of the host.", host=host.ref)


def move_to_host(ctx: Context, vm: SimObject, host: SimObject) -> None:
    """Register ``vm`` on ``host`` (``runtime.host``, ``summary.runtime.host``, the
    hosts' ``vm`` lists)."""
    old = value_at(vm, "runtime.host")
    if old == host.ref:
        return
    remove_ref(ctx.model, old, "vm", vm.ref)
    add_ref(ctx.model, host.ref, "vm", vm.ref)
    runtime = vm.props.get("runtime")
    if runtime is not None:
        vm.props["runtime"] = runtime = runtime.model_copy(update={"host": host.ref})
        summary = vm.props.get("summary")
        if summary is not None:
            vm.props["summary"] = summary.model_copy(update={"runtime": runtime})
    ctx.model.touch()


# ---------------------------------------------------------------------- power
@handles("VirtualMachine", "PowerOnVM_Task")
def power_on(ctx: Context, this: SimObject, host: Ref | None = None) -> Ref:
    """vim.VirtualMachine.PowerOnVM_Task: on (or resumed from suspended). ``host`` is used
    when it is in the VM's compute resource (else the current host, as vCenter)."""
    ctx.require_write()
    target = ctx.lookup(host) if host is not None else None

    def check() -> None:
        _running_check(ctx, this)
        if is_template(this):
            raise fault("InvalidState", "The operation is not allowed in the current "
                        "state: the virtual machine is a template.")
        state = power_state(this)
        if state == "poweredOn":
            raise invalid_power_state(state, "poweredOn")
        _host_usable(ctx, _power_on_host(ctx, this, target))

    async def work(progress: Progress) -> None:
        check()
        chosen = _power_on_host(ctx, this, target)
        if chosen is not None:
            move_to_host(ctx, this, chosen)
        resumed = power_state(this) == "suspended"
        vm_event(ctx, "VmResumingEvent" if resumed else "VmStartingEvent", this)
        set_power_state(ctx, this, "poweredOn")
        vm_event(ctx, "VmPoweredOnEvent", this)

    return start_task(ctx, this, "PowerOnVM_Task", work, check=check, cancelable=False)


def _power_on_host(ctx: Context, vm: SimObject, target: SimObject | None) -> SimObject | None:
    current = vm_host(ctx.model, vm)
    if target is None or target.type != "HostSystem":
        return current
    compute = compute_resource_of(ctx.model, current)
    if compute is not None and target.ref in (compute.props.get("host") or ()):
        return target
    return current


def _power_task(ctx: Context, vm: SimObject, method: str, needs: str, requested: str,
                apply: Any) -> Ref:
    """A power task that needs the VM ``needs`` ("poweredOn", or "notOff": on or
    suspended) and reports InvalidPowerState with ``requestedState`` ``requested``."""
    ctx.require_write()

    def check() -> None:
        _running_check(ctx, vm)
        state = power_state(vm)
        ok = state != "poweredOff" if needs == "notOff" else state == needs
        if not ok or is_template(vm):
            raise invalid_power_state(state, requested)

    async def work(progress: Progress) -> None:
        check()
        apply()

    return start_task(ctx, vm, method, work, check=check, cancelable=False)


@handles("VirtualMachine", "PowerOffVM_Task")
def power_off(ctx: Context, this: SimObject) -> Ref:
    """vim.VirtualMachine.PowerOffVM_Task: a hard power off of a powered-on or suspended VM."""
    def apply() -> None:
        vm_event(ctx, "VmStoppingEvent", this)
        set_power_state(ctx, this, "poweredOff")
        vm_event(ctx, "VmPoweredOffEvent", this)

    return _power_task(ctx, this, "PowerOffVM_Task", "notOff", "poweredOff", apply)


@handles("VirtualMachine", "ResetVM_Task")
def reset(ctx: Context, this: SimObject) -> Ref:
    """vim.VirtualMachine.ResetVM_Task: a hard reset of a powered-on VM (new ``bootTime``)."""
    def apply() -> None:
        vm_event(ctx, "VmResettingEvent", this)
        set_power_state(ctx, this, "poweredOn", reboot=True)

    return _power_task(ctx, this, "ResetVM_Task", "poweredOn", "poweredOn", apply)


@handles("VirtualMachine", "SuspendVM_Task")
def suspend(ctx: Context, this: SimObject) -> Ref:
    """vim.VirtualMachine.SuspendVM_Task: suspend a powered-on VM."""
    def apply() -> None:
        vm_event(ctx, "VmSuspendingEvent", this)
        set_power_state(ctx, this, "suspended")
        vm_event(ctx, "VmSuspendedEvent", this)

    return _power_task(ctx, this, "SuspendVM_Task", "poweredOn", "suspended", apply)


# ---------------------------------------------------------------------- guest power
def _guest_op(ctx: Context, vm: SimObject, event: str, guest_state: str,
              then: Any) -> None:
    """ShutdownGuest / RebootGuest / StandbyGuest: refused unless the VM is on with
    VMware Tools running; the request is posted at once and the guest acts after
    ``sim.task_seconds`` (the method returns first, as on vCenter)."""
    ctx.require_write()
    alive(ctx, vm)
    state = power_state(vm)
    if state != "poweredOn":
        raise invalid_power_state(state, "poweredOn")
    tools = value_at(vm, "guest.toolsRunningStatus")
    if (tools is not None and str(tools) != "guestToolsRunning") or str(
            value_at(vm, "guest.toolsStatus", "")) == "toolsNotInstalled":
        raise fault("ToolsUnavailable", "Cannot complete operation because VMware Tools "
                    "is not running in this virtual machine.")
    vm_event(ctx, event, vm)
    guest = vm.props.get("guest")
    if guest is not None:
        vm.props["guest"] = guest.model_copy(update={"guestState": guest_state})
        ctx.model.touch()
    pending: asyncio.Task[Any] | None = vm.data.get("guest_op")
    if pending is not None and not pending.done():
        pending.cancel()

    async def later() -> None:
        await asyncio.sleep(ctx.sim.task_seconds)
        if ctx.model.get(vm.ref) is vm and power_state(vm) == "poweredOn":
            then()

    vm.data["guest_op"] = ctx.sim.spawn(later())


@handles("VirtualMachine", "ShutdownGuest")
def shutdown_guest(ctx: Context, this: SimObject) -> None:
    """vim.VirtualMachine.ShutdownGuest: the guest shuts down; the VM is powered off
    ``task_seconds`` later (VmGuestShutdownEvent now, VmPoweredOffEvent then)."""
    def then() -> None:
        set_power_state(ctx, this, "poweredOff")
        vm_event(ctx, "VmPoweredOffEvent", this)

    _guest_op(ctx, this, "VmGuestShutdownEvent", "shuttingDown", then)


@handles("VirtualMachine", "RebootGuest")
def reboot_guest(ctx: Context, this: SimObject) -> None:
    """vim.VirtualMachine.RebootGuest: the guest reboots (a new ``bootTime``)."""
    def then() -> None:
        set_power_state(ctx, this, "poweredOn", reboot=True)

    _guest_op(ctx, this, "VmGuestRebootEvent", "resetting", then)


@handles("VirtualMachine", "StandbyGuest")
def standby_guest(ctx: Context, this: SimObject) -> None:
    """vim.VirtualMachine.StandbyGuest: the guest goes to standby; the VM is suspended."""
    def then() -> None:
        set_power_state(ctx, this, "suspended")
        vm_event(ctx, "VmSuspendedEvent", this)

    _guest_op(ctx, this, "VmGuestStandbyEvent", "standby", then)


# ---------------------------------------------------------------------- rename
_RENAME_EVENTS = {
    "Datacenter": "DatacenterRenamedEvent",
    "Datastore": "DatastoreRenamedEvent",
    "DistributedVirtualPortgroup": "DVPortgroupRenamedEvent",
    "DistributedVirtualSwitch": "DvsRenamedEvent",
    "VmwareDistributedVirtualSwitch": "DvsRenamedEvent",
}


@handles("ManagedEntity", "Rename_Task")
def rename(ctx: Context, this: SimObject, newName: str) -> Ref:
    """vim.ManagedEntity.Rename_Task: InvalidName (empty, over 80 characters),
    DuplicateName (a sibling in the same folder has that name), NotSupported for a host."""
    ctx.require_write()

    def validate() -> str:
        alive(ctx, this)
        if this.type == "HostSystem" or this.props.get("parent") is None:
            raise fault("NotSupported", "The operation is not supported on the object.")
        if this.props.get("name") == newName:
            return newName
        return check_name(ctx.model, this, newName)

    def check() -> None:
        validate()

    async def work(progress: Progress) -> None:
        stored = validate()
        old = str(this.props.get("name"))
        if old == stored:
            return
        rename_entity(ctx.sim, this.ref, stored)
        if this.type == "VirtualMachine":
            vm_event(ctx, "VmRenamedEvent", this, oldName=old, newName=stored)
        elif this.type in _RENAME_EVENTS:
            extra: dict[str, Any] = {}
            if this.type == "Datastore":
                from aiovsphere.vim import types as t

                extra["datastore"] = t.DatastoreEventArgument(name=stored,
                                                              datastore=this.ref)
            post_event(ctx, _RENAME_EVENTS[this.type], this, oldName=old, newName=stored,
                       **extra)

    return start_task(ctx, this, "Rename_Task", work, check=check, cancelable=False)


# ---------------------------------------------------------------------- destroy
@handles("ManagedEntity", "Destroy_Task")
def destroy(ctx: Context, this: SimObject) -> Ref:
    """vim.ManagedEntity.Destroy_Task. A VM must not be powered on (InvalidPowerState);
    a folder is destroyed with everything in it, child by child (a powered-on VM stops
    it there with its fault, the children already destroyed stay destroyed, as vCenter);
    a resource pool's VMs move to its parent pool; a datacenter or compute resource
    leaves the inventory with its content; a clustered host must be in maintenance mode
    (InvalidState). The root folder, a datacenter's own folders, a root resource pool and
    a standalone host (destroy its ComputeResource) are NotSupported."""
    ctx.require_write()

    def check() -> None:
        alive(ctx, this)
        _destroyable(ctx, this)

    async def work(progress: Progress) -> None:
        check()
        destroy_entity(ctx, this)

    return start_task(ctx, this, "Destroy_Task", work, check=check, cancelable=False)


def _not_supported() -> SimFault:
    return fault("NotSupported", "The operation is not supported on the object.")


def _destroyable(ctx: Context, obj: SimObject) -> None:
    """The checks of the object itself (children are checked as they go)."""
    model = ctx.model
    parent_ref = obj.props.get("parent")
    parent = model.get(parent_ref) if parent_ref is not None else None
    if obj.type == "VirtualMachine":
        state = power_state(obj)
        if state == "poweredOn":
            raise invalid_power_state(state, "poweredOff")
    elif obj.type in ("Folder", "StoragePod"):
        if parent is None or (parent.type == "Datacenter" and obj.ref in (
                parent.props.get(k) for k in ("vmFolder", "hostFolder", "datastoreFolder",
                                              "networkFolder"))):
            raise _not_supported()
    elif obj.type in ("ResourcePool", "VirtualApp"):
        if parent is None or parent.type in ("ComputeResource", "ClusterComputeResource"):
            raise _not_supported()  # the root resource pool goes with its compute resource
    elif obj.type == "HostSystem":
        if parent is None or parent.type != "ClusterComputeResource":
            raise _not_supported()
        if not value_at(obj, "runtime.inMaintenanceMode", False):
            raise fault("InvalidState", "The operation is not allowed in the current state:"
                        " the host is not in maintenance mode.")
    elif obj.type not in ("Datacenter", "ComputeResource", "ClusterComputeResource"):
        raise _not_supported()


def destroy_entity(ctx: Context, obj: SimObject) -> None:
    """Destroy ``obj`` now (the body of Destroy_Task), children first for a folder."""
    model = ctx.model
    if model.get(obj.ref) is not obj:
        return
    _destroyable(ctx, obj)
    if obj.type == "VirtualMachine":
        vm_event(ctx, "VmRemovedEvent", obj)
        remove_entity(ctx.sim, obj.ref)
        return
    if obj.type in ("Folder", "StoragePod"):
        for child in children_of(model, obj):
            if child.type in ("VirtualMachine", "Folder", "StoragePod"):
                destroy_entity(ctx, child)
            else:  # datacenters, compute resources, datastores, networks, vApps
                remove_entity(ctx.sim, child.ref)
        remove_entity(ctx.sim, obj.ref)
        return
    if obj.type in ("ResourcePool", "VirtualApp"):
        parent_ref = obj.props.get("parent")
        for pool in [obj, *(d for d in descendants(model, obj)
                            if d.type in ("ResourcePool", "VirtualApp"))]:
            for ref in tuple(pool.props.get("vm") or ()):
                remove_ref(model, pool.ref, "vm", ref)
                add_ref(model, parent_ref, "vm", ref)
                if model.get(ref) is not None:
                    model.update(ref, {"resourcePool": parent_ref})
        post_event(ctx, "ResourcePoolDestroyedEvent", obj, **_pool_arg(obj))
        remove_entity(ctx.sim, obj.ref)
        return
    remove_entity(ctx.sim, obj.ref)  # datacenter, compute resource, clustered host


def _pool_arg(pool: SimObject) -> dict[str, Any]:
    from aiovsphere.vim import types as t

    return {"resourcePool": t.ResourcePoolEventArgument(name=str(pool.props.get("name")),
                                                        resourcePool=pool.ref)}


# ---------------------------------------------------------------------- reconfigure
@handles("VirtualMachine", "ReconfigVM_Task")
def reconfigure(ctx: Context, this: SimObject, spec: Any) -> Ref:
    """vim.VirtualMachine.ReconfigVM_Task (see :mod:`aiovsphere.simulator._vmconfig` for
    what a spec may change and the faults); VmReconfiguredEvent (and VmRenamedEvent for a
    new name)."""
    ctx.require_write()

    async def work(progress: Progress) -> None:
        _running_check(ctx, this)
        old = str(this.props.get("name"))
        apply_config(ctx, this, spec)
        vm_event(ctx, "VmReconfiguredEvent", this, configSpec=spec)
        if this.props.get("name") != old:
            vm_event(ctx, "VmRenamedEvent", this, oldName=old,
                     newName=this.props.get("name"))

    return start_task(ctx, this, "ReconfigVM_Task", work,
                      check=lambda: _running_check(ctx, this), cancelable=False)


# ---------------------------------------------------------------------- templates
@handles("VirtualMachine", "MarkAsTemplate")
def mark_as_template(ctx: Context, this: SimObject) -> None:
    """vim.VirtualMachine.MarkAsTemplate: a powered-off VM (InvalidPowerState) that is not
    a template yet (NotSupported) becomes one; it leaves its resource pool."""
    ctx.require_write()
    if is_template(this):
        raise _not_supported()
    state = power_state(this)
    if state != "poweredOff":
        raise invalid_power_state(state, "poweredOff")
    remove_ref(ctx.model, this.props.get("resourcePool"), "vm", this.ref)
    ctx.model.set(this.ref, "config.template", True)
    this.props["resourcePool"] = None
    sync(ctx, this)
    set_power_state(ctx, this, "poweredOff")


@handles("VirtualMachine", "MarkAsVirtualMachine")
def mark_as_vm(ctx: Context, this: SimObject, pool: Ref,
               host: Ref | None = None) -> None:
    """vim.VirtualMachine.MarkAsVirtualMachine: a template (else NotSupported) joins
    ``pool`` on ``host`` (a host of the pool's compute resource, else InvalidArgument;
    default: its current host when it is one, else the first)."""
    ctx.require_write()
    pool_obj = ctx.lookup(pool)
    host_obj = ctx.lookup(host) if host is not None else None
    if not is_template(this):
        raise _not_supported()
    if pool_obj.type not in ("ResourcePool", "VirtualApp"):
        raise fault("InvalidArgument", "A specified parameter was not correct: pool",
                    invalidProperty="pool")
    chosen = _host_in(ctx, pool_obj, host_obj, vm_host(ctx.model, this), "host")
    ctx.model.set(this.ref, "config.template", False)
    this.props["resourcePool"] = pool_obj.ref
    add_ref(ctx.model, pool_obj.ref, "vm", this.ref)
    move_to_host(ctx, this, chosen)
    sync(ctx, this)
    set_power_state(ctx, this, "poweredOff")


def _host_in(ctx: Context, pool: SimObject, host: SimObject | None,
             preferred: SimObject | None, prop: str) -> SimObject:
    """The host for a VM in ``pool``: ``host`` (InvalidArgument unless in the pool's
    compute resource), else ``preferred`` when it is there, else the first usable one."""
    compute = compute_resource_of(ctx.model, pool)
    hosts = hosts_of(ctx.model, compute)
    if host is not None:
        if host not in hosts:
            raise fault("InvalidArgument", f"A specified parameter was not correct: {prop}",
                        invalidProperty=prop)
        return host
    if preferred is not None and preferred in hosts:
        return preferred
    for candidate in hosts:
        if not value_at(candidate, "runtime.inMaintenanceMode", False):
            return candidate
    raise fault("InvalidArgument", f"A specified parameter was not correct: {prop}",
                invalidProperty=prop)


# ---------------------------------------------------------------------- clone
@handles("VirtualMachine", "CloneVM_Task")
def clone(ctx: Context, this: SimObject, folder: Ref, name: str, spec: Any) -> Ref:
    """vim.VirtualMachine.CloneVM_Task: a new VM ``name`` in ``folder`` from this VM (or
    from ``spec.snapshot``), on ``spec.location`` (pool, host, datastore; default: where
    the source is; a template's clone needs a pool: InvalidArgument
    ``spec.location.pool``), with ``spec.config`` and ``spec.location.deviceChange``
    applied, then powered on (``spec.powerOn``) or marked a template (``spec.template``).
    The result is the new VM's moref. Faults: DuplicateName, InvalidName, NotSupported (not
    a VM folder), InvalidArgument (``spec.snapshot`` of another VM, a host outside the
    pool's compute resource, powerOn with template), InvalidDatastore."""
    ctx.require_write()
    folder_obj = ctx.lookup(folder)
    location = spec.location
    pool = ctx.lookup(location.pool) if location is not None and location.pool else None
    host = ctx.lookup(location.host) if location is not None and location.host else None
    store = (ctx.lookup(location.datastore)
             if location is not None and location.datastore else None)
    snapshot = ctx.lookup(spec.snapshot) if spec.snapshot is not None else None
    template_source = is_template(this)
    plan: dict[str, Any] = {}

    def check() -> None:
        _running_check(ctx, this)
        if folder_obj.type != "Folder" or "VirtualMachine" not in (
                folder_obj.props.get("childType") or ()):
            raise _not_supported()
        plan["name"] = check_name(ctx.model, this, name, folder_obj)
        if spec.powerOn and spec.template:
            raise fault("InvalidArgument", "A specified parameter was not correct: "
                        "spec.powerOn", invalidProperty="spec.powerOn")
        if snapshot is not None and snapshot.props.get("vm") != this.ref:
            raise fault("InvalidArgument", "A specified parameter was not correct: "
                        "spec.snapshot", invalidProperty="spec.snapshot")
        target_pool = pool or ctx.model.get(this.props.get("resourcePool") or Ref(
            "ResourcePool", ""))
        if target_pool is None or target_pool.type not in ("ResourcePool", "VirtualApp"):
            raise fault("InvalidArgument", "A specified parameter was not correct: "
                        "spec.location.pool", invalidProperty="spec.location.pool")
        target_host = _host_in(ctx, target_pool, host, vm_host(ctx.model, this),
                               "spec.location.host")
        target_store = store or _source_datastore(ctx, this)
        if target_store is None or target_store.type != "Datastore":
            raise fault("InvalidDatastore", "The datastore is not accessible.",
                        datastore=location.datastore if location is not None else None)
        mounted = target_host.props.get("datastore")
        if mounted is not None and target_store.ref not in mounted:
            ds_name = str(target_store.props.get("name"))
            raise vim_fault("InvalidDatastore", f"The datastore '{ds_name}' is not "
                            "accessible from the host.", datastore=target_store.ref,
                            name=ds_name)
        plan.update(pool=target_pool, host=target_host, store=target_store)
        if "announced" not in plan:
            plan["announced"] = True
            _announce_clone(ctx, this, folder_obj, plan["name"], target_host,
                            template_source)

    async def work(progress: Progress) -> Ref:
        check()
        vm = _make_clone(ctx, this, snapshot, folder_obj, plan["name"], plan["pool"],
                         plan["host"], plan["store"], bool(spec.template))
        try:
            for changes in ((location.deviceChange if location is not None else None),
                            spec.config):
                if changes is None:
                    continue
                if isinstance(changes, tuple):
                    from aiovsphere.vim import types as t

                    changes = t.VirtualMachineConfigSpec(deviceChange=changes)
                apply_config(ctx, vm, changes.model_copy(update={"name": None}),
                             creating=True)
        except SimFault:
            remove_entity(ctx.sim, vm.ref)
            raise
        _announce_done(ctx, this, vm, template_source)
        if spec.powerOn:
            vm_event(ctx, "VmStartingEvent", vm)
            set_power_state(ctx, vm, "poweredOn")
            vm_event(ctx, "VmPoweredOnEvent", vm)
        return vm.ref

    return start_task(ctx, this, "CloneVM_Task", work, check=check, cancelable=True,
                      exclusive=False)


def _source_datastore(ctx: Context, vm: SimObject) -> SimObject | None:
    vmx = str(value_at(vm, "config.files.vmPathName", ""))
    name = vmx.partition("]")[0].lstrip("[").strip()
    for ref in vm.props.get("datastore") or ():
        obj = ctx.model.get(ref)
        if obj is not None and (not name or obj.props.get("name") == name):
            return obj
    return None


def _announce_clone(ctx: Context, source: SimObject, folder: SimObject, name: str,
                    host: SimObject, template_source: bool) -> None:
    from aiovsphere.vim import types as t

    src_name = str(source.props.get("name"))
    if template_source:
        vm_event(ctx, "VmBeingDeployedEvent", source,
                 srcTemplate=t.VmEventArgument(name=src_name, vm=source.ref))
        return
    vm_event(ctx, "VmBeingClonedEvent", source,
             destFolder=t.FolderEventArgument(name=str(folder.props.get("name")),
                                              folder=folder.ref),
             destName=name,
             destHost=t.HostEventArgument(name=str(host.props.get("name")), host=host.ref))


def _announce_done(ctx: Context, source: SimObject, vm: SimObject,
                   template_source: bool) -> None:
    from aiovsphere.vim import types as t

    src = t.VmEventArgument(name=str(source.props.get("name")), vm=source.ref)
    if template_source:
        vm_event(ctx, "VmDeployedEvent", vm, srcTemplate=src)
    else:
        vm_event(ctx, "VmClonedEvent", vm, sourceVm=src)


def _make_clone(ctx: Context, source: SimObject, snapshot: SimObject | None,
                folder: SimObject, name: str, pool: SimObject, host: SimObject,
                store: SimObject, template: bool) -> SimObject:
    """The new VM (the inventory's ``new_vm``): the source's configuration (or the
    snapshot's) and devices with a new identity (moref, UUIDs, MACs), disks under
    ``[store] name/``, powered off, no snapshots; a template is in no resource pool."""
    from aiovsphere.vim import types as t

    config = snapshot.props.get("config") if snapshot is not None else None
    config = config or source.props["config"]
    hardware = config.hardware
    changes = []
    for device in hardware.device or ():
        operation = None
        if isinstance(device, t.VirtualDisk):
            backing = device.backing
            if backing is not None and hasattr(backing, "fileName"):
                updates: dict[str, Any] = {"fileName": "", "datastore": None}
                if hasattr(backing, "uuid"):
                    updates["uuid"] = None
                device = device.model_copy(update={"backing": backing.model_copy(
                    update=updates)})
            operation = "create"
        changes.append(t.VirtualDeviceConfigSpec(operation="add", fileOperation=operation,
                                                 device=device))
    spec = t.VirtualMachineConfigSpec(
        name=name, guestId=config.guestId, numCPUs=hardware.numCPU,
        numCoresPerSocket=hardware.numCoresPerSocket, memoryMB=hardware.memoryMB,
        version=config.version, annotation=config.annotation,
        extraConfig=tuple(config.extraConfig or ()), firmware=config.firmware,
        cpuAllocation=config.cpuAllocation, memoryAllocation=config.memoryAllocation,
        files=t.VirtualMachineFileInfo(vmPathName=f"[{store.props.get('name')}]"),
        deviceChange=tuple(changes))
    vm = new_vm(ctx.sim, folder.ref, pool.ref, host.ref, spec, store.ref,
                power_state="poweredOff", template=template)
    # The guest address the new VM reports once powered on (new_vm makes it powered off).
    vm.data.setdefault("ip", vm_ip(inventory_state(ctx.sim).vm_serial))
    updates = {}
    for flag in ("cpuHotAddEnabled", "cpuHotRemoveEnabled", "memoryHotAddEnabled",
                 "nestedHVEnabled", "changeTrackingEnabled", "tools", "bootOptions",
                 "latencySensitivity", "flags", "alternateGuestName"):
        value = getattr(config, flag, None)
        if value is not None:
            updates[flag] = value
    if updates:
        vm.props["config"] = vm.props["config"].model_copy(update=updates)
    if template:
        remove_ref(ctx.model, pool.ref, "vm", vm.ref)
        vm.props["resourcePool"] = None
    set_power_state(ctx, vm, "poweredOff")
    return vm


# ---------------------------------------------------------------------- storage
@handles("VirtualMachine", "RefreshStorageInfo")
def refresh_storage_info(ctx: Context, this: SimObject) -> None:
    """vim.VirtualMachine.RefreshStorageInfo: recompute ``storage``, ``layoutEx`` and
    ``summary.storage`` from the VM's files (new timestamps)."""
    alive(ctx, this)
    sync(ctx, this)
