"""The session cookie: from Login's Set-Cookie only, sent on later calls, gone after logout."""

from __future__ import annotations

import pytest

from aiovsphere import Client

from ._soap import PASSWORD, USER, Call, FakeVC, ok

UNRELATED = [
    "JSESSIONID=2F8C1A9D0E7B3C4D5E6F; Path=/ui; Secure; HttpOnly",
    "other=1",
    'tracker="vmware_soap_session=deadbeef"; Path=/',
    "vmware_soap_session_backup=deadbeef; Path=/",
    "proxy=vmware_soap_session; Path=/",
    "lb=node2; Path=/; vmware_soap_session=deadbeef",
    "X-vmware_soap_session=deadbeef",
]


async def _client(fake: FakeVC) -> Client:
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    return c


async def test_cookie_from_login_is_sent_on_later_calls(fake: FakeVC) -> None:
    c = await _client(fake)
    try:
        assert fake.calls[-1].request.headers.get("Cookie") is None  # anonymous so far
        await c.session.login(USER, PASSWORD)
        (key,) = fake.sessions
        await c.invoke(c.service_instance, "CurrentTime")
        header = fake.calls[-1].request.headers["Cookie"]
        assert header == f'vmware_soap_session="{key}"'
        assert fake.calls[-1].cookie == key
    finally:
        await c.close()


@pytest.mark.parametrize("unrelated", UNRELATED)
async def test_unrelated_set_cookie_on_login_does_not_displace(
    fake: FakeVC, unrelated: str
) -> None:
    # Before and after the session cookie in the same response.
    fake.extra_set_cookies = (unrelated,)
    c = await _client(fake)
    try:
        await c.session.login(USER, PASSWORD)
        (key,) = fake.sessions
        fake.on["CurrentTime"] = lambda call: ok(
            "CurrentTime", "<returnval>2024-05-01T10:00:00Z</returnval>",
            set_cookies=(unrelated,),
        )
        await c.invoke(c.service_instance, "CurrentTime")
        await c.invoke(c.service_instance, "CurrentTime")
        assert fake.calls[-1].request.headers["Cookie"] == f'vmware_soap_session="{key}"'
        assert "deadbeef" not in fake.calls[-1].request.headers["Cookie"]
    finally:
        await c.close()


async def test_session_cookie_after_unrelated_in_login_response(fake: FakeVC) -> None:
    original = fake.do_Login

    def login(call: Call) -> object:
        resp = original(call)
        resp.set_cookies = (*resp.set_cookies, "JSESSIONID=abc; Path=/", "other=1")
        return resp

    fake.on["Login"] = login  # type: ignore[assignment]
    c = await _client(fake)
    try:
        await c.session.login(USER, PASSWORD)
        (key,) = fake.sessions
        await c.invoke(c.service_instance, "CurrentTime")
        assert fake.calls[-1].cookie == key
    finally:
        await c.close()


async def test_cookie_gone_after_logout(fake: FakeVC) -> None:
    c = await _client(fake)
    try:
        await c.session.login(USER, PASSWORD)
        await c.session.logout()
        assert fake.methods[-1] == "Logout"
        assert fake.calls[-1].cookie is not None  # Logout itself carries the cookie
        assert fake.sessions == set()
        await c.invoke(c.service_instance, "CurrentTime")
        assert "Cookie" not in fake.calls[-1].request.headers
        assert not c.session.logged_in
        # Logging in again takes the new cookie.
        await c.session.login(USER, PASSWORD)
        (key,) = fake.sessions
        await c.invoke(c.service_instance, "CurrentTime")
        assert fake.calls[-1].cookie == key
    finally:
        await c.close()
    assert fake.methods[-1] == "Logout"
