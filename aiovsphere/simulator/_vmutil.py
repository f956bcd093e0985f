"""Inventory helpers the VM, task and snapshot handlers share.

Reading nested values (:func:`value_at`), walking the tree (:func:`datacenter_of`,
:func:`children_of`, :func:`descendants`), keeping the two sides of every relation in
step (``Folder.childEntity`` / ``VirtualMachine.parent``, ``ResourcePool.vm`` /
``VirtualMachine.resourcePool``, ``HostSystem.vm`` / ``runtime.host``, ``Datastore.vm`` /
``VirtualMachine.datastore``, ``Network.vm`` / ``VirtualMachine.network``:
:func:`add_ref`, :func:`remove_ref`), and a VM's power state with everything that
follows it (:func:`set_power_state`, over the inventory's ``set_vm_power``).

Every change goes through the model (``Model.update`` / ``Model.touch``), so property
collectors see it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import fault, now
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context, SimFault
    from aiovsphere.simulator._model import Model, SimObject

__all__ = [
    "POWER_LABELS",
    "add_ref",
    "children_of",
    "compute_resource_of",
    "datacenter_of",
    "descendants",
    "hosts_of",
    "invalid_power_state",
    "mac_address",
    "power_state",
    "remove_ref",
    "set_power_state",
    "siblings_named",
    "value_at",
    "vim_fault",
    "vm_host",
]

POWER_LABELS = {"poweredOn": "Powered on", "poweredOff": "Powered off",
                "suspended": "Suspended"}

# What vCenter lists in VirtualMachine.disabledMethod, by power state (the common ones).
_DISABLED = {
    "poweredOn": ("PowerOnVM_Task", "MarkAsTemplate", "MarkAsVirtualMachine",
                  "Destroy_Task", "UnregisterVM"),
    "poweredOff": ("PowerOffVM_Task", "ResetVM_Task", "SuspendVM_Task", "ShutdownGuest",
                   "RebootGuest", "StandbyGuest", "MarkAsVirtualMachine"),
    "suspended": ("SuspendVM_Task", "ResetVM_Task", "ShutdownGuest", "RebootGuest",
                  "StandbyGuest", "MarkAsTemplate", "MarkAsVirtualMachine"),
}
_DISABLED_TEMPLATE = ("PowerOnVM_Task", "PowerOffVM_Task", "ResetVM_Task", "SuspendVM_Task",
                      "ShutdownGuest", "RebootGuest", "StandbyGuest", "MarkAsTemplate",
                      "CreateSnapshot_Task", "ReconfigVM_Task")


# ---------------------------------------------------------------------- reading
def value_at(obj: SimObject | None, path: str, default: Any = None) -> Any:
    """The value at dotted ``path`` of ``obj``'s static props (``"runtime.powerState"``),
    or ``default`` where any step is unset."""
    if obj is None:
        return default
    head, _, rest = path.partition(".")
    value = obj.props.get(head)
    for part in rest.split(".") if rest else ():
        if value is None:
            return default
        value = getattr(value, part, None)
    return default if value is None else value


def vim_fault(type_name: str, message: str, **members: Any) -> SimFault:
    """A SimFault of vim fault ``type_name`` with ``members`` (which may include ``name``,
    unlike :func:`aiovsphere.simulator._context.fault`)."""
    from aiovsphere.simulator._context import SimFault
    from aiovsphere.vim import types as t

    return SimFault(getattr(t, type_name)(**members), message)


def power_state(vm: SimObject) -> str:
    """``runtime.powerState`` as a plain string (``poweredOff`` when unset)."""
    return str(value_at(vm, "runtime.powerState", "poweredOff"))


def invalid_power_state(existing: str, requested: str | None = None) -> SimFault:
    """vCenter's InvalidPowerState: "... in the current state (Powered on)."."""
    label = POWER_LABELS.get(existing, existing)
    members: dict[str, Any] = {"existingState": existing}
    if requested is not None:
        members["requestedState"] = requested
    return fault("InvalidPowerState", "The attempted operation cannot be performed in the "
                 f"current state ({label}).", **members)


def vm_host(model: Model, vm: SimObject) -> SimObject | None:
    """The HostSystem the VM is registered on (``runtime.host``)."""
    ref = value_at(vm, "runtime.host")
    return model.get(ref) if ref is not None else None


def datacenter_of(model: Model, obj: SimObject | None) -> SimObject | None:
    """The Datacenter above ``obj`` (walking ``parent``, and ``parentVApp`` for a VM)."""
    seen = 0
    while obj is not None and seen < 256:
        if obj.type == "Datacenter":
            return obj
        ref = obj.props.get("parent") or obj.props.get("parentVApp")
        obj = model.get(ref) if ref is not None else None
        seen += 1
    return None


def compute_resource_of(model: Model, obj: SimObject | None) -> SimObject | None:
    """The ComputeResource (or cluster) of a host or resource pool."""
    seen = 0
    while obj is not None and seen < 256:
        if obj.type in ("ComputeResource", "ClusterComputeResource"):
            return obj
        ref = obj.props.get("owner") if obj.type in ("ResourcePool", "VirtualApp") else None
        ref = ref or obj.props.get("parent")
        obj = model.get(ref) if ref is not None else None
        seen += 1
    return None


def hosts_of(model: Model, compute: SimObject | None) -> list[SimObject]:
    """The hosts of a compute resource, in order."""
    if compute is None:
        return []
    return [h for ref in compute.props.get("host") or () if (h := model.get(ref)) is not None]


_CHILD_PROPS = {
    "Folder": ("childEntity",),
    "StoragePod": ("childEntity",),
    "Datacenter": ("vmFolder", "hostFolder", "datastoreFolder", "networkFolder"),
    "ComputeResource": ("host", "resourcePool"),
    "ClusterComputeResource": ("host", "resourcePool"),
    "ResourcePool": ("resourcePool", "vm"),
    "VirtualApp": ("resourcePool", "vm"),
    "HostSystem": ("vm",),
}


def children_of(model: Model, obj: SimObject) -> list[SimObject]:
    """The entities directly under ``obj`` in the inventory tree (what a ``children``
    recursion of a filter spec follows)."""
    out: list[SimObject] = []
    for name in _CHILD_PROPS.get(obj.type, ()):
        value = obj.props.get(name)
        refs = value if isinstance(value, tuple) else (value,) if value is not None else ()
        for ref in refs:
            child = model.get(ref)
            if child is not None:
                out.append(child)
    return out


def descendants(model: Model, obj: SimObject) -> Iterator[SimObject]:
    """Every entity below ``obj``, depth first (each once)."""
    seen = {obj.ref}
    stack = list(reversed(children_of(model, obj)))
    while stack:
        child = stack.pop()
        if child.ref in seen:
            continue
        seen.add(child.ref)
        yield child
        stack.extend(reversed(children_of(model, child)))


def siblings_named(model: Model, obj: SimObject, name: str,
                   parent: SimObject | None = None) -> SimObject | None:
    """Another entity named ``name`` beside ``obj`` (in ``parent``, default its own):
    what makes vCenter answer DuplicateName."""
    if parent is None:
        ref = obj.props.get("parent")
        parent = model.get(ref) if ref is not None else None
    if parent is None:
        return None
    if parent.type in ("ResourcePool", "VirtualApp") and obj.type in ("ResourcePool",
                                                                      "VirtualApp"):
        refs: Iterable[Ref] = parent.props.get("resourcePool") or ()
    else:
        refs = parent.props.get("childEntity") or ()
    from aiovsphere.simulator._handlers.search import name_key

    wanted = name_key(name)
    for ref in refs:
        other = model.get(ref)
        if other is not None and other.ref != obj.ref and name_key(
                str(other.props.get("name", ""))) == wanted:
            return other
    return None


# ---------------------------------------------------------------------- relations
def add_ref(model: Model, owner_ref: Ref | None, prop: str, ref: Ref) -> None:
    """Append ``ref`` to the array property ``prop`` of ``owner_ref`` (once)."""
    owner = model.get(owner_ref) if owner_ref is not None else None
    if owner is None:
        return
    current = tuple(owner.props.get(prop) or ())
    if ref not in current:
        owner.props[prop] = (*current, ref)
        model.touch()


def remove_ref(model: Model, owner_ref: Ref | None, prop: str, ref: Ref) -> None:
    """Drop ``ref`` from the array property ``prop`` of ``owner_ref``."""
    owner = model.get(owner_ref) if owner_ref is not None else None
    if owner is None:
        return
    current = tuple(owner.props.get(prop) or ())
    if ref in current:
        owner.props[prop] = tuple(r for r in current if r != ref)
        model.touch()


# ---------------------------------------------------------------------- power
def set_power_state(ctx: Context, vm: SimObject, state: str, *,
                    reboot: bool = False) -> None:
    """Put ``vm`` in ``state`` (``poweredOn``, ``poweredOff``, ``suspended``) with what
    follows on vCenter (:func:`aiovsphere.simulator._inv_api.set_vm_power`: ``runtime``
    and ``summary.runtime``, ``guest`` with VMware Tools and the IP while on, quick stats,
    heartbeat, NICs connected), a new ``bootTime`` for a reset or guest reboot
    (``reboot``), and ``disabledMethod``."""
    from aiovsphere.simulator._inv_api import set_vm_power

    set_vm_power(ctx.sim, vm.ref, state)
    if reboot and state == "poweredOn":
        runtime = vm.props["runtime"].model_copy(update={"bootTime": now()})
        vm.props["runtime"] = runtime
        summary = vm.props.get("summary")
        if summary is not None:
            vm.props["summary"] = summary.model_copy(update={"runtime": runtime})
    template = bool(value_at(vm, "config.template", False))
    vm.props["disabledMethod"] = _DISABLED_TEMPLATE if template else _DISABLED.get(state, ())
    ctx.model.touch()


# ---------------------------------------------------------------------- identities
def mac_address(ctx: Context, vm_ref: Ref, key: int, salt: str = "") -> str:
    """A vCenter-generated MAC (``00:50:56:80-BF:xx:xx``), stable for the VM and NIC."""
    rng = random.Random(f"{ctx.sim.seed}:{vm_ref.value}:{key}:{salt}")
    a, b, c = 0x80 + rng.randrange(0x40), rng.randrange(256), rng.randrange(256)
    return f"00:50:56:{a:02x}:{b:02x}:{c:02x}"
