"""Session idle timeout (``Simulator(session_idle_timeout=...)``): an idle session ends,
its next call gets NotAuthenticated and the aiovsphere client logs in again by itself; a
session with a call in progress is spared."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._context import Session
from aiovsphere.simulator._injection import expire_idle
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference

TINY = InventorySpec(clusters=0, hosts=1, vms=1, dvs=False)
HOUR = 3600.0


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY, session_idle_timeout=HOUR) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
        yield client


def only_session(sim: Simulator) -> Session:
    [session] = sim.sessions.values()
    return session


def age(session: Session, seconds: float) -> None:
    """Make ``session`` look idle for ``seconds`` (no sleeping in tests)."""
    session.last_active -= dt.timedelta(seconds=seconds)


async def ticket(client: aiovsphere.Client) -> str:
    value = await client.invoke(client.service("sessionManager"), "AcquireCloneTicket")
    assert isinstance(value, str)
    return value


async def test_idle_session_expires_and_the_client_logs_in_again(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    old = only_session(sim)
    view = ManagedObjectReference("ContainerView", f"session[{old.key}]1")
    sim.model.add(SimObject(view, {}, owner=old.key))
    age(old, HOUR + 1)
    assert (await ticket(client)).startswith("cst-")  # transparent to the caller
    assert client.stats.relogins == 1
    new = only_session(sim)
    assert new is not old and new.user == "admin"
    assert sim.model.get(view) is None  # the expired session's objects went with it
    [record] = sim.faults.injected
    assert (record.kind, record.method, record.detail) == ("session_idle_timeout", None,
                                                           "admin")


async def test_a_session_used_within_the_timeout_stays(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    session = only_session(sim)
    age(session, HOUR - 60)
    await ticket(client)
    assert only_session(sim) is session and client.stats.relogins == 0
    # Its idle time now counts from the end of that call.
    assert dt.datetime.now(dt.UTC) - session.last_active < dt.timedelta(minutes=1)
    age(session, HOUR - 60)
    assert expire_idle(sim) == []


async def test_a_call_in_progress_keeps_its_session(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    session = only_session(sim)
    pause = sim.faults.pause(method="AcquireCloneTicket")
    held = asyncio.create_task(ticket(client))
    await pause.wait_held()
    age(session, HOUR + 1)  # e.g. a WaitForUpdatesEx longer than the timeout
    assert expire_idle(sim) == []
    pause.resume()
    await held
    assert only_session(sim) is session and client.stats.relogins == 0
    assert expire_idle(sim) == []  # the call's end counts as activity


async def test_expire_idle_at_a_given_time_and_without_a_timeout(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    session = only_session(sim)
    later = session.last_active + dt.timedelta(seconds=HOUR + 1)
    sim.session_idle_timeout = None
    assert expire_idle(sim, later) == []
    sim.session_idle_timeout = HOUR
    assert expire_idle(sim, session.last_active + dt.timedelta(seconds=HOUR - 1)) == []
    assert expire_idle(sim, later) == [session]
    assert sim.sessions == {}


async def test_background_sweep_ends_idle_sessions_without_calls() -> None:
    async with Simulator(TINY) as sim:
        assert sim.session_idle_timeout is None  # the default: never
        async with aiovsphere.connect(sim.url, user="admin", password="pw") as client:
            old = only_session(sim)
            view = ManagedObjectReference("ListView", f"session[{old.key}]2")
            sim.model.add(SimObject(view, {}, owner=old.key))
            sim.session_idle_timeout = 0.05  # may be set while running
            await client.invoke(client.service_instance, "CurrentTime")  # starts the sweep
            async with asyncio.timeout(10):
                await sim.faults.wait_injected("session_idle_timeout")
            assert sim.sessions == {}
            assert sim.model.get(view) is None  # removed with nobody calling
            sim.session_idle_timeout = HOUR
            await ticket(client)
            assert client.stats.relogins == 1 and only_session(sim) is not old


async def test_read_only_and_admin_sessions_both_expire(sim: Simulator) -> None:
    async with aiovsphere.connect(sim.url, user="admin", password="pw") as admin, \
            aiovsphere.connect(sim.url, user="readonly", password="pw") as reader:
        for session in list(sim.sessions.values()):
            age(session, HOUR + 1)
        await ticket(admin)
        await ticket(reader)
        assert admin.stats.relogins == 1 and reader.stats.relogins == 1
        assert sorted((s.user, s.role) for s in sim.sessions.values()) == [
            ("admin", "Admin"), ("readonly", "ReadOnly")]
        assert sorted(i.detail for i in sim.faults.injected) == ["admin", "readonly"]
