"""The simulator's object model: managed objects holding typed property values.

Every managed object is a :class:`SimObject`: a moref and ``{property name: value}``
with values of the client's own types (frozen pydantic data objects, tuples, morefs,
str enums, primitives). Properties that depend on who asks or on other objects
(``SessionManager.currentSession``, ``ContainerView.view``) are *dynamic*: a callable
``(ctx) -> value`` evaluated when read.

Every change goes through :meth:`Model.set` / :meth:`Model.add` / :meth:`Model.remove`,
which bump :attr:`Model.version` and wake the waiters (``WaitForUpdatesEx``): the property
collector computes updates by comparing what a filter selects now with what it reported
last, so handlers never have to describe their changes twice.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from aiovsphere._records import apply_change
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context

__all__ = ["Dynamic", "Model", "SimObject"]

Dynamic = Callable[["Context"], Any]


class SimObject:
    """One managed object: ``ref``, static ``props`` and ``dynamic`` ones.

    ``owner`` is the session key of a session-scoped object (views, collectors, filters,
    event collectors): such an object is visible only to that session and is removed when
    the session ends. ``data`` is a scratch dict for the object's handlers (a collector's
    filters, a task's schedule...).
    """

    __slots__ = ("data", "dynamic", "owner", "props", "ref")

    def __init__(self, ref: ManagedObjectReference, props: dict[str, Any] | None = None, *,
                 dynamic: dict[str, Dynamic] | None = None, owner: str | None = None) -> None:
        self.ref = ref
        self.props: dict[str, Any] = dict(props or {})
        self.dynamic: dict[str, Dynamic] = dict(dynamic or {})
        self.owner = owner
        self.data: dict[str, Any] = {}

    @property
    def type(self) -> str:
        return self.ref.type

    def get(self, ctx: Context, name: str) -> Any:
        """The value of top-level property ``name`` (``None`` when unset)."""
        fn = self.dynamic.get(name)
        if fn is not None:
            return fn(ctx)
        return self.props.get(name)

    def __repr__(self) -> str:
        return f"<SimObject {self.ref.type}:{self.ref.value}>"


class Model:
    """All managed objects, by moref, and a version counter that every change bumps."""

    def __init__(self) -> None:
        self.objects: dict[ManagedObjectReference, SimObject] = {}
        self._by_value: dict[str, SimObject] = {}  # moref values are unique across types
        self.version = 0
        self._changed = asyncio.Event()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ identity
    def new_id(self, prefix: str) -> str:
        """A fresh moref value like vCenter's: ``vm-1042``, ``task-7``, ``group-v3``."""
        return f"{prefix}-{next(self._ids)}"

    def __contains__(self, ref: object) -> bool:
        return ref in self.objects

    def __iter__(self) -> Iterator[SimObject]:
        return iter(list(self.objects.values()))

    def get(self, ref: ManagedObjectReference) -> SimObject | None:
        """The object ``ref`` names, or ``None``. Matched on the value: clients may send a
        supertype in ``type`` (``ManagedEntity:vm-1``) or a ``serverGuid``."""
        obj = self._by_value.get(ref.value)
        if obj is None or (ref.type != obj.ref.type and not _may_name(ref.type, obj.ref.type)):
            return None
        return obj

    def of_type(self, type_name: str) -> list[SimObject]:
        return [o for o in self.objects.values() if o.ref.type == type_name]

    # ------------------------------------------------------------------ changes
    def add(self, obj: SimObject) -> SimObject:
        self.objects[obj.ref] = obj
        self._by_value[obj.ref.value] = obj
        self.touch()
        return obj

    def remove(self, ref: ManagedObjectReference) -> SimObject | None:
        obj = self.get(ref)
        if obj is not None:
            del self.objects[obj.ref]
            del self._by_value[obj.ref.value]
            self.touch()
        return obj

    def set(self, ref: ManagedObjectReference, path: str, value: Any) -> None:
        """Assign ``value`` at ``path`` (``"name"``, ``"runtime.powerState"``,
        ``"config.hardware.device[4000]"``), rebuilding the immutable values around it."""
        obj = self.objects[ref]
        apply_change(obj.props, path, "assign", value)
        self.touch()

    def update(self, ref: ManagedObjectReference, changes: dict[str, Any]) -> None:
        """Several :meth:`set` at once (one version bump)."""
        obj = self.objects[ref]
        for path, value in changes.items():
            apply_change(obj.props, path, "assign", value)
        self.touch()

    def touch(self) -> None:
        """Record that something changed: bump the version, wake the waiters."""
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_changed(self, since: int, timeout: float | None) -> bool:
        """Wait until :attr:`version` passes ``since`` (True) or ``timeout`` seconds (False)."""
        if self.version > since:
            return True
        try:
            async with asyncio.timeout(timeout):
                while self.version <= since:
                    await self._changed.wait()
        except TimeoutError:
            return False
        return True


def _may_name(sent: str, actual: str) -> bool:
    """Whether a moref of type ``sent`` may name an object of type ``actual``."""
    from aiovsphere.vim._schema import schema

    s = schema()
    return sent in ("ManagedObject", "ManagedObjectReference") or (
        s.is_managed(sent) and s.is_subtype(actual, sent))
