"""Folders, resource pools and settings: vim.Folder (CreateFolder, CreateDatacenter,
CreateClusterEx, CreateVM_Task, MoveIntoFolder_Task), vim.ResourcePool
(CreateResourcePool, UpdateConfig, DestroyChildren) and vim.option.OptionManager
(QueryOptions, UpdateOptions).

As on vCenter:

- Every change needs a writer (NoPermission for a read-only session) and posts its event
  (DatacenterCreatedEvent, ClusterCreatedEvent, ResourcePoolCreatedEvent,
  ResourcePoolReconfiguredEvent, ResourcePoolDestroyedEvent, VmBeingCreatedEvent and
  VmCreatedEvent; a new folder and a settings change post the TaskEvent vCenter records
  for them).
- Names are stored escaped (``/`` as ``%2f``, ``\\`` as ``%5c``, a ``%`` that starts no
  escape as ``%25``); empty names and names over 80 characters are InvalidName; a name
  already used beside it (in the folder, or among the pool's child pools) is
  DuplicateName.
- A folder only creates what its ``childType`` holds (NotSupported otherwise: a datacenter
  only in a datacenter folder, a cluster only in a host folder...). New morefs look like
  vCenter's: ``group-v12`` (a VM folder), ``datacenter-13``, ``domain-c14``,
  ``resgroup-15``.
- MoveIntoFolder_Task moves entities of a type the folder holds within their
  datacenter; a folder cannot go into itself or below itself (InvalidFolder); a name
  taken in the target is DuplicateName; these fail the task.
- DestroyChildren removes a pool's child pools, their VMs coming into the pool
  (Destroy_Task, ManagedEntity's, is in ``vm.py``).
- UpdateConfig checks ``config.changeVersion`` (ConcurrentAccess when it is not the
  pool's current one) and that a limit is not below its reservation (InvalidArgument).
- QueryOptions(name): every setting (no name), a subtree (a name ending in ``.``) or one
  setting (InvalidName when none matches). UpdateOptions changes settings; a key that
  does not exist is added only under ``config.`` (InvalidName otherwise, as vCenter).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import Context, SimFault, fault, now
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._eventlog import post_event
from aiovsphere.simulator._events import datacenter_of
from aiovsphere.simulator._handlers.search import name_key
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._tasks import start_task
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._model import Model
    from aiovsphere.simulator._server import Simulator

__all__ = ["MAX_NAME", "VPX_SETTINGS", "install_settings", "store_name"]

MAX_NAME = 80  # characters in an inventory name
SETTINGS = Ref("OptionManager", "VpxSettings")
_FOLDER_LETTER = {"VirtualMachine": "v", "ComputeResource": "h", "Datastore": "s",
                  "Network": "n", "Datacenter": "d"}

# vCenter's advanced settings (a representative part of them).
VPX_SETTINGS: tuple[tuple[str, Any], ...] = (
    ("VirtualCenter.InstanceName", "127.0.0.1"),
    ("VirtualCenter.FQDN", "localhost.localdomain"),
    ("VirtualCenter.AutoManagedIPV4", "127.0.0.1"),
    ("VirtualCenter.VimApiUrl", "https://localhost/sdk"),
    ("VirtualCenter.VimWebServicesUrl", "https://localhost:443/vws"),
    ("VirtualCenter.MaxDBConnection", 50),
    ("client.timeout.normal", 30),
    ("client.timeout.long", 120),
    ("config.vpxd.stats.maxQueryMetrics", 256),
    ("event.maxAge", 30),
    ("event.maxAgeEnabled", True),
    ("task.maxAge", 30),
    ("task.maxAgeEnabled", True),
    ("instance.id", 1),
    ("log.level", "info"),
    ("mail.sender", ""),
    ("mail.smtp.port", 25),
    ("mail.smtp.server", ""),
    ("snmp.receiver.1.community", "public"),
    ("snmp.receiver.1.enabled", True),
    ("snmp.receiver.1.name", "localhost"),
    ("snmp.receiver.1.port", 162),
    ("WebService.Ports.http", 80),
    ("WebService.Ports.https", 443),
)
ESX_SETTINGS: tuple[tuple[str, Any], ...] = (
    ("Config.HostAgent.log.level", "info"),
    ("Config.HostAgent.plugins.solo.enableMob", False),
    ("Config.HostAgent.vmacore.soap.sessionTimeout", 30),
    ("Annotations.WelcomeMessage", ""),
    ("UserVars.SuppressShellWarning", 0),
)


# ---------------------------------------------------------------------------- names
_BARE_PERCENT = re.compile(r"%(?!25|2[fF]|5[cC])")


def store_name(name: str) -> str:
    """``name`` as vCenter stores it: ``/`` and ``\\`` escaped, a ``%`` escaped when it
    starts none of the three escapes (so an already escaped name is kept)."""
    return _BARE_PERCENT.sub("%25", name).replace("/", "%2f").replace("\\", "%5c")


def _named(fault_type: str, message: str, name: str, **members: Any) -> SimFault:
    """A fault with a ``name`` member (``fault()`` takes ``name`` as the fault type)."""
    from aiovsphere.vim import types as t

    return SimFault(getattr(t, fault_type)(name=name, **members), message)


def _check_name(name: str, entity: Ref | None = None) -> str:
    stored = store_name(name or "")
    if not name or not name.strip() or len(name_key(stored)) > MAX_NAME:
        raise _named("InvalidName", f"The name '{name}' is invalid.", name or "",
                     entity=entity)
    return stored


def _duplicate(model: Model, refs: Any, name: str, skip: Ref | None = None) -> None:
    wanted = name_key(name)
    for ref in refs or ():
        obj = model.get(ref)
        if obj is not None and obj.ref != skip and name_key(
                str(obj.props.get("name", ""))) == wanted:
            raise _named("DuplicateName", f"The name '{name_key(name)}' already exists.",
                         name, object=obj.ref)


def _new_ref(model: Model, kind: str, prefix: str) -> Ref:
    number = model.new_id("x").rsplit("-", 1)[1]
    return Ref(kind, f"{prefix}{number}")


def _add(model_or_sim: Any, ref: Ref, name: str, parent: Ref | None,
         extra: dict[str, Any]) -> SimObject:
    """Add a managed entity as the inventory builder does (``effectiveRole`` served per
    session)."""
    from aiovsphere.simulator._inv_api import effective_role
    from aiovsphere.simulator._inv_values import entity

    props = entity(name, parent)
    props.update(extra)
    obj = SimObject(ref, props, dynamic={"effectiveRole": effective_role})
    model_or_sim.add(obj)
    return obj


def _child_types(folder: SimObject) -> tuple[str, ...]:
    return tuple(str(t) for t in folder.props.get("childType") or ())


def _append(model: Model, owner: SimObject, prop: str, ref: Ref) -> None:
    current = tuple(owner.props.get(prop) or ())
    if ref not in current:
        model.set(owner.ref, prop, (*current, ref))


def _synthetic_task_event(ctx: Context, entity: SimObject, method: str) -> None:
    """The TaskEvent vCenter records for a synchronous method (a task that is done)."""
    from aiovsphere.vim import types as t

    ref = Ref("Task", ctx.model.new_id("task"))
    when = now()
    info = t.TaskInfo(
        key=ref.value, task=ref, name=method, descriptionId=f"{entity.type}.{method}",
        entity=entity.ref, entityName=entity.props.get("name"), state="success",
        cancelled=False, cancelable=False, queueTime=when, startTime=when,
        completeTime=when, eventChainId=0,
        reason=t.TaskReasonUser(userName=ctx.session.user if ctx.session else ""))
    post_event(ctx, "TaskEvent", entity, info=info)


# ---------------------------------------------------------------------------- Folder
def _new_folder(model: Model, name: str, parent: Ref | None,
                child_type: tuple[str, ...]) -> SimObject:
    letter = _FOLDER_LETTER.get(child_type[1] if len(child_type) > 1 else "", "v")
    ref = _new_ref(model, "Folder", f"group-{letter}")
    return _add(model, ref, name, parent, {"childType": child_type, "childEntity": ()})


@handles("Folder", "CreateFolder")
def create_folder(ctx: Context, this: SimObject, name: str) -> Ref:
    """vim.Folder.CreateFolder: a sub-folder of the same kind."""
    ctx.require_write()
    stored = _check_name(name, this.ref)
    if "Folder" not in _child_types(this):
        raise fault("NotSupported", "The operation is not supported on the object.")
    _duplicate(ctx.model, this.props.get("childEntity"), stored)
    folder = _new_folder(ctx.model, stored, this.ref, _child_types(this))
    _append(ctx.model, this, "childEntity", folder.ref)
    _synthetic_task_event(ctx, folder, "CreateFolder")
    return folder.ref


@handles("Folder", "CreateDatacenter")
def create_datacenter(ctx: Context, this: SimObject, name: str) -> Ref:
    """vim.Folder.CreateDatacenter: a datacenter with its vm, host, datastore and network
    folders."""
    from aiovsphere.vim import types as t

    ctx.require_write()
    stored = _check_name(name, this.ref)
    if "Datacenter" not in _child_types(this):
        raise fault("NotSupported", "The operation is not supported on the object.")
    _duplicate(ctx.model, this.props.get("childEntity"), stored)
    model = ctx.model
    ref = _new_ref(model, "Datacenter", "datacenter-")
    folders = {
        "vmFolder": _new_folder(model, "vm", ref, ("Folder", "VirtualMachine",
                                                   "VirtualApp")),
        "hostFolder": _new_folder(model, "host", ref, ("Folder", "ComputeResource")),
        "datastoreFolder": _new_folder(model, "datastore", ref, ("Folder", "Datastore",
                                                                 "StoragePod")),
        "networkFolder": _new_folder(model, "network", ref, ("Folder", "Network",
                                                             "DistributedVirtualSwitch")),
    }
    dc = _add(model, ref, stored, this.ref, {
        **{k: v.ref for k, v in folders.items()}, "datastore": (), "network": (),
        "configuration": t.DatacenterConfigInfo(defaultHardwareVersionKey=None,
                                                maximumHardwareVersionKey="vmx-21")})
    _append(model, this, "childEntity", ref)
    post_event(ctx, "DatacenterCreatedEvent", dc)
    return ref


def _merged(base: Any, given: Any) -> Any:
    """``base`` with the fields ``given`` sets."""
    if given is None or base is None:
        return base
    fields = type(base).model_fields
    return base.model_copy(update={k: v for k, v in given if v is not None and k in fields
                                   and k not in ("dynamicType", "dynamicProperty")})


def _cluster_config(spec: Any) -> tuple[Any, Any]:
    """``configuration`` and ``configurationEx`` of a new cluster: vCenter's defaults with
    ``spec``'s HA (dasConfig), DRS (drsConfig) and DPM (dpmConfig) settings."""
    from aiovsphere.simulator._inv_values import cluster_config, cluster_config_ex

    config, config_ex = cluster_config(), cluster_config_ex()
    das = _merged(config.dasConfig, getattr(spec, "dasConfig", None))
    drs = _merged(config.drsConfig, getattr(spec, "drsConfig", None))
    dpm = _merged(config_ex.dpmConfigInfo, getattr(spec, "dpmConfig", None))
    return (config.model_copy(update={"dasConfig": das, "drsConfig": drs}),
            config_ex.model_copy(update={"dasConfig": das, "drsConfig": drs,
                                         "dpmConfigInfo": dpm}))


@handles("Folder", "CreateClusterEx")
def create_cluster(ctx: Context, this: SimObject, name: str, spec: Any = None) -> Ref:
    """vim.Folder.CreateClusterEx: an empty cluster (its root pool ``Resources``) with the
    HA/DRS/DPM settings of ``spec``."""
    from aiovsphere.simulator._inv_values import compute_summary

    ctx.require_write()
    stored = _check_name(name, this.ref)
    if "ComputeResource" not in _child_types(this):
        raise fault("NotSupported", "The operation is not supported on the object.")
    _duplicate(ctx.model, this.props.get("childEntity"), stored)
    model = ctx.model
    ref = _new_ref(model, "ClusterComputeResource", "domain-c")
    config, config_ex = _cluster_config(spec)
    pool = _new_pool(model, "Resources", ref, ref, None, root=True, hosts=0)
    browser = Ref("EnvironmentBrowser", f"envbrowser-{ref.value.removeprefix('domain-c')}")
    model.add(SimObject(browser, {"datastoreBrowser": None}))
    summary = compute_summary(0, cluster=True)
    cluster = _add(model, ref, stored, this.ref, {
        "host": (), "resourcePool": pool.ref, "datastore": (), "network": (),
        "summary": summary, "summaryEx": summary, "environmentBrowser": browser,
        "configurationEx": config_ex, "configuration": config, "lifecycleManaged": False,
        "recommendation": (), "drsRecommendation": (), "migrationHistory": (),
        "actionHistory": (), "drsFault": ()})
    cluster.data["companions"] = (browser,)
    _append(model, this, "childEntity", ref)
    post_event(ctx, "ClusterCreatedEvent", cluster)
    return ref


@handles("Folder", "CreateVM_Task")
def create_vm(ctx: Context, this: SimObject, config: Any, pool: Ref,
              host: Ref | None = None) -> Ref:
    """vim.Folder.CreateVM_Task: a new powered-off VM from ``config`` in this VM folder,
    resource pool ``pool`` and on ``host`` (default: a host of the pool's compute
    resource); the task's result is the VM. Made by the inventory's ``new_vm``
    (DuplicateName, InvalidDatastorePath... fail the task)."""
    ctx.require_write()
    if "VirtualMachine" not in _child_types(this):
        raise fault("NotSupported", "The operation is not supported on the object.")
    stored = _check_name(getattr(config, "name", None) or "", this.ref)
    ctx.lookup(pool)
    if host is not None:
        ctx.lookup(host)
    spec = config.model_copy(update={"name": stored})

    async def work(progress: Any) -> Ref:
        from aiovsphere.simulator._inv_api import new_vm

        vm = new_vm(ctx.sim, this.ref, pool, host, spec)
        post_event(ctx, "VmBeingCreatedEvent", vm, configSpec=config)
        post_event(ctx, "VmCreatedEvent", vm)
        return vm.ref

    return start_task(ctx, this, "CreateVM_Task", work)


_MOVABLE = (  # entity type -> the childType a folder needs to hold it
    ("VirtualApp", "VirtualApp"), ("VirtualMachine", "VirtualMachine"),
    ("Datacenter", "Datacenter"), ("ComputeResource", "ComputeResource"),
    ("StoragePod", "StoragePod"), ("Datastore", "Datastore"),
    ("DistributedVirtualSwitch", "DistributedVirtualSwitch"), ("Network", "Network"),
    ("Folder", "Folder"),
)


def _needed_child_type(obj: SimObject) -> str | None:
    from aiovsphere.vim._schema import schema

    s = schema()
    for kind, child_type in _MOVABLE:
        if s.is_subtype(obj.type, kind):
            return child_type
    return None


def _is_below(model: Model, obj: SimObject, ancestor: Ref) -> bool:
    cur: SimObject | None = obj
    for _ in range(256):
        if cur is None:
            return False
        if cur.ref == ancestor:
            return True
        parent = cur.props.get("parent")
        cur = model.get(parent) if isinstance(parent, Ref) else None
    return False


def _check_move(ctx: Context, folder: SimObject, obj: SimObject) -> None:
    model = ctx.model
    needed = _needed_child_type(obj)
    types = _child_types(folder)
    if needed is None or needed not in types:
        raise fault("NotSupported", "The operation is not supported on the object.")
    if obj.type == "Folder":
        kinds = set(_child_types(obj)) - {"Folder"}
        if kinds and not kinds <= set(types):
            raise fault("NotSupported", "The operation is not supported on the object.")
        if _is_below(model, folder, obj.ref):
            raise fault("InvalidFolder", "The folder cannot be moved into itself or one of "
                        "its subfolders.", target=obj.ref)
    if needed != "Datacenter":
        here, there = datacenter_of(model, obj), datacenter_of(model, folder)
        if (here.ref if here else None) != (there.ref if there else None):
            raise fault("NotSupported", "Entities cannot be moved between datacenters.")
    _duplicate(model, folder.props.get("childEntity"), str(obj.props.get("name", "")),
               skip=obj.ref)


@handles("Folder", "MoveIntoFolder_Task")
def move_into_folder(ctx: Context, this: SimObject, list: tuple[Ref, ...] = ()) -> Ref:
    """vim.Folder.MoveIntoFolder_Task: move ``list`` into this folder (see the module
    doc for the rules; a rule broken fails the task and moves nothing)."""
    ctx.require_write()
    objects = [ctx.lookup(ref) for ref in list]

    async def work(progress: Any) -> None:
        model = ctx.model
        if model.get(this.ref) is not this:  # destroyed while the task was queued
            raise fault("ManagedObjectNotFound", obj=this.ref)
        for obj in objects:
            if obj.ref not in model:
                raise fault("ManagedObjectNotFound", obj=obj.ref)
            _check_move(ctx, this, obj)
        from aiovsphere.simulator._inv_api import move_entity

        for obj in objects:
            if obj.props.get("parent") != this.ref:
                move_entity(ctx.sim, obj.ref, this.ref)

    return start_task(ctx, this, "MoveIntoFolder_Task", work)


# ---------------------------------------------------------------------------- pools
def _host_count(model: Model, owner: Ref | None) -> int:
    obj = model.get(owner) if owner is not None else None
    return len(obj.props.get("host") or ()) if obj is not None else 0


def _new_pool(model: Model, name: str, parent: Ref, owner: Ref, spec: Any, *,
              root: bool = False, hosts: int = 0) -> SimObject:
    from aiovsphere.simulator._inv_values import pool_config, pool_runtime, pool_summary

    ref = _new_ref(model, "ResourcePool", "resgroup-")
    when = now()
    if spec is None:
        config = pool_config(ref, root=root, hosts=hosts, when=when)
    else:
        config = pool_config(ref, root=False, hosts=hosts, when=when,
                             cpu=_allocation(spec.cpuAllocation, "cpu"),
                             memory=_allocation(spec.memoryAllocation, "memory"))
    config = config.model_copy(update={"changeVersion": "1"})
    runtime = pool_runtime(hosts)
    return _add(model, ref, name, parent, {
        "owner": owner, "config": config, "runtime": runtime,
        "summary": pool_summary(name, config, runtime), "resourcePool": (), "vm": (),
        "childConfiguration": (), "namespace": None})


_LEVEL_SHARES = {"cpu": {"low": 2000, "normal": 4000, "high": 8000},
                 "memory": {"low": 81920, "normal": 163840, "high": 327680}}


def _allocation(given: Any, kind: str, current: Any = None) -> Any:
    """A complete ResourceAllocationInfo: ``given``'s fields over ``current`` (or the
    defaults: no reservation, expandable, unlimited, normal shares); InvalidArgument
    for a negative reservation, a limit below the reservation, custom shares without a
    number."""
    from aiovsphere.vim import types as t

    base = current or t.ResourceAllocationInfo(
        reservation=0, expandableReservation=True, limit=-1,
        shares=t.SharesInfo(level="normal", shares=_LEVEL_SHARES[kind]["normal"]))
    if given is None:
        return base
    update = {k: v for k, v in given if v is not None and k != "dynamicProperty"}
    info = base.model_copy(update=update)
    prop = f"spec.{kind}Allocation"
    if info.reservation is not None and info.reservation < 0:
        raise fault("InvalidArgument", f"A specified parameter was not correct: "
                    f"{prop}.reservation", invalidProperty=f"{prop}.reservation")
    if info.limit is not None and info.limit != -1 and (
            info.limit < 0 or info.limit < (info.reservation or 0)):
        raise fault("InvalidArgument", f"A specified parameter was not correct: "
                    f"{prop}.limit", invalidProperty=f"{prop}.limit")
    shares = info.shares
    if shares is not None:
        level = str(getattr(shares.level, "value", shares.level))
        if level == "custom":
            if shares.shares is None or shares.shares < 0:
                raise fault("InvalidArgument", f"A specified parameter was not correct: "
                            f"{prop}.shares", invalidProperty=f"{prop}.shares")
        elif level in _LEVEL_SHARES[kind]:
            info = info.model_copy(update={"shares": shares.model_copy(
                update={"shares": _LEVEL_SHARES[kind][level]})})
    return info


def _pool_siblings(model: Model, parent: Any) -> tuple[Ref, ...]:
    obj = model.get(parent) if isinstance(parent, Ref) else None
    if obj is None or obj.type not in ("ResourcePool", "VirtualApp"):
        return ()
    return tuple(obj.props.get("resourcePool") or ())


def _set_child_config(model: Model, parent: SimObject, config: Any) -> None:
    """Put a child pool's ``config`` into its parent's ``childConfiguration``."""
    if parent.type not in ("ResourcePool", "VirtualApp"):
        return
    others = tuple(c for c in parent.props.get("childConfiguration") or ()
                   if c.entity != config.entity)
    model.set(parent.ref, "childConfiguration", (*others, config))


@handles("ResourcePool", "CreateResourcePool")
def create_resource_pool(ctx: Context, this: SimObject, name: str, spec: Any) -> Ref:
    """vim.ResourcePool.CreateResourcePool: a child pool."""
    ctx.require_write()
    stored = _check_name(name, this.ref)
    model = ctx.model
    _duplicate(model, this.props.get("resourcePool"), stored)
    _allocation(spec.cpuAllocation, "cpu")
    _allocation(spec.memoryAllocation, "memory")
    owner: Ref = this.props["owner"]
    pool = _new_pool(model, stored, this.ref, owner, spec,
                     hosts=_host_count(model, owner))
    _append(model, this, "resourcePool", pool.ref)
    _set_child_config(model, this, pool.props["config"])
    post_event(ctx, "ResourcePoolCreatedEvent", pool)
    return pool.ref


@handles("ResourcePool", "UpdateConfig")
def update_config(ctx: Context, this: SimObject, name: str | None = None,
                  config: Any = None) -> None:
    """vim.ResourcePool.UpdateConfig: rename and/or change the allocations."""
    ctx.require_write()
    model = ctx.model
    changes: dict[str, Any] = {}
    if name is not None:
        stored = _check_name(name, this.ref)
        _duplicate(model, _pool_siblings(model, this.props.get("parent")), stored,
                   skip=this.ref)
        changes["name"] = stored
    current = this.props["config"]
    if config is not None:
        version = getattr(config, "changeVersion", None)
        if version is not None and version != current.changeVersion:
            raise fault("ConcurrentAccess", "Cannot complete operation due to concurrent "
                        "modification by another operation.")
        cpu = _allocation(config.cpuAllocation, "cpu", current.cpuAllocation)
        memory = _allocation(config.memoryAllocation, "memory", current.memoryAllocation)
        current = current.model_copy(update={
            "cpuAllocation": cpu, "memoryAllocation": memory, "lastModified": now(),
            "changeVersion": str(int(current.changeVersion or "0") + 1)})
        changes["config"] = current
    if not changes:
        return
    summary = this.props.get("summary")
    if summary is not None:
        changes["summary"] = summary.model_copy(update={
            "name": changes.get("name", summary.name), "config": current})
    model.update(this.ref, changes)
    parent_ref = this.props.get("parent")
    parent = model.get(parent_ref) if isinstance(parent_ref, Ref) else None
    if parent is not None and "config" in changes:
        _set_child_config(model, parent, current)
    post_event(ctx, "ResourcePoolReconfiguredEvent", this)


@handles("ResourcePool", "DestroyChildren")
def destroy_children(ctx: Context, this: SimObject) -> None:
    """vim.ResourcePool.DestroyChildren: remove every child pool (recursively); their VMs
    come into this pool. (Destroy_Task of a pool is ManagedEntity's, in ``vm.py``.)"""
    from aiovsphere.simulator._handlers.vm import destroy_entity

    ctx.require_write()
    for ref in tuple(this.props.get("resourcePool") or ()):
        child = ctx.model.get(ref)
        if child is not None:
            destroy_entity(ctx, child)


# ---------------------------------------------------------------------------- settings
def install_settings(sim: Simulator) -> None:
    """Fill the OptionManager's ``setting`` (vCenter's or ESXi's advanced settings) when
    it is empty. Idempotent."""
    from aiovsphere.vim import types as t

    obj = sim.model.get(SETTINGS)
    if obj is None or obj.data.get("installed"):
        return
    obj.data["installed"] = True
    if obj.props.get("setting"):
        return
    from aiovsphere.vim.anytype import Int

    defaults = ESX_SETTINGS if sim.inventory.esx_host else VPX_SETTINGS
    obj.props["setting"] = tuple(  # numbers as xsd:int, as vCenter sends them
        t.OptionValue(key=k, value=Int(v) if type(v) is int else v) for k, v in defaults)


@handles("OptionManager", "QueryOptions")
def query_options(ctx: Context, this: SimObject, name: str | None = None) -> tuple[Any, ...]:
    """vim.option.OptionManager.QueryOptions: all, a subtree (``name.``) or one."""
    install_settings(ctx.sim)
    settings = tuple(this.props.get("setting") or ())
    if not name:
        return settings
    if name.endswith("."):
        found = tuple(o for o in settings if o.key.startswith(name))
    else:
        found = tuple(o for o in settings if o.key == name)
    if not found:
        raise _named("InvalidName", f"A specified parameter was not correct: {name}",
                     name, entity=None)
    return found


def _coerce(old: Any, new: Any, key: str) -> Any:
    """``new`` in the type of the setting's current value (InvalidArgument if it cannot
    be)."""
    if old is None or new is None or isinstance(new, type(old)):
        return new
    try:
        if isinstance(old, bool):
            text = str(new).strip().lower()
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        if isinstance(old, int):
            number = int(new) if isinstance(new, int | float) and not isinstance(
                new, bool) else int(str(new).strip())
            return type(old)(number)
        if isinstance(old, str):
            return str(int(new)) if isinstance(new, int) and not isinstance(
                new, bool) else str(new)
    except ValueError:
        raise fault("InvalidArgument", f"A specified parameter was not correct: {key}",
                    invalidProperty=key) from None
    return new


@handles("OptionManager", "UpdateOptions")
def update_options(ctx: Context, this: SimObject, changedValue: tuple[Any, ...] = ()) -> None:
    """vim.option.OptionManager.UpdateOptions: change (or add, under ``config.``)
    settings; nothing changes if any of them is refused."""
    from aiovsphere.vim import types as t

    ctx.require_write()
    install_settings(ctx.sim)
    settings = {o.key: o for o in this.props.get("setting") or ()}
    for change in changedValue:
        key = change.key
        old = settings.get(key)
        if old is None and not key.startswith("config."):
            raise _named("InvalidName", f"A specified parameter was not correct: {key}",
                         key, entity=None)
        value = _coerce(old.value if old is not None else None, change.value, key)
        settings[key] = t.OptionValue(key=key, value=value)
    ctx.model.set(this.ref, "setting", tuple(settings.values()))
    if changedValue:
        _synthetic_task_event(ctx, this, "UpdateOptions")

