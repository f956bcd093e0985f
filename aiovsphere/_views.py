"""ContainerView and ListView as async context managers (vim.view.ViewManager).

    async with client.container_view(["VirtualMachine"]) as view:
        records = await client.retrieve(view, ["name", "runtime.powerState"])

Views are session objects on the server; one left behind lives (and is kept current by
vCenter) until the session ends. Every view made here is destroyed (vim.view.View.DestroyView)
on every exit path, cancellation included: creation never strands a view when the caller is
cancelled while the answer is in transit, and the destroy call is shielded from the
caller's cancellation and deadline.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import without_deadline
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere._objects import ManagedObject

__all__ = ["ContainerView", "ListView", "create_then_destroy", "destroy_quietly"]

_CLEANUP_SECONDS = 30


async def invoke_repeatable(client: Client, ref: ManagedObjectReference, method: str, *,
                            timeout: float | None = None, **params: Any) -> Any:
    """``client.invoke`` for a call that ends the same way when sent twice, retried after
    transport errors under the client's :class:`~aiovsphere.RetryPolicy` (its attempts,
    backoff and deadline), although the method is not an idempotent read: the clean-up
    calls of :func:`destroy_quietly` (``Destroy*`` of a view, collector or filter, and
    ``CancelWaitForUpdates`` of a collector being closed). A second destroy after a lost
    answer finds ManagedObjectNotFound, which clean-up ignores; not sending it again would
    leave the object behind until the session ends. Never used for anything else.
    """
    policy = client.retry
    if policy is None:
        return await client.invoke(ref, method, timeout=timeout, **params)
    repeatable = dataclasses.replace(policy, idempotent=_always)
    # One retry loop (this one replaces the client's), bounded by ``timeout``.
    return await client.invoke(ref, method, timeout=timeout, retry=repeatable, **params)


def _always(_method: object) -> bool:
    return True


async def create_then_destroy(
    client: Client, ref: ManagedObjectReference, method: str, destroy: str,
    **params: Any,
) -> ManagedObjectReference:
    """Call a creating ``method`` on ``ref``; if the caller is cancelled (or its deadline
    passes) while the answer is in transit, destroy the object the server made (with
    ``destroy``) once the answer lands, then re-raise. Returns the new object's moref.

    The call runs in a task of its own, outside the caller's deadline (with its own
    ``_CLEANUP_SECONDS``): cut off at the deadline, the request would leave the server's
    object behind with nobody knowing its moref. The caller's wait still ends at its
    deadline; its ``TimeoutError`` comes once the object is destroyed, or after
    ``CLEANUP_GRACE`` seconds with the clean-up going on in the background (a server that
    does not answer never holds a cancellation up for long)."""
    with without_deadline():
        create = asyncio.ensure_future(client.invoke(ref, method, timeout=_CLEANUP_SECONDS,
                                                     **params))
    try:
        made: ManagedObjectReference = await asyncio.shield(create)
    except BaseException:
        await run_cleanup(_destroy_when_made(client, create, destroy))
        raise
    return made


CLEANUP_GRACE = 2.0  # seconds a cancelled caller waits for its clean-up to finish
_BACKGROUND: set[asyncio.Task[Any]] = set()


async def run_cleanup(coro: Coroutine[Any, Any, None], grace: float = CLEANUP_GRACE) -> None:
    """Run a clean-up ``coro`` outside the caller's deadline and cancellation; wait for it
    up to ``grace`` seconds, then let it finish in the background (kept referenced, its
    errors swallowed). Used on the way out of a cancelled or failed call."""
    with without_deadline():
        task = asyncio.ensure_future(coro)
    _BACKGROUND.add(task)
    task.add_done_callback(_forget)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait({task}, timeout=grace)


def _forget(task: asyncio.Task[Any]) -> None:
    _BACKGROUND.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: clean-ups swallow their own errors anyway


async def _destroy_when_made(client: Client, create: asyncio.Future[Any], destroy: str) -> None:
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await destroy_quietly(client, await create, destroy)


async def destroy_quietly(
    client: Client,
    ref: ManagedObjectReference | Sequence[tuple[ManagedObjectReference, str]],
    method: str = "",
) -> None:
    """Call ``method`` (DestroyView, DestroyPropertyCollector...) on ``ref`` (or each
    ``(ref, method)`` of a sequence, in order), shielded as a whole from the caller's
    cancellation and deadline: a cancellation during the first call does not skip the
    rest. Errors (the session is gone, the server is down: the object went with it) are
    swallowed, call by call."""
    calls = [(ref, method)] if isinstance(ref, ManagedObjectReference) else list(ref)

    async def destroy() -> None:
        for target, name in calls:
            with contextlib.suppress(Exception):
                await invoke_repeatable(client, target, name, timeout=_CLEANUP_SECONDS)

    with without_deadline():
        await asyncio.shield(destroy())


class _View(abc.ABC):
    """Base of the two views: ``ref`` is the view's moref once entered."""

    _ref: ManagedObjectReference | None

    def __init__(self, client: Client) -> None:
        self.client = client
        self._ref = None

    @property
    def ref(self) -> ManagedObjectReference:
        """The view's moref (``ContainerView``/``ListView``); only inside ``async with``."""
        if self._ref is None:
            raise RuntimeError(f"{type(self).__name__} is not open (use 'async with')")
        return self._ref

    @abc.abstractmethod
    async def _create(self) -> ManagedObjectReference:
        """Make the view on the server; its moref."""

    async def __aenter__(self) -> Any:
        if self._ref is not None:
            raise RuntimeError(f"{type(self).__name__} is already open")
        self._ref = await self._create()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """DestroyView (vim.view.View.DestroyView); idempotent, never raises."""
        ref, self._ref = self._ref, None
        if ref is not None:
            await destroy_quietly(self.client, ref, "DestroyView")

    async def reopen(self) -> None:
        """Make the view again (the old one is destroyed if it still exists): after a
        re-login, the old session's views are gone. Watch streams call this."""
        await self.close()
        self._ref = await self._create()

    async def objects(self, *, timeout: float | None = None) -> tuple[ManagedObjectReference, ...]:
        """The morefs the view holds now (its ``view`` property)."""
        props = await self.client.get_properties(self.ref, ["view"], timeout=timeout)
        return tuple(props.get("view") or ())

    def __repr__(self) -> str:
        state = self._ref.value if self._ref is not None else "closed"
        return f"<{type(self).__name__} {state}>"


class ContainerView(_View):
    """vim.view.ContainerView: the objects of ``types`` under ``container`` (default: the
    root folder), all the way down when ``recursive``.

    ``types`` are vim type names (``"VirtualMachine"``, ``"HostSystem"``...); empty means
    every managed entity. Use as ``async with ContainerView(client, [...]) as view``;
    ``view.ref`` is the moref to put in an ObjectSpec, or pass ``view`` itself to
    :func:`aiovsphere.retrieve` and ``client.watch``.
    """

    def __init__(
        self,
        client: Client,
        types: Sequence[str] = (),
        *,
        container: ManagedObjectReference | ManagedObject | None = None,
        recursive: bool = True,
    ) -> None:
        super().__init__(client)
        if isinstance(types, str):
            types = (types,)
        self.types = tuple(types)
        self.container = getattr(container, "ref", container)
        self.recursive = recursive

    async def _create(self) -> ManagedObjectReference:
        client = self.client
        return await create_then_destroy(
            client, client.service("viewManager"), "CreateContainerView", "DestroyView",
            container=self.container or client.content.rootFolder, type=self.types,
            recursive=self.recursive,
        )

    async def __aenter__(self) -> ContainerView:
        await super().__aenter__()
        return self


class ListView(_View):
    """vim.view.ListView: an explicit, editable list of objects.

    ``await view.modify(add=[...], remove=[...])`` (ModifyListView) returns the morefs the
    server could not add; ``await view.reset([...])`` (ResetListView) replaces the list.
    """

    def __init__(
        self, client: Client,
        objects: Sequence[ManagedObjectReference | ManagedObject] = (),
    ) -> None:
        super().__init__(client)
        self.initial = tuple(getattr(o, "ref", o) for o in objects)

    async def _create(self) -> ManagedObjectReference:
        client = self.client
        return await create_then_destroy(
            client, client.service("viewManager"), "CreateListView", "DestroyView",
            obj=self.initial,
        )

    async def __aenter__(self) -> ListView:
        await super().__aenter__()
        return self

    async def modify(
        self,
        add: Sequence[ManagedObjectReference | ManagedObject] = (),
        remove: Sequence[ManagedObjectReference | ManagedObject] = (),
    ) -> tuple[ManagedObjectReference, ...]:
        """vim.view.ListView.ModifyListView; returns the morefs that could not be added."""
        added = tuple(getattr(o, "ref", o) for o in add)
        removed = tuple(getattr(o, "ref", o) for o in remove)
        result = tuple(await self.client.invoke(self.ref, "ModifyListView", add=added,
                                                remove=removed) or ())
        # What reopen() re-creates after a re-login.
        self.initial = tuple(o for o in dict.fromkeys((*self.initial, *added))
                             if o not in removed and o not in result)
        return result

    async def reset(
        self, objects: Sequence[ManagedObjectReference | ManagedObject]
    ) -> tuple[ManagedObjectReference, ...]:
        """vim.view.ListView.ResetListView; returns the morefs that could not be added."""
        wanted = tuple(getattr(o, "ref", o) for o in objects)
        result = tuple(await self.client.invoke(self.ref, "ResetListView", obj=wanted) or ())
        self.initial = tuple(o for o in wanted if o not in result)
        return result
