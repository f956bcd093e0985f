"""The fake vCenter of ``tests/client/_soap.py`` behind a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

from aiohttp import web
from client._soap import FakeVC
from multidict import CIMultiDict

from aiovsphere.transport.base import HttpRequest
from aiovsphere.transport.mock import MockResponse
from tests._local_server import serve

# shape(request, fake response) -> what goes on the wire (None: the plain response).
Shaper = Callable[[web.Request, MockResponse], Awaitable[web.StreamResponse | None]]


def headers_of(response: MockResponse) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    headers["Content-Type"] = response.content_type
    for cookie in response.set_cookies:
        headers.add("Set-Cookie", cookie)
    return headers


def body_of(response: MockResponse) -> bytes:
    return response.body if isinstance(response.body, bytes) else b"".join(response.body)


class VCServer:
    """``async with VCServer(fake) as server: Client(server.url, ...)``.

    ``shape`` rewrites responses on the wire (compression, chunking, cutting a body short);
    ``handled`` counts requests that reached the handler.
    """

    def __init__(self, fake: FakeVC | None = None, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.fake = fake or FakeVC()
        self.ssl_context = ssl_context
        self.shape: Shaper | None = None
        self.handled = 0
        self.shaped = 0
        self.peers: set[tuple[str, int]] = set()
        self.stopping = asyncio.Event()  # stalled handlers wait on this
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/sdk"

    async def __aenter__(self) -> VCServer:
        app = web.Application()
        app.router.add_route("*", "/sdk", self._handle)
        app.router.add_route("GET", "/sdk/{name}", self._handle)
        self._runner, self.port = await serve(app, shutdown_timeout=2.0,
                                              ssl_context=self.ssl_context)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        self.stopping.set()
        await self._runner.cleanup()

    def open_connections(self) -> int:
        """Server-side connections whose socket is still open."""
        assert self._runner is not None and self._runner.server is not None
        return sum(
            1 for h in self._runner.server.connections
            if h.transport is not None and not h.transport.is_closing()
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.handled += 1
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.peers.add(peer[:2])
        body = await request.read()
        req = HttpRequest(request.method, str(request.url), dict(request.headers), body, "")
        response = await self.fake.handle(req)
        if self.shape is not None:
            shaped = await self.shape(request, response)
            if shaped is not None:
                self.shaped += 1
                return shaped
        return web.Response(body=body_of(response), status=response.status,
                            headers=headers_of(response))
