"""Hostile bodies through the full client stack (aiohttp server on 127.0.0.1 -> aiohttp
transport -> streaming parser -> decoder). Each must end in a typed ``VSphereError`` that
names the method, quickly, without reading files or holding a huge body in memory."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

import aiovsphere
from aiovsphere import faults

from ._support import HostileServer, envelope, hostile

MB = 1 << 20
SI = aiovsphere.ManagedObjectReference("ServiceInstance", "ServiceInstance")
CT_HEAD = '<CurrentTimeResponse xmlns="urn:vim25"><returnval>'
LAUGHS_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
              for i in range(1, 10))
    + "]>"
)


def fixed(body: bytes, status: int = 200, content_type: str = "text/xml; charset=utf-8"
          ) -> Callable[[web.Request, str], Awaitable[web.StreamResponse | None]]:
    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        return web.Response(body=body, status=status, headers={"Content-Type": content_type})
    return handler


def xml_decl(rest: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>' + rest).encode()


def current_time(inner: str) -> str:
    return f"{CT_HEAD}{inner}</returnval></CurrentTimeResponse>"


def laughs(prefix: str) -> bytes:
    body = envelope(current_time("&lol9;")).split(b"?>", 1)[1].decode()
    return xml_decl(prefix + LAUGHS_DTD + body)


def xxe(target: str, prefix: str = "") -> list[bytes]:
    inner = envelope(current_time("&xxe;")).split(b"?>", 1)[1].decode()
    plain = envelope(current_time("2024-01-01T00:00:00Z")).split(b"?>", 1)[1].decode()
    return [
        xml_decl(f'{prefix}<!DOCTYPE r [<!ENTITY xxe SYSTEM "{target}">]>{inner}'),
        xml_decl(f'{prefix}<!DOCTYPE r SYSTEM "{target}">{plain}'),
        xml_decl(f'{prefix}<!DOCTYPE r [<!ENTITY % p SYSTEM "{target}"> %p;]>{plain}'),
        xml_decl(f'{prefix}<!DOCTYPE r [<!ENTITY xxe SYSTEM "{target}">]>'
                 + inner.replace("<returnval>&xxe;", '<returnval a="&xxe;">')),
    ]


GOOD = envelope(current_time("2024-05-01T10:00:00Z"))
FAULT_HEAD = "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"

# name -> (body, status, content type, expected error class)
CASES: dict[str, tuple[bytes, int, str, type[aiovsphere.VSphereError]]] = {
    "billion-laughs": (laughs(""), 200, "text/xml", aiovsphere.InvalidResponseError),
    "billion-laughs-after-comment": (laughs("<!-- <x " + " " * 70000 + "-->"), 200, "text/xml",
                                     aiovsphere.InvalidResponseError),
    "doctype-after-long-comment": (
        xml_decl("<!--" + "c" * 200_000 + '--><!DOCTYPE r [<!ENTITY e "boom">]>')
        + GOOD.split(b"?>", 1)[1], 200, "text/xml", aiovsphere.InvalidResponseError),
    "deep-10k": (envelope(current_time("<a>" * 10_000 + "</a>" * 10_000)), 200, "text/xml",
                 aiovsphere.InvalidResponseError),
    "truncated": (GOOD[: len(GOOD) // 2], 200, "text/xml", aiovsphere.InvalidResponseError),
    "truncated-in-tag": (GOOD[: GOOD.index(b"<returnval>") + 5], 200, "text/xml",
                         aiovsphere.InvalidResponseError),
    "invalid-utf8": (GOOD.replace(b"2024-05-01", b"20\xff\xfe-05-01"), 200, "text/xml",
                     aiovsphere.InvalidResponseError),
    "utf16-declared-utf8-sent": (GOOD.replace(b'encoding="UTF-8"', b'encoding="UTF-16"'), 200,
                                 "text/xml", aiovsphere.InvalidResponseError),
    "json": (b'{"error": "nope"}', 200, "application/json", aiovsphere.InvalidResponseError),
    "html-200": (b"<html><body>login page</body></html>", 200, "text/html",
                 aiovsphere.InvalidResponseError),
    "text-500": (b"Internal Server Error", 500, "text/plain", aiovsphere.InvalidResponseError),
    "html-502": (b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway"
                 b"</h1></body></html>", 502, "text/html", aiovsphere.HTTPStatusError),
    "html-503": (b"<html><body>Service Unavailable" + b" " * 100_000 + b"</body></html>", 503,
                 "text/html", aiovsphere.HTTPStatusError),
    "empty-200": (b"", 200, "text/xml", aiovsphere.InvalidResponseError),
    "empty-500": (b"", 500, "text/xml", aiovsphere.InvalidResponseError),
    "whitespace-200": (b" \n\t " * 1000, 200, "text/xml", aiovsphere.InvalidResponseError),
    "not-soap-xml": (b"<a><b/></a>", 200, "text/xml", aiovsphere.InvalidResponseError),
    "envelope-no-body": (envelope("").replace(b"<soapenv:Body></soapenv:Body>", b""), 200,
                         "text/xml", aiovsphere.InvalidResponseError),
    "wrong-soap-namespace": (GOOD.replace(b"http://schemas.xmlsoap.org/soap/envelope/",
                                          b"http://www.w3.org/2003/05/soap-envelope"), 200,
                             "text/xml", aiovsphere.InvalidResponseError),
    "fault-garbage-detail": (envelope(
        f"{FAULT_HEAD}<faultstring><b>x</b></faultstring><detail><Foo xsi:type='::bad::'>"
        "<a><b/></a>junk<c xsi:type='xsd:int'>NaNaN</c></Foo></detail></soapenv:Fault>"),
        500, "text/xml", faults.MethodFault),
    "fault-wrong-typed-members": (envelope(
        f"{FAULT_HEAD}<faultstring>f</faultstring><detail><InvalidLoginFault "
        "xsi:type='InvalidLogin'><faultCause>notanobject</faultCause><faultMessage "
        "xsi:type='xsd:int'>abc</faultMessage></InvalidLoginFault></detail></soapenv:Fault>"),
        500, "text/xml", faults.MethodFault),
    "fault-detail-is-not-a-fault": (envelope(
        f"{FAULT_HEAD}<faultstring>f</faultstring><detail><X xsi:type='AboutInfo'>"
        "<name>x</name></X></detail></soapenv:Fault>"), 500, "text/xml", faults.MethodFault),
    "fault-with-http-200": (envelope(f"{FAULT_HEAD}<faultstring>f</faultstring>"
                                     "</soapenv:Fault>"), 200, "text/xml", faults.MethodFault),
    "returnval-not-a-date": (envelope(current_time("yesterday")), 200, "text/xml",
                             aiovsphere.DecodeError),
    "returnval-data-object": (envelope(
        CT_HEAD.replace("<returnval>", "<returnval xsi:type='AboutInfo'>")
        + "<name>x</name></returnval></CurrentTimeResponse>"), 200, "text/xml",
        aiovsphere.DecodeError),
    "many-attributes": (envelope(
        CT_HEAD.replace("<returnval>", "<returnval " + " ".join(
            f'a{i}="{i}"' for i in range(100_000)) + ">")
        + "not-a-date</returnval></CurrentTimeResponse>"), 200, "text/xml",
        aiovsphere.DecodeError),
    "many-namespaces": (envelope(
        CT_HEAD.replace("<returnval>", "<returnval " + " ".join(
            f'xmlns:n{i}="urn:n{i}"' for i in range(20_000)) + ">")
        + "not-a-date</returnval></CurrentTimeResponse>"), 200, "text/xml",
        aiovsphere.DecodeError),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_body_raises_a_typed_error_naming_the_method(name: str) -> None:
    body, status, content_type, expected = CASES[name]
    async with hostile(fixed(body, status, content_type)) as client:
        started = time.perf_counter()
        with pytest.raises(aiovsphere.VSphereError) as info:
            async with asyncio.timeout(10):
                await client.invoke(SI, "CurrentTime")
        assert time.perf_counter() - started < 5
        assert isinstance(info.value, expected), repr(info.value)
        assert info.value.method == "CurrentTime"  # type: ignore[attr-defined]
        assert str(info.value).startswith("CurrentTime")
        assert client.stats.in_flight == 0 and client.stats.queued == 0


async def test_unexpected_extra_elements_are_tolerated() -> None:
    body = envelope(
        '<CurrentTimeResponse xmlns="urn:vim25"><extra><deep>1</deep></extra>'
        "<returnval>2024-05-01T10:00:00Z</returnval><returnval>1999-01-01T00:00:00Z</returnval>"
        '<more/></CurrentTimeResponse><After xmlns="urn:other"/>'
    )
    async with hostile(fixed(body)) as client:
        value = await client.invoke(SI, "CurrentTime")
    assert value.year == 2024


@pytest.mark.parametrize("target", ["file:///etc/passwd", "SECRET"])
async def test_external_entities_are_never_read_or_echoed(target: str, tmp_path: Path) -> None:
    if target == "SECRET":
        secret = tmp_path / "secret.txt"
        secret.write_text("TOP-SECRET-MARKER\n")
        target, markers = secret.as_uri(), ["TOP-SECRET-MARKER"]
    else:
        markers = ["root:x:0:0", "/bin/"]
    # The DOCTYPE at the start, and behind a comment that fools a naive prolog scan.
    for prefix in ("", "<!-- <x -->", "<?pi <x?>"):
        for body in xxe(target, prefix):
            async with hostile(fixed(body)) as client:
                with pytest.raises(aiovsphere.InvalidResponseError) as info:
                    async with asyncio.timeout(10):
                        await client.invoke(SI, "CurrentTime")
            text = f"{info.value}\n{info.value!r}\n{info.value.excerpt}"
            for marker in markers:
                assert marker not in text, (prefix, body[:120])


# ---------------------------------------------------------------------- streamed bodies
def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


class Peak:
    """Samples this process's RSS while a call runs."""

    def __init__(self) -> None:
        self.start = rss_mb()
        self.peak = self.start
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            await asyncio.sleep(0.005)

    async def stop(self) -> float:
        self._task.cancel()
        await asyncio.wait([self._task])
        self.peak = max(self.peak, rss_mb())
        return self.peak - self.start


def streaming(server_box: list[HostileServer], head: bytes, unit: bytes, count: int, *,
              delay: float = 0.0, gzip: bool = False
              ) -> Callable[[web.Request, str], Awaitable[web.StreamResponse | None]]:
    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        server = server_box[0]
        headers = {"Content-Type": "text/xml"}
        if gzip:
            headers["Content-Encoding"] = "gzip"
        resp = web.StreamResponse(headers=headers)
        await resp.prepare(request)
        z = zlib.compressobj(9, zlib.DEFLATED, 31) if gzip else None
        try:
            # After a full flush a deflate block refers to nothing before it, so one
            # compressed block can be sent over and over (the stream never ends properly).
            await resp.write(z.compress(head) + z.flush(zlib.Z_FULL_FLUSH) if z else head)
            data = z.compress(unit) + z.flush(zlib.Z_FULL_FLUSH) if z else unit
            for _ in range(count):
                await resp.write(data)
                server.streamed += len(unit)
                if delay:
                    await asyncio.sleep(delay)
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client hung up: what we want
        return resp
    return handler


async def _stream_call(handler_factory: Callable[[list[HostileServer]], object],
                       **options: object) -> tuple[BaseException, HostileServer, float]:
    box: list[HostileServer] = []
    async with HostileServer(handler_factory(box)) as server:  # type: ignore[arg-type]
        box.append(server)
        client = aiovsphere.Client(server.url, version="8.0.3.0", **options)  # type: ignore[arg-type]
        try:
            await client.open()
            peak = Peak()
            try:
                async with asyncio.timeout(30):
                    await client.invoke(SI, "CurrentTime")
            except aiovsphere.VSphereError as exc:
                error: BaseException = exc
            else:
                raise AssertionError("a hostile stream was accepted")
            growth = await peak.stop()
        finally:
            await client.close()
    return error, server, growth


async def test_300mb_text_node_streamed_slowly_is_refused_early() -> None:
    head = envelope(CT_HEAD).split(b"</soapenv:Body>")[0]
    error, server, growth = await _stream_call(
        lambda box: streaming(box, head, b"A" * MB, 300, delay=0.001))
    assert isinstance(error, aiovsphere.InvalidResponseError)
    assert error.method == "CurrentTime"
    assert server.streamed < 40 * MB  # refused near libxml2's 10 MB text-node limit
    assert growth < 80, f"RSS grew {growth:.0f} MB for a refused 300 MB text node"


async def test_gzip_bomb_stops_at_max_response_bytes() -> None:
    head = envelope(CT_HEAD).split(b"</soapenv:Body>")[0]
    # A few MB on the wire that would inflate to 2 GB (comments: nothing kept in a tree).
    started = time.perf_counter()
    error, _, growth = await _stream_call(
        lambda box: streaming(box, head, b"<!--x-->" * (MB // 8), 2048, gzip=True),
        max_response_bytes=64 * MB)
    assert isinstance(error, aiovsphere.ResponseTooLargeError)
    assert error.method == "CurrentTime" and error.limit == 64 * MB
    assert growth < 80, f"RSS grew {growth:.0f} MB for a gzip bomb"
    assert time.perf_counter() - started < 10


@pytest.mark.xfail(strict=True, reason=(
    "soap/_xml.py (reported): libxml2's push parser buffers an unterminated comment, "
    "attribute value, tag name, PI or CDATA until its terminator arrives, so the sink only "
    "refuses it at close(), after holding the whole body (up to max_response_bytes)"))
async def test_unterminated_comment_is_refused_while_streaming() -> None:
    head = envelope(CT_HEAD).split(b"</soapenv:Body>")[0] + b"<!--"
    error, server, growth = await _stream_call(
        lambda box: streaming(box, head, b"A" * MB, 60))
    assert isinstance(error, aiovsphere.InvalidResponseError)
    assert server.streamed < 30 * MB and growth < 40, (server.streamed >> 20, growth)


async def test_doctype_behind_a_comment_is_refused_while_streaming() -> None:
    head = xml_decl('<!-- <x --><!DOCTYPE r [<!ENTITY e "x">]>') + envelope(
        CT_HEAD).split(b"?>", 1)[1].split(b"</soapenv:Body>")[0]
    error, server, _ = await _stream_call(
        lambda box: streaming(box, head, b"<!--x-->" * (MB // 8), 60))
    assert isinstance(error, aiovsphere.InvalidResponseError)
    assert server.streamed < 30 * MB, server.streamed >> 20
