"""Transport retries (aiovsphere._retry.RetryPolicy): idempotent reads are sent again after
connection errors and 502/503/504 with jittered backoff inside the call's deadline;
non-idempotent methods are sent once unless the connect itself failed; the method rule
holds over the whole schema."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

import aiovsphere
from aiovsphere import Client, ConnectError, HTTPStatusError, RetryPolicy, _retry
from aiovsphere._errors import (
    EncodeError,
    InvalidResponseError,
    ResponseTooLargeError,
    SoapFault,
    TransportError,
)
from aiovsphere._retry import is_idempotent, is_teardown, transport_failure
from aiovsphere.simulator import Simulator
from aiovsphere.simulator._inventory import InventorySpec
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import MethodInfo, schema

from ._soap import PASSWORD, FakeVC

TINY = InventorySpec(clusters=0, hosts=1, vms=1, dvs=False)
SI = ManagedObjectReference("ServiceInstance", "ServiceInstance")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(TINY, seed=3) as sim:
        yield sim


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits the policy asked for; nothing actually sleeps."""
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(_retry, "_sleep", fake_sleep)
    return waits


async def _connect(sim: Simulator, **options: Any) -> AsyncIterator[Client]:
    async with aiovsphere.connect(sim.url, user="admin", password="pw", **options) as c:
        yield c


@pytest.fixture
async def client(sim: Simulator, sleeps: list[float]) -> AsyncIterator[Client]:
    async for c in _connect(sim):
        yield c


def _calls(sim: Simulator, method: str) -> int:
    """Requests for ``method`` that reached the simulator (counted before any rule)."""
    return sim.faults.calls[method]


# ---------------------------------------------------------------------- reads
@pytest.mark.parametrize("status", [502, 503, 504])
async def test_a_read_that_fails_twice_succeeds_on_the_third_attempt(
    sim: Simulator, client: Client, sleeps: list[float], status: int
) -> None:
    sim.faults.http_status(status, method="CurrentTime", times=2)
    before, retries = _calls(sim, "CurrentTime"), client.stats.retries
    value = await client.invoke(SI, "CurrentTime")
    assert value.year >= 2024
    assert _calls(sim, "CurrentTime") - before == 3
    assert client.stats.retries - retries == 2
    assert len(sleeps) == 2


async def test_get_properties_is_retried_too(
    sim: Simulator, client: Client, sleeps: list[float]
) -> None:
    root = client.content.rootFolder
    sim.faults.http_status(503, method="RetrievePropertiesEx", times=2)
    before = _calls(sim, "RetrievePropertiesEx")
    props = await client.get_properties(root, ["name"])
    assert props == {"name": "Datacenters"}
    assert _calls(sim, "RetrievePropertiesEx") - before == 3


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_dropped_connection_is_retried_for_a_read(
    sim: Simulator, client: Client, sleeps: list[float], when: str
) -> None:
    sim.faults.drop(method="CurrentTime", when=when, times=1)  # type: ignore[arg-type]
    before = _calls(sim, "CurrentTime")
    await client.invoke(SI, "CurrentTime")
    assert _calls(sim, "CurrentTime") - before == 2
    assert sim.faults.count("drop", "CurrentTime") == 1


async def test_a_read_gives_up_after_attempts_with_the_typed_error(
    sim: Simulator, client: Client, sleeps: list[float]
) -> None:
    sim.faults.http_status(503, method="CurrentTime")
    before = _calls(sim, "CurrentTime")
    with pytest.raises(HTTPStatusError) as info:
        await client.invoke(SI, "CurrentTime")
    assert info.value.status == 503 and info.value.method == "CurrentTime"
    assert _calls(sim, "CurrentTime") - before == 4  # the default: 4 sends in all
    assert len(sleeps) == 3


async def test_other_statuses_and_faults_are_not_retried(
    sim: Simulator, client: Client, sleeps: list[float]
) -> None:
    sim.faults.http_status(404, method="CurrentTime", times=1)
    before = _calls(sim, "CurrentTime")
    with pytest.raises(HTTPStatusError):
        await client.invoke(SI, "CurrentTime")
    sim.faults.fail("CurrentTime", "SystemError", times=1)
    with pytest.raises(aiovsphere.faults.SystemError):
        await client.invoke(SI, "CurrentTime")
    sim.faults.truncate(method="CurrentTime", times=1)
    with pytest.raises(InvalidResponseError):
        await client.invoke(SI, "CurrentTime")
    assert _calls(sim, "CurrentTime") - before == 3
    assert sleeps == []


async def test_retry_none_sends_once(sim: Simulator, sleeps: list[float]) -> None:
    async for client in _connect(sim, retry=None):
        sim.faults.http_status(503, method="CurrentTime", times=2)
        before = _calls(sim, "CurrentTime")
        with pytest.raises(HTTPStatusError):
            await client.invoke(SI, "CurrentTime")
        assert _calls(sim, "CurrentTime") - before == 1
        sim.faults.drop(method="RetrievePropertiesEx", times=1)
        with pytest.raises(ConnectError):
            await client.get_properties(client.content.rootFolder, ["name"])
        assert client.stats.retries == 0 and sleeps == []


async def test_a_custom_policy_sets_the_attempts(sim: Simulator, sleeps: list[float]) -> None:
    async for client in _connect(sim, retry=RetryPolicy(attempts=2)):
        sim.faults.http_status(503, method="CurrentTime")
        before = _calls(sim, "CurrentTime")
        with pytest.raises(HTTPStatusError):
            await client.invoke(SI, "CurrentTime")
        assert _calls(sim, "CurrentTime") - before == 2
        sim.faults.clear()


# ---------------------------------------------------------------------- non-idempotent
Params = dict[str, Any]


def _non_idempotent_calls(client: Client) -> dict[str, tuple[ManagedObjectReference, Params]]:
    root = client.content.rootFolder
    return {
        "CreateContainerView": (client.service("viewManager"),
                                {"container": root, "type": ["VirtualMachine"],
                                 "recursive": True}),
        "Destroy_Task": (root, {}),
        "Rename_Task": (root, {"newName": "renamed"}),
        "ContinueRetrievePropertiesEx": (client.service("propertyCollector"),
                                         {"token": "1"}),
        "CreateFolder": (root, {"name": "new-folder"}),
    }


@pytest.mark.parametrize("method", ["CreateContainerView", "Destroy_Task", "Rename_Task",
                                    "ContinueRetrievePropertiesEx", "CreateFolder"])
@pytest.mark.parametrize("fault", ["503", "drop", "reset", "drop-after"])
async def test_non_idempotent_methods_are_sent_exactly_once(
    sim: Simulator, client: Client, sleeps: list[float], method: str, fault: str
) -> None:
    ref, params = _non_idempotent_calls(client)[method]
    if fault == "503":
        sim.faults.http_status(503, method=method, times=1)
        expected: type[Exception] = HTTPStatusError
    else:
        sim.faults.drop(method=method, times=1, reset=fault == "reset",
                        when="after" if fault == "drop-after" else "before")
        expected = ConnectError
    before, retries = _calls(sim, method), client.stats.retries
    with pytest.raises(expected) as info:
        await client.invoke(ref, method, **params)
    assert info.value.method == method
    assert _calls(sim, method) - before == 1
    assert client.stats.retries == retries and sleeps == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("retry_unsent", [True, False])
async def test_a_refused_connect_is_retried_for_any_method(
    sleeps: list[float], retry_unsent: bool
) -> None:
    """The request provably never left, so even CreateContainerView is sent again (unless
    ``retry_unsent=False``); the typed ConnectError comes out at the end."""
    policy = RetryPolicy(retry_unsent=retry_unsent)
    client = Client(f"http://127.0.0.1:{_closed_port()}", version="8.0.3.0", retry=policy)
    folder = ManagedObjectReference("Folder", "group-d1")
    views = ManagedObjectReference("ViewManager", "ViewManager")
    try:
        with pytest.raises(ConnectError) as info:
            await client.invoke(views, "CreateContainerView", container=folder,
                                type=["VirtualMachine"], recursive=True)
    finally:
        await client.close()
    assert transport_failure(info.value) == "unsent"
    assert client.stats.calls == (4 if retry_unsent else 1)
    assert client.stats.retries == (3 if retry_unsent else 0)


async def test_teardown_calls_fail_fast_on_a_refused_connect(sleeps: list[float]) -> None:
    """DestroyView, CancelRetrievePropertiesEx, Logout: a dead server must not make a
    close take seconds; the server frees their objects with the session anyway."""
    client = Client(f"http://127.0.0.1:{_closed_port()}", version="8.0.3.0")
    calls = {
        "DestroyView": (ManagedObjectReference("ContainerView", "session[1]1"), {}),
        "CancelRetrievePropertiesEx": (
            ManagedObjectReference("PropertyCollector", "propertyCollector"), {"token": "1"}),
        "Logout": (ManagedObjectReference("SessionManager", "SessionManager"), {}),
    }
    try:
        for method, (ref, params) in calls.items():
            before = client.stats.calls
            with pytest.raises(ConnectError):
                await client.invoke(ref, method, **params)
            assert client.stats.calls - before == 1, method
    finally:
        await client.close()
    assert client.stats.retries == 0 and sleeps == []
    assert is_teardown(_method("DestroyPropertyCollector"))
    assert not is_teardown(_method("Destroy_Task"))  # a task: not a teardown of ours


# ---------------------------------------------------------------------- TLS: never
async def test_tls_failures_are_not_retried(sleeps: list[float]) -> None:
    async with Simulator(TINY, https=True) as sim:
        for options in ({}, {"thumbprint": "ab" * 32}):
            client = Client(sim.url, version="8.0.3.0", **options)  # type: ignore[arg-type]
            try:
                with pytest.raises(ConnectError) as info:
                    await client.invoke(SI, "CurrentTime")
            finally:
                await client.close()
            assert transport_failure(info.value) is None
            assert client.stats.calls == 1 and client.stats.retries == 0
    assert sleeps == []


# ---------------------------------------------------------------------- deadlines
@pytest.mark.parametrize("how", ["timeout=", "aiovsphere.timeout"])
async def test_retries_stop_at_the_deadline(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """A server that always says 503, a policy that would retry for minutes, a 0.5 s
    deadline: the call ends with the last HTTPStatusError (or TimeoutError) by then, and
    the server saw a handful of requests. Waits are the window's maximum (no jitter) so
    the count is bounded: 0.05 + 0.1 + 0.2 + 0.4 > 0.5."""
    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: b))
    policy = RetryPolicy(attempts=100, initial_backoff=0.05, max_backoff=30.0)
    async for client in _connect(sim, retry=policy):
        sim.faults.http_status(503, method="CurrentTime")
        before = _calls(sim, "CurrentTime")
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(10):  # no hang
            with pytest.raises((HTTPStatusError, TimeoutError)):
                if how == "timeout=":
                    await client.invoke(SI, "CurrentTime", timeout=0.5)
                else:
                    async with aiovsphere.timeout(0.5):
                        await client.invoke(SI, "CurrentTime")
        assert loop.time() - started < 5  # far below attempts * max_backoff
        assert 1 <= _calls(sim, "CurrentTime") - before <= 5
        sim.faults.clear()


async def test_no_retry_once_the_budget_is_spent(sim: Simulator, sleeps: list[float]) -> None:
    """A first attempt that fails at (or past) the deadline is not followed by another."""
    async for client in _connect(sim):
        sim.faults.delay(0.3, method="CurrentTime")
        sim.faults.http_status(503, method="CurrentTime")
        before = _calls(sim, "CurrentTime")
        with pytest.raises((HTTPStatusError, TimeoutError)):
            await client.invoke(SI, "CurrentTime", timeout=0.2)
        assert _calls(sim, "CurrentTime") - before == 1
        assert sleeps == []
        sim.faults.clear()


async def test_cancelled_during_backoff_sends_nothing_more(
    fake: FakeVC, monkeypatch: pytest.MonkeyPatch
) -> None:
    waiting = asyncio.Event()

    async def stuck(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(_retry, "_sleep", stuck)
    fake.on["CurrentTime"] = _raise(ConnectError("connection reset", method="CurrentTime"))
    async with Client("https://vc.example.com", transport=fake.transport,
                      version="8.0.3.0") as client:
        task = asyncio.create_task(client.invoke(SI, "CurrentTime"))
        async with asyncio.timeout(5):
            await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert fake.count("CurrentTime") == 1


# ---------------------------------------------------------------------- jitter
def _raise(exc: Exception) -> Any:
    def handler(call: Any) -> Any:
        raise exc
    return handler


async def test_waits_are_full_jitter_within_the_exponential_window(
    fake: FakeVC, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[tuple[float, float]] = []

    class Source:
        def uniform(self, low: float, high: float) -> float:
            drawn.append((low, high))
            return high * 0.5

    monkeypatch.setattr(_retry, "_random", Source())
    fake.on["CurrentTime"] = _raise(ConnectError("connection reset", method="CurrentTime"))
    policy = RetryPolicy(attempts=6, initial_backoff=0.1, max_backoff=0.3)
    async with Client("https://vc.example.com", transport=fake.transport,
                      version="8.0.3.0", retry=policy) as client:
        with pytest.raises(ConnectError):
            await client.invoke(SI, "CurrentTime")
    # (tenacity draws a wait after the last attempt too, before its stop check says no)
    assert [low for low, _ in drawn] == [0.0] * 6
    assert [high for _, high in drawn] == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3, 0.3])
    assert sleeps == pytest.approx([0.05, 0.1, 0.15, 0.15, 0.15])
    assert [policy.backoff_window(n) for n in range(1, 6)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.3, 0.3])
    assert fake.count("CurrentTime") == 6


async def test_random_waits_stay_in_bounds(
    fake: FakeVC, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retry, "_random", random.Random(5))
    fake.on["CurrentTime"] = _raise(ConnectError("connection reset", method="CurrentTime"))
    policy = RetryPolicy(attempts=8, initial_backoff=0.1, max_backoff=1.0)
    async with Client("https://vc.example.com", transport=fake.transport,
                      version="8.0.3.0", retry=policy) as client:
        for _ in range(5):
            with pytest.raises(ConnectError):
                await client.invoke(SI, "CurrentTime")
    assert len(sleeps) == 5 * 7
    for i, wait in enumerate(sleeps):
        assert 0.0 <= wait <= policy.backoff_window(i % 7 + 1)
    assert len(set(sleeps)) > 30  # drawn, not fixed


async def test_retry_after_is_honoured_up_to_the_max_backoff(
    fake: FakeVC, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_retry, "_random", SimpleNamespace(uniform=lambda a, b: 0.0))
    errors = iter([1.5, 9.0])

    def busy(call: Any) -> Any:
        exc = HTTPStatusError(503, b"busy", method="CurrentTime")
        exc.retry_after = next(errors, None)  # type: ignore[attr-defined]
        raise exc

    fake.on["CurrentTime"] = busy
    async with Client("https://vc.example.com", transport=fake.transport,
                      version="8.0.3.0", retry=RetryPolicy(attempts=3)) as client:
        with pytest.raises(HTTPStatusError):
            await client.invoke(SI, "CurrentTime")
    assert sleeps == [1.5, 2.0]


async def test_each_retry_is_logged_without_secrets(
    fake: FakeVC, sleeps: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    fake.on["CurrentTime"] = _raise(HTTPStatusError(
        503, f"<html>{PASSWORD}</html>".encode(), method="CurrentTime"))
    async with Client("https://vc.example.com", transport=fake.transport,
                      version="8.0.3.0") as client:
        await client.session.login(fake.user, fake.password)
        with caplog.at_level(logging.DEBUG, logger="aiovsphere"), pytest.raises(
                HTTPStatusError):
            await client.invoke(SI, "CurrentTime")
        cookie = client._cookie
    lines = [r.getMessage() for r in caplog.records if r.name == "aiovsphere"
             and r.getMessage().startswith("retrying")]
    assert lines == [f"retrying CurrentTime (attempt {n} of 4) after HTTPStatusError"
                     for n in (2, 3, 4)]
    assert cookie and all(cookie not in line and PASSWORD not in line for line in lines)


# ---------------------------------------------------------------------- classification
def _all_methods() -> list[MethodInfo]:
    s = schema()
    seen: dict[str, MethodInfo] = {}
    for name in s.managed_type_names():
        for info in s.managed(name).methods.values():
            seen.setdefault(info.name, info)
    return list(seen.values())


def _method(name: str) -> MethodInfo:
    info = schema().find_method(name)
    assert info is not None, name
    return info


def test_the_idempotency_rule_over_the_whole_schema() -> None:
    methods = _all_methods()
    reads = {m.name for m in methods if is_idempotent(m)}
    assert 100 < len(reads) < len(methods) / 4
    never = ("Destroy", "Rename", "Create", "Cancel", "Continue", "Read", "Rewind", "Reset",
             "Login", "Logout", "Terminate", "Acquire", "Clone")
    for m in methods:
        if m.name.endswith("_Task") or m.name.startswith(never):
            assert m.name not in reads, m.name
        if m.name in reads and m.name != "SessionIsActive":
            assert m.privilege in {"System.Anonymous", "System.View", "System.Read"}, m.name
    for name in ("RetrievePropertiesEx", "RetrieveProperties", "CurrentTime",
                 "RetrieveServiceContent", "SessionIsActive", "FindByInventoryPath",
                 "FindChild", "QueryPerf", "QueryAvailablePerfMetric", "HasPrivilegeOnEntity",
                 "FetchDVPorts", "QueryEvents", "getVchaConfig", "RetrieveProductComponents"):
        assert name in reads, name
    for name in ("CreateContainerView", "DestroyView", "Destroy_Task", "Rename_Task",
                 "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
                 "WaitForUpdates", "WaitForUpdatesEx", "CheckForUpdates", "CreateFilter",
                 "ReadNextEvents", "ReadNextTasks", "RewindCollector", "ResetCollector",
                 "Login", "Logout", "TerminateSession", "AcquireCloneTicket", "CloneSession",
                 "QueryNext", "QueryHostPatch_Task", "PowerOnVM_Task", "RenameVStorageObject",
                 "CancelWaitForUpdates", "ListKeys", "RetrieveUserGroups", "GetCustomizationSpec",
                 "VsanHostQueryRunIperfClient", "ChangePassword", "SetLocale"):
        assert name not in reads, name


def test_a_policy_can_name_its_own_methods(fake: FakeVC) -> None:
    policy = RetryPolicy(idempotent=lambda m: is_idempotent(m) or m.name == "CreateFolder")
    exc = ConnectError("reset", method="CreateFolder")
    assert policy.should_retry(exc, idempotent=policy.idempotent(_method("CreateFolder")))
    assert not RetryPolicy().should_retry(
        exc, idempotent=RetryPolicy().idempotent(_method("CreateFolder")))


def _chained(error: Exception, cause: BaseException) -> Exception:
    """``error`` raised while handling ``cause`` with ``from None``, as the transport does."""
    try:
        try:
            raise cause
        except BaseException:
            raise error from None
    except Exception as exc:
        return exc


def _unsent(exc: ConnectError) -> ConnectError:
    exc.unsent = True
    return exc


async def test_the_aiohttp_transport_marks_a_refused_connect_unsent() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = aiovsphere.Client(f"http://127.0.0.1:{port}/sdk", version="8.0.3.0",
                               retry=None)
    try:
        with pytest.raises(ConnectError) as info:
            await client.invoke(client.service_instance, "CurrentTime")
    finally:
        await client.close()
    assert info.value.unsent is True
    assert transport_failure(info.value) == "unsent"


def test_transport_failure_kinds() -> None:
    key = SimpleNamespace(host="vc", port=443, ssl=True)
    refused = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))  # type: ignore[arg-type]
    certificate = aiohttp.ClientConnectorCertificateError(key, ValueError("bad cert"))  # type: ignore[arg-type]
    pinned = aiohttp.ServerFingerprintMismatch(b"a", b"b", "vc", 443)
    cases: list[tuple[BaseException, str | None]] = [
        (_unsent(_chained(ConnectError("x"), refused)), "unsent"),
        (_chained(ConnectError("x"), refused), "lost"),  # the transport did not say unsent
        (_chained(ConnectError("x"), certificate), None),
        (_chained(ConnectError("x"), pinned), None),
        (_chained(ConnectError("x"), aiohttp.ConnectionTimeoutError()), None),
        (_chained(ConnectError("x"), aiohttp.ServerDisconnectedError()), "lost"),
        (_chained(ConnectError("x"), ConnectionResetError(104, "reset")), "lost"),
        (_chained(TransportError("lost"), aiohttp.ClientPayloadError("cut")), "lost"),
        (_chained(TransportError("bad"), aiohttp.ClientResponseError(
            SimpleNamespace(real_url="u"), (), status=400)), None),  # type: ignore[arg-type]
        (ConnectError("no cause (MockTransport)"), "lost"),
        (TransportError("no cause"), None),
        (HTTPStatusError(503, b""), "status"),
        (InvalidResponseError("html"), None),
        (ResponseTooLargeError(10), None),
        (SoapFault("boom"), None),
        (EncodeError("bad"), None),
        (TimeoutError(), None),
        (asyncio.CancelledError(), None),
    ]
    for exc, kind in cases:
        assert transport_failure(exc) == kind, exc
    policy = RetryPolicy()
    assert policy.should_retry(cases[0][0], idempotent=False)
    assert not policy.should_retry(cases[5][0], idempotent=False)
    assert policy.should_retry(cases[5][0], idempotent=True)
    assert not policy.should_retry(HTTPStatusError(500, b""), idempotent=True)
    assert not RetryPolicy(retry_unsent=False).should_retry(cases[0][0], idempotent=False)


def test_policy_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=3, max_backoff=2)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=-1)
    assert RetryPolicy(statuses={503}).statuses == frozenset({503})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Client("https://vc.example.com", retry=4)  # type: ignore[arg-type]
    p = RetryPolicy()
    assert (p.attempts, p.initial_backoff, p.max_backoff) == (4, 0.1, 2.0)
    with pytest.raises(AttributeError):
        p.attempts = 9  # type: ignore[misc]


async def test_retry_after_from_the_response_sets_the_wait(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """A 503 with ``Retry-After: 1`` carries it on the error, and the policy waits at
    least that long (capped by max_backoff) before the next attempt."""
    from aiohttp import web

    from aiovsphere import _retry
    from tests.adversarial._support import HostileServer

    seen: list[str] = []
    sleeps: list[float] = []

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        seen.append(method)
        return web.Response(status=503, text="busy", headers={"Retry-After": "1"})

    async def no_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    monkeypatch.setattr(_retry, "_sleep", no_sleep)
    async with HostileServer(handler) as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0",
                                   retry=RetryPolicy(attempts=2, max_backoff=5.0))
        try:
            await client.open()
            with pytest.raises(HTTPStatusError) as info:
                await client.invoke(client.service_instance, "CurrentTime")
        finally:
            await client.close()
    assert info.value.retry_after == 1.0
    assert seen == ["CurrentTime", "CurrentTime"]
    assert len(sleeps) == 1 and sleeps[0] >= 1.0
