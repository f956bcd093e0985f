"""Conformance of sessions and ServiceContent: login, the session list, logout,
TerminateSession and the client's re-login, clone tickets, version negotiation."""

from __future__ import annotations

import datetime as dt

import pytest

import aiovsphere
from aiovsphere import faults
from tests.conformance.conftest import Backend, Ref, session_users

# The managers both servers publish, at vCenter's morefs.
MANAGERS = {
    "propertyCollector": Ref("PropertyCollector", "propertyCollector"),
    "viewManager": Ref("ViewManager", "ViewManager"),
    "sessionManager": Ref("SessionManager", "SessionManager"),
    "searchIndex": Ref("SearchIndex", "SearchIndex"),
    "eventManager": Ref("EventManager", "EventManager"),
    "taskManager": Ref("TaskManager", "TaskManager"),
    "perfManager": Ref("PerformanceManager", "PerfMgr"),
    "setting": Ref("OptionManager", "VpxSettings"),
    "authorizationManager": Ref("AuthorizationManager", "AuthorizationManager"),
    "fileManager": Ref("FileManager", "FileManager"),
    "virtualDiskManager": Ref("VirtualDiskManager", "virtualDiskManager"),
    "dvSwitchManager": Ref("DistributedVirtualSwitchManager", "DVSManager"),
}


async def test_service_content_basics(client: aiovsphere.Client, backend: Backend) -> None:
    content = client.content
    about = content.about
    assert about.apiType == "VirtualCenter"
    assert about.name == "VMware vCenter Server"
    assert about.fullName.startswith(f"VMware vCenter Server {about.version} build-")
    assert about.instanceUuid
    assert about.apiVersion == client.version
    if backend.vcsim:  # vcsim models vCenter 6.5; the embedded simulator 8.0.3
        assert about.apiVersion == "6.5"
    else:
        assert about.apiVersion == "8.0.3.0"
    assert content.rootFolder == Ref("Folder", "group-d1")
    assert {name: getattr(content, name) for name in MANAGERS} == MANAGERS
    root = await client.get_properties(content.rootFolder, ["name", "childEntity"])
    assert root["name"] == "Datacenters"
    (dc,) = root["childEntity"]
    assert dc.type == "Datacenter"
    assert await client.get_properties(dc, ["name"]) == {"name": "DC0"}


async def test_current_time_is_an_aware_utc_datetime(client: aiovsphere.Client) -> None:
    now = await client.invoke(client.service_instance, "CurrentTime")
    assert isinstance(now, dt.datetime)
    assert now.utcoffset() == dt.timedelta(0)


async def test_login_lists_the_session_and_logout_removes_it(
        backend: Backend, other: aiovsphere.Client) -> None:
    assert "alice" not in await session_users(other)
    async with aiovsphere.connect(backend.url, user="alice", password="pw") as alice:
        user = alice.session.user_session
        assert user is not None and user.userName == "alice"
        assert user.key and isinstance(user.loginTime, dt.datetime)
        assert "alice" in await session_users(other)
        current = await alice.get_properties(alice.content.sessionManager, ["currentSession"])
        assert current["currentSession"].key == user.key
        assert await alice.invoke(alice.content.sessionManager, "SessionIsActive",
                                  sessionID=user.key, userName="alice") is True
    assert "alice" not in await session_users(other)
    assert await other.invoke(other.content.sessionManager, "SessionIsActive",
                              sessionID=user.key, userName="alice") is False


async def test_empty_credentials_are_an_invalid_login(backend: Backend) -> None:
    with pytest.raises(faults.InvalidLogin) as info:
        async with aiovsphere.connect(backend.url, user="", password=""):
            pass
    assert info.value.method == "Login"


async def test_a_call_without_a_session_is_not_authenticated(backend: Backend) -> None:
    async with aiovsphere.Client(backend.url) as anonymous:
        assert anonymous.content.rootFolder == Ref("Folder", "group-d1")  # no login needed
        with pytest.raises(faults.NotAuthenticated):
            await anonymous.get_properties(anonymous.content.rootFolder, ["name"])


async def test_a_terminated_session_logs_in_again(backend: Backend,
                                                  other: aiovsphere.Client) -> None:
    async with aiovsphere.connect(backend.url, user="victim", password="pw") as victim:
        assert victim.session.user_session is not None
        key = victim.session.user_session.key
        await other.invoke(other.content.sessionManager, "TerminateSession", sessionId=(key,))
        assert await other.invoke(other.content.sessionManager, "SessionIsActive",
                                  sessionID=key, userName="victim") is False
        # The next call gets NotAuthenticated; the client logs in again and retries.
        props = await victim.get_properties(victim.content.rootFolder, ["name"])
        assert props == {"name": "Datacenters"}
        assert victim.stats.relogins == 1
        assert victim.session.user_session.key != key
        assert (await session_users(other)).count("victim") == 1  # the old one is gone
    assert "victim" not in await session_users(other)


async def test_terminating_an_unknown_session_is_not_found(other: aiovsphere.Client) -> None:
    with pytest.raises(faults.NotFound):
        await other.invoke(other.content.sessionManager, "TerminateSession",
                           sessionId=("no-such-session",))


async def test_terminating_the_current_session_is_an_invalid_argument(
        backend: Backend) -> None:
    """vCenter: "InvalidArgument: if a sessionId matches the current session. Use the
    logout method to terminate the current session." """
    async with aiovsphere.connect(backend.url, user="self-terminator", password="pw") as me:
        assert me.session.user_session is not None
        with pytest.raises(faults.InvalidArgument):
            await me.invoke(me.content.sessionManager, "TerminateSession",
                            sessionId=(me.session.user_session.key,))
        assert me.stats.relogins == 0
        assert await me.get_properties(me.content.rootFolder, ["name"]) == {
            "name": "Datacenters"}
        assert me.stats.relogins == 0  # still the same session


async def test_a_clone_ticket_joins_the_same_user(backend: Backend,
                                                  other: aiovsphere.Client) -> None:
    async with aiovsphere.connect(backend.url, user="cloner", password="pw") as first:
        ticket = await first.session.acquire_clone_ticket()
        assert isinstance(ticket, str) and ticket
        async with aiovsphere.connect(backend.url, clone_ticket=ticket) as second:
            assert second.session.user_session is not None
            assert second.session.user_session.userName == "cloner"
            assert first.session.user_session is not None
            assert second.session.user_session.key != first.session.user_session.key
            assert (await session_users(other)).count("cloner") == 2
        # A ticket is good for one CloneSession only.
        with pytest.raises(faults.InvalidLogin):
            async with aiovsphere.connect(backend.url, clone_ticket=ticket):
                pass
    assert "cloner" not in await session_users(other)


async def test_the_version_is_negotiated_from_vim_service_versions(backend: Backend) -> None:
    from aiovsphere._versions import versions_from_xml

    async with aiovsphere.Client(backend.url) as client:
        status, body = await client._get(client.sdk_url + "/vimServiceVersions.xml")
        assert status == 200
        offered = versions_from_xml(body)
        served = client.content.about.apiVersion
        # The served version first, then older ones only (vCenter lists no newer one).
        assert offered[0] == served
        newer = [v for v in offered if v in client.schema.versions
                 and client.schema.version_index(v) > client.schema.version_index(served)]
        assert newer == []
        assert client.version in offered
        assert client.version == max((v for v in offered if v in client.schema.versions),
                                     key=client.schema.version_index)
        assert client.content.about.apiVersion == client.version
