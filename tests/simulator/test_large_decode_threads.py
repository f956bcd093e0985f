"""Regression: a large response's parse ends on the loop thread that fed it.

lxml keeps per-thread name dictionaries; finishing a parse (``sink.close()``) in a worker
thread that had parsed XML itself before corrupted memory ("SOAP Envelope without a Body",
segfaults). The client now closes the parse on the loop and only decodes in the thread.
"""

from __future__ import annotations

import asyncio

from lxml import etree

import aiovsphere
from aiovsphere.simulator import InventorySpec, Simulator


async def test_large_retrievals_after_worker_threads_parsed_xml() -> None:
    # Warm the default executor's threads with parses of their own.
    await asyncio.gather(*(asyncio.to_thread(
        lambda: etree.fromstring(b"<a xmlns='urn:x'><b/></a>")) for _ in range(50)))
    async with Simulator(InventorySpec.for_vm_count(1000)) as sim, aiovsphere.connect(
            sim.url, user="admin", password="pw", decode_in_thread_bytes=64 * 1024) as client:
        async with client.container_view(["VirtualMachine"]) as view:
            for _ in range(3):
                records = await client.retrieve(view, None)  # every property: megabytes
                assert len(records) == 1000
                assert len({r.name for r in records}) == 1000
