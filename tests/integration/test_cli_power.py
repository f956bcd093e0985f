"""``power``, ``tasks`` and ``events`` against this module's own vcsim (they change power
states): in-process through CliRunner, and ``--follow`` as a subprocess stopped with
Ctrl-C (SIGINT)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiovsphere
from aiovsphere._finder import Finder
from aiovsphere.objects import VirtualMachine
from tests.integration.conftest import session_users
from tests.integration.test_cli import DEAD_URL, PASSWORD, _no_secret, flags, invoke
from tools.vcsim.launcher import Vcsim


@pytest.fixture(scope="module")
async def client(private_vcsim: Vcsim) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(private_vcsim.url, user="cli-observer",
                                  password="pw") as c:
        yield c


async def _vm(client: aiovsphere.Client, name: str) -> VirtualMachine:
    return VirtualMachine(client, (await Finder(client).virtual_machine(name)).ref)


async def _states(client: aiovsphere.Client, names: list[str]) -> list[str]:
    return [(await (await _vm(client, n)).power_state()).value for n in names]


async def _json(*args: str, code: int = 0) -> Any:
    result = await invoke(*args, "--json")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


async def test_power_off_and_on_by_pattern(private_vcsim: Vcsim,
                                           client: aiovsphere.Client) -> None:
    names = [f"DC0_H0_VM{i}" for i in range(4)]
    assert await _states(client, names) == ["poweredOn"] * 4
    result = await invoke("power", "off", "/DC0/vm/DC0_H0_VM*", "--json",
                          *flags(private_vcsim.url))
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == names
    for row in rows:
        assert set(row) == {"path", "name", "moref", "action", "task", "ok", "fault",
                            "message"}
        assert row["ok"] is True and row["action"] == "off" and row["fault"] is None
        assert row["task"].startswith("task-")
        info = (await client.get_properties(aiovsphere.ManagedObjectReference(
            "Task", row["task"]), ["info"]))["info"]
        assert (info.entity.value, info.descriptionId, info.state.value) == (
            row["moref"], "VirtualMachine.powerOff", "success")
    assert len({r["task"] for r in rows}) == 4
    assert await _states(client, names) == ["poweredOff"] * 4
    # A progress bar per task on stderr (its last frame, stderr not being a terminal).
    for name in names:
        line = next(ln for ln in result.stderr.splitlines() if f"power off {name}" in ln)
        assert "100%" in line
    # And back on, with the table.
    result = await invoke("power", "on", *names, *flags(private_vcsim.url))
    assert result.exit_code == 0, result.output
    assert "power on: 4 VMs" in result.stdout
    for name in names:
        assert name in result.stdout
    assert await _states(client, names) == ["poweredOn"] * 4


async def test_power_fault_is_exit_1_and_named(private_vcsim: Vcsim,
                                               client: aiovsphere.Client) -> None:
    await (await _vm(client, "DC0_C0_RP0_VM1")).power_off()
    result = await invoke("power", "on", "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "--json", "-q",
                          *flags(private_vcsim.url))
    assert result.exit_code == 1
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["DC0_C0_RP0_VM0"]["ok"] is False
    assert rows["DC0_C0_RP0_VM0"]["fault"] == "InvalidPowerState"
    assert rows["DC0_C0_RP0_VM1"]["ok"] is True
    assert result.stderr == (
        "error: 1 of 2 tasks failed: DC0_C0_RP0_VM0 (InvalidPowerState)\n")  # -q: no bars
    assert await _states(client, ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]) == ["poweredOn"] * 2
    # The table says which failed, too.
    result = await invoke("power", "reset", "DC0_C0_RP0_VM0", "-q", *flags(private_vcsim.url))
    assert result.exit_code == 0, result.output
    result = await invoke("power", "on", "DC0_C0_RP0_VM0", "-q", *flags(private_vcsim.url))
    assert result.exit_code == 1
    assert "InvalidPowerState" in result.stdout and "DC0_C0_RP0_VM0" in result.stdout


async def test_power_starts_nothing_when_a_path_matches_no_vm(
    private_vcsim: Vcsim, client: aiovsphere.Client
) -> None:
    manager = client.service("taskManager")
    before = (await client.get_properties(manager, ["recentTask"]))["recentTask"]
    # /DC0/host/DC0_H0 exists but is no VM: "no VirtualMachine matches".
    for missing in ("/DC0/vm/nope", "/DC0/host/DC0_H0"):
        result = await invoke("power", "off", "DC0_C0_RP0_VM2", missing,
                              *flags(private_vcsim.url))
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == (f"error: not found: no VirtualMachine matches "
                                 f"'{missing}'\n")
    assert (await client.get_properties(manager, ["recentTask"]))["recentTask"] == before
    assert await _states(client, ["DC0_C0_RP0_VM2"]) == ["poweredOn"]


async def test_suspend_and_resume(private_vcsim: Vcsim, client: aiovsphere.Client) -> None:
    rows = await _json("power", "suspend", "DC0_C0_RP0_VM3", *flags(private_vcsim.url))
    assert rows[0]["ok"] is True
    assert await _states(client, ["DC0_C0_RP0_VM3"]) == ["suspended"]
    rows = await _json("power", "on", "DC0_C0_RP0_VM3", *flags(private_vcsim.url))
    assert rows[0]["ok"] is True
    assert await _states(client, ["DC0_C0_RP0_VM3"]) == ["poweredOn"]


async def test_tasks_lists_recent_tasks(private_vcsim: Vcsim,
                                        client: aiovsphere.Client) -> None:
    done = await _json("power", "off", "DC0_H0_VM2", *flags(private_vcsim.url))
    failed = await _json("power", "off", "DC0_H0_VM2", *flags(private_vcsim.url), code=1)
    await _json("power", "on", "DC0_H0_VM2", *flags(private_vcsim.url))
    rows = await _json("tasks", *flags(private_vcsim.url))
    by_task = {r["task"]: r for r in rows}
    manager = client.service("taskManager")
    recent = (await client.get_properties(manager, ["recentTask"]))["recentTask"]
    assert set(by_task) == {t.value for t in recent}
    ok = by_task[done[0]["task"]]
    assert set(ok) == {"task", "entity", "entity_type", "entity_moref", "description_id",
                       "state", "progress", "queue_time", "start_time", "complete_time",
                       "error"}
    assert ok | {"entity": "DC0_H0_VM2", "entity_type": "VirtualMachine",
                 "entity_moref": done[0]["moref"],
                 "description_id": "VirtualMachine.powerOff", "state": "success",
                 "progress": 100, "error": None} == ok
    bad = by_task[failed[0]["task"]]
    assert (bad["state"], bad["entity"]) == ("error", "DC0_H0_VM2") and bad["error"]
    times = [r["queue_time"] for r in rows]
    assert times == sorted(times)
    # --limit keeps the most recent; the table names them.
    assert await _json("tasks", "--limit", "2", *flags(private_vcsim.url)) == rows[-2:]
    result = await invoke("tasks", *flags(private_vcsim.url))
    assert result.exit_code == 0, result.output
    assert "DC0_H0_VM2" in result.stdout and "VirtualMachine.powerOn" in result.stdout


async def test_events(private_vcsim: Vcsim, client: aiovsphere.Client) -> None:
    url = private_vcsim.url
    await _json("power", "off", "DC0_H0_VM3", *flags(url))
    await _json("power", "on", "DC0_H0_VM3", *flags(url))
    rows = await _json("events", "/DC0/vm/DC0_H0_VM3", "--limit", "0", *flags(url))
    assert rows, "no events"
    assert {r["vm"] for r in rows} == {"DC0_H0_VM3"}
    kinds = [r["type"] for r in rows if r["type"] in ("VmPoweredOffEvent", "VmPoweredOnEvent")]
    assert kinds[-2:] == ["VmPoweredOffEvent", "VmPoweredOnEvent"]
    assert "VmStartingEvent" in {r["type"] for r in rows}
    assert [r["key"] for r in rows] == sorted(r["key"] for r in rows)
    last = next(r for r in reversed(rows) if r["type"] == "VmPoweredOnEvent")
    assert set(last) == {"key", "time", "type", "user", "message", "vm", "host",
                         "datacenter", "compute_resource", "datastore", "network"}
    assert (last["host"], last["datacenter"], last["user"]) == ("DC0_H0", "DC0", "cli-user")
    assert "DC0_H0_VM3" in last["message"]
    # Type filter (any case), limit, since.
    rows = await _json("events", "--type", "vmpoweredoffevent", "--limit", "1",
                       "--since", "1h", *flags(url))
    assert [(r["type"], r["vm"]) for r in rows] == [("VmPoweredOffEvent", "DC0_H0_VM3")]
    assert await _json("events", "--since", "2999-01-01T00:00", *flags(url)) == []
    result = await invoke("events", "DC0_H0_VM3", "-t", "VmPoweredOnEvent", *flags(url))
    assert result.exit_code == 0, result.output
    assert "VmPoweredOnEvent" in result.stdout and "DC0_H0_VM3" in result.stdout
    # Usage errors before connecting; a path that matches nothing is 1.
    for args, hint in ((["-t", "NoSuchEvent"], "NoSuchEvent"), (["--since", "soon"], "soon")):
        result = await invoke("events", *args, *flags(DEAD_URL))
        assert result.exit_code == 2 and hint in result.stderr
    result = await invoke("events", "/DC0/vm/none", *flags(url))
    assert result.exit_code == 1 and "not found" in result.stderr
    result = await invoke("events", "/DC0/vm/DC0_H0_*", *flags(url))
    assert result.exit_code == 1 and "4 objects match" in result.stderr


async def _follow(url: str, *args: str, user: str
                  ) -> tuple[asyncio.subprocess.Process, asyncio.StreamReader]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIOVSPHERE_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aiovsphere", *args, "--follow", "--json",
        *flags(url, user), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    return proc, proc.stdout


async def _line(stdout: asyncio.StreamReader) -> dict[str, Any]:
    line = await asyncio.wait_for(stdout.readline(), 30)
    assert line, "the follower ended"
    row: dict[str, Any] = json.loads(line)
    return row


async def _interrupt(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130, err
    _no_secret(out.decode(), err.decode())
    return err.decode()


async def test_follow_events_and_tasks_until_ctrl_c(private_vcsim: Vcsim,
                                                    client: aiovsphere.Client) -> None:
    url = private_vcsim.url
    events, events_out = await _follow(url, "events", "-t", "VmPoweredOnEvent", "-n", "1",
                                       user="events-follower")
    tasks, tasks_out = await _follow(url, "tasks", "--limit", "1", user="tasks-follower")
    try:
        history = await _line(events_out)  # the newest power-on so far
        assert history["type"] == "VmPoweredOnEvent"
        await _line(tasks_out)  # the newest task so far
        vm = await _vm(client, "DC0_C0_RP0_VM2")
        await vm.power_off()
        await vm.power_on()
        new = await _line(events_out)
        assert (new["type"], new["vm"]) == ("VmPoweredOnEvent", "DC0_C0_RP0_VM2")
        assert new["key"] > history["key"]
        seen = []
        while not any(r["description_id"] == "VirtualMachine.powerOn"
                      and r["state"] == "success" for r in seen):
            seen.append(await _line(tasks_out))
        assert {r["entity"] for r in seen} == {"DC0_C0_RP0_VM2"}
        assert [r["description_id"] for r in seen if r["state"] == "success"] == [
            "VirtualMachine.powerOff", "VirtualMachine.powerOn"]
    finally:
        errors = [await _interrupt(events), await _interrupt(tasks)]
    assert errors == ["interrupted\n", "interrupted\n"]
    users = await session_users(client)
    assert "events-follower" not in users and "tasks-follower" not in users  # logged out
    assert PASSWORD  # (checked in every output by _interrupt)
