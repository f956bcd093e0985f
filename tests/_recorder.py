"""Records what a client made on the server, for the leak tests (tests/integration/
test_leaks.py, tests/chaos): every object a Create* call made (from ``invoke``'s result),
and how many Create* requests went out and how many answers came back (the transport).
Equal counts mean no object was made whose moref nobody saw; the difference is the number
of answers lost in transit."""

from __future__ import annotations

import collections
from typing import Any

import aiovsphere
from aiovsphere import ManagedObjectReference, faults

CREATES = ("CreateContainerView", "CreateListView", "CreateListViewFromView",
           "CreateInventoryView", "CreatePropertyCollector", "CreateFilter")
_PROBE = {"CreateContainerView": "view", "CreateListView": "view",
          "CreateListViewFromView": "view", "CreateInventoryView": "view",
          "CreatePropertyCollector": "filter", "CreateFilter": "spec"}


class Recorder:
    """Wraps one client's ``invoke`` and transport (see the module docstring)."""

    def __init__(self, client: aiovsphere.Client) -> None:
        self.client = client
        self.made: dict[str, list[ManagedObjectReference]] = collections.defaultdict(list)
        self.sent: collections.Counter[str] = collections.Counter()
        self.answered: collections.Counter[str] = collections.Counter()
        invoke = client.invoke
        request = client.transport.request

        async def recording_invoke(ref: Any, method: str, /, **kwargs: Any) -> Any:
            result = await invoke(ref, method, **kwargs)
            if method in CREATES:
                self.made[method].append(result)
            return result

        async def counting_request(req: Any, sink: Any) -> Any:
            if req.operation in CREATES:
                self.sent[req.operation] += 1
            response = await request(req, sink)
            if req.operation in CREATES:
                self.answered[req.operation] += 1
            return response

        client.invoke = recording_invoke  # type: ignore[method-assign]
        client.transport.request = counting_request  # type: ignore[method-assign]

    @property
    def lost(self) -> int:
        """Create* requests sent whose answer never came back (the server may have made
        the object: nobody can know its moref)."""
        return sum(self.sent.values()) - sum(self.answered.values())

    async def alive(self) -> list[str]:
        """The recorded objects that still exist (each read: ManagedObjectNotFound = gone)."""
        left: list[str] = []
        for method, refs in self.made.items():
            for ref in refs:
                try:
                    await self.client.get_properties(ref, [_PROBE[method]])
                except faults.ManagedObjectNotFound:
                    continue
                left.append(f"{method}: {ref.value}")
        return left

    async def leftovers(self) -> list[str]:
        """What the server still holds of what was made, and its own lists: the session's
        ViewManager.viewList and the ServiceContent collector's filters."""
        client = self.client
        left: list[str] = []
        views = (await client.get_properties(client.content.viewManager,
                                             ["viewList"])).get("viewList") or ()
        left += [f"viewList: {v}" for v in views]
        filters = (await client.get_properties(client.content.propertyCollector,
                                               ["filter"])).get("filter") or ()
        left += [f"ServiceContent collector filter: {f}" for f in filters]
        return left + await self.alive()
