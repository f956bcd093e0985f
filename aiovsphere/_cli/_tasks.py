"""``tasks``: recent tasks (vim.TaskManager.recentTask, each task's ``info``).

``--follow`` keeps watching: one PropertyCollector of its own with a filter that traverses
TaskManager.recentTask to each Task's ``info`` (WaitForUpdatesEx: new tasks enter, state and
progress changes arrive as they happen); a line per new task or change, until Ctrl-C.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiovsphere._cli._common import (
    Conn,
    Insecure,
    Json,
    Password,
    Url,
    User,
    cell,
    emit_json,
    emit_json_line,
    new_table,
    print_table,
    run,
    stdout_console,
)

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = ["tasks"]

ROW_KEYS = ("task", "entity", "entity_type", "entity_moref", "description_id", "state",
            "progress", "queue_time", "start_time", "complete_time", "error")
_COLUMNS = ("task", "entity", "description_id", "state", "progress", "start_time",
            "complete_time", "error")


class _Names:
    """Entity names by moref, read once each (TaskInfo.entityName is the name when the
    task was made; vcsim puts the moref value there)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.names: dict[ManagedObjectReference, str] = {}

    async def learn(self, refs: list[Any]) -> None:
        from aiovsphere._names import unescape_name

        wanted = [r for r in dict.fromkeys(refs) if r is not None and r not in self.names]
        if not wanted:
            return
        for rec in await self.client.retrieve(wanted, ["name"], missing="record"):
            if "name" in rec and "name" not in rec.missing and "" not in rec.missing:
                self.names[rec.obj] = unescape_name(rec["name"])


def _row(task: Any, info: Any, names: _Names) -> dict[str, Any]:
    entity = info.entity
    error = info.error
    message = None
    if error is not None:
        message = getattr(error, "localizedMessage", None) or type(
            getattr(error, "fault", None)).__name__
    return {
        "task": task.value,
        "entity": names.names.get(entity) or info.entityName,
        "entity_type": entity.type if entity is not None else None,
        "entity_moref": entity.value if entity is not None else None,
        "description_id": info.descriptionId,
        "state": info.state,
        "progress": 100 if _text(info.state) == "success" else info.progress,
        "queue_time": info.queueTime,
        "start_time": info.startTime,
        "complete_time": info.completeTime,
        "error": message,
    }


def _text(value: Any) -> str:
    return str(getattr(value, "value", value))


async def recent_tasks(client: Client) -> list[dict[str, Any]]:
    """One row per task in TaskManager.recentTask, oldest first (by queue time)."""
    manager = client.service("taskManager")
    refs = (await client.get_properties(manager, ["recentTask"])).get("recentTask") or ()
    if not refs:
        return []
    records = await client.retrieve(list(refs), ["info"], missing="record")
    infos = [(rec.obj, rec["info"]) for rec in records
             if "info" in rec and not rec.missing]  # a task gone meanwhile is skipped
    names = _Names(client)
    await names.learn([info.entity for _task, info in infos])
    rows = [_row(task, info, names) for task, info in infos]
    rows.sort(key=lambda r: (r["queue_time"] is None, r["queue_time"] or 0, r["task"]))
    return rows


def _line(row: dict[str, Any]) -> str:
    progress = "" if row["progress"] is None else f"{row['progress']}%"
    parts = [row["task"], row["entity"] or "", row["description_id"] or "",
             _text(row["state"]), progress, row["error"] or ""]
    return "  ".join(str(p) for p in parts if p != "")


def tasks(
    url: Url,
    user: User,
    password: Password,
    insecure: Insecure = False,
    follow: Annotated[bool, typer.Option("--follow", "-f", help=(
        "keep watching: a line per new task or state/progress change, until Ctrl-C "
        "(with --json: one JSON object per line)"))] = False,
    limit: Annotated[int, typer.Option(
        min=0, help="only the N most recent tasks (0: all)")] = 0,
    json_: Json = False,
) -> None:
    """Recent tasks: entity, what (descriptionId), state, progress, start/complete time."""
    conn = Conn(url, user, password, insecure)
    if follow:
        run(conn, lambda client: _follow(client, json_, limit))
        return
    rows = run(conn, recent_tasks)
    if limit:
        rows = rows[-limit:]
    if json_:
        emit_json(rows)
        return
    table = new_table(f"{len(rows)} recent tasks", _COLUMNS, right=("progress",))
    for row in rows:
        table.add_row(*(cell(row[k]) for k in _COLUMNS))
    print_table(table)


async def _follow(client: Client, json_: bool, limit: int) -> None:
    from aiovsphere._collector import PropertyCollector
    from aiovsphere.vim import types as t

    manager = client.service("taskManager")
    spec = t.PropertyFilterSpec(
        objectSet=(t.ObjectSpec(obj=manager, skip=True, selectSet=(
            t.TraversalSpec(name="recentTask", type="TaskManager", path="recentTask",
                            skip=False),)),),
        propSet=(t.PropertySpec(type="Task", pathSet=("info",), all=False),),
    )
    names = _Names(client)
    shown: dict[Any, tuple[str, Any]] = {}
    console = None if json_ else stdout_console()
    first = True
    async with PropertyCollector(client) as pc:
        await pc.create_filter(spec)
        async with contextlib.aclosing(pc.updates()) as stream:
            async for updates in stream:
                infos = []
                for filter_update in updates.update_set.filterSet:
                    for obj_update in filter_update.objectSet:
                        for change in obj_update.changeSet:
                            if change.name == "info" and change.val is not None:
                                infos.append((obj_update.obj, change.val))
                await names.learn([info.entity for _task, info in infos])
                rows = [_row(task, info, names) for task, info in infos]
                if first:
                    rows.sort(key=lambda r: (r["queue_time"] is None, r["queue_time"] or 0,
                                             r["task"]))
                    if limit:
                        rows = rows[-limit:]
                    first = False
                for row in rows:
                    state = (_text(row["state"]), row["progress"])
                    if shown.get(row["task"]) == state:
                        continue
                    shown[row["task"]] = state
                    if console is None:
                        emit_json_line(row)
                    else:
                        console.print(_line(row), markup=False, soft_wrap=True)
