"""Simulated Tasks: queued -> running (with progress) -> success or error.

    @handles("VirtualMachine", "PowerOnVM_Task")
    def power_on(ctx, this, host=None):
        check(...)                       # faults raised here fail the *call*
        async def work(progress):       # runs while the task is "running"
            ...; return result           # or raise SimFault: the *task* fails
        return start_task(ctx, this, "PowerOnVM_Task", work)

The Task object (``task-N``) lives in the model with a ``info`` (TaskInfo) kept current,
so WaitForUpdatesEx on ``info`` sees every state and progress change; it also appears in
TaskManager.recentTask and its entity's ``recentTask``. A task takes
``sim.task_seconds`` (0: finishes at the next loop turn).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiovsphere.simulator._context import Context, SimFault, now
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference as Ref

if TYPE_CHECKING:
    from aiovsphere.simulator._server import Simulator

__all__ = ["Progress", "Work", "start_task"]

Progress = Callable[[int], None]
Work = Callable[[Progress], Awaitable[Any]]
_RECENT = 200  # TaskManager.recentTask keeps the newest this many
TASK_MANAGER = Ref("TaskManager", "TaskManager")


def start_task(ctx: Context, entity: SimObject, method: str, work: Work) -> Ref:
    """Create a queued Task for ``method`` on ``entity`` and run ``work`` in the
    background; return the Task moref at once (what a ``*_Task`` method returns)."""
    from aiovsphere.vim import types as t

    sim = ctx.sim
    ref = Ref("Task", sim.model.new_id("task"))
    name = entity.props.get("name")
    info = t.TaskInfo(
        key=ref.value, task=ref, name=method.removesuffix("_Task"),
        descriptionId=f"{entity.type}.{method.removesuffix('_Task')}",
        entity=entity.ref, entityName=name, state="queued", cancelled=False,
        cancelable=True, queueTime=now(), eventChainId=int(ref.value.split("-")[1]),
        reason=t.TaskReasonUser(userName=ctx.session.user if ctx.session else ""),
    )
    sim.model.add(SimObject(ref, {"info": info}))
    _recent(sim, ref)
    task = sim.model.get(ref)
    assert task is not None
    task.data["runner"] = sim.spawn(_run(sim, ref, work))
    return ref


async def _run(sim: Simulator, ref: Ref, work: Work) -> None:
    from aiovsphere.vim import types as t

    model = sim.model

    def set_info(**changes: Any) -> None:
        obj = model.get(ref)
        if obj is not None:
            obj.props["info"] = obj.props["info"].model_copy(update=changes)
            model.touch()

    await asyncio.sleep(0)
    set_info(state="running", startTime=now(), progress=0)
    steps = 4
    delay = sim.task_seconds / steps

    def progress(percent: int) -> None:
        set_info(progress=max(0, min(100, percent)))

    async def paced() -> Any:
        for i in range(1, steps):
            if delay:
                await asyncio.sleep(delay)
            progress(i * 100 // steps)
        if delay:
            await asyncio.sleep(delay)
        return await work(progress)

    try:
        result = await paced()
    except asyncio.CancelledError:  # CancelTask (or the simulator stopping)
        set_info(state="error", completeTime=now(), progress=None, cancelled=True,
                 error=t.LocalizedMethodFault(fault=t.RequestCanceled(),
                                              localizedMessage="The task was canceled."))
        raise
    except SimFault as exc:
        set_info(state="error", completeTime=now(), progress=None,
                 error=t.LocalizedMethodFault(fault=exc.fault, localizedMessage=exc.message))
        return
    set_info(state="success", completeTime=now(), progress=100, result=result)


def _recent(sim: Simulator, ref: Ref) -> None:
    manager = sim.model.get(TASK_MANAGER)
    if manager is None:
        return
    recent = (*manager.props.get("recentTask", ()), ref)[-_RECENT:]
    manager.props["recentTask"] = recent
