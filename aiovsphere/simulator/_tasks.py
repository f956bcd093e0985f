"""Simulated Tasks: queued -> running (with progress) -> success or error.

    @handles("VirtualMachine", "PowerOnVM_Task")
    def power_on(ctx, this, host=None):
        ctx.require_write()              # faults raised here fail the *call*
        def check():                     # runs when the task starts running
            ...                          # raise SimFault: the *task* fails at once
        async def work(progress):        # runs after the paced progress steps
            check(); ...; return result  # or raise SimFault: the *task* fails
        return start_task(ctx, this, "PowerOnVM_Task", work, check=check)

The Task object (``task-N``) lives in the model with an ``info`` (TaskInfo) kept current,
so WaitForUpdatesEx on ``info`` sees every state and progress change. Its life, over
``sim.task_seconds`` seconds (0: it finishes at the next loop turn):

* ``queued`` (``queueTime``) for a fifth of the time (0.2 s at most), and for as long as
  an earlier task on the same entity runs: tasks on one entity run one at a time, in
  order, as vCenter serializes the operations on a VM (``exclusive=False`` opts out, e.g.
  a clone's source);
* ``running`` (``startTime``, ``progress`` 0), ``check`` runs; then ``progress`` 25, 50 and
  75 at even intervals; then ``work(progress)`` applies the change;
* ``success`` (``progress`` 100, ``result``, ``completeTime``) or ``error`` (``error``: the
  LocalizedMethodFault of the SimFault raised; ``RequestCanceled`` after
  vim.Task.CancelTask; ``SystemError`` with the text as ``reason`` for any other
  exception, which is logged on the ``aiovsphere.simulator`` logger).

A new task is posted as a ``TaskEvent`` and appears in TaskManager.recentTask (the newest
200, as vCenter) and its entity's ``recentTask`` (the subset on that entity). Finished
Task objects stay readable until more than ``_KEEP_FINISHED`` newer tasks have finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import Context, SimFault, fault, now
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._server import Simulator

__all__ = ["TASK_MANAGER", "Check", "Progress", "Work", "cancel_task", "description_id",
           "start_task"]

Progress = Callable[[int], None]
Work = Callable[[Progress], Awaitable[Any]]
Check = Callable[[], None]

TASK_MANAGER = Ref("TaskManager", "TaskManager")
_RECENT = 200  # TaskManager.recentTask keeps the newest this many (vCenter's limit)
_KEEP_FINISHED = 5000  # finished Task objects kept readable
_STEPS = (25, 50, 75)  # progress reported while running, before the work
_MAX_QUEUED = 0.2  # seconds a task waits in "queued" (a fifth of task_seconds, at most)

log = logging.getLogger("aiovsphere.simulator")

# vim method -> vmodl method name (the second half of ``info.descriptionId``).
_VMODL_NAMES: dict[str, str] = {
    "PowerOnVM_Task": "powerOn", "PowerOffVM_Task": "powerOff", "ResetVM_Task": "reset",
    "SuspendVM_Task": "suspend", "ReconfigVM_Task": "reconfigure", "CloneVM_Task": "clone",
    "RelocateVM_Task": "relocate", "MigrateVM_Task": "migrate", "Rename_Task": "rename",
    "Destroy_Task": "destroy", "CreateSnapshot_Task": "createSnapshot",
    "RevertToSnapshot_Task": "revert",
    "RevertToCurrentSnapshot_Task": "revertToCurrentSnapshot",
    "RemoveSnapshot_Task": "remove", "RemoveAllSnapshots_Task": "removeAllSnapshots",
    "CreateVM_Task": "createVm", "MoveIntoFolder_Task": "moveInto",
    "EnterMaintenanceMode_Task": "enterMaintenanceMode",
    "ExitMaintenanceMode_Task": "exitMaintenanceMode",
}


def description_id(type_name: str, method: str) -> str:
    """``info.descriptionId`` as vCenter writes it: ``VirtualMachine.powerOn``."""
    name = _VMODL_NAMES.get(method)
    if name is None:
        base = method.removesuffix("_Task")
        name = base[:1].lower() + base[1:]
    return f"{type_name}.{name}"


def start_task(ctx: Context, entity: SimObject, method: str, work: Work, *,
               check: Check | None = None, cancelable: bool = True,
               exclusive: bool = True, description_type: str | None = None) -> Ref:
    """Create a queued Task for ``method`` on ``entity`` and run it in the background;
    return the Task moref at once (what a ``*_Task`` method returns).

    ``check`` runs when the task starts running (a SimFault fails the task at once);
    ``work(progress)`` runs after the paced progress steps and returns ``info.result``
    (a SimFault fails the task). ``cancelable``: ``info.cancelable`` (CancelTask answers
    NotSupported otherwise). ``exclusive``: wait for the entity's earlier tasks.
    ``description_type``: the type in ``descriptionId`` (default: the entity's), e.g.
    ``"VirtualMachineSnapshot"`` for ``VirtualMachineSnapshot.remove``.
    """
    from aiovsphere.simulator._eventlog import post_event
    from aiovsphere.vim import types as t

    sim = ctx.sim
    model = sim.model
    ref = Ref("Task", model.new_id("task"))
    name = entity.props.get("name")
    info = t.TaskInfo(
        key=ref.value, task=ref, name=method,
        descriptionId=description_id(description_type or entity.type, method),
        entity=entity.ref, entityName=name, locked=(entity.ref,) if exclusive else (),
        state="queued", cancelled=False, cancelable=cancelable, queueTime=now(),
        eventChainId=int(ref.value.rpartition("-")[2]),
        reason=t.TaskReasonUser(userName=ctx.session.user if ctx.session else ""),
    )
    task = SimObject(ref, {"info": info, "value": (), "availableField": ()})
    event = post_event(ctx, "TaskEvent", entity, info=info)
    chain = getattr(event, "chainId", None)
    if isinstance(chain, int):
        task.props["info"] = info.model_copy(update={"eventChainId": chain})
    task.data["entity"] = entity
    model.add(task)
    _add_recent(sim, task, entity)
    task.data["runner"] = sim.spawn(_run(sim, task, entity, work, check, exclusive))
    return ref


def cancel_task(ctx: Context, task: SimObject) -> None:
    """vim.Task.CancelTask: InvalidState for a finished task, NotSupported for one that is
    not cancelable; a second request is the same request. The task ends in ``error`` with
    ``RequestCanceled``; a task still queued never runs its work."""
    info = task.props["info"]
    if info.state in ("success", "error"):
        raise fault("InvalidState", "The operation is not allowed in the current state.")
    if not info.cancelable:
        raise fault("NotSupported", "The operation is not supported on the object.")
    if info.cancelled:
        return
    _set_info(ctx.sim, task, cancelled=True)
    task.data["cancel_requested"] = True
    runner: asyncio.Task[Any] | None = task.data.get("runner")
    if runner is not None and not runner.done():
        runner.cancel()


def _set_info(sim: Simulator, task: SimObject, **changes: Any) -> None:
    task.props["info"] = task.props["info"].model_copy(update=changes)
    sim.model.touch()


def _lock_of(entity: SimObject) -> asyncio.Lock:
    """The entity's task lock on the running loop: a lock binds to the first loop that
    contends it, and a restarted simulator may run on another loop (a new one then)."""
    loop = asyncio.get_running_loop()
    held: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = entity.data.get("task_lock")
    if held is None or held[0] is not loop:
        held = entity.data["task_lock"] = (loop, asyncio.Lock())
    return held[1]


async def _run(sim: Simulator, task: SimObject, entity: SimObject, work: Work,
               check: Check | None, exclusive: bool) -> None:
    from aiovsphere.vim import types as t

    queued = min(sim.task_seconds / 5, _MAX_QUEUED)
    step = (sim.task_seconds - queued) / (len(_STEPS) + 1)

    def progress(percent: int) -> None:
        current = task.props["info"].progress or 0
        percent = max(0, min(100, int(percent)))
        if percent > current:
            _set_info(sim, task, progress=percent)

    try:
        await asyncio.sleep(0)  # the caller gets the moref while the task is queued
        lock = _lock_of(entity) if exclusive else contextlib.nullcontext()
        async with lock:
            if queued:
                await asyncio.sleep(queued)
            _set_info(sim, task, state="running", startTime=now(), progress=0)
            if check is not None:
                check()
            for percent in _STEPS:
                if step:
                    await asyncio.sleep(step)
                progress(percent)
            if step:
                await asyncio.sleep(step)
            result = await work(progress)
    except asyncio.CancelledError:
        requested = bool(task.data.get("cancel_requested"))
        _finish(sim, task, state="error", progress=None, cancelled=True,
                error=t.LocalizedMethodFault(fault=t.RequestCanceled(),
                                             localizedMessage="The task was canceled by a "
                                                              "user."))
        if not requested:  # the simulator is stopping
            raise
        return
    except SimFault as exc:
        _finish(sim, task, state="error", progress=None,
                error=t.LocalizedMethodFault(fault=exc.fault, localizedMessage=exc.message))
        return
    except Exception as exc:  # a simulator bug: fail the task rather than leave it hanging
        log.exception("simulator task %s (%s) failed", task.ref.value,
                      task.props["info"].name)
        _finish(sim, task, state="error", progress=None,
                error=t.LocalizedMethodFault(fault=t.SystemError(reason=str(exc)),
                                             localizedMessage=f"simulator: {exc}"))
        return
    _finish(sim, task, state="success", progress=100, result=result)


def _finish(sim: Simulator, task: SimObject, **changes: Any) -> None:
    _set_info(sim, task, completeTime=now(), **changes)
    task.data.pop("runner", None)
    finished: deque[Ref] = sim.__dict__.setdefault("_finished_tasks", deque())
    finished.append(task.ref)
    while len(finished) > _KEEP_FINISHED:
        old = finished.popleft()
        manager = sim.model.get(TASK_MANAGER)
        if manager is None or old not in manager.props.get("recentTask", ()):
            sim.model.remove(old)


def _add_recent(sim: Simulator, task: SimObject, entity: SimObject) -> None:
    """Append to TaskManager.recentTask and the entity's ``recentTask``; a task pushed out
    of the manager's list leaves its entity's list too."""
    model = sim.model
    entity.props["recentTask"] = (*(entity.props.get("recentTask") or ()), task.ref)
    manager = model.get(TASK_MANAGER)
    if manager is not None:
        recent = (*(manager.props.get("recentTask") or ()), task.ref)
        for old in recent[:-_RECENT]:
            old_task = model.get(old)
            owner = old_task.data.get("entity") if old_task is not None else None
            if owner is not None and owner.props.get("recentTask"):
                owner.props["recentTask"] = tuple(
                    r for r in owner.props["recentTask"] if r != old)
        manager.props["recentTask"] = recent[-_RECENT:]
    model.touch()
