"""A transport that calls a function instead of the network (tests, captured replays)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse

__all__ = ["MockResponse", "MockTransport"]


@dataclass(slots=True)
class MockResponse:
    """What a handler returns: status, body (bytes, or chunks), content type, cookies."""

    body: bytes | list[bytes] = b""
    status: int = 200
    content_type: str = "text/xml; charset=utf-8"
    set_cookies: tuple[str, ...] = field(default=())


Handler = Callable[[HttpRequest], Awaitable[MockResponse] | MockResponse]


class MockTransport:
    """``MockTransport(handler)``: each request is answered by ``handler(request)``.

    ``requests`` records every request seen, in order.
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[HttpRequest] = []
        self.closed = False

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse:
        self.requests.append(request)
        result = self._handler(request)
        response = await result if asyncio.iscoroutine(result) else result
        assert isinstance(response, MockResponse)
        sink.start(response.status, response.content_type)
        chunks = response.body if isinstance(response.body, list) else [response.body]
        for chunk in chunks:
            sink.feed(chunk)
            await asyncio.sleep(0)
        return HttpResponse(response.status, response.content_type, response.set_cookies)

    async def close(self) -> None:
        self.closed = True
