"""Re-login after the server drops the session: single flight, checked, never for tickets."""

from __future__ import annotations

import asyncio

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference

from ._soap import PASSWORD, USER, Call, FakeVC, fault, not_authenticated, ok


@pytest.fixture
def fake() -> FakeVC:
    return FakeVC(current_time_needs_session=True)


def _vm(i: int) -> ManagedObjectReference:
    return ManagedObjectReference("VirtualMachine", f"vm-{i}")


async def test_concurrent_calls_share_one_relogin(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    max_in_flight=128)
    await client.open()
    await client.session.login(USER, PASSWORD)
    old = set(fake.sessions)
    fake.terminate_sessions()
    mark = len(fake.calls)

    async def call(i: int) -> object:
        if i % 2:
            return await client.get_properties(_vm(i), ["name"])
        return await client.invoke(client.service_instance, "CurrentTime")

    try:
        async with asyncio.timeout(10):  # a re-login deadlock fails, not hangs
            results = await asyncio.gather(*(call(i) for i in range(100)))
        # Every call succeeded, with its own value.
        for i, result in enumerate(results):
            if i % 2:
                assert result == {"name": f"name:vm-{i}"}
            else:
                assert result.year == 2024  # type: ignore[attr-defined]
        # All 100 were refused first (the probe aside), then exactly one Login followed.
        denied = [c for c in fake.denied if not fake.is_session_probe(c)]
        assert len(denied) == 100
        assert {c.cookie for c in denied} == old
        after = fake.calls[mark:]
        logins = [i for i, c in enumerate(after) if c.method == "Login"]
        assert len(logins) == 1
        assert client.stats.relogins == 1
        assert client.session.generation == 2
        # The session was found gone (a refused currentSession read) before logging in.
        probes = [i for i, c in enumerate(after) if fake.is_session_probe(c)]
        assert len(probes) == 1 and probes[0] < logins[0]
        assert after[probes[0]] in fake.denied
        # The retries carry the new cookie, which is different from the old one.
        (new,) = fake.sessions
        assert new not in old
        retried = [c for c in after[logins[0] + 1 :] if not fake.is_session_probe(c)]
        assert len(retried) == 100
        assert {c.cookie for c in retried} == {new}
    finally:
        await client.close()


async def test_permission_scoped_not_authenticated_does_not_relogin(
    fake: FakeVC, client: Client
) -> None:
    fake.on["CurrentTime"] = lambda call: not_authenticated()
    logins = fake.count("Login")
    with pytest.raises(aiovsphere.faults.NotAuthenticated) as info:
        await client.invoke(client.service_instance, "CurrentTime")
    assert info.value.method == "CurrentTime"
    assert info.value.fault.privilegeId == "System.View"  # type: ignore[union-attr]
    # The session was checked (still alive), and nobody logged in again.
    assert fake.methods[-2:] == ["CurrentTime", "RetrievePropertiesEx"]
    assert fake.is_session_probe(fake.calls[-1])
    assert fake.count("Login") == logins
    assert client.stats.relogins == 0
    assert client.session.generation == 1
    # The session still works.
    fake.on.pop("CurrentTime")
    assert (await client.invoke(client.service_instance, "CurrentTime")).year == 2024


async def test_clone_ticket_session_does_not_relogin(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await client.open()
    try:
        await client.session.login_by_clone_ticket("cst-VCT-52d4-ticket")
        assert client.session.logged_in
        await client.invoke(client.service_instance, "CurrentTime")
        fake.terminate_sessions()
        mark = len(fake.calls)
        with pytest.raises(aiovsphere.faults.NotAuthenticated):
            await client.invoke(client.service_instance, "CurrentTime")
        with pytest.raises(aiovsphere.faults.NotAuthenticated):
            await client.get_properties(_vm(1), ["name"])
        # No probe, no Login, no CloneSession: just the two refused calls.
        assert fake.methods[mark:] == ["CurrentTime", "RetrievePropertiesEx"]
        assert fake.count("Login") == 0 and fake.count("CloneSession") == 1
        assert client.stats.relogins == 0
    finally:
        await client.close()


async def test_missing_set_not_authenticated_relogins(fake: FakeVC, client: Client) -> None:
    """vcsim style: a lost session shows as a NotAuthenticated missingSet entry, not a fault."""

    def missing(call: Call) -> object:
        if fake.authenticated(call):
            return None
        fake.denied.append(call)
        objs = "".join(
            f'<objects><obj type="{el.get("type")}">{el.text}</obj><missingSet>'
            f"<path>{path}</path><fault><fault xsi:type=\"NotAuthenticated\">"
            f'<object type="{el.get("type")}">{el.text}</object>'
            "<privilegeId>System.View</privilegeId></fault>"
            "<localizedMessage>The session is not authenticated.</localizedMessage>"
            "</fault></missingSet></objects>"
            for el in call.element.iterfind("{urn:vim25}specSet/{urn:vim25}objectSet/"
                                            "{urn:vim25}obj")
            for path in call.all_text("v:specSet/v:propSet/v:pathSet")
        )
        return ok("RetrievePropertiesEx", f"<returnval>{objs}</returnval>")

    fake.on["RetrievePropertiesEx"] = missing  # type: ignore[assignment]
    fake.terminate_sessions()
    mark = len(fake.calls)
    assert await client.get_properties(_vm(7), ["name"]) == {"name": "name:vm-7"}
    methods = fake.methods[mark:]
    assert methods == ["RetrievePropertiesEx", "RetrievePropertiesEx", "Login",
                       "RetrievePropertiesEx"]
    assert fake.is_session_probe(fake.calls[mark + 1])
    assert client.stats.relogins == 1


async def test_relogin_with_changed_password_raises_invalid_login(
    fake: FakeVC, client: Client
) -> None:
    fake.terminate_sessions()
    fake.password = "rotated-" + PASSWORD
    with pytest.raises(aiovsphere.faults.InvalidLogin):
        await client.invoke(client.service_instance, "CurrentTime")
    assert fake.methods[-3:] == ["CurrentTime", "RetrievePropertiesEx", "Login"]


async def test_rejected_relogin_is_tried_once_not_per_call(
    fake: FakeVC, client: Client
) -> None:
    """A rotated password: one failed Login, not one per waiting call (which could lock the
    account out), and no further attempts with the rejected password afterwards."""
    fake.terminate_sessions()
    fake.password = "rotated-" + PASSWORD
    logins = fake.count("Login")
    async with asyncio.timeout(10):
        results = await asyncio.gather(
            *(client.invoke(client.service_instance, "CurrentTime") for _ in range(10)),
            return_exceptions=True,
        )
    assert fake.count("Login") == logins + 1
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["InvalidLogin"] + ["NotAuthenticated"] * 9
    assert sum(1 for c in fake.calls if fake.is_session_probe(c)) == 1
    with pytest.raises(aiovsphere.faults.NotAuthenticated):
        await client.invoke(client.service_instance, "CurrentTime")
    assert fake.count("Login") == logins + 1
    # An explicit login with the new password works and re-enables re-login.
    await client.session.login(USER, fake.password)
    fake.terminate_sessions()
    assert (await client.invoke(client.service_instance, "CurrentTime")).year == 2024
    assert fake.count("Login") == logins + 3


async def test_transient_relogin_failure_keeps_credentials(fake: FakeVC, client: Client) -> None:
    fake.terminate_sessions()
    busy = [True]

    def login(call: Call) -> object:
        if busy.pop() if busy else False:
            return fault("SystemError", "A general system error occurred: busy",
                         "<reason>busy</reason>")
        return None

    fake.on["Login"] = login  # type: ignore[assignment]
    with pytest.raises(aiovsphere.faults.SystemError):
        await client.invoke(client.service_instance, "CurrentTime")
    assert (await client.invoke(client.service_instance, "CurrentTime")).year == 2024
    assert client.stats.relogins == 2


async def test_failed_explicit_login_keeps_the_working_credentials(
    fake: FakeVC, client: Client
) -> None:
    with pytest.raises(aiovsphere.faults.InvalidLogin):
        await client.session.login(USER, "typo-" + PASSWORD)
    # The session from before still works and still re-logs in with the good password.
    fake.terminate_sessions()
    assert (await client.invoke(client.service_instance, "CurrentTime")).year == 2024
    assert client.stats.relogins == 1
    assert fake.calls[-2].method == "Login" and fake.calls[-2].text("password") == PASSWORD


async def test_login_and_logout_are_not_retried(fake: FakeVC, client: Client) -> None:
    fake.terminate_sessions()
    logins = fake.count("Login")
    with pytest.raises(aiovsphere.faults.NotAuthenticated):
        await client.session.logout()  # refused by the server: no probe, no re-login
    assert fake.methods[-1] == "Logout"
    assert client._cookie is None
    assert fake.count("Login") == logins
    assert not client.session.logged_in
