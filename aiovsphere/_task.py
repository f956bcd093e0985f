"""Waiting for Tasks through PropertyCollector updates, not polling.

``await wait_for_task(client, task)`` (govmomi's ``task.Wait``) and
``await wait_for_tasks(client, tasks)``: a PropertyCollector of their own
(vim.PropertyCollector.CreatePropertyCollector, so concurrent waiters never steal each
other's updates), one filter on the tasks' ``info`` (one filter for 1,000 tasks, not 1,000
pollers), then WaitForUpdatesEx until every task is ``success`` or ``error``.
``maxWaitSeconds`` never exceeds what is left of the caller's deadline
(:func:`aiovsphere.remaining`), so the server-side wait ends in time. The collector (and with
it the filter) is destroyed on every exit path, cancellation included; with
``cancel_task=True`` tasks still running when the wait is cancelled or times out are
cancelled on the server too (vim.Task.CancelTask).

This is the first piece of the govmomi-level layer (issue 3).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiovsphere._collector import PropertyCollector
from aiovsphere._deadline import remaining, without_deadline
from aiovsphere._errors import EncodeError, SoapFault
from aiovsphere._faults import from_localized

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["wait_for_task", "wait_for_tasks"]

_CLEANUP_SECONDS = 30
_DONE = ("success", "error")


async def wait_for_task(
    client: Client,
    task: ManagedObjectReference | ManagedObject,
    *,
    progress: Callable[[int], Any] | None = None,
    cancel_task: bool = False,
) -> Any:
    """Wait until ``task`` finishes; return ``info.result`` (typed; ``None`` for none).

    ``progress(percent)`` is called with each new ``info.progress`` (0-100) the server
    reports, and with 100 at success. Raises the task's fault as
    ``aiovsphere.faults.<Name>`` (``exc.task`` is the task moref), ``TimeoutError`` at the
    caller's deadline, and whatever the calls raise.
    """
    on_info = None if progress is None else _on_progress(lambda _i, pct: progress(pct))
    (outcome,) = await _wait(client, [_ref(task)], on_info, cancel_task)
    if isinstance(outcome, SoapFault):
        raise outcome
    return outcome


async def wait_for_tasks(
    client: Client,
    tasks: Sequence[ManagedObjectReference | ManagedObject],
    *,
    return_exceptions: bool = False,
    cancel_task: bool = False,
    progress: Callable[[int, int], Any] | None = None,
) -> list[Any]:
    """Wait for all ``tasks`` through one collector and one filter; results in task order.

    A failed task's fault is an ``aiovsphere.faults.<Name>`` exception with ``.task`` set:
    with ``return_exceptions=True`` it takes that task's place in the list; otherwise the
    first failed task's fault (in task order) is raised once all tasks have finished.
    ``progress(index, percent)`` is called with each new ``info.progress`` (0-100) of the
    task at ``index``, and with 100 when it succeeds.
    """
    on_info = None if progress is None else _on_progress(progress)
    outcomes = await _wait(client, [_ref(task) for task in tasks], on_info, cancel_task)
    if not return_exceptions:
        for outcome in outcomes:
            if isinstance(outcome, SoapFault):
                raise outcome
    return outcomes


def _on_progress(progress: Callable[[int, int], Any]) -> Callable[[int, Any], None]:
    """An ``on_info`` that reports each task's new percentage once (100 at success)."""
    last: dict[int, int] = {}

    def on_info(index: int, info: Any) -> None:
        percent = 100 if info.state == "success" else info.progress
        if percent is not None and last.get(index) != percent:
            last[index] = percent
            progress(index, percent)

    return on_info


async def _wait(
    client: Client,
    tasks: list[ManagedObjectReference],
    on_info: Callable[[int, Any], None] | None,
    cancel_task: bool,
) -> list[Any]:
    from aiovsphere.vim import types as t

    if not tasks:
        return []
    index: dict[ManagedObjectReference, list[int]] = {}
    for i, task in enumerate(tasks):
        if task.type != "Task":
            # A filter on Task.info of anything else never reports: refuse, do not hang.
            raise EncodeError(f"expects a Task moref, got {task}", method="WaitForUpdatesEx",
                              path=f"tasks[{i}]")
        index.setdefault(task, []).append(i)
    outcomes: list[Any] = [None] * len(tasks)
    pending = set(index)
    collector = PropertyCollector(client)
    await collector.open()
    try:
        spec = t.PropertyFilterSpec(
            objectSet=tuple(t.ObjectSpec(obj=task, skip=False) for task in index),
            propSet=(t.PropertySpec(type="Task", pathSet=("info",), all=False),),
            # Not reportMissingObjectsInResults: then CreateFilter itself refuses a task
            # that does not exist (ManagedObjectNotFound), which every server does (vcsim
            # never fills missingSet); a task that goes later comes as ``leave``.
        )
        await collector.create_filter(spec)
        while pending:
            updates = await collector.wait_for_updates()
            if updates is None:
                left = remaining()
                if left is not None and left <= 0:
                    raise TimeoutError(f"{len(pending)} task(s) did not finish in time")
                continue  # maxWaitSeconds passed with no change: wait again
            for task, info in _infos(updates.update_set):
                if task not in index or task not in pending:
                    continue
                if info is None:  # the task left the filter: it no longer exists
                    gone = _gone(task)
                    for i in index[task]:
                        outcomes[i] = gone
                    pending.discard(task)
                    continue
                for i in index[task]:
                    if on_info is not None:
                        on_info(i, info)
                    if info.state == "success":
                        outcomes[i] = info.result
                    elif info.state == "error":
                        outcomes[i] = from_localized(info.error, method=info.descriptionId,
                                                     task=task)
                if info.state in _DONE:
                    pending.discard(task)
        return outcomes
    except BaseException:
        if cancel_task and pending:
            with without_deadline():  # the expired deadline is often why we are here
                await asyncio.shield(_cancel(client, list(pending)))
        raise
    finally:
        await collector.close()


def _ref(task: Any) -> ManagedObjectReference:
    """A moref, from a moref or a managed-object proxy (``client.mo(task)``)."""
    ref: ManagedObjectReference = getattr(task, "ref", task)
    return ref


def _infos(update: Any) -> list[tuple[Any, Any]]:
    """(task, TaskInfo) per ``info`` change, and (task, None) for a task that left the
    filter (``leave``, or the filter update's ``missingSet``). A change without a value
    is skipped: an ``info`` is never unset while the task exists."""
    out: list[tuple[Any, Any]] = []
    for filter_update in update.filterSet:
        for object_update in filter_update.objectSet:
            if str(getattr(object_update.kind, "value", object_update.kind)) == "leave":
                out.append((object_update.obj, None))
                continue
            for change in object_update.changeSet:
                if (change.name == "info" and change.op in ("assign", "add")
                        and change.val is not None):
                    out.append((object_update.obj, change.val))
        for missing in filter_update.missingSet:
            out.append((missing.obj, None))
    return out


def _gone(task: ManagedObjectReference) -> SoapFault:
    """The fault for a task the server no longer has (ManagedObjectNotFound, ``.task``)."""
    from aiovsphere._faults import fault_class
    from aiovsphere.vim import types as t

    return fault_class("ManagedObjectNotFound")(
        f"task {task.value} no longer exists on the server", fault=t.ManagedObjectNotFound(
            obj=task), fault_name="ManagedObjectNotFound", method="WaitForUpdatesEx",
        task=task)


async def _cancel(client: Client, tasks: list[ManagedObjectReference]) -> None:
    async def one(task: ManagedObjectReference) -> None:
        with contextlib.suppress(Exception):
            await client.invoke(task, "CancelTask", timeout=_CLEANUP_SECONDS)

    await asyncio.gather(*(one(task) for task in tasks))
