"""A fault-injecting HTTP/1.1 proxy on loopback, between the client and the server.

Why our own, on h11, and not Toxiproxy (the tool we would have chosen): Toxiproxy is a
Go program, and neither this machine nor CI can fetch it (the Go module proxy is not
reachable; Debian, PyPI and npm ship only its clients). mitmproxy is HTTP-only and its
last release for our Python (11.0.2) pins cryptography below our version; the small
asyncio TCP chaos proxies on PyPI are alpha and drop bytes silently instead of failing
the connection. So the framing comes from h11 (python-hyper's HTTP/1.1 state machine:
we parse nothing by hand) and the faults are Toxiproxy's, under its names:

=================  ==========================================================  ============
fault              what the client sees                                        Toxiproxy
=================  ==========================================================  ============
``latency``        every response head held this many seconds                  latency
``bandwidth``      response bodies trickle at this many bytes a second         bandwidth
``stall``          responses held until the stall is lifted                    timeout
``reset``          with probability ``p``, the connection reset (RST) after    reset_peer,
                   ``after`` bytes of the response body                        limit_data
``status``         the next N requests answered by the proxy with e.g. 503     (none: HTTP)
``down``           connections reset at once; the upstream is not contacted    enabled=false
=================  ==========================================================  ============

A dead upstream (server killed) resets the client's connection, as Toxiproxy does.
``upstream`` can be changed at any time (a restarted server on a new port). Only for
tests: it listens on 127.0.0.1 and holds request bodies in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import socket
import struct
from collections import Counter

import h11

_READ = 65536


class _Aborted(Exception):
    """The connection was reset on purpose (or its peer went away)."""


@dataclasses.dataclass
class Faults:
    """What the proxy does to the traffic now; change the fields at any time."""

    latency: float = 0.0
    bandwidth: int | None = None
    reset_probability: float = 0.0
    reset_after: int = 0
    status: int = 503
    status_count: int = 0
    down: bool = False


class ChaosProxy:
    """``async with ChaosProxy((host, port)) as proxy``: ``proxy.url`` is the SDK URL to
    give the client; ``proxy.faults`` are applied to every request from then on."""

    def __init__(self, upstream: tuple[str, int], *, seed: int = 0) -> None:
        self.upstream = upstream
        self.faults = Faults()
        self.counts: Counter[str] = Counter()
        self._random = random.Random(seed)
        self._unstalled = asyncio.Event()
        self._unstalled.set()
        self._server: asyncio.base_events.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sdk"

    async def __aenter__(self) -> ChaosProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._unstalled.set()
        self.reset_all()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # ------------------------------------------------------------------ controls
    def stall(self) -> None:
        """Hold every response (head) from now on until :meth:`unstall`."""
        self._unstalled.clear()

    def unstall(self) -> None:
        self._unstalled.set()

    def reset_all(self) -> None:
        """Reset every open client connection now (RST, not FIN)."""
        for writer in list(self._writers):
            _reset(writer)

    @property
    def open_connections(self) -> int:
        return len(self._writers)

    # ------------------------------------------------------------------ traffic
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        self.counts["connections"] += 1
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter, h11.Connection] | None
        upstream = None
        try:
            if self.faults.down:
                self.counts["refused"] += 1
                raise _Aborted
            downstream = h11.Connection(h11.SERVER)
            while True:
                request, body = await self._read_request(downstream, reader)
                if request is None:
                    return
                self.counts["requests"] += 1
                if self.faults.status_count > 0:
                    self.faults.status_count -= 1
                    self.counts[f"status {self.faults.status}"] += 1
                    await self._answer_status(downstream, writer)
                else:
                    if self.faults.down:
                        raise _Aborted
                    if upstream is None:
                        upstream = await self._connect()
                    keep = await self._exchange(downstream, writer, upstream, request, body)
                    if not keep:
                        _close(upstream[1])
                        upstream = None
                if downstream.our_state is not h11.DONE or downstream.their_state is not h11.DONE:
                    return
                downstream.start_next_cycle()
        except (_Aborted, h11.ProtocolError, ConnectionError, OSError):
            _reset(writer)
        finally:
            if upstream is not None:
                _close(upstream[1])
            _close(writer)
            self._writers.discard(writer)
            self._handlers.discard(task)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, h11.Connection]:
        host, port = self.upstream
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            self.counts["upstream refused"] += 1
            raise _Aborted from None
        return reader, writer, h11.Connection(h11.CLIENT)

    async def _read_request(
        self, conn: h11.Connection, reader: asyncio.StreamReader
    ) -> tuple[h11.Request | None, bytes]:
        event = await _next_event(conn, reader)
        if isinstance(event, h11.ConnectionClosed):
            return None, b""
        if not isinstance(event, h11.Request):
            raise _Aborted
        body = bytearray()
        while True:
            part = await _next_event(conn, reader)
            if isinstance(part, h11.Data):
                body += part.data
            elif isinstance(part, h11.EndOfMessage):
                return event, bytes(body)
            else:
                raise _Aborted

    async def _answer_status(self, conn: h11.Connection, writer: asyncio.StreamWriter) -> None:
        text = b"Service Unavailable (chaos proxy)\n"
        head = h11.Response(status_code=self.faults.status, headers=[
            ("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
        await _send(writer, conn, head, h11.Data(data=text), h11.EndOfMessage())

    async def _exchange(
        self,
        downstream: h11.Connection,
        writer: asyncio.StreamWriter,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter, h11.Connection],
        request: h11.Request,
        body: bytes,
    ) -> bool:
        """Forward one request and its response; False if the upstream connection ends."""
        up_reader, up_writer, up = upstream
        headers = [(k, v) for k, v in request.headers if k.lower() != b"transfer-encoding"]
        if body and not any(k.lower() == b"content-length" for k, _ in headers):
            headers.append((b"Content-Length", str(len(body)).encode()))
        await _send(up_writer, up, h11.Request(method=request.method, target=request.target,
                                               headers=headers),
                    h11.Data(data=body), h11.EndOfMessage())
        response = await _next_event(up, up_reader)
        if not isinstance(response, h11.Response):
            raise _Aborted  # the upstream died before answering: the client's connection too
        faults = self.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        await self._unstalled.wait()
        reset_at = None
        if faults.reset_probability and self._random.random() < faults.reset_probability:
            reset_at = faults.reset_after
        await _send(writer, downstream, response)
        sent = 0
        while True:
            event = await _next_event(up, up_reader)
            if isinstance(event, h11.Data):
                data = event.data
                if reset_at is not None and sent + len(data) > reset_at:
                    await _send(writer, downstream, h11.Data(data=data[: reset_at - sent]))
                    self.counts["resets"] += 1
                    raise _Aborted
                sent += len(data)
                await self._trickle(writer, downstream, data)
            elif isinstance(event, h11.EndOfMessage):
                if reset_at is not None:
                    self.counts["resets"] += 1
                    raise _Aborted
                await _send(writer, downstream, event)
                break
            else:
                raise _Aborted
        if up.our_state is h11.DONE and up.their_state is h11.DONE:
            up.start_next_cycle()
            return True
        return False

    async def _trickle(self, writer: asyncio.StreamWriter, conn: h11.Connection,
                       data: bytes) -> None:
        rate = self.faults.bandwidth
        if not rate:
            await _send(writer, conn, h11.Data(data=data))
            return
        piece = max(1, rate // 20)  # twenty writes a second
        for start in range(0, len(data), piece):
            await _send(writer, conn, h11.Data(data=data[start:start + piece]))
            await asyncio.sleep(0.05)


async def _next_event(conn: h11.Connection, reader: asyncio.StreamReader) -> object:
    while True:
        event = conn.next_event()
        if event is not h11.NEED_DATA:
            return event
        conn.receive_data(await reader.read(_READ))


async def _send(writer: asyncio.StreamWriter, conn: h11.Connection, *events: object) -> None:
    for event in events:
        data = conn.send(event)  # type: ignore[arg-type]
        if data:
            writer.write(data)
    await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST: SO_LINGER 0 discards unsent data, as a crashed peer would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _close(writer: asyncio.StreamWriter) -> None:
    if not writer.transport.is_closing():
        writer.close()
