"""RetrievePropertiesEx paging (vcsim ignores maxObjects, so this is the paging test)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

import aiovsphere
from aiovsphere import Client, ManagedObjectReference
from aiovsphere._property import container_view, retrieve_pages, view_filter_spec

from ._soap import Call, FakeVC, V

VIEW = ManagedObjectReference("ContainerView", "session[52f1]52a0-view-1")


def _inventory(n: int) -> list[tuple[str, str, dict[str, str]]]:
    return [("VirtualMachine", f"vm-{i}", {"name": f"db-{i:02d}"}) for i in range(n)]


def _specs() -> list[Any]:
    return [view_filter_spec(VIEW, "VirtualMachine", ["name"])]


def _names(page: tuple[Any, ...]) -> list[str]:
    return [c.propSet[0].val for c in page]


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)


async def test_pages_arrive_in_order_until_no_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    start = len(fake.calls)
    pages = [page async for page in retrieve_pages(client, _specs(), max_objects=4)]

    assert [_names(p) for p in pages] == [
        [f"db-{i:02d}" for i in range(0, 4)],
        [f"db-{i:02d}" for i in range(4, 8)],
        ["db-08", "db-09"],
    ]
    assert [c.obj for p in pages for c in p] == [
        ManagedObjectReference("VirtualMachine", f"vm-{i}") for i in range(10)
    ]
    calls = fake.calls[start:]
    assert [c.method for c in calls] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "ContinueRetrievePropertiesEx",
    ]
    # The first request asks for pages of 4; the token "0" is a token like any other.
    assert calls[0].text("options/" + V + "maxObjects") == "4"
    assert [c.text("token") for c in calls[1:]] == ["0", "1"]
    assert fake.tokens == {}

    # A completed retrieval sends nothing more (no CancelRetrievePropertiesEx).
    await _settle()
    assert len(fake.calls) == start + 3


async def test_single_page_result_sends_no_continue_or_cancel(
    fake: FakeVC, client: Client
) -> None:
    fake.objects = _inventory(3)
    start = len(fake.calls)
    pages = [page async for page in retrieve_pages(client, _specs(), max_objects=100)]
    await _settle()
    assert [_names(p) for p in pages] == [["db-00", "db-01", "db-02"]]
    assert fake.methods[start:] == ["RetrievePropertiesEx"]


async def test_without_max_objects_request_has_no_max_objects(
    fake: FakeVC, client: Client
) -> None:
    fake.objects = _inventory(2)
    start = len(fake.calls)
    pages = [page async for page in retrieve_pages(client, _specs())]
    assert len(pages) == 1
    assert fake.calls[start].text("options/" + V + "maxObjects") is None


async def test_break_with_aclosing_cancels_the_open_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    start = len(fake.calls)
    seen: list[list[str]] = []
    async with contextlib.aclosing(retrieve_pages(client, _specs(), max_objects=4)) as pages:
        async for page in pages:
            seen.append(_names(page))
            break
    # Deterministic: by the end of the block the token is released.
    assert seen == [["db-00", "db-01", "db-02", "db-03"]]
    assert fake.methods[start:] == ["RetrievePropertiesEx", "CancelRetrievePropertiesEx"]
    assert fake.calls[-1].text("token") == "0"
    assert fake.tokens == {}


async def test_plain_break_cancels_the_open_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    start = len(fake.calls)
    async for page in retrieve_pages(client, _specs(), max_objects=4):
        if _names(page)[0] == "db-04":
            break
    # A bare `break` leaves closing to asyncio's async-generator finalizer: soon, not now.
    await fake.wait_for("CancelRetrievePropertiesEx")
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
    ]
    assert fake.calls[-1].text("token") == "1"
    await _settle()
    assert len(fake.calls) == start + 3


async def test_cancellation_mid_paging_cancels_the_open_token(
    fake: FakeVC, client: Client
) -> None:
    fake.objects = _inventory(10)
    entered = asyncio.Event()

    async def stuck(call: Call) -> None:
        entered.set()
        await asyncio.sleep(3600)

    fake.on["ContinueRetrievePropertiesEx"] = stuck
    got: list[list[str]] = []

    async def consume() -> None:
        async for page in retrieve_pages(client, _specs(), max_objects=4):
            got.append(_names(page))

    start = len(fake.calls)
    task = asyncio.create_task(consume())
    await asyncio.wait_for(entered.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The cancel is shielded: it is sent while the consumer's CancelledError propagates.
    await fake.wait_for("CancelRetrievePropertiesEx")
    assert got == [["db-00", "db-01", "db-02", "db-03"]]
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
    ]
    assert fake.calls[-1].text("token") == "0"
    assert client.stats.in_flight == 0


async def test_fault_mid_paging_cancels_the_open_token(fake: FakeVC, client: Client) -> None:
    fake.objects = _inventory(10)
    from ._soap import fault

    fake.on["ContinueRetrievePropertiesEx"] = lambda call: fault(
        "SystemError", "A general system error occurred: boom", "<reason>boom</reason>"
    )
    start = len(fake.calls)
    got: list[list[str]] = []
    with pytest.raises(aiovsphere.faults.SystemError):
        async for page in retrieve_pages(client, _specs(), max_objects=4):
            got.append(_names(page))
    assert len(got) == 1
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
    ]
    assert fake.calls[-1].text("token") == "0"


async def test_expired_aiovsphere_deadline_still_cancels_the_token(
    fake: FakeVC, client: Client
) -> None:
    """The clean-up call has its own time budget: the caller's expired deadline (which is
    why the loop ended) must not cancel it before it is sent."""
    fake.objects = _inventory(10)

    async def slow(call: Call) -> None:
        await asyncio.sleep(3600)

    budget: list[float | None] = []
    fake.on["ContinueRetrievePropertiesEx"] = slow
    fake.on["CancelRetrievePropertiesEx"] = lambda call: budget.append(aiovsphere.remaining())
    start = len(fake.calls)
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.1):
            async for _page in retrieve_pages(client, _specs(), max_objects=4):
                pass
    await fake.wait_for("CancelRetrievePropertiesEx")
    assert fake.methods[start:] == [
        "RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "CancelRetrievePropertiesEx",
    ]
    assert fake.calls[-1].text("token") == "0"
    (left,) = budget
    assert left is not None and 25 < left <= 30  # its own 30 s, not the expired deadline


async def test_container_view_destroyed_when_deadline_expires(
    fake: FakeVC, client: Client
) -> None:
    budget: list[float | None] = []
    fake.on["DestroyView"] = lambda call: budget.append(aiovsphere.remaining())
    start = len(fake.calls)
    with pytest.raises(TimeoutError):
        async with aiovsphere.timeout(0.05):
            async with container_view(client, ["VirtualMachine"]) as view:
                assert view == VIEW
                await asyncio.sleep(3600)
    assert fake.methods[start:] == ["CreateContainerView", "DestroyView"]
    assert fake.calls[-1].element.find(V + "_this").text == VIEW.value  # type: ignore[union-attr]
    (left,) = budget
    assert left is not None and 25 < left <= 30


async def test_container_view_destroyed_on_break_and_error(
    fake: FakeVC, client: Client
) -> None:
    start = len(fake.calls)
    with pytest.raises(LookupError):
        async with container_view(client, ["VirtualMachine"]):
            raise LookupError
    async with container_view(client, ["VirtualMachine"]):
        pass
    assert fake.methods[start:] == ["CreateContainerView", "DestroyView"] * 2
