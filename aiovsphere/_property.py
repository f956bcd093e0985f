"""PropertyCollector retrieval with paging (vim.PropertyCollector.RetrievePropertiesEx).

The foundation of the inventory job and of the govmomi-level layer: one ContainerView (or
moref list), RetrievePropertiesEx with ``maxObjects``, then ContinueRetrievePropertiesEx
while the server returns a ``token`` (an opaque string: ``"0"`` is a token). A caller that
stops early, fails or is cancelled gets CancelRetrievePropertiesEx sent for the open token,
and every view created here is destroyed on the way out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import without_deadline
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim.types import ObjectContent, PropertyFilterSpec

__all__ = ["container_view", "retrieve_pages", "view_filter_spec"]


@contextlib.asynccontextmanager
async def container_view(
    client: Client,
    types: Sequence[str],
    *,
    container: ManagedObjectReference | None = None,
    recursive: bool = True,
) -> AsyncIterator[ManagedObjectReference]:
    """vim.view.ViewManager.CreateContainerView, destroyed (DestroyView) on every exit."""
    view = await client.invoke(
        client.service("viewManager"),
        "CreateContainerView",
        container=container or client.content.rootFolder,
        type=tuple(types),
        recursive=recursive,
    )
    try:
        yield view
    finally:
        # Runs on cancellation too; shield so a second cancel cannot leak the view.
        with without_deadline():
            await asyncio.shield(_destroy(client, view))


async def _destroy(client: Client, view: ManagedObjectReference) -> None:
    with contextlib.suppress(Exception):
        await client.invoke(view, "DestroyView", timeout=30)


def view_filter_spec(
    view: ManagedObjectReference, type_: str, paths: Sequence[str] | None
) -> PropertyFilterSpec:
    """A spec selecting ``paths`` (``None``: all properties) of every ``type_`` in ``view``."""
    from aiovsphere.vim import types as t

    return t.PropertyFilterSpec(
        objectSet=(
            t.ObjectSpec(
                obj=view,
                skip=True,
                selectSet=(
                    t.TraversalSpec(name="traverseView", type="ContainerView", path="view",
                                    skip=False),
                ),
            ),
        ),
        propSet=(
            t.PropertySpec(type=type_, all=paths is None, pathSet=tuple(paths or ())),
        ),
    )


async def retrieve_pages(
    client: Client,
    specs: Sequence[PropertyFilterSpec],
    *,
    max_objects: int | None = None,
    timeout: float | None = None,
) -> AsyncGenerator[tuple[ObjectContent, ...], None]:
    """Yield pages of ObjectContent from RetrievePropertiesEx / ContinueRetrievePropertiesEx.

    ``max_objects`` is the page size the server may honour (vcsim ignores it). On error or
    cancellation, an open token is released with CancelRetrievePropertiesEx. To stop early
    with ``break``/``return``, close the generator at once with
    ``async with contextlib.aclosing(retrieve_pages(...)) as pages:``; otherwise the token
    is released only when the abandoned generator is finalized.
    """
    from aiovsphere.vim import types as t

    collector = client.service("propertyCollector")
    result: Any = await client.invoke(
        collector, "RetrievePropertiesEx", specSet=tuple(specs),
        options=t.RetrieveOptions(maxObjects=max_objects), timeout=timeout,
    )
    token: str | None = None
    try:
        while result is not None:
            token = result.token
            yield result.objects
            if token is None:
                return
            result = await client.invoke(
                collector, "ContinueRetrievePropertiesEx", token=token, timeout=timeout
            )
        token = None
    finally:
        if token is not None:
            with without_deadline():
                await asyncio.shield(_cancel(client, collector, token))


async def _cancel(client: Client, collector: ManagedObjectReference, token: str) -> None:
    with contextlib.suppress(Exception):
        await client.invoke(collector, "CancelRetrievePropertiesEx", token=token, timeout=30)
