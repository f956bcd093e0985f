"""``power on|off|reset|suspend PATH...``: start every VM's task at once, wait for all.

Every path (or pattern) is resolved first: if one matches no VM, nothing is started
(exit 1). Then each VM's task (vim.VirtualMachine.PowerOnVM_Task, PowerOffVM_Task,
ResetVM_Task, SuspendVM_Task) is started concurrently and all are waited for with
:func:`aiovsphere.wait_for_tasks` (one property collector and one filter for all, updates
not polling), a progress bar per task on stderr. Then a results table (or ``--json``)
on stdout, and exit 1 naming the VMs whose task failed, if any.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from aiovsphere._cli._common import (
    Conn,
    Datacenter,
    Insecure,
    Json,
    Password,
    Url,
    User,
    cell,
    check_paths,
    emit_json,
    fail,
    fault_name,
    new_table,
    print_table,
    resolve,
    run,
    stderr_console,
)
from aiovsphere._errors import SoapFault

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._finder import FoundObject

__all__ = ["Action", "power"]



class Action(StrEnum):
    on = "on"
    off = "off"
    reset = "reset"
    suspend = "suspend"


_METHODS = {Action.on: "power_on", Action.off: "power_off", Action.reset: "reset",
            Action.suspend: "suspend"}
_WORDS = {Action.on: "power on", Action.off: "power off", Action.reset: "reset",
          Action.suspend: "suspend"}

ROW_KEYS = ("path", "name", "moref", "action", "task", "ok", "fault", "message")


def power(
    url: Url,
    user: User,
    password: Password,
    action: Annotated[Action, typer.Argument(help="on, off, reset or suspend")],
    paths: Annotated[list[str], typer.Argument(help="VM paths or patterns")],
    insecure: Insecure = False,
    datacenter: Datacenter = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="no progress bars on stderr")] = False,
    json_: Json = False,
) -> None:
    """Power VMs on, off, reset or suspend them: all tasks at once, a progress bar each.

    Exit 0 when every task succeeded; 1 if a path matches no VM (nothing is started) or
    any task failed (e.g. InvalidPowerState for a VM that is already on). Ctrl-C stops
    waiting; tasks already started go on on the server.
    """
    check_paths(paths)
    conn = Conn(url, user, password, insecure)

    async def job(client: Client) -> list[dict[str, Any]]:
        from aiovsphere._finder import Finder

        vms = await resolve(Finder(client, datacenter), paths, "VirtualMachine")
        progress = Progress(TextColumn("{task.description}"), BarColumn(),
                            TaskProgressColumn(), TimeElapsedColumn(),
                            console=stderr_console(), disable=quiet)
        with progress:
            return await _power_all(client, vms, action, progress)

    rows = run(conn, job)
    if json_:
        emit_json(rows)
    else:
        table = new_table(f"{_WORDS[action]}: {len(rows)} VM{'' if len(rows) == 1 else 's'}",
                          ("name", "task", "result", "message", "path"))
        for row in rows:
            table.add_row(cell(row["name"]), cell(row["task"]),
                          cell("ok" if row["ok"] else row["fault"]), cell(row["message"]),
                          cell(row["path"]))
        print_table(table)
    failed = [row for row in rows if not row["ok"]]
    if failed:
        shown = ", ".join(f"{row['name']} ({row['fault']})" for row in failed)
        fail(f"{len(failed)} of {len(rows)} tasks failed: {shown}")


async def _power_all(client: Client, vms: list[FoundObject], action: Action,
                     progress: Progress) -> list[dict[str, Any]]:
    from aiovsphere._task import wait_for_tasks
    from aiovsphere.objects import VirtualMachine

    method = _METHODS[action]
    bars = [progress.add_task(f"{_WORDS[action]} {vm.name}", total=100) for vm in vms]
    rows: list[dict[str, Any]] = [
        {"path": vm.path, "name": vm.name, "moref": vm.ref.value, "action": action.value,
         "task": None, "ok": False, "fault": None, "message": None} for vm in vms]

    def failed(i: int, exc: SoapFault) -> None:
        rows[i]["fault"] = fault_name(exc)
        rows[i]["message"] = exc.localized_message or exc.faultstring or str(exc)
        progress.update(bars[i], description=f"{_WORDS[action]} {vms[i].name}: "
                                             f"{rows[i]['fault']}")

    async def start(i: int) -> Any:
        try:
            return await getattr(VirtualMachine(client, vms[i].ref), method)(wait=False)
        except SoapFault as exc:  # refused at once (some servers do not make a task)
            failed(i, exc)
            return None

    tasks = await asyncio.gather(*(start(i) for i in range(len(vms))))
    started = [(i, task) for i, task in enumerate(tasks) if task is not None]
    for i, task in started:
        rows[i]["task"] = task.value
    # One collector and one filter for all the tasks (not one waiter per task).
    outcomes = await wait_for_tasks(
        client, [task for _i, task in started], return_exceptions=True,
        progress=lambda k, pct: progress.update(bars[started[k][0]], completed=pct))
    for (i, _task), outcome in zip(started, outcomes, strict=True):
        if isinstance(outcome, SoapFault):
            failed(i, outcome)
        else:
            rows[i]["ok"] = True
            progress.update(bars[i], completed=100)
    return rows
