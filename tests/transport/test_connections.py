"""Connection failures and mid-body cancellation on the real aiohttp transport."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import pytest
from aiohttp import web
from client._soap import PASSWORD, USER, Call, FakeVC

import aiovsphere
from aiovsphere import Client
from aiovsphere.transport.http import AiohttpTransport
from aiovsphere.transport.mock import MockResponse

from ._server import VCServer, body_of, headers_of


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _connector(client: Client) -> aiohttp.BaseConnector:
    transport = client.transport
    assert isinstance(transport, AiohttpTransport)
    session = transport._session
    assert session is not None
    return session.connector  # type: ignore[return-value]


def _acquired(client: Client) -> int:
    return len(_connector(client)._acquired)


@contextmanager
def _no_unclosed_warnings() -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect()
    bad = [str(w.message) for w in caught
           if issubclass(w.category, ResourceWarning) or "Unclosed" in str(w.message)]
    assert bad == []


async def _current_time(client: Client, **kw: float) -> object:
    return await client.invoke(client.service_instance, "CurrentTime", **kw)


async def test_connection_refused_is_connect_error() -> None:
    client = Client(f"http://127.0.0.1:{_free_port()}", version="8.0.3.0")
    try:
        with pytest.raises(aiovsphere.ConnectError) as info:
            await client.open()
        assert info.value.method == "RetrieveServiceContent"
        assert info.value.url is not None and info.value.url.endswith("/sdk")
        assert client.stats.in_flight == 0
    finally:
        await client.close()


async def test_connection_refused_during_negotiation_is_connect_error() -> None:
    client = Client(f"http://127.0.0.1:{_free_port()}")
    try:
        with pytest.raises(aiovsphere.ConnectError):
            await client.open()
    finally:
        await client.close()


def _half_then(action: str, server: VCServer) -> None:
    """Send the headers and half the body, then close the socket or stall."""

    async def shape(request: web.Request, response: MockResponse) -> web.StreamResponse:
        if request.method != "POST" or b"CurrentTime" not in await request.read():
            return None  # type: ignore[return-value]
        body = body_of(response)
        out = web.StreamResponse(status=200, headers=headers_of(response))
        out.content_length = len(body)
        await out.prepare(request)
        await out.write(body[: len(body) // 2])
        if action == "close":
            assert request.transport is not None
            request.transport.close()
            return out
        await server.stopping.wait()  # stall until the server shuts down
        return out

    server.shape = shape


async def test_server_closes_mid_body_is_transport_error(
    server: VCServer, client: Client
) -> None:
    with _no_unclosed_warnings():
        _half_then("close", server)
        with pytest.raises(aiovsphere.TransportError) as info:
            await _current_time(client)
        exc = info.value
        assert type(exc) is aiovsphere.TransportError  # not a ConnectError: it was connected
        assert exc.method == "CurrentTime"
        assert "connection lost while reading the response" in str(exc)
        assert client.stats.in_flight == 0
        assert _acquired(client) == 0
        server.shape = None
        assert (await _current_time(client)).year == 2024  # type: ignore[attr-defined]


@pytest.mark.parametrize("how", ["timeout", "cancel"])
async def test_cancel_mid_body_leaves_the_pool_healthy(
    server: VCServer, client: Client, how: str
) -> None:
    with _no_unclosed_warnings():
        await _current_time(client)  # one pooled keep-alive connection
        assert server.open_connections() == 1
        _half_then("stall", server)
        if how == "timeout":
            with pytest.raises(TimeoutError):
                await _current_time(client, timeout=0.2)
        else:
            task = asyncio.create_task(_current_time(client))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert server.fake.count("CurrentTime") == 2
        # The half-read connection was closed, not pooled: nothing is checked out, and the
        # server sees that socket close.
        assert _acquired(client) == 0
        assert client.stats.in_flight == 0
        for _ in range(50):
            if server.open_connections() == 0:
                break
            await asyncio.sleep(0.01)
        assert server.open_connections() == 0
        # The next call succeeds, on a new connection.
        server.shape = None
        peers = len(server.peers)
        assert (await _current_time(client)).year == 2024  # type: ignore[attr-defined]
        assert len(server.peers) == peers + 1
        assert _acquired(client) == 0
        assert server.open_connections() == 1
        await client.close()
        for _ in range(50):
            if server.open_connections() == 0:
                break
            await asyncio.sleep(0.01)
        assert server.open_connections() == 0


async def test_keep_alive_connection_is_reused(server: VCServer, client: Client) -> None:
    peers = set(server.peers)
    for _ in range(5):
        await _current_time(client)
    assert server.peers == peers  # sequential calls reuse the pooled connection
    assert len(_connector(client)._conns) == 1


async def test_close_closes_connections(fake: FakeVC) -> None:
    with _no_unclosed_warnings():
        async with VCServer(fake) as server:
            client = Client(server.url, version="8.0.3.0")
            await client.open()
            await client.session.login(USER, PASSWORD)
            await asyncio.gather(*(_current_time(client) for _ in range(8)))
            assert server.open_connections() >= 1
            connector = _connector(client)
            await client.close()
            assert connector.closed
            assert fake.methods[-1] == "Logout"
            for _ in range(50):
                if server.open_connections() == 0:
                    break
                await asyncio.sleep(0.01)
            assert server.open_connections() == 0


async def test_cookie_round_trip_on_the_wire(server: VCServer, client: Client) -> None:
    (key,) = server.fake.sessions
    await _current_time(client)
    call: Call = server.fake.calls[-1]
    assert call.cookie == key
    assert call.request.headers["SOAPAction"] == '"urn:vim25/8.0.3.0"'
    assert call.request.headers["Content-Type"].startswith("text/xml")
