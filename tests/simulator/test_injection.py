"""Fault injection (``sim.faults``) as the aiovsphere client sees it: typed faults, HTTP
errors, truncated bodies, dropped connections, expired sessions, latency and pauses, on
the schedules the rules offer."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

import aiovsphere
from aiovsphere import faults
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._injection import (
    Delay,
    ExpireSessions,
    Fail,
    FaultInjector,
    HttpStatus,
    Pause,
)
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.simulator._model import SimObject
from aiovsphere.vim._moref import ManagedObjectReference

TINY = InventorySpec(clusters=0, hosts=1, vms=1, dvs=False)
SI = ManagedObjectReference("ServiceInstance", "ServiceInstance")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY, seed=7) as sim:
        yield sim


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[aiovsphere.Client]:
    # retry=None: these tests watch each injected fault reach the caller; the client's
    # retries of idempotent reads are tested in tests/client/test_retry.py
    async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                  retry=None) as client:
        yield client


async def current_time(client: aiovsphere.Client) -> dt.datetime:
    value = await client.invoke(client.service_instance, "CurrentTime")
    assert isinstance(value, dt.datetime)
    return value


async def ticket(client: aiovsphere.Client) -> str:
    """A call that needs a session (and that the client re-logs in for)."""
    value = await client.invoke(client.service("sessionManager"), "AcquireCloneTicket")
    assert isinstance(value, str) and value.startswith("cst-")
    return value


async def outcome(client: aiovsphere.Client) -> str:
    """``"ok"`` or the name of the fault CurrentTime raised."""
    try:
        await current_time(client)
    except aiovsphere.SoapFault as exc:
        return exc.fault_name
    return "ok"


async def pattern(client: aiovsphere.Client, n: int) -> str:
    """``n`` CurrentTime calls: ``o`` for each served, ``F`` for each fault."""
    return "".join(["o" if await outcome(client) == "ok" else "F" for _ in range(n)])


# ---------------------------------------------------------------------- Fail
async def test_fail_once_raises_the_typed_fault_then_serves(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    rule = sim.faults.fail("CurrentTime", "InvalidPowerState", "not now",
                           members={"requestedState": "poweredOn",
                                    "existingState": "suspended"}, times=1)
    with pytest.raises(faults.InvalidPowerState) as info:
        await current_time(client)
    exc = info.value
    assert exc.method == "CurrentTime"
    assert exc.faultstring == "not now"
    assert exc.fault is not None
    assert exc.fault.requestedState == "poweredOn"
    assert exc.fault.existingState == "suspended"
    assert (await current_time(client)).tzinfo is not None  # served again
    # Used up: the second call is not even counted.
    assert (rule.seen, rule.fired, rule.exhausted, rule.active) == (1, 1, True, False)
    assert rule in sim.faults.rules  # kept for reading once used up
    [record] = sim.faults.injected
    assert (record.kind, record.method, record.rule, record.detail) == (
        "fail", "CurrentTime", rule, "InvalidPowerState")
    assert sim.faults.count("fail", "CurrentTime") == 1
    assert sim.faults.count("fail", "Login") == 0
    assert sim.faults.calls["CurrentTime"] == 2


async def test_fail_fills_required_members_and_default_message(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    sim.faults.add(Fail("AcquireCloneTicket", "DuplicateName"))
    with pytest.raises(faults.DuplicateName) as info:
        await ticket(client)
    fault = info.value.fault
    assert fault is not None
    # Required members: the moref is the call's ``this``, the string empty.
    assert fault.object == client.service("sessionManager")
    assert fault.name == ""
    assert info.value.faultstring == "DuplicateName"
    sim.faults.clear()
    sim.faults.fail("AcquireCloneTicket", "NoPermission")
    with pytest.raises(faults.NoPermission) as denied:
        await ticket(client)
    assert denied.value.faultstring == "Permission to perform this operation was denied."


def test_bad_rules_are_refused_when_made() -> None:
    with pytest.raises(ValueError, match="not a vim fault"):
        Fail("CurrentTime", "VirtualMachine")
    with pytest.raises(ValueError, match="not a vim fault"):
        Fail("CurrentTime", "NoSuchFault")
    with pytest.raises(ValueError, match="no member"):
        Fail("CurrentTime", "InvalidPowerState", members={"state": "on"})
    with pytest.raises(ValueError, match="unknown vim method"):
        Fail("PowerOnVm_Task", "InvalidPowerState")  # a typo never fires: refused
    with pytest.raises(ValueError, match="times"):
        Fail("CurrentTime", "SystemError", times=0)
    with pytest.raises(ValueError, match="every"):
        Delay(0.1, every=0)
    with pytest.raises(ValueError, match="probability"):
        HttpStatus(503, probability=1.5)
    with pytest.raises(ValueError, match="range"):
        Delay((0.3, 0.1))
    with pytest.raises(ValueError, match="status"):
        HttpStatus(42)
    with pytest.raises(TypeError, match="unknown schedule"):
        Fail("CurrentTime", "SystemError", tims=1)  # type: ignore[call-arg]


async def test_a_rule_cannot_be_added_twice(sim: Simulator) -> None:
    rule = sim.faults.fail("CurrentTime", "SystemError")
    with pytest.raises(ValueError, match="already added"):
        sim.faults.add(rule)
    sim.faults.remove(rule)
    assert sim.faults.rules == ()
    assert not rule.active


# ---------------------------------------------------------------------- schedules
@pytest.mark.parametrize(("schedule", "expected"), [
    ({"times": 2}, "FFoooo"),
    ({"after": 2}, "ooFFFF"),
    ({"every": 3}, "FooFoo"),
    ({"after": 1, "every": 2, "times": 2}, "oFoFoo"),
    ({}, "FFFFFF"),
])
async def test_schedules(sim: Simulator, client: aiovsphere.Client,
                         schedule: dict[str, int], expected: str) -> None:
    rule = sim.faults.fail("CurrentTime", "SystemError", **schedule)  # type: ignore[arg-type]
    seen = await pattern(client, len(expected))
    assert seen == expected
    assert rule.fired == expected.count("F")
    assert sim.faults.count("fail") == expected.count("F")


async def test_probability_is_seeded_and_repeats(client: aiovsphere.Client) -> None:
    async def run(seed: int) -> str:
        async with Simulator(TINY, seed=seed) as sim, aiovsphere.connect(
                sim.url, user="admin", password="pw") as c:
            sim.faults.fail("CurrentTime", "SystemError", probability=0.5)
            return await pattern(c, 40)

    first, again, other = await run(3), await run(3), await run(4)
    assert first == again
    assert 0 < first.count("F") < 40
    assert first != other


async def test_an_explicit_seed_wins_over_the_simulator_seed(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    a = sim.faults.fail("CurrentTime", "SystemError", probability=0.5, seed=11)
    first = await pattern(client, 30)
    sim.faults.remove(a)
    sim.faults.fail("CurrentTime", "SystemError", probability=0.5, seed=11)
    second = await pattern(client, 30)
    assert first == second


async def test_for_seconds_window_lapses(sim: Simulator, client: aiovsphere.Client) -> None:
    rule = sim.faults.http_status(503, for_seconds=30)
    with pytest.raises(aiovsphere.HTTPStatusError):
        await current_time(client)
    assert rule.active and not rule.lapsed
    assert rule.added_at is not None
    rule.added_at -= 31  # as if 31 s passed (no sleeping in tests)
    assert rule.lapsed and not rule.active
    await current_time(client)
    assert (rule.seen, rule.fired) == (1, 1)  # a lapsed rule no longer counts


async def test_method_selection(sim: Simulator, client: aiovsphere.Client) -> None:
    sim.faults.fail(["AcquireCloneTicket", "SetLocale"], "SystemError")
    await current_time(client)  # not selected
    with pytest.raises(faults.SystemError):
        await ticket(client)
    with pytest.raises(faults.SystemError):
        await client.invoke(client.service("sessionManager"), "SetLocale", locale="de")
    sim.faults.clear()
    sim.faults.fail(None, "HostCommunication")  # every call
    with pytest.raises(faults.HostCommunication):
        await client.invoke(client.service_instance, "RetrieveServiceContent")
    with pytest.raises(faults.HostCommunication):
        await current_time(client)


async def test_first_deciding_rule_wins_and_delays_add_up(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    delay = sim.faults.delay(0.001, method="CurrentTime")
    fail = sim.faults.fail("CurrentTime", "SystemError", times=1)
    status = sim.faults.http_status(502, method="CurrentTime", times=1)
    with pytest.raises(faults.SystemError):
        await current_time(client)
    # The fail decided; the status rule did not even see the call.
    assert (delay.fired, fail.fired, status.seen) == (1, 1, 0)
    with pytest.raises(aiovsphere.HTTPStatusError) as info:
        await current_time(client)
    assert info.value.status == 502
    await current_time(client)
    assert [(i.kind, i.detail) for i in sim.faults.injected] == [
        ("delay", "0.001s"), ("fail", "SystemError"),
        ("delay", "0.001s"), ("http_status", "502"),
        ("delay", "0.001s")]


# ---------------------------------------------------------------------- HTTP status
async def test_http_503_then_recovers(sim: Simulator, client: aiovsphere.Client) -> None:
    sim.faults.http_status(503, times=3)
    for _ in range(3):
        with pytest.raises(aiovsphere.HTTPStatusError) as info:
            await current_time(client)
        assert info.value.status == 503
        assert "503 Service Unavailable" in info.value.excerpt
        assert isinstance(info.value, aiovsphere.TransportError)
    await current_time(client)
    assert sim.faults.count("http_status") == 3


async def test_http_status_with_own_body_and_headers(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    sim.faults.http_status(429, "slow down", content_type="text/plain",
                           headers={"Retry-After": "1"}, method="CurrentTime")
    with pytest.raises(aiovsphere.HTTPStatusError) as info:
        await current_time(client)
    assert (info.value.status, info.value.excerpt) == (429, "slow down")


# ---------------------------------------------------------------------- truncate
@pytest.mark.parametrize("https", [False, True])
async def test_truncated_body_is_invalid_response_and_the_call_happened(
    https: bool
) -> None:
    async with Simulator(TINY, https=https) as sim:
        rule = sim.faults.truncate(method="Login", times=1)
        with pytest.raises(aiovsphere.InvalidResponseError) as info:
            async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                          thumbprint=sim.thumbprint):
                pass
        assert info.value.method == "Login"
        assert info.value.excerpt.startswith("<?xml")
        # The Login ran: its session exists though the client never got the answer.
        assert [s.user for s in sim.sessions.values()] == ["admin"]
        assert rule.fired == 1
        async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                      thumbprint=sim.thumbprint) as client:
            await current_time(client)
            sim.faults.truncate(20, method="CurrentTime")
            with pytest.raises(aiovsphere.InvalidResponseError) as cut:
                await current_time(client)
            assert cut.value.excerpt == '<?xml version="1.0" '


async def test_truncated_fault_is_invalid_response(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    sim.faults.truncate(method="TerminateSession")
    with pytest.raises(aiovsphere.InvalidResponseError) as info:
        # The handler's own fault (NotFound), cut short.
        await client.invoke(client.service("sessionManager"), "TerminateSession",
                            sessionId=["nobody"])
    assert info.value.status == 500


# ---------------------------------------------------------------------- a VM's tasks
def the_vm(sim: Simulator) -> ManagedObjectReference:
    [vm] = [obj.ref for obj in sim.model if obj.type == "VirtualMachine"]
    return vm


async def power_state(client: aiovsphere.Client, vm: ManagedObjectReference) -> str:
    props = await client.get_properties(vm, ["runtime.powerState"])
    return str(props["runtime.powerState"])


async def test_a_fault_on_a_task_method_leaves_the_vm_alone(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    vm = the_vm(sim)
    sim.faults.fail("PowerOffVM_Task", "InvalidPowerState", times=1,
                    members={"requestedState": "poweredOff", "existingState": "poweredOn"})
    with pytest.raises(faults.InvalidPowerState):
        await client.invoke(vm, "PowerOffVM_Task")
    assert await power_state(client, vm) == "poweredOn"  # the handler never ran
    await client.wait_for_task(await client.invoke(vm, "PowerOffVM_Task"))
    assert await power_state(client, vm) == "poweredOff"


async def test_a_lost_answer_to_a_task_method(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    # The answer (the Task moref) is cut short, but the power-off was started: the
    # client finds the task in the VM's recentTask and waits for it.
    vm = the_vm(sim)
    sim.faults.truncate(method="PowerOffVM_Task", times=1)
    with pytest.raises(aiovsphere.InvalidResponseError):
        await client.invoke(vm, "PowerOffVM_Task")
    [task] = (await client.get_properties(vm, ["recentTask"]))["recentTask"]
    await client.wait_for_task(task)
    assert await power_state(client, vm) == "poweredOff"


# ---------------------------------------------------------------------- drop
@pytest.mark.parametrize("https", [False, True])
@pytest.mark.parametrize("reset", [False, True])
async def test_drop_before_the_call_is_a_connect_error_and_nothing_ran(
    https: bool, reset: bool
) -> None:
    async with Simulator(TINY, https=https) as sim:
        sim.faults.drop(method="Login", reset=reset, times=1)
        with pytest.raises(aiovsphere.TransportError) as info:
            async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                          thumbprint=sim.thumbprint):
                pass
        assert isinstance(info.value, aiovsphere.ConnectError)
        assert info.value.method == "Login"
        assert sim.sessions == {}  # not served
        async with aiovsphere.connect(sim.url, user="admin", password="pw",
                                      thumbprint=sim.thumbprint) as client:
            await current_time(client)  # a new connection works
        assert sim.faults.count("drop", "Login") == 1


async def test_drop_after_the_call_loses_the_answer_only(sim: Simulator) -> None:
    sim.faults.drop(method="Login", when="after", times=1)
    with pytest.raises(aiovsphere.ConnectError):
        async with aiovsphere.connect(sim.url, user="admin", password="pw"):
            pass
    assert [s.user for s in sim.sessions.values()] == ["admin"]  # served
    assert [i.detail for i in sim.faults.injected] == ["after"]


async def test_drop_every_other_call(sim: Simulator, client: aiovsphere.Client) -> None:
    sim.faults.drop(method="CurrentTime", every=2)
    results = []
    for _ in range(4):
        try:
            await current_time(client)
            results.append("ok")
        except aiovsphere.ConnectError:
            results.append("drop")
    assert results == ["drop", "ok", "drop", "ok"]


# ---------------------------------------------------------------------- sessions
async def test_expire_sessions_ends_them_all_and_the_client_logs_in_again(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    async with aiovsphere.connect(sim.url, user="other", password="pw") as second:
        old = {s.key for s in sim.sessions.values()}
        [mine] = [s for s in sim.sessions.values() if s.user == "admin"]
        view = ManagedObjectReference("ContainerView", f"session[{mine.key}]1")
        sim.model.add(SimObject(view, {}, owner=mine.key))
        assert sim.faults.expire_sessions() == 2
        assert sim.sessions == {}
        assert sim.model.get(view) is None  # its session-scoped objects went too
        await ticket(client)  # NotAuthenticated, re-login, retry: transparent
        await ticket(second)
        assert client.stats.relogins == 1 and second.stats.relogins == 1
        assert client.session.logins == 2
        assert len(sim.sessions) == 2
        assert not old & {s.key for s in sim.sessions.values()}
        [record] = sim.faults.injected
        assert (record.kind, record.method, record.detail) == ("expire_sessions", None, "2")


async def test_injected_not_authenticated_with_the_session_gone_means_a_relogin(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    # The read and the client's session probe (currentSession) both refused: the client
    # takes the session for lost, logs in again and repeats the read.
    rule = sim.faults.fail("RetrievePropertiesEx", "NotAuthenticated", times=2)
    props = await client.get_properties(client.service("sessionManager"),
                                        ["currentSession"])
    assert props["currentSession"].userName == "admin"
    assert client.stats.relogins == 1 and rule.fired == 2
    assert sim.faults.calls["RetrievePropertiesEx"] == 3
    assert sim.faults.calls["Login"] == 2
    # The first session was never ended on the server (vCenter too keeps it until it
    # idles out): the client's second login made a second one.
    assert len(sim.sessions) == 2


async def test_injected_not_authenticated_with_the_session_alive_is_raised(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    # Refused once, but the probe finds the session alive: a permission problem, which
    # the client raises instead of logging in again.
    sim.faults.fail("RetrievePropertiesEx", "NotAuthenticated", times=1)
    with pytest.raises(faults.NotAuthenticated):
        await client.get_properties(client.service("sessionManager"), ["currentSession"])
    assert client.stats.relogins == 0
    assert sim.faults.calls["RetrievePropertiesEx"] == 2  # the read and the probe


async def test_scheduled_session_expiry(sim: Simulator, client: aiovsphere.Client) -> None:
    rule = sim.faults.add(ExpireSessions(method="AcquireCloneTicket", after=1, times=1))
    await ticket(client)
    assert client.stats.relogins == 0
    await ticket(client)  # expired on arrival: NotAuthenticated, re-login, retried
    assert client.stats.relogins == 1
    assert rule.fired == 1
    assert sim.faults.calls["AcquireCloneTicket"] == 3  # the failed one and its retry
    # A call that needs no session goes through even when it triggers the expiry.
    sim.faults.add(ExpireSessions(method="CurrentTime", times=1))
    await current_time(client)
    assert sim.sessions == {}


# ---------------------------------------------------------------------- latency
async def test_delay_slows_the_selected_method_only(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    loop = asyncio.get_running_loop()
    rule = sim.faults.delay(0.2, method="CurrentTime", times=1)
    started = loop.time()
    slow = asyncio.create_task(current_time(client))
    await ticket(client)  # another method is not held back
    await slow
    assert loop.time() - started >= 0.19  # a lower bound only: the sleep happened
    assert rule.last == 0.2
    assert [i.detail for i in sim.faults.injected] == ["0.200s"]


async def test_random_delays_are_in_range_and_seeded(client: aiovsphere.Client) -> None:
    async def draws(seed: int) -> list[float]:
        async with Simulator(TINY, seed=seed) as sim, aiovsphere.connect(
                sim.url, user="admin", password="pw") as c:
            rule = sim.faults.delay((0.001, 0.004))
            out = []
            for _ in range(5):
                await current_time(c)
                out.append(rule.last)
            return out

    first, again = await draws(1), await draws(1)
    assert first == again
    assert all(0.001 <= d <= 0.004 for d in first)
    assert len(set(first)) == 5


# ---------------------------------------------------------------------- pause
async def test_paused_server_holds_calls_until_resumed(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    async with sim.faults.paused() as pause:
        calls = [asyncio.create_task(current_time(client)) for _ in range(3)]
        await pause.wait_held(3)
        assert not any(c.done() for c in calls)
        assert pause.held == 3
    results = await asyncio.gather(*calls)
    assert len(results) == 3 and pause.held == 0 and pause.released
    assert sim.faults.rules == ()
    assert sim.faults.count("pause") == 3


async def test_pause_one_method_while_others_go_on(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    pause = sim.faults.pause(method="AcquireCloneTicket")
    delayed = sim.faults.delay(0.01, method="AcquireCloneTicket")
    held = asyncio.create_task(ticket(client))
    await pause.wait_held()
    before = await current_time(client)  # served while the other call is held
    assert not held.done()
    assert sim.faults.resume() == 1
    await held
    # The held call completed after the resume, then its delay (ordering, not timing).
    assert [i.kind for i in sim.faults.injected] == ["pause", "delay"]
    assert delayed.fired == 1 and before.tzinfo is not None
    await ticket(client)  # the pause is gone
    assert sim.faults.count("pause") == 1 and isinstance(pause, Pause)


async def test_clear_releases_held_calls_and_forgets(
    sim: Simulator, client: aiovsphere.Client
) -> None:
    pause = sim.faults.pause(method="CurrentTime")
    sim.faults.fail("AcquireCloneTicket", "SystemError")
    held = asyncio.create_task(current_time(client))
    await pause.wait_held()
    sim.faults.clear()
    await held
    await ticket(client)
    assert sim.faults.rules == () and sim.faults.injected == ()
    assert sim.faults.calls == {"AcquireCloneTicket": 1}


async def test_wait_injected(sim: Simulator, client: aiovsphere.Client) -> None:
    sim.faults.http_status(503, method="CurrentTime", after=1)
    waiter = asyncio.create_task(sim.faults.wait_injected("http_status", count=2))
    await current_time(client)
    await asyncio.sleep(0)
    assert not waiter.done()
    for _ in range(2):
        with pytest.raises(aiovsphere.HTTPStatusError):
            await current_time(client)
    async with asyncio.timeout(5):
        await waiter


def test_injector_is_the_simulators() -> None:
    sim = Simulator(TINY)
    assert isinstance(sim.faults, FaultInjector) and sim.faults.sim is sim
    assert sim.faults.rules == () and sim.faults.injected == ()
