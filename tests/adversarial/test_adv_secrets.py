"""The password and the session cookie never show in reprs, exception text (including
formatted tracebacks) or log records, even when a hostile server echoes them back."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

import pytest
from aiohttp import web

import aiovsphere

from ._support import PASSWORD, SERVICE_CONTENT, HostileServer, envelope, response

COOKIE = "52c0ffee-5ec7-e7c0-0k1e-0123456789ab"


def everything(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)),
             *map(str, exc.args)]
    for name in ("fault", "localized_message", "faultstring", "excerpt", "url", "reason"):
        parts.append(repr(getattr(exc, name, None)))
    return "\n".join(parts)


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked"
        assert quote(secret, safe="") not in text, f"{secret!r} leaked (URL-encoded)"


def echo_fault(request_body: bytes, cookie: str) -> bytes:
    """A fault whose texts quote the request's password element and Cookie header."""
    start = request_body.find(b"<password>")
    password = (request_body[start + 10 : request_body.find(b"</password>")].decode()
                if start >= 0 else "")
    return envelope(
        "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>Cannot login with password {password} (cookie {cookie})</faultstring>"
        '<detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin">'
        f"<faultMessage><key>k</key><message>password was {password}</message></faultMessage>"
        "</InvalidLoginFault></detail></soapenv:Fault>"
    )


@asynccontextmanager
async def echoing_server() -> AsyncIterator[HostileServer]:
    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        body = await request.read()
        cookie = request.headers.get("Cookie", "").partition("=")[2].strip('"')
        if method == "Login" and b"<password>good</password>" not in body:
            return web.Response(body=echo_fault(body, cookie), status=500,
                                content_type="text/xml")
        if method == "Login":
            return web.Response(
                body=response("Login", "<returnval><key>k</key><userName>u</userName>"
                              "<fullName>f</fullName><loginTime>2024-05-01T10:00:00Z"
                              "</loginTime><lastActiveTime>2024-05-01T10:00:00Z"
                              "</lastActiveTime></returnval>"),
                content_type="text/xml",
                headers={"Set-Cookie": f'vmware_soap_session="{COOKIE}"; Path=/; HttpOnly'})
        # Any other call: a fault that quotes the session cookie it was sent.
        return web.Response(body=envelope(
            "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
            f"<faultstring>session {cookie} is busy</faultstring><detail>"
            '<SystemErrorFault xmlns="urn:vim25" xsi:type="SystemError">'
            f"<reason>cookie {cookie}</reason></SystemErrorFault></detail></soapenv:Fault>"),
            status=500, content_type="text/xml")

    async with HostileServer(handler) as server:
        yield server


async def test_fault_echoing_the_password_is_scrubbed(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    caplog.set_level(logging.DEBUG)
    async with echoing_server() as server:
        with pytest.raises(aiovsphere.faults.InvalidLogin) as info:
            async with aiovsphere.connect(server.url, user="u", password=PASSWORD,
                                          version="8.0.3.0"):
                pass
    assert info.value.method == "Login"
    assert_clean(everything(info.value), PASSWORD)
    assert "Cannot login with password" in str(info.value)  # the rest of the text stays
    assert_clean("\n".join(r.getMessage() for r in caplog.records), PASSWORD)


async def test_fault_echoing_the_session_cookie_is_scrubbed() -> None:
    async with echoing_server() as server:
        async with aiovsphere.connect(server.url, user="u", password="good",
                                      version="8.0.3.0") as client:
            assert client._cookie is not None and COOKIE in client._cookie
            with pytest.raises(aiovsphere.faults.SystemError) as info:
                await client.invoke(client.service_instance, "CurrentTime")
            assert_clean(everything(info.value) + repr(client) + repr(client.session), COOKIE)


async def _raw_server(payload: bytes) -> asyncio.base_events.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length")), b"0"))
                body = await reader.readexactly(length)
                if b"RetrieveServiceContent" in body:
                    data = response("RetrieveServiceContent", SERVICE_CONTENT)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n"
                                 b"Content-Length: %d\r\n\r\n" % len(data) + data)
                    await writer.drain()
                    continue
                writer.write(payload)
                await writer.drain()
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize("payload", [
    # Headers (with the new session cookie) and then the connection drops.
    b'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nSet-Cookie: vmware_soap_session="'
    + COOKIE.encode() + b'"; Path=/\r\n',
    # A malformed Set-Cookie line that the HTTP parser quotes in its error.
    b'HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nSet-Cookie: vmware_soap_session="'
    + COOKIE.encode() + b'"\x00; Path=/\r\nContent-Length: 0\r\n\r\n',
], ids=["disconnect-after-headers", "malformed-set-cookie"])
async def test_transport_errors_do_not_quote_the_session_cookie(payload: bytes) -> None:
    server = await _raw_server(payload)
    port = server.sockets[0].getsockname()[1]
    client = aiovsphere.Client(f"http://127.0.0.1:{port}/sdk", version="8.0.3.0")
    try:
        await client.open()
        with pytest.raises(aiovsphere.TransportError) as info:
            async with asyncio.timeout(10):
                await client.session.login("u", PASSWORD)
        assert info.value.method == "Login"
        assert_clean(everything(info.value), COOKIE, PASSWORD)
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize("url", [
    f"https://root:{PASSWORD}@vc.example.com/sdk",
    f"root:{quote(PASSWORD, safe='')}@vc.example.com",
])
def test_credentials_in_the_url_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError) as info:
        aiovsphere.Client(url)
    assert_clean(everything(info.value), PASSWORD)


async def test_control_character_in_the_password_is_not_quoted() -> None:
    async with echoing_server() as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0")
        try:
            await client.open()
            with pytest.raises(aiovsphere.EncodeError) as info:
                await client.session.login("u", PASSWORD + "\x00")
        finally:
            await client.close()
    assert_clean(everything(info.value), PASSWORD)


async def test_vcsim_session_logs_and_reprs_stay_clean(
    vcsim_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole life at DEBUG: login, calls, a lost session and re-login, a failed call,
    logout. No log record, repr or exception carries the password or either cookie."""
    caplog.set_level(logging.DEBUG)
    cookies: list[str] = []
    texts: list[str] = []
    async with aiovsphere.connect(vcsim_url, user="adv-secrets", password=PASSWORD) as client:
        assert client._cookie is not None
        cookies.append(client._cookie.strip('"'))
        texts += [repr(client), str(client), repr(client.session)]
        # The server forgets the session behind the client's back: re-login.
        await client._invoke_once(client.content.sessionManager, "Logout", None)
        await client.get_properties(client.content.rootFolder, ["name"])
        assert client.stats.relogins == 1
        cookies.append(client._cookie.strip('"'))
        with pytest.raises(aiovsphere.SoapFault) as info:
            await client.invoke(aiovsphere.ManagedObjectReference("VirtualMachine", "vm-0"),
                                "PowerOnVM_Task")
        texts.append(everything(info.value))
        texts += [repr(client), repr(client.session)]
    texts += [r.getMessage() for r in caplog.records]
    texts += [r.exc_text or "" for r in caplog.records]
    assert cookies[0] != cookies[1]
    assert_clean("\n".join(texts), PASSWORD, *cookies)
