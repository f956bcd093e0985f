"""XML attacks against the client's response path (a real aiohttp server on 127.0.0.1 ->
aiohttp transport -> streaming parser -> decoder) and the embedded simulator's request
path (``soap.server.decode_request``, raw POSTs to ``/sdk``).

Each attack ends in a typed error; no entity is expanded, no file read, no URL fetched
(a recording HTTP server on loopback is the entity's target and must see no request),
libxml2's resolver is never even asked; a 1 GB response stops at ``max_response_bytes``
without the rest being read and with bounded memory. The ordinary cases (billion laughs,
file XXE, 10k nesting, gzip bomb, 300 MB text node) are in
``tests/adversarial/test_adv_hostile_xml.py`` and ``tests/soap/test_hostile.py``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from lxml import etree

import aiovsphere
from aiovsphere.simulator import Simulator
from aiovsphere.soap import _xml
from aiovsphere.soap.server import decode_request
from aiovsphere.vim._schema import schema
from tests._local_server import serve
from tests.adversarial._support import HostileServer, envelope, hostile
from tests.adversarial.test_adv_hostile_xml import LAUGHS_DTD, Peak, current_time, xml_decl
from tests.adversarial.test_adv_sim_support import call, login_raw, post, soap_fault

MB = 1 << 20
SI = aiovsphere.ManagedObjectReference("ServiceInstance", "ServiceInstance")
DEEP = 100_000


class Recorder:
    """An HTTP server on loopback that records every request: the target of external
    entities and DTDs, which must never be fetched."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def _any(self, request: web.Request) -> web.Response:
        self.hits.append(request.path_qs)
        return web.Response(text='<!ENTITY leak "FETCHED-FROM-RECORDER">',
                            content_type="application/xml-dtd")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
async def recorder() -> AsyncIterator[Recorder]:
    rec = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec._any)
    rec._runner, rec.port = await serve(app, shutdown_timeout=0.5)
    try:
        yield rec
    finally:
        await rec._runner.cleanup()


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every external identifier libxml2 asks the hardened parser's resolver for."""
    calls: list[str] = []
    original = _xml._NoExternal.resolve

    def spy(self: etree.Resolver, url: str, pubid: str, context: Any) -> Any:
        calls.append(url)
        return original(self, url, pubid, context)  # type: ignore[arg-type]

    monkeypatch.setattr(_xml._NoExternal, "resolve", spy)
    return calls


def attacks(rec: Recorder) -> dict[str, tuple[str, str]]:
    """name -> (prolog, returnval text) of a CurrentTime answer (or request parameter)."""
    return {
        "billion-laughs": (LAUGHS_DTD, "&lol9;"),
        "xxe-file": ('<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        "xxe-http": (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{rec.url("xxe")}">]>', "&xxe;"),
        "xxe-http-attribute": (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{rec.url("attr")}">]>',
                               "2024-05-01T10:00:00Z&xxe;"),
        "parameter-entity-http": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{rec.url("param")}"> %p;]>', "&leak;"),
        "external-dtd-http": (f'<!DOCTYPE r SYSTEM "{rec.url("dtd")}">', "&leak;"),
        "external-dtd-public": (f'<!DOCTYPE r PUBLIC "-//X//Y//EN" "{rec.url("pub")}">',
                                "2024-05-01T10:00:00Z"),
        "internal-subset": ('<!DOCTYPE r [<!ELEMENT r ANY><!ATTLIST returnval a CDATA '
                            '"dflt"><!ENTITY e "2024-05-01T10:00:00Z">]>', "&e;"),
        "xinclude": ("", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                         f'href="{rec.url("xinclude")}" parse="text"/>'),
        "deep-100k": ("", "<a>" * DEEP + "</a>" * DEEP),
    }


def _bodies(rec: Recorder) -> dict[str, bytes]:
    out = {}
    for name, (prolog, text) in attacks(rec).items():
        rest = envelope(current_time(text)).split(b"?>", 1)[1].decode()
        out[name] = xml_decl(prolog + rest)
    return out


ATTACK_NAMES = list(attacks(Recorder()))


@pytest.mark.parametrize("name", ATTACK_NAMES)
async def test_response_attacks_are_refused_without_expansion_or_fetch(
    name: str, recorder: Recorder, resolver_calls: list[str]
) -> None:
    body = _bodies(recorder)[name]

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        return web.Response(body=body, content_type="text/xml")

    async with hostile(handler) as client:
        started = time.perf_counter()
        with pytest.raises(aiovsphere.VSphereError) as info:
            async with asyncio.timeout(10):
                await client.invoke(SI, "CurrentTime")
        elapsed = time.perf_counter() - started
    error = info.value
    if name == "xinclude":  # no DTD: parsed, XInclude never processed, not a dateTime
        assert isinstance(error, aiovsphere.DecodeError), repr(error)
    else:
        assert isinstance(error, aiovsphere.InvalidResponseError), repr(error)
        assert "DOCTYPE" in str(error) or "depth" in str(error).lower(), str(error)
    assert error.method == "CurrentTime"  # type: ignore[attr-defined]
    text = f"{error}\n{error!r}"
    for leaked in ("root:x:0:0", "FETCHED-FROM-RECORDER", "lollollol"):
        assert leaked not in text
    assert recorder.hits == []  # the entity's / DTD's URL was never contacted
    assert resolver_calls == []  # libxml2 was not even asked to resolve it
    assert elapsed < 5  # no hang (generous)


# ------------------------------------------------------------------------- 1 GB response
GB = 1 << 30
UNIT = b"<!--" + b"x" * (MB - 7) + b"-->"  # 1 MB of comment: parsed, nothing kept


def gigabyte(box: list[HostileServer]) -> Callable[[web.Request, str], Any]:
    """A 1 GB CurrentTime answer generated as it is sent (1 MB at a time, never held)."""
    head = envelope('<CurrentTimeResponse xmlns="urn:vim25"><returnval>').split(
        b"</soapenv:Body>")[0]

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        server = box[0]
        resp = web.StreamResponse(headers={"Content-Type": "text/xml",
                                           "Content-Length": str(GB)})
        await resp.prepare(request)
        try:
            await resp.write(head)
            sent = len(head)
            while sent + len(UNIT) <= GB:
                await resp.write(UNIT)
                sent += len(UNIT)
                server.streamed = sent
            await resp.write(b" " * (GB - sent))
            server.streamed = GB
        except (ConnectionError, RuntimeError):
            pass  # the client hung up: what we want
        return resp
    return handler


@pytest.mark.parametrize("cap", [8 * MB, None], ids=["cap-8MB", "default-cap-512MB"])
async def test_one_gigabyte_response_stops_at_the_cap(cap: int | None) -> None:
    box: list[HostileServer] = []
    options = {} if cap is None else {"max_response_bytes": cap}
    async with HostileServer(gigabyte(box)) as server:
        box.append(server)
        client = aiovsphere.Client(server.url, version="8.0.3.0", **options)  # type: ignore[arg-type]
        limit = client.max_response_bytes
        assert limit == (cap or 512 * MB)
        try:
            await client.open()
            peak = Peak()
            with pytest.raises(aiovsphere.ResponseTooLargeError) as info:
                async with asyncio.timeout(60):
                    await client.invoke(SI, "CurrentTime")
            growth = await peak.stop()
            assert client.stats.in_flight == 0
            # the connection is closed, not pooled: the next call works on a fresh one
            assert (await client.invoke(SI, "RetrieveServiceContent")).about is not None
        finally:
            await client.close()
        await asyncio.sleep(0.05)
        streamed = server.streamed
    assert info.value.limit == limit and info.value.method == "CurrentTime"
    assert str(limit) in str(info.value)
    # Read up to the cap and no further: what the server managed to write past it sat in
    # socket buffers (a few MB), never the rest of the gigabyte.
    assert limit < streamed < limit + 32 * MB, (streamed >> 20, limit >> 20)
    assert streamed < GB // 2 + 64 * MB
    assert growth < 100, f"RSS grew {growth:.0f} MB while reading {limit >> 20} MB"


# ------------------------------------------------------------------ simulator request path
def request_bodies(rec: Recorder) -> dict[str, bytes]:
    """The same attacks as a Login request (the password parameter carries the entity)."""
    out = {}
    for name, (prolog, text) in attacks(rec).items():
        out[name] = call("Login", "SessionManager", "SessionManager",
                         f"<userName>admin</userName><password>{text}</password>", prolog)
    return out


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_decode_request_refuses_attacks(name: str, resolver_calls: list[str]) -> None:
    """The request parser has no byte scan in front (bodies arrive whole): libxml2 may
    ask the resolver for an external DTD, which answers with an empty document, and the
    DOCTYPE is then refused; an entity is never expanded (billion laughs hits libxml2's
    amplification limit first)."""
    rec = Recorder()
    rec.port = 9  # discard: nothing may connect anyway
    body = request_bodies(rec)[name]
    if name == "xinclude":  # no DTD, no XInclude processing: the element is no text
        request = decode_request(body, schema())
        assert request.params["password"] == ""
        assert resolver_calls == []
        return
    with pytest.raises(aiovsphere.DecodeError) as info:
        decode_request(body, schema())
    message = str(info.value)
    assert ("DOCTYPE" in message or "depth" in message.lower()
            or "amplification" in message), message
    assert "FETCHED" not in message and "root:x" not in message
    assert "lollol" not in message
    assert all(url.startswith("http://127.0.0.1:9/") for url in resolver_calls)


@pytest.fixture(scope="module")
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator(vms=1) as sim:
        yield sim


async def test_simulator_refuses_attacks_and_fetches_nothing(sim: Simulator,
                                                             recorder: Recorder) -> None:
    async with aiohttp.ClientSession() as http:
        for name, body in request_bodies(recorder).items():
            answer = await post(http, sim.url, body)
            expected = "InvalidLogin" if name == "xinclude" else "InvalidRequest"
            assert soap_fault(answer) == expected, (name, answer.status, answer.text[:300])
            for leaked in ("root:x:0:0", "FETCHED-FROM-RECORDER", "lollollol"):
                assert leaked not in answer.text
        await login_raw(http, sim.url)  # and it goes on serving
    assert recorder.hits == []  # asked or not, the resolver fetched nothing
