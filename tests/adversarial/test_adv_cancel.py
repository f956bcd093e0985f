"""Cancellation at the awkward moments, against vcsim: no server session may be left
behind, and the client's counters, semaphore and tasks must come back to rest."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

import aiovsphere

from ._support import Stretch, leak_checks, other_tasks, session_users


async def _cancel_when(task: asyncio.Task[object], event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)


async def test_cancel_while_the_login_answer_is_in_transit(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """The server created the session; the client is cancelled before reading the answer.
    The session must still be logged out (the exchange is finished, then undone)."""
    user = "adv-cancel-login"
    stretches: list[Stretch] = []
    with leak_checks() as problems:
        client = aiovsphere.Client(vcsim_url)
        await client.open()
        stretch = Stretch(client, after={"Login": 0.3})
        stretches.append(stretch)

        async def work() -> None:
            try:
                await client.session.login(user, "pw")
            finally:
                await client.close()

        task = asyncio.create_task(work())
        await _cancel_when(task, stretch.entered["Login"])
        assert stretch.sent == ["Login", "Logout"]
    assert user not in await session_users(observer)
    assert problems == []


async def test_cancel_connect_while_the_login_answer_is_in_transit(
    vcsim_url: str, observer: aiovsphere.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = "adv-cancel-connect-login"
    stretches: list[Stretch] = []
    opened = asyncio.Event()
    original_open = aiovsphere.Client.open

    async def open_and_stretch(self: aiovsphere.Client) -> None:
        await original_open(self)
        stretches.append(Stretch(self, after={"Login": 0.3}))
        opened.set()

    monkeypatch.setattr(aiovsphere.Client, "open", open_and_stretch)

    async def work() -> None:
        async with aiovsphere.connect(vcsim_url, user=user, password="pw"):
            pytest.fail("the block must not run")

    task = asyncio.create_task(work())
    await asyncio.wait_for(opened.wait(), 10)
    await _cancel_when(task, stretches[0].entered["Login"])
    assert user not in await session_users(observer)


@pytest.mark.parametrize("how", ["connect-exit", "close"])
async def test_cancel_before_the_logout_is_sent(
    vcsim_url: str, observer: aiovsphere.Client, how: str
) -> None:
    """Cancelled while the Logout waits to go out (a slow new connection, a full pool):
    the logout must still happen, within its own bounded budget."""
    user = f"adv-cancel-logout-{how}"
    holder: list[Stretch] = []
    entered = asyncio.Event()

    async def work() -> None:
        if how == "close":
            client = aiovsphere.Client(vcsim_url)
            await client.open()
            await client.session.login(user, "pw")
            holder.append(Stretch(client, before={"Logout": 0.3}))
            entered.set()
            await client.close()
        else:
            async with aiovsphere.connect(vcsim_url, user=user, password="pw") as client:
                holder.append(Stretch(client, before={"Logout": 0.3}))
                entered.set()

    task = asyncio.create_task(work())
    await asyncio.wait_for(entered.wait(), 10)
    await _cancel_when(task, holder[0].entered["Logout"])
    assert "Logout" in holder[0].sent
    assert user not in await session_users(observer)


async def test_close_during_a_relogin_logs_out_the_new_session(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """close() while another task is re-logging in (its Login answer in transit): the
    session that re-login creates must not outlive the client."""
    user = "adv-close-relogin"
    client = aiovsphere.Client(vcsim_url)
    await client.open()
    await client.session.login(user, "pw")
    # The server forgets the session behind the client's back.
    await client._invoke_once(client.content.sessionManager, "Logout", None)
    stretch = Stretch(client, after={"Login": 0.3})
    call = asyncio.create_task(client.get_properties(client.content.rootFolder, ["name"]))
    await asyncio.wait_for(stretch.entered["Login"].wait(), 10)
    await client.close()
    results = await asyncio.gather(call, return_exceptions=True)
    assert not isinstance(results[0], BaseException) or isinstance(
        results[0], (aiovsphere.VSphereError, RuntimeError)), results
    assert user not in await session_users(observer)


async def test_cancel_during_a_relogin_keeps_the_client_usable(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    user = "adv-cancel-relogin"
    async with aiovsphere.connect(vcsim_url, user=user, password="pw") as client:
        await client._invoke_once(client.content.sessionManager, "Logout", None)
        stretch = Stretch(client, after={"Login": 0.3})
        call = asyncio.create_task(client.get_properties(client.content.rootFolder, ["name"]))
        await _cancel_when(call, stretch.entered["Login"])  # type: ignore[arg-type]
        stretch.after.clear()
        # The re-login finished under the cancellation: the next call needs no other.
        assert await client.get_properties(client.content.rootFolder, ["name"]) == {
            "name": "Datacenters"}
        assert client.stats.relogins == 1
        assert client.session.logins == 2
        assert (await session_users(observer)).count(user) == 1
    assert user not in await session_users(observer)


async def test_random_cancellation_of_connect_leaks_no_session(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """Cancel ``async with connect(...)`` at random moments (open, login, the block,
    logout, close): vcsim must end with none of these sessions."""
    rng = random.Random(1234)
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        for i in range(40):
            user = f"adv-rand-{i}"

            async def work(user: str = user) -> None:
                async with aiovsphere.connect(vcsim_url, user=user, password="pw") as client:
                    await client.get_properties(client.content.rootFolder, ["name"])

            task = asyncio.create_task(work())
            await asyncio.sleep(rng.random() * 0.006)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
        assert other_tasks(baseline) == set()
    leaked = [u for u in await session_users(observer) if u.startswith("adv-rand-")]
    assert leaked == []
    assert problems == []


async def test_random_cancellation_of_calls_restores_counters_and_semaphore(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """Cancel calls queued on the semaphore, on the wire, and while a large answer is
    decoded in a worker thread (decode_in_thread_bytes=0)."""
    rng = random.Random(99)
    baseline = set(asyncio.all_tasks())
    with leak_checks() as problems:
        async with aiovsphere.connect(vcsim_url, user="adv-rand-calls", password="pw",
                                      max_in_flight=8, decode_in_thread_bytes=0) as client:
            root = client.content.rootFolder
            view = await client.invoke(client.content.viewManager, "CreateContainerView",
                                       container=root, type=("VirtualMachine",),
                                       recursive=True)
            from aiovsphere._property import view_filter_spec
            from aiovsphere.vim import types as t
            spec = view_filter_spec(view, "VirtualMachine", None)  # every property: big
            tasks = [
                asyncio.create_task(client.invoke(
                    client.content.propertyCollector, "RetrievePropertiesEx",
                    specSet=(spec,), options=t.RetrieveOptions()))
                for _ in range(120)
            ]
            for i in rng.sample(range(120), 60):
                for _ in range(rng.randrange(6)):
                    await asyncio.sleep(0)
                tasks[i].cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)
                      and not isinstance(r, asyncio.CancelledError)]
            assert errors == []
            assert sum(isinstance(r, asyncio.CancelledError) for r in results) >= 10
            assert client.stats.in_flight == 0 and client.stats.queued == 0
            assert client._semaphore._value == 8  # type: ignore[attr-defined]
            # All 8 slots usable at once: none leaked.
            started = time.perf_counter()
            await asyncio.wait_for(asyncio.gather(*(
                client.get_properties(root, ["name"]) for _ in range(8))), 10)
            assert time.perf_counter() - started < 5
            await client.invoke(view, "DestroyView")
        await asyncio.sleep(0)
        assert other_tasks(baseline) == set()
    assert problems == []
    assert "adv-rand-calls" not in await session_users(observer)


async def test_cancel_close_while_the_keepalive_relogin_lands(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """close() is cancelled while it waits for the keep-alive task, which is itself
    finishing a re-login whose answer is in transit: that new session must be logged out."""
    user = "adv-keepalive-relogin"
    with leak_checks() as problems:
        client = aiovsphere.Client(vcsim_url, keepalive=0.01)
        await client.open()
        await client.session.login(user, "pw")
        await client._invoke_once(client.content.sessionManager, "Logout", None)
        stretch = Stretch(client, after={"Login": 0.3})
        await asyncio.wait_for(stretch.entered["Login"].wait(), 10)  # keep-alive re-login
        closing = asyncio.create_task(client.close())
        await asyncio.sleep(0.05)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(closing, 15)
        assert stretch.sent[-2:] == ["Login", "Logout"]
        assert stretch.inner._session is None  # type: ignore[attr-defined]
        del client, closing
    assert problems == []
    assert user not in await session_users(observer)


async def test_deadline_expiring_while_the_login_answer_is_in_transit(
    vcsim_url: str, observer: aiovsphere.Client
) -> None:
    """Same as a cancellation, by an ``aiovsphere.timeout`` deadline, with a client default
    timeout (so the call itself also sees the deadline): TimeoutError, and no session left."""
    user = "adv-deadline-login"
    client = aiovsphere.Client(vcsim_url, timeout=5)
    await client.open()
    stretch = Stretch(client, after={"Login": 0.3})
    try:
        with pytest.raises(TimeoutError):
            async with aiovsphere.timeout(0.1):
                await client.session.login(user, "pw")
    finally:
        await client.close()
    assert stretch.sent == ["Login", "Logout"]
    assert user not in await session_users(observer)
