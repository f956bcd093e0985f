"""VM snapshots (vim.VirtualMachine snapshot methods, vim.vm.Snapshot).

The tree lives in the VM's ``snapshot`` (VirtualMachineSnapshotInfo: ``rootSnapshotList``
of VirtualMachineSnapshotTree nodes with ``childSnapshotList``, and ``currentSnapshot``;
unset while the VM has no snapshot) and ``rootSnapshot`` (the roots' morefs). Each
snapshot is a VirtualMachineSnapshot object (``snapshot-N``) with ``config`` (the VM's
configuration when it was taken), ``childSnapshot`` and ``vm``.

As on vCenter: a new snapshot is a child of the current one and becomes current; its
``state`` is the VM's power state when taken with ``memory`` (or when the VM is not on),
``poweredOff`` for a powered-on VM taken without memory. Reverting restores the
snapshot's configuration and power state (``suppressPowerOn``: a powered-on snapshot
leaves the VM suspended) and makes it current. Removing a snapshot moves its children up
to its parent (or removes them, ``removeChildren``); if it was current, its parent
becomes current. Tasks run on the VM (``info.entity``), one at a time with its other
tasks. Faults: NotFound (RevertToCurrentSnapshot_Task with no current snapshot),
InvalidName (an empty name or one over 80 characters), InvalidState (a template),
ManagedObjectNotFound (a snapshot already removed).
"""

from __future__ import annotations

from typing import Any

from aiovsphere.simulator._context import Context, fault, now
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._handlers.vm import alive, is_template, vm_event
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._tasks import Progress, start_task
from aiovsphere.simulator._vmconfig import MAX_NAME, sync
from aiovsphere.simulator._vmutil import power_state, set_power_state, vim_fault
from aiovsphere.vim._moref import ManagedObjectReference as Ref

# ---------------------------------------------------------------------- the tree


def _walk(nodes: tuple[Any, ...] | None) -> list[Any]:
    out = []
    for node in nodes or ():
        out.append(node)
        out.extend(_walk(node.childSnapshotList))
    return out


def _find(nodes: tuple[Any, ...] | None, ref: Ref) -> Any:
    return next((n for n in _walk(nodes) if n.snapshot == ref), None)


def _parent_of(nodes: tuple[Any, ...] | None, ref: Ref) -> Any:
    for node in _walk(nodes):
        if any(c.snapshot == ref for c in node.childSnapshotList or ()):
            return node
    return None


def _replace(nodes: tuple[Any, ...], ref: Ref, fn: Any) -> tuple[Any, ...]:
    """The tree with node ``ref`` replaced by ``fn(node)`` (a tuple of nodes: none, itself,
    or its children)."""
    out: list[Any] = []
    for node in nodes:
        if node.snapshot == ref:
            out.extend(fn(node))
            continue
        children = node.childSnapshotList or ()
        new_children = _replace(children, ref, fn)
        if new_children != children:
            node = node.model_copy(update={"childSnapshotList": new_children})
        out.append(node)
    return tuple(out)


def _set_tree(ctx: Context, vm: SimObject, roots: tuple[Any, ...], current: Ref | None,
              ) -> None:
    """Store the tree: ``snapshot`` (unset when empty), ``rootSnapshot``, and each
    snapshot object's ``childSnapshot``."""
    from aiovsphere.vim import types as t

    if roots:
        vm.props["snapshot"] = t.VirtualMachineSnapshotInfo(currentSnapshot=current,
                                                            rootSnapshotList=roots)
    else:
        vm.props["snapshot"] = None
    vm.props["rootSnapshot"] = tuple(n.snapshot for n in roots)
    for node in _walk(roots):
        obj = ctx.model.get(node.snapshot)
        if obj is not None:
            obj.props["childSnapshot"] = tuple(c.snapshot for c in
                                               node.childSnapshotList or ())
    ctx.model.touch()


def _tree_of(vm: SimObject) -> tuple[tuple[Any, ...], Ref | None]:
    info = vm.props.get("snapshot")
    if info is None:
        return (), None
    return tuple(info.rootSnapshotList or ()), info.currentSnapshot


def _vm_of(ctx: Context, snapshot: SimObject) -> SimObject:
    ref = snapshot.props.get("vm")
    vm = ctx.model.get(ref) if ref is not None else None
    if vm is None:
        raise fault("ManagedObjectNotFound", obj=snapshot.ref)
    return vm


def _snapshot_alive(ctx: Context, snapshot: SimObject) -> None:
    if ctx.model.get(snapshot.ref) is not snapshot:
        raise fault("ManagedObjectNotFound", obj=snapshot.ref)


# ---------------------------------------------------------------------- create
@handles("VirtualMachine", "CreateSnapshot_Task")
def create_snapshot(ctx: Context, this: SimObject, name: str, memory: bool,
                    quiesce: bool, description: str | None = None) -> Ref:
    """vim.VirtualMachine.CreateSnapshot_Task: the result is the new snapshot's moref."""
    ctx.require_write()

    def check() -> None:
        alive(ctx, this)
        if not name or len(name) > MAX_NAME:
            raise vim_fault("InvalidName", f"The name '{name}' is invalid.", name=name,
                            entity=this.ref)
        if is_template(this):
            raise fault("InvalidState", "The operation is not allowed in the current "
                        "state: the virtual machine is a template.")

    async def work(progress: Progress) -> Ref:
        from aiovsphere.vim import types as t

        check()
        model = ctx.model
        ref = Ref("VirtualMachineSnapshot", model.new_id("snapshot"))
        state = power_state(this)
        taken = state if (memory or state != "poweredOn") else "poweredOff"
        serial: int = this.data.get("snapshot_id", 0) + 1
        this.data["snapshot_id"] = serial
        node = t.VirtualMachineSnapshotTree(
            snapshot=ref, vm=this.ref, name=name, description=description or "", id=serial,
            createTime=now(), state=taken, quiesced=bool(quiesce), childSnapshotList=(),
            replaySupported=False)
        model.add(SimObject(ref, {"config": this.props.get("config"), "childSnapshot": (),
                                  "vm": this.ref, "value": (), "availableField": ()}))
        roots, current = _tree_of(this)
        if current is not None and _find(roots, current) is not None:
            roots = _replace(roots, current, lambda n: (n.model_copy(update={
                "childSnapshotList": (*(n.childSnapshotList or ()), node)}),))
        else:
            roots = (*roots, node)
        _set_tree(ctx, this, roots, ref)
        return ref

    return start_task(ctx, this, "CreateSnapshot_Task", work, check=check, cancelable=True)


# ---------------------------------------------------------------------- revert
def _revert(ctx: Context, vm: SimObject, snapshot: SimObject, suppress: bool) -> None:
    """Restore ``snapshot``'s configuration and power state; make it current."""
    roots, _ = _tree_of(vm)
    node = _find(roots, snapshot.ref)
    if node is None:
        raise fault("ManagedObjectNotFound", obj=snapshot.ref)
    saved = snapshot.props.get("config")
    config = vm.props.get("config")
    if saved is not None and config is not None:
        vm.props["config"] = saved.model_copy(update={
            "name": vm.props.get("name"), "template": config.template,
            "changeVersion": now().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "modified": now()})
        sync(ctx, vm)
    target = str(node.state or "poweredOff")
    if target == "poweredOn" and suppress:
        target = "suspended"
    before = power_state(vm)
    if before != target:
        if target == "poweredOff":
            vm_event(ctx, "VmPoweredOffEvent", vm)
        elif target == "poweredOn":
            vm_event(ctx, "VmPoweredOnEvent", vm)
        else:
            vm_event(ctx, "VmSuspendedEvent", vm)
    set_power_state(ctx, vm, target, reboot=target == "poweredOn")
    _set_tree(ctx, vm, roots, snapshot.ref)


@handles("VirtualMachineSnapshot", "RevertToSnapshot_Task")
def revert_to_snapshot(ctx: Context, this: SimObject, host: Ref | None = None,
                       suppressPowerOn: bool | None = None) -> Ref:
    """vim.vm.Snapshot.RevertToSnapshot_Task."""
    ctx.require_write()
    if host is not None:
        ctx.lookup(host)
    vm = _vm_of(ctx, this)

    def check() -> None:
        alive(ctx, vm)
        _snapshot_alive(ctx, this)

    async def work(progress: Progress) -> None:
        check()
        _revert(ctx, vm, this, bool(suppressPowerOn))

    return start_task(ctx, vm, "RevertToSnapshot_Task", work, check=check, cancelable=False,
                      description_type="VirtualMachineSnapshot")


@handles("VirtualMachine", "RevertToCurrentSnapshot_Task")
def revert_to_current(ctx: Context, this: SimObject, host: Ref | None = None,
                      suppressPowerOn: bool | None = None) -> Ref:
    """vim.VirtualMachine.RevertToCurrentSnapshot_Task: NotFound without a current one."""
    ctx.require_write()
    if host is not None:
        ctx.lookup(host)

    def current() -> SimObject:
        alive(ctx, this)
        _, ref = _tree_of(this)
        obj = ctx.model.get(ref) if ref is not None else None
        if obj is None:
            raise fault("NotFound", "The object or item referred to could not be found.")
        return obj

    async def work(progress: Progress) -> None:
        _revert(ctx, this, current(), bool(suppressPowerOn))

    return start_task(ctx, this, "RevertToCurrentSnapshot_Task", work,
                      check=lambda: _check_current(current), cancelable=False)


def _check_current(current: Any) -> None:
    current()


# ---------------------------------------------------------------------- remove
def _remove(ctx: Context, vm: SimObject, ref: Ref, children: bool) -> None:
    roots, current = _tree_of(vm)
    node = _find(roots, ref)
    if node is None:
        raise fault("ManagedObjectNotFound", obj=ref)
    parent = _parent_of(roots, ref)
    gone = [n.snapshot for n in _walk((node,))] if children else [ref]
    if current in gone:
        current = parent.snapshot if parent is not None else None
    roots = _replace(roots, ref, lambda n: () if children else tuple(
        n.childSnapshotList or ()))
    for old in gone:
        ctx.model.remove(old)
    _set_tree(ctx, vm, roots, current if roots else None)


@handles("VirtualMachineSnapshot", "RemoveSnapshot_Task")
def remove_snapshot(ctx: Context, this: SimObject, removeChildren: bool,
                    consolidate: bool | None = None) -> Ref:
    """vim.vm.Snapshot.RemoveSnapshot_Task."""
    ctx.require_write()
    vm = _vm_of(ctx, this)

    def check() -> None:
        alive(ctx, vm)
        _snapshot_alive(ctx, this)

    async def work(progress: Progress) -> None:
        check()
        _remove(ctx, vm, this.ref, bool(removeChildren))

    return start_task(ctx, vm, "RemoveSnapshot_Task", work, check=check, cancelable=False,
                      description_type="VirtualMachineSnapshot")


@handles("VirtualMachine", "RemoveAllSnapshots_Task")
def remove_all_snapshots(ctx: Context, this: SimObject, consolidate: bool | None = None,
                         spec: Any = None) -> Ref:
    """vim.VirtualMachine.RemoveAllSnapshots_Task (``spec.snapshotData``... ignored)."""
    ctx.require_write()

    async def work(progress: Progress) -> None:
        alive(ctx, this)
        roots, _ = _tree_of(this)
        for node in _walk(roots):
            ctx.model.remove(node.snapshot)
        _set_tree(ctx, this, (), None)

    return start_task(ctx, this, "RemoveAllSnapshots_Task", work,
                      check=lambda: alive(ctx, this), cancelable=False)


@handles("VirtualMachineSnapshot", "RenameSnapshot")
def rename_snapshot(ctx: Context, this: SimObject, name: str | None = None,
                    description: str | None = None) -> None:
    """vim.vm.Snapshot.RenameSnapshot: a new name and/or description (InvalidName for an
    empty name or one over 80 characters)."""
    ctx.require_write()
    vm = _vm_of(ctx, this)
    if name is not None and (not name or len(name) > MAX_NAME):
        raise vim_fault("InvalidName", f"The name '{name}' is invalid.", name=name,
                        entity=vm.ref)
    roots, current = _tree_of(vm)
    updates: dict[str, Any] = {}
    if name is not None:
        updates["name"] = name
    if description is not None:
        updates["description"] = description
    if updates:
        roots = _replace(roots, this.ref, lambda n: (n.model_copy(update=updates),))
        _set_tree(ctx, vm, roots, current)

