"""Targets for the chaos suite: vcsim (a real process, killed with SIGKILL) and the
embedded simulator (in this process, so that its objects can be counted per session),
each behind a ChaosProxy; and the table of figures printed at the end of the run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import aiovsphere
from aiovsphere.simulator import Simulator
from tools.vcsim.launcher import Vcsim, VcsimError

from ._harness import HEADER, Report, Target
from .proxy import ChaosProxy

VMS = 40
REPORTS: list[Report] = []


def _hostport(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


@contextlib.asynccontextmanager
async def _admin(url: str) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(url, user="admin", password="pw") as client:
        yield client


@pytest.fixture
async def embedded_target() -> AsyncIterator[Target]:
    box: dict[str, Simulator] = {}

    async def revive() -> None:
        sim = Simulator(vms=VMS, task_seconds=0.05)
        await sim.start()
        box["sim"] = sim
        proxy.upstream = _hostport(sim.url)

    async def kill() -> None:
        proxy.reset_all()  # a crash: every connection reset, then nothing listens
        await box["sim"].stop()

    def session_objects(key: str) -> int:
        return sum(1 for obj in box["sim"].model if obj.owner == key)

    proxy = ChaosProxy(("127.0.0.1", 1))
    async with proxy:
        await revive()
        try:
            yield Target("embedded", proxy, lambda: _admin(box["sim"].url), kill, revive,
                         session_objects)
        finally:
            await box["sim"].stop()


@pytest.fixture
async def vcsim_target() -> AsyncIterator[Target]:
    box: dict[str, Vcsim] = {}

    async def revive() -> None:
        sim = Vcsim.for_vm_count(VMS)
        try:
            await asyncio.to_thread(sim.start)
        except VcsimError as exc:
            pytest.fail(str(exc), pytrace=False)
        box["sim"] = sim
        proxy.upstream = _hostport(sim.url)

    async def kill() -> None:
        sim = box["sim"]
        os.kill(sim.pid, signal.SIGKILL)  # no goodbye: sockets die with the process
        await asyncio.to_thread(sim.stop)

    proxy = ChaosProxy(("127.0.0.1", 1))
    async with proxy:
        await revive()
        try:
            yield Target("vcsim", proxy, lambda: _admin(box["sim"].url), kill, revive, None)
        finally:
            await asyncio.to_thread(box["sim"].stop)


@pytest.fixture(params=["vcsim", "embedded"])
def target(request: pytest.FixtureRequest) -> Target:
    return request.getfixturevalue(f"{request.param}_target")  # type: ignore[no-any-return]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not REPORTS:
        return
    terminalreporter.section("chaos: 1,000 concurrent operations per scenario")
    terminalreporter.write_line(HEADER)
    for report in REPORTS:
        terminalreporter.write_line(report.row())
    path = os.environ.get("AIOVSPHERE_CHAOS_REPORT")
    if path:
        Path(path).write_text(json.dumps([_as_json(r) for r in REPORTS], indent=1))


def _as_json(report: Report) -> dict[str, Any]:
    import dataclasses

    # Not dataclasses.asdict: it rebuilds a Counter from (key, value) pairs as keys.
    data = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
    data["leaks"] = report.leaks
    return data


@pytest.fixture
def record_report() -> Iterator[list[Report]]:
    made: list[Report] = []
    yield made
    REPORTS.extend(made)
