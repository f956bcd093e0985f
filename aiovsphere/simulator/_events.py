"""Typed events as vCenter writes them (vim.event.Event and its subtypes).

:func:`make_event` builds the event an operation posts: ``key`` (1, 2, 3... in posting
order), ``chainId`` (the key of the chain's first event: a task's TaskEvent, else the event
itself), ``createdTime``, ``userName`` (the caller's; ``""`` for the system), the entity
arguments resolved from the inventory (a VM's event carries ``vm``, ``host`` (its
``runtime.host``), ``computeResource`` (the host's parent) and ``datacenter``; a host's
``host``, ``computeResource``, ``datacenter``; a datastore's ``ds``; a network's ``net``;
a distributed switch's ``dvs``...), the fields a type requires that the inventory knows
(``VmEvent.template``, ``ResourcePoolEvent.resourcePool``, the ``parent`` of
DatacenterCreatedEvent/ClusterCreatedEvent/ResourcePoolCreatedEvent, ``GeneralUserEvent.entity``,
``EventEx.objectId``) and ``fullFormattedMessage`` from vCenter's message catalogue
(:data:`CATALOGUE`, the ``fullFormat`` of EventManager.description.eventInfo):
``DC0_H0_VM0 on DC0_H0 in DC0 is powered on``.

Matching helpers for EventFilterSpec (:func:`primary_entity`, :func:`entity_refs`,
:func:`category_of`, :func:`type_names`) live here too; the filter itself is in
:mod:`aiovsphere.simulator._handlers.events`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import Model, SimObject
    from aiovsphere.simulator._server import Simulator

__all__ = [
    "CATALOGUE",
    "category_of",
    "chain_of",
    "datacenter_of",
    "entity_arguments",
    "entity_refs",
    "event_description",
    "format_message",
    "make_event",
    "next_key",
    "primary_entity",
    "set_chain",
    "task_description",
    "type_names",
]

_MAX_DEPTH = 64  # inventory levels; deeper is a cycle
_IN_DC = " in {datacenter.name}"

# type -> (category, description, fullFormat), vCenter's wording (description.eventInfo).
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # sessions
    "UserLoginSessionEvent": ("info", "User login",
                              "User {userName}@{ipAddress} logged in as {userAgent}"),
    "UserLogoutSessionEvent": ("info", "User logout",
                               "User {userName}@{ipAddress} logged out (login time: "
                               "{loginTime}, number of API invocations: {callCount}, "
                               "user agent: {userAgent})"),
    "BadUsernameSessionEvent": ("error", "Invalid user name",
                                "Cannot login {userName}@{ipAddress}"),
    "SessionTerminatedEvent": ("info", "Session stopped",
                               "A session for user '{terminatedUsername}' has stopped"),
    "AlreadyAuthenticatedSessionEvent": ("error", "Already authenticated",
                                         "User cannot logon since the user is already "
                                         "logged on"),
    # tasks and user events
    "TaskEvent": ("info", "Task event", "Task: {info.descriptionId}"),
    "GeneralUserEvent": ("user", "User logged event", "User logged event: {message}"),
    "GeneralEvent": ("info", "General event", "General event: {message}"),
    "GeneralHostWarningEvent": ("warning", "Host warning", "Issue detected on "
                                "{host.name} in {datacenter.name}: {message}"),
    "GeneralHostErrorEvent": ("error", "Host error", "Error detected on {host.name} in "
                              "{datacenter.name}: {message}"),
    "GeneralVmWarningEvent": ("warning", "VM warning", "Message from {vm.name} on "
                              "{host.name} in {datacenter.name}: {message}"),
    "GeneralHostInfoEvent": ("info", "Host information", "Issue detected on {host.name}"
                             " in {datacenter.name}: {message}"),
    "GeneralVmInfoEvent": ("info", "VM information", "Message on {vm.name} on {host.name}"
                           " in {datacenter.name}: {message}"),
    "GeneralVmErrorEvent": ("error", "VM error", "Error detected for {vm.name} on "
                            "{host.name} in {datacenter.name}: {message}"),
    # virtual machines
    "VmPoweredOnEvent": ("info", "VM powered on",
                         "{vm.name} on {host.name} in {datacenter.name} is powered on"),
    "VmPoweredOffEvent": ("info", "VM powered off",
                          "{vm.name} on {host.name} in {datacenter.name} is powered off"),
    "VmStartingEvent": ("info", "VM starting",
                        "{vm.name} on host {host.name} in {datacenter.name} is starting"),
    "VmStoppingEvent": ("info", "VM stopping",
                        "{vm.name} on host {host.name} in {datacenter.name} is stopping"),
    "VmSuspendedEvent": ("info", "VM suspended",
                         "{vm.name} on {host.name} in {datacenter.name} is suspended"),
    "VmSuspendingEvent": ("info", "VM being suspended",
                          "{vm.name} on {host.name} in {datacenter.name} is being "
                          "suspended"),
    "VmResumingEvent": ("info", "VM resuming",
                        "{vm.name} on {host.name} in {datacenter.name} is resumed"),
    "VmResettingEvent": ("info", "VM resetting",
                         "{vm.name} on {host.name} in {datacenter.name} is reset"),
    "VmGuestShutdownEvent": ("info", "Guest OS shut down",
                             "Guest OS shut down for {vm.name} on {host.name} in "
                             "{datacenter.name}"),
    "VmGuestRebootEvent": ("info", "Guest reboot",
                           "Guest OS reboot for {vm.name} on {host.name} in "
                           "{datacenter.name}"),
    "VmGuestStandbyEvent": ("info", "Guest standby",
                            "Guest OS standby for {vm.name} on {host.name} in "
                            "{datacenter.name}"),
    "VmPowerOffOnIsolationEvent": ("info", "VM powered off on isolated host",
                                   "vSphere HA powered off {vm.name} on the isolated host "
                                   "{isolatedHost.name} in cluster {computeResource.name} "
                                   "in {datacenter.name}"),
    "VmRenamedEvent": ("info", "VM renamed",
                       "Renamed {vm.name} from {oldName} to {newName} in "
                       "{datacenter.name}"),
    "VmReconfiguredEvent": ("info", "VM reconfigured",
                            "Reconfigured {vm.name} on {host.name} in {datacenter.name}"),
    "VmBeingCreatedEvent": ("info", "Creating VM",
                            "Creating {vm.name} on host {host.name} in {datacenter.name}"),
    "VmCreatedEvent": ("info", "VM created",
                       "Created virtual machine {vm.name} on {host.name} in "
                       "{datacenter.name}"),
    "VmRemovedEvent": ("info", "VM removed",
                       "Removed {vm.name} on {host.name} from {datacenter.name}"),
    "VmRegisteredEvent": ("info", "VM registered",
                          "Registered {vm.name} on {host.name} in {datacenter.name}"),
    "VmBeingClonedEvent": ("info", "VM being cloned",
                           "Cloning {vm.name} on host {host.name} in {datacenter.name} to "
                           "{destName} on host {destHost.name}"),
    "VmBeingClonedNoFolderEvent": ("info", "VM being cloned to a vApp",
                                   "Cloning {vm.name} on host {host.name} in "
                                   "{datacenter.name} to {destName} on host "
                                   "{destHost.name} to a vApp"),
    "VmClonedEvent": ("info", "VM clone completed", "Clone of {sourceVm.name} completed"),
    "VmCloneFailedEvent": ("error", "Cannot complete VM clone",
                           "Failed to clone {vm.name} on {host.name} in {datacenter.name}: "
                           "{reason.msg}"),
    "VmBeingDeployedEvent": ("info", "Deploying VM",
                             "Deploying {vm.name} on host {host.name} in {datacenter.name} "
                             "from template {srcTemplate.name}"),
    "VmDeployedEvent": ("info", "VM deployed",
                        "Template {srcTemplate.name} deployed on host {host.name}"),
    "VmBeingRelocatedEvent": ("info", "VM relocating",
                              "Relocating {vm.name} from {host.name} in {datacenter.name} "
                              "to {destHost.name}"),
    "VmRelocatedEvent": ("info", "VM relocated",
                         "Completed the relocation of the virtual machine {vm.name} from "
                         "{sourceHost.name} to {host.name}"),
    "VmMigratedEvent": ("info", "VM migrated",
                        "Migration of virtual machine {vm.name} from {sourceHost.name} to "
                        "{host.name} completed"),
    "VmMacAssignedEvent": ("info", "VM MAC assigned",
                           "New MAC address ({mac}) assigned to adapter {adapter} for "
                           "{vm.name}"),
    "VmUuidAssignedEvent": ("info", "VM UUID assigned",
                            "Assigned new BIOS UUID ({uuid}) to {vm.name} on {host.name} "
                            "in {datacenter.name}"),
    "VmInstanceUuidAssignedEvent": ("info", "Assign a new instance UUID",
                                    "Assign a new instance UUID ({instanceUuid}) to "
                                    "{vm.name}"),
    "VmConnectedEvent": ("info", "VM connected",
                         "Virtual machine {vm.name} is connected"),
    "VmDisconnectedEvent": ("warning", "VM disconnected",
                            "{vm.name} on host {host.name} in {datacenter.name} is "
                            "disconnected"),
    "VmOrphanedEvent": ("warning", "VM orphaned",
                        "{vm.name} does not exist on {host.name} in {datacenter.name}"),
    "VmFailedToPowerOnEvent": ("error", "Cannot power on VM",
                               "Cannot power on {vm.name} on {host.name} in "
                               "{datacenter.name}. {reason.msg}"),
    "VmFailedToPowerOffEvent": ("error", "Cannot power off VM",
                                "Cannot power off {vm.name} on {host.name} in "
                                "{datacenter.name}. {reason.msg}"),
    "VmFailedToSuspendEvent": ("error", "Cannot suspend VM",
                               "Cannot suspend {vm.name} on {host.name} in "
                               "{datacenter.name}: {reason.msg}"),
    "VmFailedToResetEvent": ("error", "Cannot reset VM",
                             "Cannot reset {vm.name} on {host.name} in {datacenter.name}: "
                             "{reason.msg}"),
    "VmMessageEvent": ("info", "VM information message",
                       "Message on {vm.name} on {host.name} in {datacenter.name}: "
                       "{message}"),
    "VmUpgradeCompleteEvent": ("info", "VM upgrade complete",
                               "Virtual machine compatibility upgraded to {version}"),
    "VmDateRolledBackEvent": ("error", "VM date rolled back",
                              "Disconnecting all hosts as the date of virtual machine "
                              "{vm.name} has been rolled back"),
    # hosts
    "HostConnectedEvent": ("info", "Host connected",
                           "Connected to {host.name} in {datacenter.name}"),
    "HostDisconnectedEvent": ("info", "Host disconnected",
                              "Disconnected from {host.name} in {datacenter.name}. "
                              "Reason: {reason}"),
    "HostAddedEvent": ("info", "Host Added",
                       "Added host {host.name} to datacenter {datacenter.name}"),
    "HostRemovedEvent": ("info", "Host removed",
                         "Removed host {host.name} in {datacenter.name}"),
    "EnteringMaintenanceModeEvent": ("info", "Entering maintenance mode",
                                     "Host {host.name} in {datacenter.name} has started to "
                                     "enter maintenance mode"),
    "EnteredMaintenanceModeEvent": ("info", "Entered maintenance mode",
                                    "Host {host.name} in {datacenter.name} has entered "
                                    "maintenance mode"),
    "ExitMaintenanceModeEvent": ("info", "Exit maintenance mode",
                                 "Host {host.name} in {datacenter.name} has exited "
                                 "maintenance mode"),
    "HostShutdownEvent": ("info", "Host shut down",
                          "Shut down of {host.name} in {datacenter.name}: {reason}"),
    "DrsEnteredStandbyModeEvent": ("info", "DRS entered standby mode",
                                   "DRS put {host.name} into standby mode"),
    # compute resources, pools, datacenters, datastores
    "DatacenterCreatedEvent": ("info", "Datacenter created",
                               "Created datacenter {datacenter.name} in folder "
                               "{parent.name}"),
    "DatacenterRenamedEvent": ("info", "Datacenter renamed",
                               "Renamed datacenter from {oldName} to {newName}"),
    "ClusterCreatedEvent": ("info", "Cluster created",
                            "Created cluster {computeResource.name} in {datacenter.name}"),
    "ClusterDestroyedEvent": ("info", "Cluster deleted",
                              "Removed cluster {computeResource.name} in datacenter "
                              "{datacenter.name}"),
    "ClusterReconfiguredEvent": ("info", "Cluster reconfigured",
                                 "Reconfigured cluster {computeResource.name} in datacenter "
                                 "{datacenter.name}"),
    "ResourcePoolCreatedEvent": ("info", "Resource pool created",
                                 "Created resource pool {resourcePool.name} in "
                                 "compute-resource {computeResource.name} in "
                                 "{datacenter.name}"),
    "ResourcePoolDestroyedEvent": ("info", "Resource pool deleted",
                                   "Removed resource pool {resourcePool.name} on "
                                   "{computeResource.name} in {datacenter.name}"),
    "ResourcePoolReconfiguredEvent": ("info", "Resource pool reconfigured",
                                      "Updated configuration for {resourcePool.name} in "
                                      "compute-resource {computeResource.name} in "
                                      "{datacenter.name}"),
    "ResourcePoolMovedEvent": ("info", "Resource pool moved",
                               "Moved resource pool {resourcePool.name} from "
                               "{oldParent.name} to {newParent.name} on "
                               "{computeResource.name} in {datacenter.name}"),
    "DatastoreRenamedEvent": ("info", "Datastore renamed",
                              "Renamed datastore from {oldName} to {newName} in "
                              "{datacenter.name}"),
    "DatastoreDestroyedEvent": ("info", "Datastore deleted",
                                "Removed unconfigured datastore {datastore.name}"),
    "DatastoreDiscoveredEvent": ("info", "Datastore discovered",
                                 "Discovered datastore {datastore.name} on {host.name} in "
                                 "{datacenter.name}"),
    "DatastoreFileDeletedEvent": ("info", "File or directory deleted",
                                  "Deletion of file or directory {targetFile} from "
                                  "{datastore.name} was initiated"),
    # alarms, custom fields, permissions, licenses
    "AlarmCreatedEvent": ("info", "Alarm created",
                          "Created alarm '{alarm.name}' on {entity.name}"),
    "AlarmRemovedEvent": ("info", "Alarm removed",
                          "Removed alarm '{alarm.name}' on {entity.name}"),
    "AlarmStatusChangedEvent": ("info", "Alarm status changed",
                                "Alarm '{alarm.name}' on {entity.name} changed from {from} "
                                "to {to}"),
    "CustomFieldDefAddedEvent": ("info", "Custom field definition added",
                                 "Created new custom field definition {name}"),
    "CustomFieldValueChangedEvent": ("info", "Custom field value changed",
                                     "Changed custom field {name} on {entity.name} in "
                                     "{datacenter.name} to {value}"),
    "PermissionAddedEvent": ("info", "Permission added",
                             "Permission created for {principal} on {entity.name}, role is "
                             "{role.name}, propagation is {propagate}"),
    "PermissionRemovedEvent": ("info", "Permission removed",
                               "Permission rule removed for {principal} on {entity.name}"),
    "ScheduledTaskCreatedEvent": ("info", "Scheduled task created",
                                  "Created task {scheduledTask.name} on {entity.name} in "
                                  "datacenter {datacenter.name}"),
    "ScheduledTaskCompletedEvent": ("info", "Scheduled task completed",
                                    "Task {scheduledTask.name} on {entity.name} in "
                                    "datacenter {datacenter.name} completed successfully"),
    "ServerStartedSessionEvent": ("info", "Server started session",
                                  "vCenter started"),
    "EventEx": ("info", "Extended event", "{message}"),
}

# descriptionId of a task (vCenter's "Type.method") -> the label vCenter shows.
_TASK_LABELS: dict[str, str] = {
    "PowerOnVM": "Power On virtual machine",
    "PowerOffVM": "Power Off virtual machine",
    "ResetVM": "Reset virtual machine",
    "SuspendVM": "Suspend virtual machine",
    "ShutdownGuest": "Initiate guest OS shutdown",
    "RebootGuest": "Initiate guest OS reboot",
    "StandbyGuest": "Initiate guest OS standby",
    "Rename": "Rename",
    "Destroy": "Delete",
    "ReconfigVM": "Reconfigure virtual machine",
    "CloneVM": "Clone virtual machine",
    "CreateVM": "Create virtual machine",
    "RelocateVM": "Relocate virtual machine",
    "MigrateVM": "Migrate virtual machine",
    "MarkAsTemplate": "Mark as template",
    "MarkAsVirtualMachine": "Mark as virtual machine",
    "UnregisterVM": "Unregister virtual machine",
    "RegisterVM": "Register virtual machine",
    "CreateSnapshot": "Create virtual machine snapshot",
    "RevertToSnapshot": "Revert to snapshot",
    "RevertToCurrentSnapshot": "Revert to current snapshot",
    "RemoveSnapshot": "Remove snapshot",
    "RemoveAllSnapshots": "Remove all snapshots",
    "RenameSnapshot": "Rename snapshot",
    "MoveIntoFolder": "Move entities",
    "UnregisterAndDestroy": "Unregister and delete",
    "CreateFolder": "Create folder",
    "CreateDatacenter": "Create datacenter",
    "CreateClusterEx": "Create cluster",
    "CreateResourcePool": "Create resource pool",
    "UpdateConfig": "Update resource pool configuration",
    "ReconfigureComputeResource": "Reconfigure cluster",
    "EnterMaintenanceMode": "Enter maintenance mode",
    "ExitMaintenanceMode": "Exit maintenance mode",
    "RebootHost": "Reboot host",
    "ShutdownHost": "Shut down host",
    "DisconnectHost": "Disconnect host",
    "ReconnectHost": "Reconnect host",
    "AddStandaloneHost": "Add standalone host",
    "AddHost": "Add host",
    "UpdateOptions": "Update option values",
}

_ARGS: tuple[tuple[str, str], ...] = (  # Event field -> EventArgument's moref field
    ("vm", "vm"), ("host", "host"), ("ds", "datastore"), ("net", "network"),
    ("dvs", "dvs"), ("computeResource", "computeResource"), ("datacenter", "datacenter"),
)


# ---------------------------------------------------------------------------- keys, chains
def next_key(sim: Simulator) -> int:
    """The next event key (1, 2, 3...: keys grow with time, as vCenter's)."""
    key: int = sim.__dict__.get("_event_key", 0) + 1
    sim.__dict__["_event_key"] = key
    return key


def chain_of(ctx: Context) -> int | None:
    """The event chain this call's events join (a task's chain), if any."""
    chain: int | None = ctx.__dict__.get("_event_chain")
    return chain


def set_chain(ctx: Context, chain_id: int | None) -> None:
    """Make the events posted with ``ctx`` from now on join chain ``chain_id``."""
    ctx.__dict__["_event_chain"] = chain_id


def task_description(description_id: str) -> str:
    """vCenter's label for a task's ``descriptionId`` (``VirtualMachine.powerOn``, or the
    simulator's ``VirtualMachine.PowerOnVM``): ``Power On virtual machine``."""
    method = description_id.rsplit(".", 1)[-1].removesuffix("_Task")
    label = _TASK_LABELS.get(method) or _TASK_LABELS.get(method[:1].upper() + method[1:])
    if label is not None:
        return label
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", method).strip()
    return words[:1].upper() + words[1:].lower() if words else description_id


# ---------------------------------------------------------------------------- building
def make_event(ctx: Context, type_name: str, entity: SimObject | None, message: str = "",
               **fields: Any) -> Any:
    """A new typed event of vim type ``type_name`` about ``entity`` (not yet posted).

    ``fields`` set or override event members (``oldName=...``, ``userName=""`` for a
    system event, ``chainId=`` to join a chain, ``key=`` a key taken with :func:`next_key`,
    ``createdTime=``); entity arguments the caller leaves out are resolved from the
    inventory. ``message`` overrides the catalogue's ``fullFormattedMessage``, except for
    types with a ``message`` member of their own (GeneralUserEvent, EventEx...), where it
    sets that member and the catalogue formats the rest (``User logged event: <message>``).
    Raises ``AttributeError`` for an unknown type and pydantic's
    ``ValidationError`` when a required member (e.g. ``VmRenamedEvent.oldName``) is
    missing.

    A TaskEvent starts a chain (its ``chainId`` and its ``info.eventChainId`` are its own
    key) that the events posted later with the same ``ctx`` join (the task's work keeps
    the call's ``ctx``), as vCenter links a task's events.
    """
    from aiovsphere.simulator._context import now
    from aiovsphere.vim import types as t

    cls = getattr(t, type_name)
    model = ctx.model
    key = fields.pop("key", None) or next_key(ctx.sim)
    chain = fields.get("chainId") or chain_of(ctx) or key
    values: dict[str, Any] = {
        "key": key, "chainId": chain, "createdTime": now(),
        "userName": ctx.session.user if ctx.session is not None else "",
    }
    if entity is not None:
        for name, arg in entity_arguments(model, entity).items():
            values[name] = arg
        values.update(_type_defaults(model, cls, entity))
    values.update(fields)
    if message and "message" in cls.model_fields and "message" not in fields:
        values["message"] = message  # GeneralUserEvent, EventEx...: the event's own text
        message = ""
    if issubclass(cls, t.TaskEvent):  # a task's events form the chain of its TaskEvent
        values["chainId"] = fields.get("chainId") or key
        if "info" in values:
            values["info"] = values["info"].model_copy(
                update={"eventChainId": values["chainId"]})
        set_chain(ctx, values["chainId"])
    _fill_required(type_name, values)
    event = cls(**values)
    text = message or format_message(event)
    return event.model_copy(update={"fullFormattedMessage": text})


def complete_event(ctx: Context, event: Any, chain_id: int | None = None) -> Any:
    """A client-posted event (vim.event.EventManager.PostEvent) as the server records it:
    a new key, chain, time and user; entity arguments the poster left out (a ``vm``
    argument's host, compute resource and datacenter) filled in from the inventory; the
    message formatted from the catalogue (kept as posted for types without one)."""
    from aiovsphere.simulator._context import now

    model = ctx.model
    key = next_key(ctx.sim)
    update: dict[str, Any] = {
        "key": key, "chainId": chain_id or key, "createdTime": now(),
        "userName": ctx.session.user if ctx.session is not None else "",
    }
    primary = primary_entity(event)
    obj = model.get(primary) if primary is not None else None
    if obj is not None:
        for name, arg in entity_arguments(model, obj).items():
            if getattr(event, name, None) is None:
                update[name] = arg
    event = event.model_copy(update=update)
    if _template(event) is not None or not event.fullFormattedMessage:
        event = event.model_copy(update={"fullFormattedMessage": format_message(event)})
    return event


def entity_arguments(model: Model, obj: SimObject) -> dict[str, Any]:
    """The Event members naming ``obj`` and the inventory around it:
    ``{"vm": VmEventArgument, "host": ..., "computeResource": ..., "datacenter": ...}``."""
    from aiovsphere.vim import types as t

    out: dict[str, Any] = {}
    kind = _kind(obj.type)
    host: SimObject | None = None
    compute: SimObject | None = None
    if kind == "VirtualMachine":
        out["vm"] = t.VmEventArgument(name=_name(obj), vm=obj.ref)
        host = _get(model, getattr(obj.props.get("runtime"), "host", None))
        compute = _compute_of(model, host) if host is not None else None
        if compute is None:
            compute = _owner_of_pool(model, _get(model, obj.props.get("resourcePool")))
    elif kind == "HostSystem":
        host = obj
        compute = _compute_of(model, obj)
    elif kind == "ComputeResource":
        compute = obj
    elif kind == "ResourcePool":
        compute = _owner_of_pool(model, obj)
    elif kind == "Datastore":
        out["ds"] = t.DatastoreEventArgument(name=_name(obj), datastore=obj.ref)
    elif kind == "Network":
        out["net"] = t.NetworkEventArgument(name=_name(obj), network=obj.ref)
    elif kind == "DistributedVirtualSwitch":
        out["dvs"] = t.DvsEventArgument(name=_name(obj), dvs=obj.ref)
    if host is not None:
        out["host"] = t.HostEventArgument(name=_name(host), host=host.ref)
    if compute is not None:
        out["computeResource"] = t.ComputeResourceEventArgument(name=_name(compute),
                                                                computeResource=compute.ref)
    dc = datacenter_of(model, obj)
    if dc is not None:
        out["datacenter"] = t.DatacenterEventArgument(name=_name(dc), datacenter=dc.ref)
    return out


def datacenter_of(model: Model, obj: SimObject | None) -> SimObject | None:
    """The datacenter ``obj`` is in (itself for a datacenter), following ``parent``
    (and a VM's vApp or resource pool when it has no folder)."""
    seen = 0
    cur = obj
    while cur is not None and seen < _MAX_DEPTH:
        if cur.type == "Datacenter":
            return cur
        nxt = cur.props.get("parent")
        if nxt is None and cur.type == "VirtualMachine":
            nxt = cur.props.get("parentVApp") or cur.props.get("resourcePool")
        cur = _get(model, nxt)
        seen += 1
    return None


def _type_defaults(model: Model, cls: type, entity: SimObject) -> dict[str, Any]:
    from aiovsphere.vim import types as t

    fields = getattr(cls, "model_fields", {})
    out: dict[str, Any] = {}
    if "template" in fields and entity.type == "VirtualMachine":
        out["template"] = bool(getattr(entity.props.get("config"), "template", False))
    if "resourcePool" in fields and _kind(entity.type) == "ResourcePool":
        out["resourcePool"] = t.ResourcePoolEventArgument(name=_name(entity),
                                                          resourcePool=entity.ref)
    parent = _get(model, entity.props.get("parent"))
    if "parent" in fields and parent is not None:
        if parent.type == "Folder" and issubclass(cls, (t.DatacenterCreatedEvent,
                                                        t.ClusterCreatedEvent)):
            out["parent"] = t.FolderEventArgument(name=_name(parent), folder=parent.ref)
        elif _kind(parent.type) == "ResourcePool" and issubclass(
                cls, t.ResourcePoolCreatedEvent):
            out["parent"] = t.ResourcePoolEventArgument(name=_name(parent),
                                                        resourcePool=parent.ref)
    if "entity" in fields and issubclass(cls, (t.GeneralUserEvent, t.AlarmEvent,
                                               t.CustomFieldValueChangedEvent,
                                               t.PermissionEvent, t.ScheduledTaskEvent)):
        out["entity"] = t.ManagedEntityEventArgument(name=_name(entity), entity=entity.ref)
    if issubclass(cls, t.EventEx):
        out.update(objectId=entity.ref.value, objectType=entity.type,
                   objectName=_name(entity))
    return out


def _fill_required(type_name: str, values: dict[str, Any]) -> None:
    """Give required primitive members the caller did not pass their zero value."""
    from aiovsphere.vim._schema import schema

    zero = {"boolean": False, "string": "", "int": 0, "long": 0, "short": 0}
    for prop in schema().data(type_name).all:
        if not prop.optional and not prop.array and prop.name not in values \
                and prop.type in zero:
            values[prop.name] = zero[prop.type]


# ---------------------------------------------------------------------------- messages
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def _template(event: Any) -> str | None:
    for cls in type(event).__mro__:
        entry = CATALOGUE.get(cls.__name__)
        if entry is not None:
            return entry[2]
        if cls.__name__ == "Event":
            break
    return None


def format_message(event: Any) -> str:
    """``fullFormattedMessage`` for ``event``: its type's (or nearest base type's)
    catalogue format with ``{vm.name}``-style placeholders filled from the event;
    without a catalogue entry, the type name and the entity it is about."""
    from aiovsphere.vim import types as t

    if isinstance(event, t.TaskEvent):
        return f"Task: {task_description(event.info.descriptionId)}"
    if isinstance(event, t.EventEx):
        return event.message or event.eventTypeId
    template = _template(event)
    if template is None or template == CATALOGUE["EventEx"][2]:
        words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(event).__name__.removesuffix(
            "Event")).strip()
        about = _arg_name(event)
        return f"{words} on {about}" if about else words

    def fill(match: re.Match[str]) -> str:
        value: Any = event
        for part in match.group(1).split("."):
            value = getattr(value, part, None)
            if value is None:
                return ""
        if isinstance(value, datetime):
            return value.isoformat()
        return str(getattr(value, "value", value))

    return _PLACEHOLDER.sub(fill, template)


def _arg_name(event: Any) -> str:
    for name, _field in _ARGS:
        arg = getattr(event, name, None)
        if arg is not None:
            return str(arg.name)
    return ""


def event_description() -> Any:
    """EventManager.description: the categories and every catalogued event type's
    ``eventInfo`` (key, category, description, fullFormat and the shorter formats used on
    the datacenter, compute resource, host and VM pages)."""
    from aiovsphere.vim import types as t

    categories = tuple(
        t.ElementDescription(key=key, label=label, summary=label)
        for key, label in (("info", "info"), ("warning", "warning"), ("error", "error"),
                           ("user", "user")))
    infos = []
    for key, (category, description, full) in sorted(CATALOGUE.items()):
        on_dc = full.replace(_IN_DC, "").replace(" in datacenter {datacenter.name}", "")
        on_host = on_dc.replace(" on host {host.name}", "").replace(" on {host.name}", "")
        on_vm = on_host.replace("{vm.name} ", "").replace(" for {vm.name}", "")
        infos.append(t.EventDescriptionEventDetail(
            key=key, description=description, category=category, fullFormat=full,
            formatOnDatacenter=on_dc, formatOnComputeResource=on_dc, formatOnHost=on_host,
            formatOnVm=on_vm, longDescription=None))
    return t.EventDescription(category=categories, eventInfo=tuple(infos))


# ---------------------------------------------------------------------------- matching aids
def type_names(event: Any) -> Iterator[str]:
    """The event's vim type and its base types up to ``Event`` (``VmPoweredOnEvent``,
    ``VmEvent``, ``Event``), then, for an EventEx, its ``eventTypeId``."""
    for cls in type(event).__mro__:
        yield cls.__name__
        if cls.__name__ == "Event":
            break
    type_id = getattr(event, "eventTypeId", None)
    if isinstance(type_id, str):
        yield type_id


def category_of(event: Any) -> str:
    """The event's category (Event.severity in filters): ``info``, ``warning``, ``error``
    or ``user``."""
    severity = getattr(event, "severity", None)
    if type(event).__name__ == "EventEx":
        return str(severity or "info")
    for name in type_names(event):
        entry = CATALOGUE.get(name)
        if entry is not None:
            return entry[0]
    name = type(event).__name__
    if "Failed" in name or "Error" in name or "Cannot" in name:
        return "error"
    if "Warning" in name:
        return "warning"
    return "info"


def primary_entity(event: Any) -> Ref | None:
    """The entity the event is about: the pool of a ResourcePoolEvent, the ``entity`` of
    alarm/user/permission events, an EventEx's object, else its most specific entity
    argument (vm, host, datastore, network, switch, compute resource, datacenter)."""
    pool = getattr(event, "resourcePool", None)
    if pool is not None and isinstance(getattr(pool, "resourcePool", None), Ref):
        pool_ref: Ref = pool.resourcePool
        return pool_ref
    entity = getattr(event, "entity", None)
    if entity is not None and isinstance(getattr(entity, "entity", None), Ref):
        ref: Ref = entity.entity
        return ref
    object_type = getattr(event, "objectType", None)
    object_id = getattr(event, "objectId", None)
    if object_type and object_id:
        return Ref(str(object_type), str(object_id))
    for name, field in _ARGS:
        arg = getattr(event, name, None)
        if arg is not None:
            value: Ref = getattr(arg, field)
            return value
    return None


def entity_refs(event: Any) -> list[Ref]:
    """Every entity the event names in its entity arguments."""
    out = []
    for name, field in _ARGS:
        arg = getattr(event, name, None)
        if arg is not None:
            out.append(getattr(arg, field))
    return out


# ---------------------------------------------------------------------------- inventory
def _kind(type_name: str) -> str:
    """The entity family of a managed type (subtypes folded: a cluster is a
    ComputeResource, a vApp a ResourcePool, a portgroup a Network)."""
    from aiovsphere.vim._schema import schema

    s = schema()
    for family in ("VirtualMachine", "HostSystem", "ComputeResource", "ResourcePool",
                   "Datastore", "Network", "DistributedVirtualSwitch", "Datacenter",
                   "Folder"):
        if s.is_managed(type_name) and s.is_subtype(type_name, family):
            return family
    return type_name


def _get(model: Model, ref: Any) -> SimObject | None:
    return model.get(ref) if isinstance(ref, Ref) else None


def _name(obj: SimObject) -> str:
    return str(obj.props.get("name") or obj.ref.value)


def _compute_of(model: Model, host: SimObject) -> SimObject | None:
    parent = _get(model, host.props.get("parent"))
    return parent if parent is not None and _kind(parent.type) == "ComputeResource" else None


def _owner_of_pool(model: Model, pool: SimObject | None) -> SimObject | None:
    seen = 0
    cur = pool
    while cur is not None and seen < _MAX_DEPTH:
        if _kind(cur.type) == "ComputeResource":
            return cur
        owner = _get(model, cur.props.get("owner"))
        if owner is not None:
            return owner
        cur = _get(model, cur.props.get("parent"))
        seen += 1
    return None
