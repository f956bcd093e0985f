"""The base of the object helpers: :class:`Entity` (vim.ManagedEntity) and :func:`from_ref`.

A helper is a moref bound to a client, like govmomi's ``object.Common``: typed methods over
the raw API for the common cases, with the raw proxy always at hand as ``helper.raw``
(``client.mo(ref)``). Methods that start a Task wait for it by default
(:func:`aiovsphere.wait_for_task`, driven by property-collector updates) and return the
task's typed result; ``wait=False`` returns the Task moref at once instead. A failed task
raises its fault as ``aiovsphere.faults.<Name>`` with ``.task`` set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypeVar, overload

from aiovsphere._names import escape_name
from aiovsphere._objects import ManagedObject
from aiovsphere._task import wait_for_task
from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.objects._datacenter import Datacenter

__all__ = ["Entity", "Progress", "RefLike", "from_ref"]

Progress: TypeAlias = Callable[[int], Any] | None
"""``progress(percent)``: called with each new task progress (0-100), and 100 at success."""

E = TypeVar("E", bound="Entity")

_HELPERS: dict[str, type[Entity]] = {}


def ref_of(obj: RefLike, what: str = "object") -> ManagedObjectReference:
    """The moref of a moref, proxy or helper; ``TypeError`` for anything else."""
    ref = getattr(obj, "ref", obj)
    if not isinstance(ref, ManagedObjectReference):
        raise TypeError(f"{what}: expected a ManagedObjectReference, a client.mo() proxy or "
                        f"an aiovsphere.objects helper, got {type(obj).__name__}")
    return ref


class Entity:
    """A vim.ManagedEntity helper: ``Entity(client, ref)``.

    ``ref`` is a moref or a ``client.mo(...)`` proxy whose type is this class's
    :attr:`vim_type` or a subtype of it (``Folder`` accepts a ``StoragePod``); anything else
    raises ``TypeError``. Attributes: ``ref`` (the moref), ``client``, ``raw`` (the
    managed-object proxy, for every method the helpers do not cover). Equality and hashing
    follow the moref, so a helper equals the moref it wraps.
    """

    vim_type: ClassVar[str] = "ManagedEntity"
    """The vim managed type this helper wraps (subtypes accepted)."""

    __slots__ = ("client", "ref")

    client: Client
    ref: ManagedObjectReference

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only this package's helpers are what from_ref returns; an application's
        # subclass of one never replaces it behind other callers' backs.
        if cls.__module__.startswith("aiovsphere.objects.") and "vim_type" in cls.__dict__:
            _HELPERS[cls.vim_type] = cls

    def __init__(self, client: Client, ref: RefLike) -> None:
        moref = ref_of(ref, type(self).__name__)
        schema = client.schema
        known = schema.is_managed(moref.type)
        # The base helper also takes managed types newer than this schema (it cannot tell).
        if (known or type(self) is not Entity) and not schema.is_subtype(moref.type,
                                                                           self.vim_type):
            raise TypeError(f"{moref} is not a {self.vim_type}")
        self.client = client
        self.ref = moref

    @property
    def raw(self) -> ManagedObject:
        """The proxy for raw API calls: ``await vm.raw.MountToolsInstaller()``."""
        return self.client.mo(self.ref)

    # ------------------------------------------------------------------ properties
    async def get(self, *paths: str, timeout: float | None = None) -> dict[str, Any]:
        """Read property paths of this object: ``{path: typed value}``; unset paths are absent.

        One vim.PropertyCollector.RetrievePropertiesEx (:meth:`Client.get_properties`).
        Raises ``faults.ManagedObjectNotFound`` once the object is gone.
        """
        return await self.client.get_properties(self.ref, paths, timeout=timeout)

    async def _prop(self, path: str) -> Any:
        return (await self.get(path)).get(path)

    async def name(self) -> str:
        """The entity's name (``name``; ``/``, ``\\`` and ``%`` come escaped as ``%2f``,
        ``%5c`` and ``%25``, as the API stores them)."""
        name: str = await self._prop("name")
        return name

    async def parent(self) -> Entity | None:
        """The parent entity (``parent``) as its helper; ``None`` for the root folder."""
        ref = await self._prop("parent")
        return None if ref is None else from_ref(self.client, ref)

    async def datacenter(self) -> Datacenter | None:
        """The Datacenter this entity is in (walking ``parent``, and ``parentVApp`` for a VM
        in a vApp); ``None`` for the root folder and a datacenter folder above datacenters."""
        from aiovsphere.objects._datacenter import Datacenter

        ref: ManagedObjectReference | None = self.ref
        while ref is not None:
            if self.client.schema.is_subtype(ref.type, "Datacenter"):
                return Datacenter(self.client, ref)
            # A VM in a vApp has no parent folder, only its vApp.
            paths = ["parent", "parentVApp"] if ref.type == "VirtualMachine" else ["parent"]
            props = await self.client.get_properties(ref, paths)
            ref = props.get("parent") or props.get("parentVApp")
        return None

    # ------------------------------------------------------------------ tasks
    async def _task(self, target: ManagedObjectReference, method: str, wait: bool,
                    progress: Progress, /, **params: Any) -> Any:
        """Start ``method`` on ``target``; with ``wait`` wait and return the task's result,
        otherwise return the Task moref."""
        task = await self.client.invoke(target, method, **params)
        if not wait:
            return task
        return await wait_for_task(self.client, task, progress=progress)

    @overload
    async def rename(self, new_name: str, *, wait: Literal[True] = True,
                     progress: Progress = None) -> None: ...
    @overload
    async def rename(self, new_name: str, *, wait: Literal[False],
                     progress: Progress = None) -> ManagedObjectReference: ...
    async def rename(self, new_name: str, *, wait: bool = True,
                     progress: Progress = None) -> ManagedObjectReference | None:
        """Rename the entity (vim.ManagedEntity.Rename_Task). ``new_name`` is the name as
        people read it (``"a/b"``, ``"100%"``); it is sent escaped as the API stores names
        (``/`` -> ``%2f``, ``%`` -> ``%25``, ``\\`` -> ``%5c``; :func:`aiovsphere.escape_name`).
        The raw method (``entity.raw.Rename_Task``) sends what it is given.

        Raises ``faults.DuplicateName`` (vcsim: ``faults.InvalidArgument``) when a sibling
        has that name, ``faults.InvalidName`` for a name the server refuses.
        """
        return await self._task(self.ref, "Rename_Task", wait, progress,  # type: ignore[no-any-return]
                                newName=escape_name(new_name))

    @overload
    async def destroy(self, *, wait: Literal[True] = True,
                      progress: Progress = None) -> None: ...
    @overload
    async def destroy(self, *, wait: Literal[False],
                      progress: Progress = None) -> ManagedObjectReference: ...
    async def destroy(self, *, wait: bool = True,
                      progress: Progress = None) -> ManagedObjectReference | None:
        """Destroy the entity and delete its contents (vim.ManagedEntity.Destroy_Task): a VM
        is deleted with its files; a folder with everything in it.

        Raises e.g. ``faults.InvalidPowerState`` for a powered-on VM,
        ``faults.VimFault`` subclasses the server reports.
        """
        return await self._task(self.ref, "Destroy_Task", wait,  # type: ignore[no-any-return]
                                progress)

    # ------------------------------------------------------------------ identity
    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Entity, ManagedObject)):
            return self.ref == other.ref
        if isinstance(other, ManagedObjectReference):
            return self.ref == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ref)

    def __repr__(self) -> str:
        """``<VirtualMachine vm-42>``; the moref's type too when the helper is a base
        class of it (``<Folder StoragePod:group-p1>``)."""
        name, ref = type(self).__name__, self.ref
        return f"<{name} {ref.value}>" if ref.type == name else f"<{name} {ref}>"


RefLike: TypeAlias = ManagedObjectReference | ManagedObject | Entity
"""A moref, a ``client.mo(...)`` proxy or a helper: anything with the moref as ``.ref``."""


def from_ref(client: Client, ref: RefLike) -> Entity:
    """The helper for ``ref``'s managed type: ``VirtualMachine`` for a VM,
    ``DistributedVirtualPortgroup`` for a portgroup, ``Folder`` for a ``StoragePod``...;
    the base :class:`Entity` for other managed entities (and types newer than the schema).

    Raises ``TypeError`` for a managed object that is not a ManagedEntity (a Task, a
    PropertyCollector) and for anything that is not a moref, proxy or helper.
    """
    import aiovsphere.objects  # noqa: F401  (registers every helper class)

    moref = ref_of(ref, "from_ref")
    schema = client.schema
    name: str | None = moref.type
    while name is not None:
        cls = _HELPERS.get(name)
        if cls is not None:
            return cls(client, moref)
        name = schema.base_of(name)
    return Entity(client, moref)


def as_helper(client: Client, ref: RefLike, cls: type[E]) -> E:
    """``from_ref`` narrowed to ``cls``: the most specific helper if it is a ``cls``,
    else ``cls(client, ref)`` (``TypeError`` when the type does not fit)."""
    helper = from_ref(client, ref)
    return helper if isinstance(helper, cls) else cls(client, ref_of(ref))


def as_helpers(client: Client, refs: Iterable[RefLike] | None, cls: type[E]) -> list[E]:
    """:func:`as_helper` over a (possibly unset) moref array property."""
    return [as_helper(client, ref, cls) for ref in refs or ()]
