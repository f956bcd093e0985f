"""A closed client, a killed or hung server, and many calls at once."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from aiohttp import web

import aiovsphere
from aiovsphere import _session
from tools.vcsim.launcher import Vcsim

from ._support import HostileServer, leak_checks, other_tasks, response, session_users


# ---------------------------------------------------------------------- after close()
async def test_a_closed_client_refuses_calls_instead_of_reopening(vcsim_url: str) -> None:
    with leak_checks() as problems:
        async with aiovsphere.connect(vcsim_url, user="adv-closed", password="pw") as client:
            root = client.content.rootFolder
        attempts = [
            client.get_properties(root, ["name"]),
            client.invoke(client.service_instance, "CurrentTime"),
            client.open(),
            client.session.login("adv-closed", "pw"),
        ]
        for attempt in attempts:
            with pytest.raises(RuntimeError, match="closed"):
                await asyncio.wait_for(attempt, 5)
            assert client.transport._session is None  # type: ignore[attr-defined]
        await client.close()  # still a no-op
    assert problems == []


async def test_calls_racing_close_end_cleanly(vcsim_url: str, observer: aiovsphere.Client
                                             ) -> None:
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        client = aiovsphere.Client(vcsim_url, max_in_flight=4)
        await client.open()
        await client.session.login("adv-race-close", "pw")
        root = client.content.rootFolder
        tasks = [asyncio.create_task(client.get_properties(root, ["name"])) for _ in range(50)]
        await asyncio.sleep(0)
        await client.close()
        results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        for r in results:
            assert r == {"name": "Datacenters"} or isinstance(
                r, (aiovsphere.VSphereError, RuntimeError)), repr(r)
        assert client.stats.in_flight == 0 and client.stats.queued == 0
        assert client.transport._session is None  # type: ignore[attr-defined]
        del client, tasks, results
        await asyncio.sleep(0)
        assert other_tasks(baseline) == set()
    assert problems == []
    assert "adv-race-close" not in await session_users(observer)


# ---------------------------------------------------------------------- a killed server
def _kill(sim: Vcsim) -> None:
    os.kill(sim.pid, signal.SIGKILL)
    sim._proc.wait()  # type: ignore[union-attr]


async def test_server_killed_between_calls_then_restarted_elsewhere() -> None:
    with leak_checks() as problems:
        first = Vcsim().start()
        try:
            client = aiovsphere.Client(first.url, keepalive=0.05)
            await client.open()
            await client.session.login("adv-killed", "pw")
            root = client.content.rootFolder
            assert await client.get_properties(root, ["name"]) == {"name": "Datacenters"}
            _kill(first)
            for _ in range(3):  # the pooled connection, then refused connects
                with pytest.raises(aiovsphere.ConnectError) as info:
                    await asyncio.wait_for(client.get_properties(root, ["name"]), 5)
                assert info.value.method == "RetrievePropertiesEx"
                assert info.value.__cause__ is None
            await asyncio.sleep(0.12)  # keep-alive ticks fail quietly meanwhile
            with Vcsim() as second:  # the server is back, on another port
                async with aiovsphere.connect(second.url, user="adv-back", password="pw") as c2:
                    assert await c2.get_properties(c2.content.rootFolder, ["name"])
                with pytest.raises(aiovsphere.ConnectError):  # the old client still points
                    await asyncio.wait_for(client.get_properties(root, ["name"]), 5)
            started = time.perf_counter()
            await client.close()  # logout fails fast: connection refused
            assert time.perf_counter() - started < 2
        finally:
            first.stop()
        del client
    assert problems == []


async def test_server_killed_mid_call() -> None:
    with leak_checks() as problems:
        with Vcsim.for_vm_count(600) as sim:
            client = aiovsphere.Client(sim.url, decode_in_thread_bytes=0)
            await client.open()
            await client.session.login("adv-killed-mid", "pw")
            view = await client.invoke(client.content.viewManager, "CreateContainerView",
                                       container=client.content.rootFolder,
                                       type=("VirtualMachine",), recursive=True)
            from aiovsphere._property import view_filter_spec
            from aiovsphere.vim import types as t
            spec = view_filter_spec(view, "VirtualMachine", None)
            calls = [asyncio.create_task(client.invoke(
                client.content.propertyCollector, "RetrievePropertiesEx", specSet=(spec,),
                options=t.RetrieveOptions())) for _ in range(6)]
            await asyncio.sleep(0.05)
            _kill(sim)
            results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
            failures = [r for r in results if isinstance(r, BaseException)]
            assert failures, "every call finished before the kill: nothing was tested"
            for r in failures:
                assert isinstance(r, aiovsphere.TransportError), repr(r)
                assert r.method == "RetrievePropertiesEx"
            assert client.stats.in_flight == 0
            started = time.perf_counter()
            await client.close()
            assert time.perf_counter() - started < 2
            del client, calls, results, failures
    assert problems == []


async def test_close_on_a_hung_server_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server answers Login, then never answers again: close() gives up on the logout
    after its budget and still closes the pool."""
    monkeypatch.setattr(_session, "_LOGOUT_TIMEOUT", 0.3)
    stop = asyncio.Event()

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "Login":
            return web.Response(
                body=response("Login", "<returnval><key>k</key><userName>u</userName>"
                              "<fullName>f</fullName><loginTime>2024-05-01T10:00:00Z"
                              "</loginTime><lastActiveTime>2024-05-01T10:00:00Z"
                              "</lastActiveTime></returnval>"),
                content_type="text/xml",
                headers={"Set-Cookie": 'vmware_soap_session="abc"; Path=/'})
        if method == "RetrieveServiceContent":
            return None
        await stop.wait()
        return web.Response(status=503)

    with leak_checks() as problems:
        async with HostileServer(handler) as server:
            client = aiovsphere.Client(server.url, version="8.0.3.0")
            await client.open()
            await client.session.login("u", "pw")
            hung = asyncio.create_task(client.invoke(client.service_instance, "CurrentTime"))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            await client.close()
            assert time.perf_counter() - started < 2
            with pytest.raises(aiovsphere.TransportError):
                await asyncio.wait_for(hung, 5)
            stop.set()
            del client, hung
    assert problems == []


async def test_cancel_while_connecting() -> None:
    """A TLS server that never finishes the handshake: cancelling the call (or its
    deadline) must close the half-open connection and restore the counters."""
    accepted: list[asyncio.StreamWriter] = []
    connected = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        connected.set()
        await reader.read()  # never answer the ClientHello

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with leak_checks() as problems:
        client = aiovsphere.Client(f"https://127.0.0.1:{port}/sdk", version="8.0.3.0",
                                   insecure=True, max_in_flight=2)
        try:
            task = asyncio.create_task(client.open())
            await asyncio.wait_for(connected.wait(), 5)
            await asyncio.sleep(0.05)  # the ClientHello is out: the handshake is pending
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            with pytest.raises(TimeoutError):
                await client.invoke(client.service_instance, "CurrentTime", timeout=0.1)
            assert client.stats.in_flight == 0 and client.stats.queued == 0
            assert client._semaphore._value == 2  # type: ignore[attr-defined]
        finally:
            await client.close()
            for writer in accepted:
                writer.close()
            server.close()
            await server.wait_closed()
        del client, task
    assert problems == []


# ---------------------------------------------------------------------- many calls
async def test_1000_concurrent_calls_with_100_in_flight(vcsim_url: str) -> None:
    with leak_checks() as problems:
        async with aiovsphere.connect(vcsim_url, user="adv-1000", password="pw",
                                      max_in_flight=100) as client:
            peak = 0
            inner = client.transport.request

            async def counting(request, sink):  # type: ignore[no-untyped-def]
                nonlocal peak
                peak = max(peak, client.stats.in_flight)
                return await inner(request, sink)

            client.transport.request = counting  # type: ignore[method-assign]
            root = client.content.rootFolder
            results = await asyncio.wait_for(asyncio.gather(
                *(client.get_properties(root, ["name"]) for _ in range(1000))), 30)
            assert results == [{"name": "Datacenters"}] * 1000
            assert peak == 100
            assert client.stats.in_flight == 0 and client.stats.queued == 0
            assert client.stats.failed == 0
    assert problems == []


async def test_two_clients_on_one_loop_share_nothing(vcsim_url: str) -> None:
    async with aiovsphere.connect(vcsim_url, user="adv-a", password="pw") as a, \
            aiovsphere.connect(vcsim_url, user="adv-b", password="pw", version="6.0") as b:
        assert a._cookie and b._cookie and a._cookie != b._cookie
        assert a.version != b.version == "6.0"
        assert a.transport is not b.transport and a.session is not b.session
        who = await asyncio.gather(
            *(c.get_properties(c.content.sessionManager, ["currentSession"]) for c in (a, b)))
        assert [w["currentSession"].userName for w in who] == ["adv-a", "adv-b"]
        calls_b = b.stats.calls
        await asyncio.gather(*(a.get_properties(a.content.rootFolder, ["name"])
                               for _ in range(20)))
        assert b.stats.calls == calls_b
        await a.close()
        # b is untouched by a's logout and close.
        assert await b.get_properties(b.content.rootFolder, ["name"]) == {"name": "Datacenters"}
        assert b.session.logged_in and b.stats.relogins == 0


async def test_login_on_a_hung_server_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancelled or timed-out Login is given ``_LOGOUT_TIMEOUT`` to land (so that a
    session the server made is not stranded), and no more; nothing is left running."""
    monkeypatch.setattr(_session, "_LOGOUT_TIMEOUT", 0.3)
    stop = asyncio.Event()

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        await stop.wait()
        return web.Response(status=503)

    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        async with HostileServer(handler) as server:
            client = aiovsphere.Client(server.url, version="8.0.3.0")
            await client.open()
            started = time.perf_counter()
            with pytest.raises(TimeoutError):
                async with aiovsphere.timeout(0.1):
                    await client.session.login("u", "pw")
            assert time.perf_counter() - started < 1.5
            assert not client.session.logged_in
            await client.close()
            assert time.perf_counter() - started < 2
            stop.set()
            del client
        await asyncio.sleep(0)
        assert other_tasks(baseline) == set()
    assert problems == []


@pytest.mark.parametrize("options", [
    {"max_in_flight": 0},  # a Semaphore(0): every call would wait forever
    {"max_in_flight": -1},
    {"keepalive": -1.0},  # sleep(-1): CurrentTime in a busy loop
    {"keepalive": float("nan")},
])
def test_options_that_would_hang_or_spin_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        aiovsphere.Client("https://vc.example.com", **options)  # type: ignore[arg-type]
