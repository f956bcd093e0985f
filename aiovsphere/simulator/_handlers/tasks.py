"""Task, TaskManager and TaskHistoryCollector (vim.Task, vim.TaskManager,
vim.TaskHistoryCollector).

* Task.CancelTask (:func:`aiovsphere.simulator._tasks.cancel_task`).
* TaskManager.CreateTask: a task an extension drives itself (``info.state`` queued until
  Task.SetTaskState; Task.UpdateProgress while running; Task.SetTaskDescription).
* TaskManager.CreateCollectorForTasks(filter): a TaskHistoryCollector of the session's
  own (at most ``maxCollector`` per session: InvalidState beyond) over every task the
  simulator still keeps that matches the TaskFilterSpec (``entity`` with recursion
  ``self``/``children``/``all``, ``time`` by queued/started/completed time, ``userName``,
  ``state``, ``eventChainId``, ``parentTaskKey``, ``rootTaskKey``, ``activationId``).
  Like an EventHistoryCollector: a new collector reads from the oldest task
  (ReadNextTasks moves forward, ReadPreviousTasks backward, each returning oldest first);
  RewindCollector goes back to the oldest, ResetCollector to just before the latest page;
  ``latestPage`` is the newest ``pageSize`` (default 10, SetCollectorPageSize 1-1000)
  matching tasks' current TaskInfo, oldest first; DestroyCollector removes it.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiovsphere.simulator._context import Context, fault, now
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._model import SimObject
from aiovsphere.simulator._tasks import cancel_task
from aiovsphere.simulator._vmutil import children_of, descendants
from aiovsphere.vim._moref import ManagedObjectReference as Ref

MAX_COLLECTORS = 32  # TaskManager.maxCollector (per session)
DEFAULT_PAGE = 10
MAX_PAGE = 1000


@handles("Task", "CancelTask")
def cancel(ctx: Context, this: SimObject) -> None:
    """vim.Task.CancelTask."""
    ctx.require_write()
    cancel_task(ctx, this)


# ---------------------------------------------------------------------- extension tasks
@handles("TaskManager", "CreateTask")
def create_task(ctx: Context, this: SimObject, obj: Ref, taskTypeId: str, cancelable: bool,
                initiatedBy: str | None = None, parentTaskKey: str | None = None,
                activationId: str | None = None) -> Any:
    """vim.TaskManager.CreateTask: a queued Task on ``obj`` that the caller drives."""
    from aiovsphere.simulator._tasks import _add_recent
    from aiovsphere.vim import types as t

    ctx.require_write()
    entity = ctx.lookup(obj)
    ref = Ref("Task", ctx.model.new_id("task"))
    info = t.TaskInfo(
        key=ref.value, task=ref, name=None, descriptionId=taskTypeId, entity=entity.ref,
        entityName=entity.props.get("name"), state="queued", cancelled=False,
        cancelable=cancelable, queueTime=now(), parentTaskKey=parentTaskKey,
        eventChainId=int(ref.value.rpartition("-")[2]),
        activationId=activationId,
        reason=t.TaskReasonUser(userName=initiatedBy or (ctx.session.user if ctx.session
                                                         else "")))
    task = SimObject(ref, {"info": info, "value": (), "availableField": ()})
    task.data.update(entity=entity, external=True)
    ctx.model.add(task)
    _add_recent(ctx.sim, task, entity)
    return info


def _external(ctx: Context, task: SimObject) -> Any:
    info = task.props["info"]
    if info.state in ("success", "error"):
        raise fault("InvalidState", "The operation is not allowed in the current state.")
    return info


@handles("Task", "SetTaskState")
def set_task_state(ctx: Context, this: SimObject, state: str, result: Any = None,
                   fault_: Any = None, **extra: Any) -> None:
    """vim.Task.SetTaskState: InvalidState once the task has finished."""
    ctx.require_write()
    error = extra.get("fault", fault_)
    _external(ctx, this)
    changes: dict[str, Any] = {"state": state}
    if state == "running" and this.props["info"].startTime is None:
        changes["startTime"] = now()
    if state in ("success", "error"):
        changes["completeTime"] = now()
        changes["result"] = result if state == "success" else None
        changes["error"] = error if state == "error" else None
        if state == "success":
            changes["progress"] = 100
    this.props["info"] = this.props["info"].model_copy(update=changes)
    ctx.model.touch()


@handles("Task", "UpdateProgress")
def update_progress(ctx: Context, this: SimObject, percentDone: int) -> None:
    """vim.Task.UpdateProgress: OutOfBounds outside 0-100, InvalidState unless running."""
    ctx.require_write()
    info = _external(ctx, this)
    if info.state != "running":
        raise fault("InvalidState", "The operation is not allowed in the current state.")
    if not 0 <= percentDone <= 100:
        raise fault("OutOfBounds", "The value is out of bounds.", argumentName="percentDone")
    this.props["info"] = info.model_copy(update={"progress": percentDone})
    ctx.model.touch()


@handles("Task", "SetTaskDescription")
def set_task_description(ctx: Context, this: SimObject, description: Any) -> None:
    """vim.Task.SetTaskDescription."""
    ctx.require_write()
    this.props["info"] = this.props["info"].model_copy(update={"description": description})
    ctx.model.touch()


# ---------------------------------------------------------------------- history collector
@handles("TaskManager", "CreateCollectorForTasks")
def create_collector(ctx: Context, this: SimObject, filter: Any) -> Ref:
    """vim.TaskManager.CreateCollectorForTasks."""
    session = ctx.session
    assert session is not None
    mine = [o for o in ctx.model.of_type("TaskHistoryCollector") if o.owner == session.key]
    if len(mine) >= MAX_COLLECTORS:
        raise fault("InvalidState", f"The session already has {MAX_COLLECTORS} task "
                    "history collectors (TaskManager.maxCollector).")
    if filter.entity is not None:
        ctx.lookup(filter.entity.entity)
    ref = Ref("TaskHistoryCollector", f"session[{session.key}]{uuid.uuid4()}")
    collector = SimObject(ref, {"filter": filter}, owner=session.key,
                          dynamic={"latestPage": lambda c: _latest(c, ref)})
    collector.data.update(page=DEFAULT_PAGE, anchor=None)
    ctx.model.add(collector)
    if not this.props.get("maxCollector"):
        this.props["maxCollector"] = MAX_COLLECTORS
    return ref


def _matching(ctx: Context, collector: SimObject) -> list[Any]:
    """Every kept task's TaskInfo the collector's filter selects, oldest first."""
    spec = collector.props["filter"]
    entities: set[Ref] | None = None
    if spec.entity is not None:
        root = ctx.model.get(spec.entity.entity)
        if root is None:
            return []
        recursion = str(spec.entity.recursion or "self")
        entities = {root.ref}
        if recursion == "children":
            entities.update(c.ref for c in children_of(ctx.model, root))
        elif recursion == "all":
            entities.update(c.ref for c in descendants(ctx.model, root))
    states = {str(s) for s in spec.state or ()}
    users = set(spec.userName.userList or ()) if spec.userName is not None else None
    chains = set(spec.eventChainId or ())
    parents = set(spec.parentTaskKey or ())
    roots = set(spec.rootTaskKey or ())
    activations = set(spec.activationId or ())
    out = []
    for task in ctx.model.of_type("Task"):
        info = task.props.get("info")
        if info is None:
            continue
        if entities is not None and info.entity not in entities:
            continue
        if states and str(info.state) not in states:
            continue
        if users is not None:
            user = getattr(info.reason, "userName", None)
            if user is None and not spec.userName.systemUser:
                continue
            if user is not None and users and user not in users:
                continue
        if chains and info.eventChainId not in chains:
            continue
        if parents and info.parentTaskKey not in parents:
            continue
        if roots and info.rootTaskKey not in roots:
            continue
        if activations and info.activationId not in activations:
            continue
        if spec.time is not None and not _in_time(info, spec.time):
            continue
        out.append(info)
    out.sort(key=lambda i: _serial(i.key))
    return out


def _in_time(info: Any, spec: Any) -> bool:
    field = {"queuedTime": "queueTime", "startedTime": "startTime",
             "completedTime": "completeTime"}.get(str(spec.timeType), "queueTime")
    when = getattr(info, field)
    if when is None:
        return False
    if spec.beginTime is not None and when < spec.beginTime:
        return False
    return not (spec.endTime is not None and when > spec.endTime)


def _latest(ctx: Context, ref: Ref) -> tuple[Any, ...]:
    collector = ctx.model.get(ref)
    if collector is None:
        return ()
    return tuple(_matching(ctx, collector)[-collector.data["page"]:])


def _count(max_count: int) -> int:
    if max_count < 1:
        raise fault("InvalidArgument", "A specified parameter was not correct: maxCount",
                    invalidProperty="maxCount")
    return min(max_count, MAX_PAGE)


@handles("TaskHistoryCollector", "ReadNextTasks")
def read_next(ctx: Context, this: SimObject, maxCount: int) -> tuple[Any, ...]:
    """vim.TaskHistoryCollector.ReadNextTasks: up to ``maxCount`` tasks after the position."""
    items = _matching(ctx, this)
    position = _position(this, items)
    page = items[position:position + _count(maxCount)]
    if page:
        this.data["anchor"] = page[-1].key
    return tuple(page)


@handles("TaskHistoryCollector", "ReadPreviousTasks")
def read_previous(ctx: Context, this: SimObject, maxCount: int) -> tuple[Any, ...]:
    """vim.TaskHistoryCollector.ReadPreviousTasks: up to ``maxCount`` tasks before the
    position (oldest first); the position moves back over them."""
    items = _matching(ctx, this)
    position = _position(this, items)
    start = max(0, position - _count(maxCount))
    page = items[start:position]
    this.data["anchor"] = items[start - 1].key if start > 0 else None
    return tuple(page)


def _position(collector: SimObject, items: list[Any]) -> int:
    """The read position as an index into ``items``: just after ``anchor``, the key of
    the task before it (``None``: the start), so tasks that come or go elsewhere in the
    list do not move it."""
    anchor = collector.data.get("anchor")
    if anchor is None:
        return 0
    key = _serial(anchor)
    return sum(1 for i in items if _serial(i.key) <= key)


def _serial(key: Any) -> int:
    try:
        return int(str(key).rpartition("-")[2])
    except ValueError:
        return 0


@handles("TaskHistoryCollector", "RewindCollector")
def rewind(ctx: Context, this: SimObject) -> None:
    """vim.HistoryCollector.RewindCollector: back to the oldest task."""
    this.data["anchor"] = None


@handles("TaskHistoryCollector", "ResetCollector")
def reset(ctx: Context, this: SimObject) -> None:
    """vim.HistoryCollector.ResetCollector: just before the latest page."""
    items = _matching(ctx, this)
    start = max(0, len(items) - this.data["page"])
    this.data["anchor"] = items[start - 1].key if start > 0 else None


@handles("TaskHistoryCollector", "SetCollectorPageSize")
def set_page_size(ctx: Context, this: SimObject, maxCount: int) -> None:
    """vim.HistoryCollector.SetCollectorPageSize: the size of ``latestPage`` (1-1000)."""
    this.data["page"] = _count(maxCount)
    ctx.model.touch()


@handles("TaskHistoryCollector", "DestroyCollector")
def destroy_collector(ctx: Context, this: SimObject) -> None:
    """vim.HistoryCollector.DestroyCollector."""
    ctx.model.remove(this.ref)

