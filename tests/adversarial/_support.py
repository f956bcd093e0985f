"""Helpers for the adversarial tests: a hostile SOAP server on 127.0.0.1, transport wrappers
that stretch the moments cancellation is hardest to get right, and leak checks."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web

import aiovsphere
from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse
from tests._local_server import serve

NS = (
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
PASSWORD = "Adv3rsarial-S3cret!pw"  # distinctive, so a leak is easy to spot


def envelope(inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope {NS}><soapenv:Body>'
            f"{inner}</soapenv:Body></soapenv:Envelope>").encode()


def response(method: str, returnval: str = "") -> bytes:
    return envelope(f'<{method}Response xmlns="urn:vim25">{returnval}</{method}Response>')


SERVICE_CONTENT = (
    "<returnval>"
    '<rootFolder type="Folder">group-d1</rootFolder>'
    '<propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>'
    "<about><name>VMware vCenter Server</name><fullName>VMware vCenter Server 8.0.3</fullName>"
    "<vendor>VMware, Inc.</vendor><version>8.0.3</version><build>1</build>"
    "<localeVersion>INTL</localeVersion><localeBuild>000</localeBuild><osType>linux-x64</osType>"
    "<productLineId>vpx</productLineId><apiType>VirtualCenter</apiType>"
    "<apiVersion>8.0.3.0</apiVersion></about>"
    '<sessionManager type="SessionManager">SessionManager</sessionManager>'
    "</returnval>"
)
SERVICE_CONTENT_XML = response("RetrieveServiceContent", SERVICE_CONTENT)


def method_of(body: bytes) -> str:
    """The SOAP method a request body calls (cheap: the element after <soapenv:Body>)."""
    start = body.index(b"<soapenv:Body><") + len(b"<soapenv:Body><")
    return body[start : body.index(b" ", start)].decode()


Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse | None]]


class HostileServer:
    """An aiohttp server on 127.0.0.1 answering ``POST /sdk``: RetrieveServiceContent
    normally, every other method with whatever ``handler(request, method)`` returns."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.documents: dict[str, tuple[int, bytes]] = {}  # GET /sdk/<name>
        self.streamed = 0  # bytes a streaming handler managed to write
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sdk"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        method = method_of(body)
        result = await self.handler(request, method)
        if result is None:
            assert method == "RetrieveServiceContent", method
            return web.Response(body=SERVICE_CONTENT_XML, content_type="text/xml")
        return result

    async def _get(self, request: web.Request) -> web.StreamResponse:
        status, body = self.documents.get(request.match_info["name"], (404, b"Not Found"))
        return web.Response(body=body, status=status, content_type="text/xml")

    async def __aenter__(self) -> HostileServer:
        app = web.Application()
        app.router.add_route("POST", "/sdk", self._handle)
        app.router.add_route("GET", "/sdk/{name}", self._get)
        self._runner, self.port = await serve(app, shutdown_timeout=0.5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@asynccontextmanager
async def hostile(handler: Handler, **options: Any) -> AsyncIterator[aiovsphere.Client]:
    """An open client (API version pinned) of a :class:`HostileServer`."""
    async with HostileServer(handler) as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0", **options)
        try:
            await client.open()
            yield client
        finally:
            await client.close()


class Stretch:
    """Wraps a client's transport so that chosen SOAP methods pause ``before`` the request
    goes out (a slow new connection) or ``after`` the response came back (the answer still
    in transit: the server acted, the client has not heard). ``entered[method]`` is set
    when a paused request reaches its pause."""

    def __init__(self, client: aiovsphere.Client, *, before: dict[str, float] | None = None,
                 after: dict[str, float] | None = None) -> None:
        self.inner = client.transport
        self.before = before or {}
        self.after = after or {}
        self.entered: dict[str, asyncio.Event] = {
            m: asyncio.Event() for m in {*self.before, *self.after}
        }
        self.sent: list[str] = []
        client.transport = self

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse:
        op = request.operation
        if op in self.before:
            self.entered[op].set()
            await asyncio.sleep(self.before[op])
        self.sent.append(op)
        response = await self.inner.request(request, sink)
        if op in self.after:
            self.entered[op].set()
            await asyncio.sleep(self.after[op])
        return response

    async def close(self) -> None:
        await self.inner.close()


async def session_users(observer: aiovsphere.Client) -> list[str]:
    """User names of the sessions vcsim holds (vim.SessionManager.sessionList)."""
    props = await observer.get_properties(observer.content.sessionManager, ["sessionList"])
    return [s.userName for s in props.get("sessionList", ())]


@contextmanager
def leak_checks() -> Iterator[list[str]]:
    """Collects what a leak looks like: loop exception-handler calls ("Task exception was
    never retrieved", "Unclosed client session") and ResourceWarnings, after a gc pass."""
    loop = asyncio.get_running_loop()
    problems: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _l, ctx: problems.append(str(ctx.get("message"))))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield problems
            gc.collect()
        problems.extend(f"{w.category.__name__}: {w.message}" for w in caught
                        if issubclass(w.category, ResourceWarning)
                        or "Unclosed" in str(w.message))
    finally:
        loop.set_exception_handler(previous)


def other_tasks(baseline: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Tasks alive now that were not at ``baseline`` (minus the current one)."""
    return {t for t in asyncio.all_tasks() if not t.done()} - baseline - {asyncio.current_task()}
