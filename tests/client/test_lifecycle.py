"""``aiovsphere.connect`` logs out and closes on every exit path; keep-alive start and stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

import aiovsphere
from aiovsphere import Client

from ._soap import PASSWORD, USER, Call, FakeVC, fault


def _assert_logged_out_and_closed(fake: FakeVC, client: Client) -> None:
    assert fake.methods[-1] == "Logout"
    assert fake.count("Logout") == 1
    assert fake.sessions == set()  # the server saw the session end
    assert fake.transport.closed
    assert not client.session.logged_in
    assert client._cookie is None


async def test_connect_normal_exit(fake: FakeVC) -> None:
    async with aiovsphere.connect("https://vc.example.com", user=USER, password=PASSWORD,
                                  transport=fake.transport, version="8.0.3.0") as client:
        assert client.session.logged_in
        assert not fake.transport.closed
        await client.invoke(client.service_instance, "CurrentTime")
    assert fake.methods == ["RetrieveServiceContent", "Login", "CurrentTime", "Logout"]
    _assert_logged_out_and_closed(fake, client)
    await client.close()  # closing again is a no-op
    assert fake.count("Logout") == 1


async def test_connect_exception_in_block(fake: FakeVC) -> None:
    seen: list[Client] = []
    with pytest.raises(ZeroDivisionError):
        async with aiovsphere.connect("https://vc.example.com", user=USER, password=PASSWORD,
                                      transport=fake.transport, version="8.0.3.0") as client:
            seen.append(client)
            _ = 1 / 0
    _assert_logged_out_and_closed(fake, seen[0])


async def test_connect_cancelled_in_block(fake: FakeVC) -> None:
    inside = asyncio.Event()
    seen: list[Client] = []

    async def work() -> None:
        async with aiovsphere.connect("https://vc.example.com", user=USER, password=PASSWORD,
                                      transport=fake.transport, version="8.0.3.0") as client:
            seen.append(client)
            inside.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(work())
    await asyncio.wait_for(inside.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    _assert_logged_out_and_closed(fake, seen[0])


async def test_connect_cancelled_during_a_call(fake: FakeVC) -> None:
    inside = asyncio.Event()
    seen: list[Client] = []

    async def stuck(call: Call) -> None:
        inside.set()
        await asyncio.sleep(3600)

    fake.on["CurrentTime"] = stuck

    async def work() -> None:
        async with aiovsphere.connect("https://vc.example.com", user=USER, password=PASSWORD,
                                      transport=fake.transport, version="8.0.3.0") as client:
            seen.append(client)
            await client.invoke(client.service_instance, "CurrentTime")

    task = asyncio.create_task(work())
    await asyncio.wait_for(inside.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    _assert_logged_out_and_closed(fake, seen[0])
    assert seen[0].stats.in_flight == 0


async def test_connect_logs_out_after_its_deadline_expired(fake: FakeVC) -> None:
    """``aiovsphere.timeout`` around ``connect``: when it fires, the logout still gets its
    own budget rather than the expired deadline (the client has a default timeout)."""
    budget: list[float | None] = []
    fake.on["Logout"] = lambda call: budget.append(aiovsphere.remaining())
    seen: list[Client] = []
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.05):
            async with aiovsphere.connect("https://vc.example.com", user=USER,
                                          password=PASSWORD, transport=fake.transport,
                                          version="8.0.3.0", timeout=20) as client:
                seen.append(client)
                await asyncio.sleep(3600)
    _assert_logged_out_and_closed(fake, seen[0])
    (left,) = budget
    assert left is not None and 15 < left <= 20


async def test_connect_bad_login_closes_without_logout(fake: FakeVC) -> None:
    with pytest.raises(aiovsphere.faults.InvalidLogin):
        async with aiovsphere.connect("https://vc.example.com", user=USER, password="nope",
                                      transport=fake.transport, version="8.0.3.0"):
            pytest.fail("the block must not run")
    assert fake.methods == ["RetrieveServiceContent", "Login"]
    assert fake.transport.closed


async def test_connect_logout_failure_still_closes(
    fake: FakeVC, caplog: pytest.LogCaptureFixture
) -> None:
    fake.on["Logout"] = lambda call: fault("SystemError", "boom", "<reason>boom</reason>")
    async with aiovsphere.connect("https://vc.example.com", user=USER, password=PASSWORD,
                                  transport=fake.transport, version="8.0.3.0"):
        pass
    assert fake.methods[-1] == "Logout"
    assert fake.transport.closed
    assert any("logout failed: SystemError" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------- keep-alive
def _keepalive_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "aiovsphere-keepalive"]


async def test_keepalive_runs_and_close_stops_it(fake: FakeVC) -> None:
    baseline = set(asyncio.all_tasks())
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    keepalive=0.05)
    await client.open()
    assert _keepalive_tasks() == []  # starts with the session, not before
    await client.session.login(USER, PASSWORD)
    (task,) = _keepalive_tasks()
    await asyncio.sleep(0.28)
    ticks = fake.count("CurrentTime")
    assert 3 <= ticks <= 6
    assert all(c.cookie in fake.sessions for c in fake.calls if c.method == "CurrentTime")
    await client.close()
    assert task.done() and task.cancelled()
    assert _keepalive_tasks() == []
    assert set(asyncio.all_tasks()) - baseline == set()  # nothing left pending
    assert fake.methods[-1] == "Logout"
    await asyncio.sleep(0.15)
    assert fake.count("CurrentTime") == ticks  # no tick after close


async def test_keepalive_survives_a_failed_tick(
    fake: FakeVC, caplog: pytest.LogCaptureFixture
) -> None:
    failures = 0

    def flaky(call: Call) -> object:
        nonlocal failures
        if failures < 2:
            failures += 1
            return fault("SystemError", "busy", "<reason>busy</reason>")
        return None

    fake.on["CurrentTime"] = flaky  # type: ignore[assignment]
    caplog.set_level(logging.WARNING, "aiovsphere")
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    keepalive=0.03)
    await client.open()
    await client.session.login(USER, PASSWORD)
    try:
        await fake.wait_for("CurrentTime", 4)
    finally:
        await client.close()
    warnings = [r.getMessage() for r in caplog.records if "keep-alive" in r.getMessage()]
    assert warnings == ["keep-alive call failed: SystemError"] * 2
    assert _keepalive_tasks() == []


async def test_keepalive_outlives_the_deadline_of_the_login(
    fake: FakeVC, caplog: pytest.LogCaptureFixture
) -> None:
    """``async with aiovsphere.timeout(..): connect/login`` bounds the login, not the
    keep-alive task it starts (which must not inherit the caller's deadline)."""
    caplog.set_level(logging.WARNING, "aiovsphere")
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    keepalive=0.03)
    await client.open()
    async with aiovsphere.timeout(0.1):
        await client.session.login(USER, PASSWORD)
    try:
        await asyncio.sleep(0.1)
        ticks = fake.count("CurrentTime")
        await fake.wait_for("CurrentTime", ticks + 3)
    finally:
        await client.close()
    assert not [r for r in caplog.records if "keep-alive" in r.getMessage()]


async def test_no_keepalive_by_default(fake: FakeVC, client: Client) -> None:
    assert _keepalive_tasks() == []
    await asyncio.sleep(0.05)
    assert fake.count("CurrentTime") == 0
