"""Adversarial tests of the retry policy as wired into the client (issue 5): how many
times a call really goes out, and what comes back, under refused connects, resets, 503s,
cancellation and deadlines."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest

import aiovsphere
from aiovsphere import ConnectError, HTTPStatusError, RetryPolicy, _retry
from aiovsphere._collector import PropertyCollector
from aiovsphere._views import invoke_repeatable
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.vim import types as t

from ._support import leak_checks, other_tasks

TINY = InventorySpec(clusters=0, hosts=1, vms=2, dvs=False)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)
    return waits


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY, seed=5) as sim:
        yield sim


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/sdk"


async def test_repeatable_wait_sends_at_most_policy_attempts_on_refused_connect(
        sim: Simulator, no_sleep: list[float]) -> None:
    """invoke_repeatable runs the policy around client.invoke, which runs the policy
    again: a refused connect ("unsent", retried for any non-teardown method) of a
    WaitForUpdatesEx is sent attempts * attempts times instead of ``attempts``."""
    policy = RetryPolicy(attempts=4)
    async with aiovsphere.connect(sim.url, user="admin", password="pw", retry=policy) as client:
        pc = PropertyCollector(client)
        await pc.open()
        try:
            real = client.sdk_url
            client.sdk_url = _closed_port_url()  # the server is gone: every connect refused
            calls, retries = client.stats.calls, client.stats.retries
            with pytest.raises(ConnectError):
                await invoke_repeatable(client, pc._require(), "WaitForUpdatesEx", version="",
                                        options=t.WaitOptions(maxWaitSeconds=0), timeout=5)
            sent = client.stats.calls - calls
            counted = client.stats.retries - retries
            client.sdk_url = real
        finally:
            await pc.close()
    assert sent <= policy.attempts, f"{sent} sends for attempts={policy.attempts}"
    assert counted <= policy.attempts - 1, f"{counted} retries counted"


async def test_repeatable_wait_keeps_to_its_timeout_across_outer_retries(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """invoke_repeatable(timeout=T) gives T to each inner invoke but no budget to its own
    retry loop: refused connects and full backoff windows keep going past T (the inner
    loop stops at its deadline with the typed error, the outer loop starts another)."""
    from types import SimpleNamespace

    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: b))
    sleeps: list[float] = []

    async def counted_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        await asyncio.sleep(seconds)

    monkeypatch.setattr(_retry, "_sleep", counted_sleep)
    policy = RetryPolicy(attempts=4, initial_backoff=0.15, max_backoff=0.15)
    async with aiovsphere.connect(sim.url, user="admin", password="pw", retry=policy) as client:
        pc = PropertyCollector(client)
        await pc.open()
        try:
            real = client.sdk_url
            client.sdk_url = _closed_port_url()
            async with asyncio.timeout(20):  # no hang
                with pytest.raises((ConnectError, TimeoutError)):
                    await invoke_repeatable(client, pc._require(), "WaitForUpdatesEx", version="",
                                            options=t.WaitOptions(maxWaitSeconds=0),
                                            timeout=0.4)
            client.sdk_url = real
        finally:
            await pc.close()
    # Waits of 0.15 s each within a 0.4 s budget: at most two fit.
    assert sum(sleeps) <= 0.4, f"{len(sleeps)} backoff waits, {sum(sleeps):.2f} s for 0.4 s"


async def test_cancelled_during_a_real_backoff_leaves_nothing(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A read against a server answering 503, cancelled in its backoff sleep: the
    CancelledError comes out, no further request is sent, no task or exception left."""
    from types import SimpleNamespace

    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: b))
    policy = RetryPolicy(attempts=10, initial_backoff=5.0, max_backoff=5.0)
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                      retry=policy) as client:
            sim.faults.http_status(503, method="CurrentTime")
            task = asyncio.create_task(client.invoke(client.service_instance, "CurrentTime"))
            async with asyncio.timeout(5):
                while client.stats.retries == 0:  # noqa: ASYNC110 - polls a counter
                    await asyncio.sleep(0.01)
            sent = sim.faults.calls["CurrentTime"]
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await asyncio.sleep(0.05)
            assert sim.faults.calls["CurrentTime"] == sent == 1
            sim.faults.clear()
        assert other_tasks(baseline) == set()
    assert problems == []


async def test_close_during_backoff_ends_the_call_with_the_typed_error_unsent(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: b))
    policy = RetryPolicy(attempts=10, initial_backoff=0.3, max_backoff=0.3)
    client = aiovsphere.Client(sim.url, retry=policy)
    try:
        await client.open()
        await client.session.login("admin", "pw")
        sim.faults.http_status(503, method="CurrentTime")
        task = asyncio.create_task(client.invoke(client.service_instance, "CurrentTime"))
        async with asyncio.timeout(5):
            while client.stats.retries == 0:  # noqa: ASYNC110 - polls a counter
                await asyncio.sleep(0.01)
    finally:
        await client.close()
    with pytest.raises(HTTPStatusError):
        async with asyncio.timeout(5):
            await task
    assert sim.faults.calls["CurrentTime"] == 1


@pytest.mark.parametrize("how", ["timeout=", "client default", "aiovsphere.timeout"])
async def test_503_forever_ends_by_the_deadline_typed(
        sim: Simulator, how: str) -> None:
    """Real jitter and sleeps, a policy that would go on for minutes."""
    policy = RetryPolicy(attempts=1000, initial_backoff=0.01, max_backoff=0.05)
    opts: dict[str, Any] = {"timeout": 0.5} if how == "client default" else {}
    async with aiovsphere.connect(sim.url, user="admin", password="pw", retry=policy,
                                  **opts) as client:
        sim.faults.http_status(503, method="RetrievePropertiesEx")
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(10):  # no hang
            with pytest.raises((HTTPStatusError, TimeoutError)):
                if how == "timeout=":
                    await client.get_properties(client.content.rootFolder, ["name"],
                                                timeout=0.5)
                elif how == "aiovsphere.timeout":
                    async with aiovsphere.timeout(0.5):
                        await client.get_properties(client.content.rootFolder, ["name"])
                else:
                    await client.get_properties(client.content.rootFolder, ["name"])
        assert loop.time() - started < 3.0  # generous: a 0.5 s deadline
        sim.faults.clear()


@pytest.mark.parametrize("when", ["before", "after"])
async def test_login_is_never_sent_twice_after_a_lost_connection(
        sim: Simulator, no_sleep: list[float], when: Literal["before", "after"]) -> None:
    """A Login whose connection is reset (before or after the server made the session)
    is not sent again: a retry after "after" would leave two sessions."""
    sim.faults.drop(method="Login", when=when, reset=True, times=1)
    client = aiovsphere.Client(sim.url)
    try:
        await client.open()
        with pytest.raises(ConnectError):
            await client.session.login("admin", "pw")
    finally:
        await client.close()
    assert sim.faults.calls["Login"] == 1
    assert len(sim.sessions) == (1 if when == "after" else 0)
