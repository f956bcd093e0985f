"""The password and the session cookie never show in reprs, exceptions or logs."""

from __future__ import annotations

import html
import logging
import traceback
from urllib.parse import quote

import pytest

import aiovsphere
from aiovsphere import Client
from aiovsphere.transport.mock import MockResponse

from ._soap import PASSWORD, USER, Call, FakeVC, not_authenticated


def _exception_text(exc: BaseException) -> str:
    return "\n".join(
        [str(exc), repr(exc), *traceback.format_exception(exc), *map(str, exc.args)]
    )


def _assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret, "a secret to look for must not be empty"
        assert secret not in text
        assert quote(secret, safe="") not in text


def _echo_page(call: Call, *, escape: bool) -> MockResponse:
    """A proxy error page that dumps the request it could not forward (headers and body)."""
    dump = (
        f"POST /sdk HTTP/1.1\r\nCookie: {call.request.headers.get('Cookie', '')}\r\n"
        f"SOAPAction: {call.request.headers['SOAPAction']}\r\n\r\n"
        + call.request.body.decode()
    )
    if escape:
        dump = html.escape(dump)
    page = f"<html><head><title>502 Bad Gateway</title></head><body><pre>{dump}</pre></body></html>"
    return MockResponse(page.encode(), status=502, content_type="text/html")


async def test_reprs_hide_password_and_cookie(fake: FakeVC, client: Client) -> None:
    (key,) = fake.sessions
    for text in (repr(client), str(client), repr(client.session), repr(client.session._credentials),
                 repr(fake.calls[-1].request)):
        _assert_clean(text, PASSWORD, key)
    assert "logged in" in repr(client)
    assert USER in repr(client.session)


async def test_invalid_login_fault_hides_password(fake: FakeVC) -> None:
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    wrong = "Wr0ng-" + PASSWORD
    try:
        with pytest.raises(aiovsphere.faults.InvalidLogin) as info:
            await c.session.login(USER, wrong)
        assert info.value.method == "Login"
        assert "incorrect user name or password" in str(info.value)
        _assert_clean(_exception_text(info.value), wrong, PASSWORD)
        _assert_clean(repr(c) + repr(c.session), wrong)
        assert not c.session.logged_in
    finally:
        await c.close()
    assert "Logout" not in fake.methods


@pytest.mark.parametrize("escape", [False, True], ids=["raw", "html-escaped"])
async def test_proxy_page_echoing_login_request_hides_password(
    fake: FakeVC, escape: bool
) -> None:
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    fake.on["Login"] = lambda call: _echo_page(call, escape=escape)
    try:
        with pytest.raises(aiovsphere.HTTPStatusError) as info:
            await c.session.login(USER, PASSWORD)
        assert info.value.status == 502
        assert "Bad Gateway" in info.value.excerpt
        _assert_clean(_exception_text(info.value), PASSWORD)
        assert PASSWORD in fake.calls[-1].request.body.decode()  # it really was echoed
    finally:
        await c.close()


@pytest.mark.parametrize("escape", [False, True], ids=["raw", "html-escaped"])
async def test_proxy_page_echoing_cookie_hides_cookie(
    fake: FakeVC, client: Client, escape: bool
) -> None:
    (key,) = fake.sessions
    fake.on["CurrentTime"] = lambda call: _echo_page(call, escape=escape)
    with pytest.raises(aiovsphere.HTTPStatusError) as info:
        await client.invoke(client.service_instance, "CurrentTime")
    assert info.value.method == "CurrentTime"
    _assert_clean(_exception_text(info.value), key, PASSWORD)


@pytest.mark.parametrize("status", [403, 200, 500])
async def test_waf_page_quoting_the_password_hides_it(fake: FakeVC, status: int) -> None:
    """A firewall page quoting the offending field, HTML- and URL-escaped, near its top."""
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    page = (
        "<html><body><h1>Request blocked</h1><p>field "
        f"{html.escape('<password>' + PASSWORD + '</password>')} or "
        f"password={quote(PASSWORD, safe='')}</p></body></html>"
    )
    fake.on["Login"] = lambda call: MockResponse(page.encode(), status=status,
                                                 content_type="text/html")
    try:
        with pytest.raises(aiovsphere.TransportError) as info:
            await c.session.login(USER, PASSWORD)
        assert "Request blocked" in str(info.value)
        _assert_clean(_exception_text(info.value), PASSWORD)
    finally:
        await c.close()


async def test_invalid_response_echoing_secrets_hides_them(fake: FakeVC, client: Client) -> None:
    (key,) = fake.sessions
    page = f"<html><body>session {key} user {USER} password {PASSWORD}</body></html>"
    fake.on["CurrentTime"] = lambda call: MockResponse(page.encode(), status=200,
                                                       content_type="text/html")
    with pytest.raises(aiovsphere.InvalidResponseError) as info:
        await client.invoke(client.service_instance, "CurrentTime")
    _assert_clean(_exception_text(info.value), key, PASSWORD)


async def test_logs_hide_secrets_through_login_relogin_logout(
    fake: FakeVC, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    await c.session.login(USER, PASSWORD)
    keys = set(fake.sessions)
    fake.terminate_sessions()
    await c.invoke(c.service_instance, "CurrentTime")
    await c.get_properties(c.content.rootFolder, ["name"])  # NotAuthenticated -> re-login
    keys |= fake.sessions
    await c.close()
    assert c.stats.relogins == 1
    assert fake.count("Login") == 2 and fake.methods[-1] == "Logout"
    assert len(keys) == 2
    assert any("logging in again" in r.getMessage() for r in caplog.records)
    text = "\n".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    _assert_clean(text, PASSWORD, *keys)


async def test_not_authenticated_fault_text_hides_cookie(fake: FakeVC, client: Client) -> None:
    (key,) = fake.sessions
    client.session._credentials = None  # no re-login: the fault reaches the caller
    fake.on["CurrentTime"] = lambda call: not_authenticated()
    with pytest.raises(aiovsphere.faults.NotAuthenticated) as info:
        await client.invoke(client.service_instance, "CurrentTime")
    _assert_clean(_exception_text(info.value), key, PASSWORD)


def test_a_short_password_is_scrubbed_as_a_token_not_inside_words() -> None:
    """A one-letter test password must not mangle every message ("im***lement"), and is
    still hidden where it stands alone."""
    import unittest.mock as m

    from aiovsphere import Client

    client = Client("http://127.0.0.1:1/sdk")
    body = b"vcsim does not implement: pw=p p, (p)"
    with m.patch.object(client.session, "_secret", return_value="p"):
        assert client._scrub(body) == b"vcsim does not implement: pw=*** ***, (***)"
    with m.patch.object(client.session, "_secret", return_value="longer-secret"):
        assert client._scrub(b"x=longer-secretly") == b"x=***ly"  # long: anywhere
