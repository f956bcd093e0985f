"""The transport protocol: the single seam between the SOAP client and the network.

A transport performs one HTTP exchange and streams the response body into a *sink* as it
arrives (the codec's incremental parser), so large bodies are parsed while they download
and size limits apply before a body is held in memory. Implementations:
:class:`~aiovsphere.transport.http.AiohttpTransport` (the network) and
:class:`~aiovsphere.transport.mock.MockTransport` (a function as a fake server, for tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["BodySink", "HttpRequest", "HttpResponse", "Transport"]


class BodySink(Protocol):
    """Receives the response: ``start`` once with the status and content type, then the
    (decompressed) body chunk by chunk. Either may raise to stop reading; the transport
    then closes the connection and lets the exception through."""

    def start(self, status: int, content_type: str) -> None: ...

    def feed(self, chunk: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request. ``operation`` names the SOAP method (for errors and tracing)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    operation: str = ""

    def __repr__(self) -> str:  # headers may carry the session cookie: never shown
        return f"HttpRequest({self.method} {self.url} op={self.operation!r} {len(self.body)}B)"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """Status and headers of a response whose body went to the sink."""

    status: int
    content_type: str
    set_cookies: tuple[str, ...] = field(default=(), repr=False)
    retry_after: float | None = None  # seconds, from "Retry-After: <n>" (HTTP dates ignored)


class Transport(Protocol):
    """What the client needs from the network. Errors are :class:`~aiovsphere.TransportError`
    subclasses; cancellation leaves no connection half-read in the pool."""

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse: ...

    async def close(self) -> None: ...
