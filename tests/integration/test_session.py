"""Sessions against vcsim: login, logout on every path, faults, re-login, clone tickets."""

from __future__ import annotations

import asyncio
import sys

import pytest

import aiovsphere
from aiovsphere import faults
from tests.integration.conftest import session_users


async def test_login_and_logout_leave_no_session(vcsim_url: str, observer: aiovsphere.Client
                                                 ) -> None:
    async with aiovsphere.connect(vcsim_url, user="login-user", password="pw") as client:
        assert client.session.user_session is not None
        assert client.session.user_session.userName == "login-user"
        assert "login-user" in await session_users(observer)
    assert "login-user" not in await session_users(observer)


async def test_logout_when_the_block_raises_or_is_cancelled(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    with pytest.raises(ZeroDivisionError):
        async with aiovsphere.connect(vcsim_url, user="raise-user", password="pw"):
            1 / 0  # noqa: B018
    entered = asyncio.Event()

    async def body() -> None:
        async with aiovsphere.connect(vcsim_url, user="cancel-user", password="pw"):
            entered.set()
            await asyncio.sleep(3600)

    task = asyncio.create_task(body())
    await entered.wait()
    assert "cancel-user" in await session_users(observer)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    users = await session_users(observer)
    assert "raise-user" not in users
    assert "cancel-user" not in users


async def test_empty_credentials_raise_invalid_login(vcsim_url: str) -> None:
    with pytest.raises(faults.InvalidLogin) as info:
        async with aiovsphere.connect(vcsim_url, user="", password=""):
            pass
    assert isinstance(info.value, faults.VimFault)
    assert isinstance(info.value, aiovsphere.SoapFault)
    assert info.value.method == "Login"
    assert info.value.fault_name == "InvalidLogin"


async def test_managed_object_not_found(vcsim_url: str, observer: aiovsphere.Client) -> None:
    ghost = aiovsphere.ManagedObjectReference("VirtualMachine", "vm-999999")
    with pytest.raises(faults.ManagedObjectNotFound) as info:
        await observer.get_properties(ghost, ["name"])
    assert isinstance(info.value, faults.RuntimeFault)


async def test_invalid_argument(observer: aiovsphere.Client) -> None:
    with pytest.raises(faults.InvalidArgument):
        await observer.invoke(
            observer.content.viewManager, "CreateContainerView",
            container=observer.content.rootFolder, type=("NoSuchType",), recursive=True,
        )


async def test_relogin_after_terminate_with_100_calls_in_flight(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    async with aiovsphere.connect(vcsim_url, user="victim", password="pw") as client:
        assert client.session.user_session is not None
        key = client.session.user_session.key
        root = client.content.rootFolder
        await observer.invoke(observer.content.sessionManager, "TerminateSession",
                              sessionId=(key,))
        results = await asyncio.gather(
            *(client.get_properties(root, ["name"]) for _ in range(100))
        )
        assert results == [{"name": "Datacenters"}] * 100
        assert client.session.logins == 2  # the first login and exactly one re-login
        assert client.stats.relogins == 1
        assert client.session.user_session.key != key
    assert "victim" not in await session_users(observer)


async def test_clone_ticket_joins_the_same_user(vcsim_url: str, observer: aiovsphere.Client
                                                ) -> None:
    async with aiovsphere.connect(vcsim_url, user="cloner", password="pw") as first:
        ticket = await first.session.acquire_clone_ticket()
        assert ticket and isinstance(ticket, str)
        async with aiovsphere.connect(vcsim_url, clone_ticket=ticket) as second:
            assert second.session.user_session is not None
            assert second.session.user_session.userName == "cloner"
            props = await second.get_properties(second.content.rootFolder, ["name"])
            assert props == {"name": "Datacenters"}
    assert "cloner" not in await session_users(observer)


async def test_clone_ticket_shares_the_session_with_another_process(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    script = (
        "import asyncio, sys, aiovsphere\n"
        "async def main():\n"
        "    async with aiovsphere.connect(sys.argv[1], clone_ticket=sys.argv[2]) as c:\n"
        "        print(c.session.user_session.userName)\n"
        "        print((await c.get_properties(c.content.rootFolder, ['name']))['name'])\n"
        "asyncio.run(main())\n"
    )
    async with aiovsphere.connect(vcsim_url, user="parent-proc", password="pw") as parent:
        ticket = await parent.session.acquire_clone_ticket()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, vcsim_url, ticket,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert out.decode().split() == ["parent-proc", "Datacenters"]
        assert ticket not in err.decode()
    assert "parent-proc" not in await session_users(observer)


async def test_version_is_negotiated_from_vim_service_versions(vcsim_url: str) -> None:
    from aiovsphere._versions import versions_from_xml

    async with aiovsphere.Client(vcsim_url) as client:
        status, body = await client._get(client.sdk_url + "/vimServiceVersions.xml")
        assert status == 200
        offered = versions_from_xml(body)
        assert offered, "vcsim lists its versions"
        assert client.version in offered
        assert client.version == max(
            (v for v in offered if v in client.schema.versions),
            key=client.schema.version_index,
        )
        assert client.content.about.apiVersion == client.version
