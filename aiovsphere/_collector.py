"""A private PropertyCollector for one waiter (vim.PropertyCollector).

WaitForUpdatesEx reports the changes *of a collector*, across all its filters, since the
version the caller passes. Two waiters sharing one collector (the ServiceContent one, as
naive pyvmomi code does) steal each other's updates. So every waiter here (a task wait, a
watch stream, an inventory cache) makes its own collector with CreatePropertyCollector,
and a second concurrent wait on one :class:`PropertyCollector` is refused with
:class:`~aiovsphere.CollectorInUseError` rather than silently interleaving.

The collector and its filters live in the login session. When the session is lost and the
client logs in again (single flight, :mod:`aiovsphere._session`), or when the server
answers InvalidCollectorVersion, the collector is rebuilt: a new collector, its views
re-made (``rebuild`` hook) and its filters re-created from their specs; the next update set
then starts from scratch (``reset=True``: a full state, not a delta).

Every collector made here is destroyed (DestroyPropertyCollector, which also destroys its
filters) on every exit path, cancellation included.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import remaining
from aiovsphere._errors import CollectorInUseError, DecodeError, SoapFault, TransportError
from aiovsphere._views import create_then_destroy, destroy_quietly

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim._moref import ManagedObjectReference
    from aiovsphere.vim.types import PropertyFilterSpec, UpdateSet

__all__ = ["PropertyCollector", "Updates"]

MAX_WAIT_SECONDS = 60  # per WaitForUpdatesEx round trip when no deadline bounds it
_WAIT_MARGIN_SECONDS = 30  # network time on top of a server-side wait
_TAIL_POLL_SECONDS = 0.25  # polling interval in the last second before a deadline


@dataclass(frozen=True, slots=True)
class Updates:
    """One WaitForUpdatesEx answer.

    ``update_set`` is the server's UpdateSet (``filterSet`` of PropertyFilterUpdate, each
    with ``objectSet`` of ObjectUpdate). ``reset`` is true when the collector was rebuilt
    (first answer, re-login, InvalidCollectorVersion): the set then holds the full current
    state of what the filters select, and whatever it does not mention is gone.
    ``truncated`` is true when the server has more of this change to send (the next
    answer continues it, without waiting).
    """

    update_set: UpdateSet
    reset: bool

    @property
    def truncated(self) -> bool:
        return bool(self.update_set.truncated)

    @property
    def version(self) -> str:
        return str(self.update_set.version)


@dataclass(slots=True)
class _Filter:
    spec: Any  # PropertyFilterSpec or a zero-argument callable returning one
    partial_updates: bool
    ref: ManagedObjectReference | None = None

    def build(self) -> PropertyFilterSpec:
        spec: PropertyFilterSpec = self.spec() if callable(self.spec) else self.spec
        return spec


class PropertyCollector:
    """A PropertyCollector of this waiter's own, as an async context manager.

        async with PropertyCollector(client) as pc:
            await pc.create_filter(spec)
            async for updates in pc.updates():
                ...

    ``rebuild`` (optional) is awaited after the collector had to be re-made (re-login)
    and before its filters are re-created: re-make the views the specs point at there
    (give ``create_filter`` a callable so the spec is rebuilt with the new view moref).
    """

    def __init__(self, client: Client, *,
                 rebuild: Callable[[], Awaitable[None]] | None = None) -> None:
        self.client = client
        self.ref: ManagedObjectReference | None = None
        self.version = ""
        self._filters: list[_Filter] = []
        self._waiting = False
        self._reset = True
        self._generation = -1
        self._rebuild_hook = rebuild
        self._interrupted = False
        self._losses = 0  # answers lost since the last complete one (see _wait)

    async def __aenter__(self) -> PropertyCollector:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """vim.PropertyCollector.CreatePropertyCollector (never stranded on cancellation)."""
        if self.ref is not None:
            raise RuntimeError("PropertyCollector is already open")
        self._generation = self.client.session.generation
        self.ref = await create_then_destroy(
            self.client, self.client.service("propertyCollector"),
            "CreatePropertyCollector", "DestroyPropertyCollector")
        self.version = ""
        self._reset = True

    async def close(self) -> None:
        """Tear down, shielded from cancellation, never raising, idempotent: if a wait was
        interrupted (cancelled, timed out) vim.PropertyCollector.CancelWaitForUpdates ends
        the server side of it; then vim.PropertyFilter.DestroyPropertyFilter for each
        filter and vim.PropertyCollector.DestroyPropertyCollector."""
        ref, self.ref = self.ref, None
        filters, self._filters = self._filters, []
        if ref is None:
            return
        calls = [(ref, "CancelWaitForUpdates")] if self._interrupted else []
        calls += [(f.ref, "DestroyPropertyFilter") for f in filters if f.ref is not None]
        calls.append((ref, "DestroyPropertyCollector"))
        # One shielded sequence, not one shield per call: a cancellation (or the caller's
        # deadline firing) during the first call must not skip the others.
        await destroy_quietly(self.client, calls)

    def _require(self) -> ManagedObjectReference:
        if self.ref is None:
            raise RuntimeError("PropertyCollector is not open (use 'async with')")
        return self.ref

    async def create_filter(
        self, spec: PropertyFilterSpec | Callable[[], PropertyFilterSpec], *,
        partial_updates: bool = False,
    ) -> ManagedObjectReference:
        """vim.PropertyCollector.CreateFilter on this collector; returns the filter moref.

        ``spec`` may be a callable returning the spec, called again when the filter is
        re-created after a rebuild. ``partial_updates``: report a change inside a
        retrieved property as the inner path (``config.hardware.device[4000]``) rather
        than the whole property.
        """
        entry = _Filter(spec, partial_updates)
        try:
            entry.ref = await self._create(entry)
        except SoapFault as exc:
            # The session ended (terminated, expired) since this collector was made: the
            # re-login inside invoke() left the old collector unknown to the server.
            # Rebuild it, this filter included, as a wait would.
            if not self._needs_rebuild(exc):
                raise
            self._filters.append(entry)
            await self._rebuild(invalid_version=False)
            assert entry.ref is not None
            return entry.ref
        self._filters.append(entry)
        # A filter added after the first answer reports its objects as "enter" in the
        # next delta: that answer is no full state, so ``reset`` stays as it is.
        return entry.ref

    async def _create(self, entry: _Filter) -> ManagedObjectReference:
        ref: ManagedObjectReference = await self.client.invoke(
            self._require(), "CreateFilter", spec=entry.build(),
            partialUpdates=entry.partial_updates)
        return ref

    async def destroy_filter(self, filter_ref: ManagedObjectReference) -> None:
        """vim.PropertyFilter.DestroyPropertyFilter (shielded; errors swallowed)."""
        self._filters = [f for f in self._filters if f.ref != filter_ref]
        await destroy_quietly(self.client, filter_ref, "DestroyPropertyFilter")

    async def wait_for_updates(
        self,
        *,
        max_wait_seconds: float | None = None,
        max_object_updates: int | None = None,
    ) -> Updates | None:
        """One vim.PropertyCollector.WaitForUpdatesEx from the current version.

        ``max_wait_seconds``: how long the server may wait for a change (default 60 s,
        whole seconds, rounded up); never more than what remains of the caller's deadline
        (:func:`aiovsphere.remaining`, rounded down), 0 means "check once" (in the last
        second before the deadline: check once, then pause up to 0.25 s). Returns ``None``
        when the wait ended with no change.
        ``max_object_updates``: ask the server to truncate big answers
        (``Updates.truncated``; the next call continues).

        Raises :class:`~aiovsphere.CollectorInUseError` when another wait on this
        collector is in flight, ``TimeoutError`` at the caller's deadline, faults.
        """
        from aiovsphere.vim import types as t

        ref = self._require()
        if self._waiting:
            raise CollectorInUseError(
                f"WaitForUpdatesEx is already in flight on {ref}: one waiter per "
                "collector (make another PropertyCollector)")
        self._waiting = True
        try:
            wait = max(0, math.ceil(MAX_WAIT_SECONDS if max_wait_seconds is None
                                    else max_wait_seconds))
            left = remaining()
            tail = False  # less than a second left: check once, then pause briefly
            if left is not None and left < wait:
                # Whole seconds (xsd:int), rounded down: the server's wait ends before the
                # caller's deadline, never after it.
                wait = math.floor(left)
                tail = wait == 0
            options = t.WaitOptions(maxWaitSeconds=wait, maxObjectUpdates=max_object_updates)
            result = await self._wait(options, wait)
            answer = self._answer(result)
            if answer is None and tail:
                # The last fraction of a second before the deadline: no busy loop of
                # maxWaitSeconds=0 round trips; the deadline ends the wait soon.
                await asyncio.sleep(min(_TAIL_POLL_SECONDS, remaining() or 0.0))
            return answer
        except BaseException:
            self._interrupted = True  # the server may still be waiting: cancel it on close
            raise
        finally:
            self._waiting = False

    def _needs_rebuild(self, exc: BaseException) -> bool:
        if isinstance(exc, _Lost):
            return True
        name = _fault_name(exc)
        if name == "InvalidCollectorVersion":
            return True
        # After a re-login the old session's collector is unknown to the server.
        return (name in ("ManagedObjectNotFound", "NotAuthenticated")
                and self.client.session.generation != self._generation)

    async def _rebuild(self, *, invalid_version: bool) -> None:
        """Re-create the filters (InvalidCollectorVersion) or the whole collector (a new
        session) and start again from version ""."""
        filters_only = invalid_version and self.client.session.generation == self._generation
        if filters_only:
            for entry in self._filters:
                if entry.ref is not None:
                    await destroy_quietly(self.client, entry.ref, "DestroyPropertyFilter")
                entry.ref = None
        else:
            old, self.ref = self.ref, None
            if old is not None:
                await destroy_quietly(self.client, old, "DestroyPropertyCollector")
            await self.open()
            if self._rebuild_hook is not None:
                await self._rebuild_hook()
        try:
            for entry in self._filters:
                entry.ref = await self._create(entry)
        except SoapFault as exc:
            # The session ended while the filters were re-created (a server restart seen
            # first as a lost answer): the re-login inside invoke() left this collector
            # (and our views) unknown to the server. Once more, with a new collector.
            if not filters_only or not self._needs_rebuild(exc):
                raise
            await self._rebuild(invalid_version=False)
            return
        self.version = ""
        self._reset = True

    async def _wait(self, options: Any, wait: float) -> Any:
        """WaitForUpdatesEx from the current version, rebuilding on the way:

        * after a re-login, or InvalidCollectorVersion (once: a second one is raised);
        * after an answer lost on the way (the transport errors and HTTP statuses the
          client's RetryPolicy retries for reads), up to its ``attempts`` losses before a
          complete (not truncated) answer arrives; the next loss is raised. Asking
          again at the same version is not safe: the server may count those changes as
          delivered (vcsim forgets what it sent; vCenter may have moved on). The filters
          start again from "", so the next answer is the full state (``Updates.reset``).
        """
        policy = self.client.retry
        rebuilt_for_fault = False
        while True:
            try:
                if self.client.session.generation != self._generation:
                    raise _Lost
                return await self.client.invoke(
                    self._require(), "WaitForUpdatesEx", version=self.version,
                    options=options, timeout=wait + _WAIT_MARGIN_SECONDS)
            except (_Lost, SoapFault) as exc:
                if rebuilt_for_fault or not self._needs_rebuild(exc):
                    raise
                rebuilt_for_fault = True
                await self._rebuild(invalid_version=_fault_name(exc) ==
                                    "InvalidCollectorVersion")
            except TransportError as exc:
                self._losses += 1
                if (policy is None or self._losses >= policy.attempts
                        or not policy.should_retry(exc, idempotent=True)):
                    raise
                await self._rebuild(invalid_version=True)

    def _answer(self, result: Any) -> Updates | None:
        if result is None:
            self._losses = 0  # a complete answer: nothing changed
            return None
        if result.truncated and str(result.version) == self.version and self.version:
            # "More to come" without moving on: continuing would ask for the same answer
            # again, forever.
            raise DecodeError("a truncated WaitForUpdatesEx answer did not advance the "
                              f"version ({self.version!r})", method="WaitForUpdatesEx",
                              path="returnval.version")
        reset = self._reset
        self.version = str(result.version)
        if not result.truncated:
            self._reset = False
            self._losses = 0
        return Updates(result, reset)

    async def updates(
        self, *, max_wait_seconds: float | None = None,
        max_object_updates: int | None = None,
    ) -> AsyncGenerator[Updates, None]:
        """WaitForUpdatesEx again and again; yields each non-empty answer. Runs until the
        caller stops iterating (or its deadline passes: ``TimeoutError``)."""
        while True:
            updates = await self.wait_for_updates(max_wait_seconds=max_wait_seconds,
                                                  max_object_updates=max_object_updates)
            if updates is not None:
                yield updates
                del updates  # not held while the next wait is pending (memory)
            else:
                left = remaining()
                if left is not None and left <= 0:
                    raise TimeoutError("deadline passed while waiting for updates")

    async def cancel_wait(self) -> None:
        """vim.PropertyCollector.CancelWaitForUpdates: the waiting call returns
        RequestCanceled. Errors are swallowed."""
        if self.ref is not None:
            await destroy_quietly(self.client, self.ref, "CancelWaitForUpdates")

    def __repr__(self) -> str:
        state = self.ref.value if self.ref is not None else "closed"
        return f"<PropertyCollector {state} filters={len(self._filters)} version={self.version!r}>"


class _Lost(Exception):
    """The session changed since this collector was made."""


def _fault_name(exc: BaseException) -> str:
    return getattr(exc, "fault_name", "") or ""
