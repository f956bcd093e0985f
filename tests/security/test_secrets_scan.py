"""One scan for secrets: log in with distinctive secrets (a password, the session
cookies, a clone ticket acquired and used, a SAML-like token), with the root logger at
DEBUG and wire tracing (``aiovsphere.wire``) on, trigger every kind of error (faults,
HTTP errors, truncated XML, error pages and faults echoing the secrets back, a lost
session and re-login, a reused clone ticket, timeouts), then scan every formatted log
record, every repr/str of client, session and errors, every exception message and every
formatted traceback (chained causes included) for the secrets in any form they could be
spelled in. None may appear.

A clone ticket the client sent or acquired is scrubbed even where a server echoes it raw,
outside its element (the session remembers its last tickets).
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

import pytest
from aiohttp import web

import aiovsphere
from aiovsphere.simulator import Simulator
from tests.adversarial._support import HostileServer, envelope, response

PASSWORD = "Scan&P4ss<w0rd>%2f!"
TOKEN = "SAMLt0ken-9f8e7d6c5b4a-assertion-body"
MOCK_COOKIE = "52scan00-c00k-1e00-0000-5ecre7c00k1e"


def forms(secret: str) -> set[str]:
    """Every spelling a server may echo: raw, HTML/XML-escaped (full, minimal, numeric
    quotes as Go's encoding/xml writes them), URL-escaped."""
    minimal = secret.replace("&", "&amp;").replace("<", "&lt;")
    return {secret, html.escape(secret), html.escape(secret, quote=False),
            quote(secret, safe=""), quote_plus(secret), minimal,
            minimal.replace("'", "&#39;").replace('"', "&#34;")}


class Scan:
    """Collects every text that could leak: log records (formatted with tracebacks),
    reprs and exceptions (message, repr, args, attributes, formatted traceback chain)."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.records = 0
        self.wire = 0
        self.errors: list[str] = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        self.wire += record.name == "aiovsphere.wire"
        self.texts.append(self.formatter.format(record))
        self.texts.append(repr(record.args))

    def error(self, exc: BaseException) -> None:
        self.errors.append(type(exc).__name__)
        self.texts += [str(exc), repr(exc), *map(repr, exc.args),
                       "".join(traceback.format_exception(exc, chain=True)),
                       "".join(traceback.format_exception_only(exc))]
        for name in ("fault", "faultstring", "localized_message", "excerpt", "reason", "url"):
            self.texts.append(repr(getattr(exc, name, None)))
        summary = traceback.TracebackException.from_exception(exc, capture_locals=False)
        self.texts.append("".join(summary.format()))

    def objects(self, *objs: object) -> None:
        self.texts += [f"{o!r} {o}" for o in objs]

    async def expect(self, awaitable: object) -> None:
        try:
            await awaitable  # type: ignore[misc]
        except (aiovsphere.VSphereError, TimeoutError) as exc:
            self.error(exc)
        else:
            raise AssertionError("an error was expected")

    def assert_clean(self, secrets: list[str]) -> None:
        text = "\n".join(self.texts)
        assert secrets and all(secrets)
        for secret in secrets:
            for form in forms(secret):
                at = text.find(form)
                assert at < 0, f"{form!r} leaked: ...{text[max(at - 300, 0):at + 100]}..."


@contextmanager
def scanning() -> Iterator[Scan]:
    scan = Scan()
    handler = logging.Handler(logging.DEBUG)
    handler.emit = scan.emit  # type: ignore[method-assign]
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield scan
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_secrets_never_show_against_the_simulator() -> None:
    with scanning() as scan:
        async with Simulator(vms=1, task_seconds=0) as sim:
            secrets = [PASSWORD]
            async with aiovsphere.connect(sim.url, user="scan", password=PASSWORD) as client:
                si = client.service_instance
                client.retry = None  # each injected error reaches the caller at once
                assert client._cookie
                secrets.append(client._cookie.strip('"'))
                ticket = await client.session.acquire_clone_ticket()
                secrets.append(ticket)
                clone = aiovsphere.Client(sim.url)
                try:
                    await clone.open()
                    await clone.session.login_by_clone_ticket(ticket)
                    secrets.append(clone._cookie.strip('"'))  # type: ignore[union-attr]
                    scan.objects(clone, clone.session)
                    # a ticket works once: the reuse is refused (InvalidLogin)
                    other = aiovsphere.Client(sim.url)
                    try:
                        await other.open()
                        await scan.expect(other.session.login_by_clone_ticket(ticket))
                    finally:
                        await other.close()
                finally:
                    await clone.close()
                sim.faults.fail("CurrentTime", "InvalidArgument", times=1)
                await scan.expect(client.invoke(si, "CurrentTime"))
                sim.faults.http_status(503, method="CurrentTime", times=1)
                await scan.expect(client.invoke(si, "CurrentTime"))
                sim.faults.http_status(502, method="CurrentTime", times=1, body=(
                    f"<html>bad gateway cookie {secrets[1]} password "
                    f"{html.escape(PASSWORD)} <cloneTicket>{ticket}</cloneTicket></html>"))
                await scan.expect(client.invoke(si, "CurrentTime"))
                sim.faults.truncate(method="CurrentTime", times=1)
                await scan.expect(client.invoke(si, "CurrentTime"))
                sim.faults.drop(method="CurrentTime", times=1)
                await scan.expect(client.invoke(si, "CurrentTime"))
                sim.faults.delay(2.0, method="CurrentTime", times=1)
                await scan.expect(client.invoke(si, "CurrentTime", timeout=0.05))
                sim.faults.expire_sessions()  # NotAuthenticated, then a re-login
                await client.get_properties(client.content.rootFolder, ["name"])
                assert client.stats.relogins == 1
                secrets.append(client._cookie.strip('"'))  # type: ignore[union-attr]
                client.session._credentials = None  # no re-login: NotAuthenticated shows
                sim.faults.expire_sessions()
                await scan.expect(client.get_properties(client.content.rootFolder, ["name"]))
                scan.objects(client, client.session, client.transport, client.stats)
    assert len(set(secrets)) == len(secrets) == 5
    assert {"InvalidLogin", "InvalidArgument", "HTTPStatusError", "InvalidResponseError",
            "ConnectError", "TimeoutError", "NotAuthenticated"} <= set(scan.errors)
    assert scan.wire >= 40  # wire tracing really logged the bodies
    scan.assert_clean(secrets)


def _echo_handler(scan_box: list[bytes]):  # type: ignore[no-untyped-def]
    """A server that echoes whatever it was sent: the request body in an error page
    (password, clone ticket, SAML assertion), the cookie in faults."""

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        body = await request.read()
        scan_box.append(body)
        cookie = request.headers.get("Cookie", "")
        if method == "Login":
            return web.Response(
                body=response("Login", "<returnval><key>k</key><userName>u</userName>"
                              "<fullName>f</fullName><loginTime>2024-05-01T10:00:00Z"
                              "</loginTime><lastActiveTime>2024-05-01T10:00:00Z"
                              "</lastActiveTime></returnval>"),
                content_type="text/xml",
                headers={"Set-Cookie": f'vmware_soap_session="{MOCK_COOKIE}"; Path=/'})
        if method == "Logout":  # (one echoing the password: its own test below)
            return web.Response(body=response("Logout"), content_type="text/xml")
        if method == "LoginByToken":  # an error page quoting the request it refused
            return web.Response(text=f"<html><pre>{body.decode()}</pre> {cookie}</html>",
                                status=502, content_type="text/html")
        if method == "CurrentTime":  # bad XML quoting the request headers and body
            return web.Response(text=f"<soapenv:Envelope><broken {cookie} "
                                f"{html.escape(PASSWORD)} {body.decode()}",
                                content_type="text/xml")
        return web.Response(body=envelope(
            "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
            f"<faultstring>refused {html.escape(cookie)} "
            f"{html.escape(PASSWORD) if MOCK_COOKIE in cookie else ''}"
            "</faultstring></soapenv:Fault>"), status=500, content_type="text/xml")
    return handler


def token_login_body(client: aiovsphere.Client) -> bytes:
    """LoginByToken as a bearer-token login sends it: the SAML assertion in a WS-Security
    header (aiovsphere has no token login of its own; this drives ``_call`` with it)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
        '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><wsse:Security '
        'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-'
        'secext-1.0.xsd"><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:'
        f'assertion" ID="_a1"><saml2:Subject>{TOKEN}</saml2:Subject><ds:Signature>'
        f"{TOKEN}-sig</ds:Signature></saml2:Assertion></wsse:Security></soapenv:Header>"
        '<soapenv:Body><LoginByToken xmlns="urn:vim25"><_this type="SessionManager">'
        "SessionManager</_this></LoginByToken></soapenv:Body></soapenv:Envelope>"
    ).encode()


async def test_secrets_echoed_by_a_hostile_server_never_show() -> None:
    sent: list[bytes] = []
    with scanning() as scan:
        async with HostileServer(_echo_handler(sent)) as server:
            async with aiovsphere.connect(server.url, user="u", password=PASSWORD,
                                          version="8.0.3.0") as client:
                info = client.schema.method("SessionManager", "LoginByToken")
                await scan.expect(client._call(info, token_login_body(client), None))
                await scan.expect(client.invoke(client.service_instance, "CurrentTime"))
                await scan.expect(client.invoke(client.content.rootFolder, "Destroy_Task"))
                scan.objects(client, client.session)
            clone = aiovsphere.Client(server.url, version="8.0.3.0")
            try:
                await clone.open()
                await scan.expect(clone.session.login_by_clone_ticket("cst-" + TOKEN[:20]))
                scan.objects(clone, clone.session)
            finally:
                await clone.close()
    assert any(TOKEN.encode() in body for body in sent)  # the token really went out
    assert any(PASSWORD.encode() in body or html.escape(PASSWORD).encode() in body
               for body in sent)
    assert {"HTTPStatusError", "InvalidResponseError", "MethodFault"} <= set(scan.errors)
    assert scan.wire >= 8
    scan.assert_clean([PASSWORD, MOCK_COOKIE, TOKEN, "cst-" + TOKEN[:20]])


async def test_a_fault_echoing_the_clone_ticket_raw_is_scrubbed() -> None:
    ticket = "cst-0123456789abcdef0123456789abcdef"

    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        return web.Response(body=envelope(
            "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
            f"<faultstring>ticket {ticket} is not valid</faultstring></soapenv:Fault>"),
            status=500, content_type="text/xml")

    async with HostileServer(handler) as server:
        client = aiovsphere.Client(server.url, version="8.0.3.0")
        try:
            await client.open()
            with pytest.raises(aiovsphere.SoapFault) as info:
                await client.session.login_by_clone_ticket(ticket)
        finally:
            await client.close()
    assert ticket not in str(info.value)


async def test_a_logout_fault_echoing_the_password_is_scrubbed_from_the_wire_trace(
) -> None:
    async def handler(request: web.Request, method: str) -> web.StreamResponse | None:
        if method == "RetrieveServiceContent":
            return None
        if method == "Login":
            return await _echo_handler([])(request, method)
        return web.Response(body=envelope(
            "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
            f"<faultstring>bye {html.escape(PASSWORD)}</faultstring></soapenv:Fault>"),
            status=500, content_type="text/xml")

    with scanning() as scan:
        async with HostileServer(handler) as server:
            async with aiovsphere.connect(server.url, user="u", password=PASSWORD,
                                          version="8.0.3.0"):
                pass
    scan.assert_clean([PASSWORD])
