"""Adversarial tests of secret scrubbing in wire tracing (logger ``aiovsphere.wire``) and
exception messages, against a hostile server that echoes the password back."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
from aiohttp import web

import aiovsphere

from ._support import HostileServer, envelope, response

COOKIE = "52adv000-c00k-1e00-0000-5ecre7c00k1e"
LOGIN = response("Login", "<returnval><key>k</key><userName>u</userName><fullName>f"
                 "</fullName><loginTime>2024-05-01T10:00:00Z</loginTime><lastActiveTime>"
                 "2024-05-01T10:00:00Z</lastActiveTime></returnval>")


@contextmanager
def wire_records() -> Iterator[list[str]]:
    texts: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: texts.append(record.getMessage())  # type: ignore[method-assign]
    wire = logging.getLogger("aiovsphere.wire")
    old = wire.level
    wire.setLevel(logging.DEBUG)
    wire.addHandler(handler)
    try:
        yield texts
    finally:
        wire.removeHandler(handler)
        wire.setLevel(old)


@asynccontextmanager
async def logged_in(password: str, answer: Callable[[str], web.StreamResponse]
                    ) -> AsyncIterator[aiovsphere.Client]:
    """A client logged in with ``password`` to a server answering every other call
    (but Logout) with ``answer(method)``."""

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        if method == "Login":
            return web.Response(body=LOGIN, content_type="text/xml",
                                headers={"Set-Cookie": f'vmware_soap_session="{COOKIE}"'})
        if method == "Logout":
            return web.Response(body=response("Logout"), content_type="text/xml")
        return answer(method)

    async with HostileServer(handler) as server:
        async with aiovsphere.connect(server.url, user="u", password=password,
                                      version="8.0.3.0") as client:
            yield client


def _fault(text: str) -> web.Response:
    return web.Response(body=envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{text}</faultstring></soapenv:Fault>"), status=500,
        content_type="text/xml")


def _pieces(secret: str, size: int) -> set[str]:
    return {secret[i:i + size] for i in range(len(secret) - size + 1)}


async def test_a_password_cut_by_the_2kb_response_head_is_not_half_logged() -> None:
    """The response trace shows the first 2 KB of the body (``sink.head``), cut *before*
    it is scrubbed: a password echoed across byte 2048 no longer matches the password
    pattern, and its first part goes to the log as is."""
    password = "Adv3rsarial-S3cret!pw-0123456789"
    start = _fault("MARK").body.index(b"MARK")  # type: ignore[union-attr]
    pad = "x" * (2048 - start - 20)  # the cut falls 20 characters into the password

    with wire_records() as texts:
        async with logged_in(password, lambda m: _fault(pad + password)) as client:
            with pytest.raises(aiovsphere.SoapFault) as info:
                await client.invoke(client.service_instance, "CurrentTime")
    assert password not in str(info.value)  # the exception is scrubbed (parsed, whole)
    responses = [t for t in texts if t.startswith("CurrentTime response")]
    assert responses
    leaked = [p for p in _pieces(password, 12) if any(p in t for t in responses)]
    assert leaked == [], f"password pieces in the wire trace: {sorted(leaked)[:3]}"


@pytest.mark.parametrize("spelling", ["go-xml", "gt-unescaped"])
async def test_a_password_echoed_in_another_valid_xml_escaping_is_scrubbed(
        spelling: str) -> None:
    """``_scrub`` knows the raw, html.escape and URL forms. XML allows others, and real
    servers use them: Go's encoding/xml (vcsim, govmomi-based proxies) writes ``'`` and
    ``"`` as ``&#39;`` and ``&#34;``; many writers leave ``>`` raw in text. The echoed
    password then reaches the wire trace and exception excerpts verbatim."""
    password = "Adv3r's\"arial>S3cret&pw"
    if spelling == "go-xml":
        echoed = (password.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                  .replace("'", "&#39;").replace('"', "&#34;"))
    else:
        echoed = password.replace("&", "&amp;").replace("<", "&lt;")
    assert echoed not in {password, html.escape(password), html.escape(password, quote=False)}

    def page(method: str) -> web.Response:  # an error page quoting the password
        return web.Response(text=f"<html><body>bad login {echoed}</body></html>",
                            status=503, content_type="text/html")

    with wire_records() as texts:
        async with logged_in(password, page) as client:
            client.retry = None
            with pytest.raises(aiovsphere.HTTPStatusError) as info:
                await client.invoke(client.service_instance, "CurrentTime")
    shown = [*texts, str(info.value), info.value.excerpt]
    assert not [t for t in shown if echoed in t], "the escaped password was shown verbatim"


async def test_a_password_echoed_in_an_undecodable_value_is_scrubbed_from_decode_error(
) -> None:
    """A value that does not fit its type becomes a DecodeError quoting the value: a
    server echoing the password there puts it in the exception message unscrubbed (faults
    and error-page excerpts are scrubbed, DecodeError is not)."""
    password = "Adv3rsarial-S3cret!pw"

    def echo(method: str) -> web.Response:
        return web.Response(body=response(method, f"<returnval>{password}</returnval>"),
                            content_type="text/xml")

    async with logged_in(password, echo) as client:
        with pytest.raises(aiovsphere.DecodeError) as info:
            await client.invoke(client.service_instance, "CurrentTime")
    assert password not in str(info.value), str(info.value)
