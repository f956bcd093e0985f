"""Waiting for a Task through PropertyCollector updates, not polling.

``await wait_for_task(client, task)`` (govmomi's ``task.Wait``): a PropertyCollector of its
own (vim.PropertyCollector.CreatePropertyCollector, so concurrent waiters never steal each
other's updates), one filter on the task's ``info``, then WaitForUpdatesEx until the state
is ``success`` or ``error``. ``maxWaitSeconds`` never exceeds what is left of the caller's
deadline (:func:`aiovsphere.remaining`), so the server-side wait ends in time. The collector
(and with it the filter) is destroyed on every exit path, cancellation included; with
``cancel_task=True`` a task still running when the wait is cancelled or times out is
cancelled on the server too (vim.Task.CancelTask).

This is the first piece of the govmomi-level layer (issue 3), kept small: one task at a
time; ``wait_for_tasks`` through one collector and richer progress reporting come later.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import remaining, without_deadline
from aiovsphere._faults import fault_class

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["wait_for_task"]

_MAX_WAIT_SECONDS = 60  # per WaitForUpdatesEx round trip when no deadline bounds it
_CLEANUP_SECONDS = 30


async def wait_for_task(
    client: Client,
    task: ManagedObjectReference,
    *,
    progress: Callable[[int], Any] | None = None,
    cancel_task: bool = False,
) -> Any:
    """Wait until ``task`` finishes; return ``info.result`` (typed; ``None`` for none).

    ``progress(percent)`` is called with each new ``info.progress`` (0-100) the server
    reports. Raises the task's fault as ``aiovsphere.faults.<Name>`` (``exc.task`` is the
    task moref), ``TimeoutError`` at the caller's deadline, and whatever the calls raise.
    """
    from aiovsphere.vim import types as t

    collector = await client.invoke(client.service("propertyCollector"),
                                    "CreatePropertyCollector")
    try:
        spec = t.PropertyFilterSpec(
            objectSet=(t.ObjectSpec(obj=task, skip=False),),
            propSet=(t.PropertySpec(type="Task", pathSet=("info",), all=False),),
        )
        await client.invoke(collector, "CreateFilter", spec=spec, partialUpdates=False)
        version = ""
        last_progress: int | None = None
        while True:
            left = remaining()
            wait = _MAX_WAIT_SECONDS if left is None else max(0, math.floor(left))
            update = await client.invoke(collector, "WaitForUpdatesEx", version=version,
                                         options=t.WaitOptions(maxWaitSeconds=wait))
            if update is None:
                if left is not None and left < 1:
                    raise TimeoutError(f"task {task.value} did not finish before the deadline")
                continue  # maxWaitSeconds passed with no change: wait again
            version = update.version
            info = _info_of(update)
            if info is None:
                continue
            if progress is not None and info.progress is not None and (
                info.progress != last_progress
            ):
                last_progress = info.progress
                progress(info.progress)
            state = info.state
            if state == "success":
                if progress is not None and last_progress != 100:
                    progress(100)
                return info.result
            if state == "error":
                raise _task_fault(task, info)
    except BaseException:
        if cancel_task:
            with without_deadline():  # the expired deadline is often why we are here
                await asyncio.shield(_cancel(client, task))
        raise
    finally:
        with without_deadline():
            await asyncio.shield(_destroy(client, collector))


def _info_of(update: Any) -> Any:
    for filter_update in update.filterSet:
        for object_update in filter_update.objectSet:
            for change in object_update.changeSet:
                if change.name == "info" and change.op in ("assign", "add"):
                    return change.val
    return None


def _task_fault(task: ManagedObjectReference, info: Any) -> Exception:
    localized = info.error
    fault = localized.fault if localized is not None else None
    name = type(fault).__name__ if fault is not None else "MethodFault"
    message = (localized.localizedMessage if localized is not None else "") or ""
    return fault_class(name)(message, fault=fault, fault_name=name, method=info.descriptionId,
                             task=task)


async def _destroy(client: Client, collector: ManagedObjectReference) -> None:
    with contextlib.suppress(Exception):
        await client.invoke(collector, "DestroyPropertyCollector", timeout=_CLEANUP_SECONDS)


async def _cancel(client: Client, task: ManagedObjectReference) -> None:
    with contextlib.suppress(Exception):
        await client.invoke(task, "CancelTask", timeout=_CLEANUP_SECONDS)
