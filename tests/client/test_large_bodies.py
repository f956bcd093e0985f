"""Large responses: decoded off the loop, with full GC collections deferred meanwhile."""

from __future__ import annotations

import gc
import threading

from aiovsphere import Client
from aiovsphere._gc import deferred_full_collections
from aiovsphere._property import retrieve_pages, view_filter_spec
from aiovsphere.vim._moref import ManagedObjectReference

from ._soap import PASSWORD, USER, FakeVC

VIEW = ManagedObjectReference("ContainerView", "session[1]view-1")


def test_deferral_nests_and_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with deferred_full_collections():
        inside = gc.get_threshold()
        assert inside[:2] == before[:2]
        assert inside[2] >= 1_000_000
        with deferred_full_collections():
            assert gc.get_threshold() == inside
        assert gc.get_threshold() == inside  # still deferred: the outer block runs on
    assert gc.get_threshold() == before


async def test_a_large_body_is_decoded_in_a_worker_thread(fake: FakeVC) -> None:
    fake.objects = [("VirtualMachine", f"vm-{i}", {"name": f"vm-{i:04d}"}) for i in range(3000)]
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    decode_in_thread_bytes=64 * 1024)
    seen: list[tuple[str, tuple[int, int, int]]] = []
    original = client._decode_large

    def spy(*args: object) -> object:
        result = original(*args)  # type: ignore[arg-type]
        seen.append((threading.current_thread().name, gc.get_threshold()))
        return result

    client._decode_large = spy  # type: ignore[method-assign]
    before = gc.get_threshold()
    try:
        await client.open()
        await client.session.login(USER, PASSWORD)
        pages = [page async for page in retrieve_pages(
            client, [view_filter_spec(VIEW, "VirtualMachine", ["name"])])]
    finally:
        await client.close()
    names = [c.propSet[0].val for page in pages for c in page]
    assert names == [f"vm-{i:04d}" for i in range(3000)]
    assert seen and all(name != threading.main_thread().name for name, _ in seen)
    assert gc.get_threshold() == before  # restored once the decode finished


def test_thresholds_the_application_set_meanwhile_are_kept() -> None:
    before = gc.get_threshold()
    try:
        with deferred_full_collections():
            gc.set_threshold(900, 12, 14)  # the application's own change during a decode
        assert gc.get_threshold() == (900, 12, 14)
    finally:
        gc.set_threshold(*before)
