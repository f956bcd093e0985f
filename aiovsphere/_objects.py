"""Managed-object proxies: ``await client.mo(vm).PowerOnVM_Task()``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere._client import Client

__all__ = ["ManagedObject"]


class ManagedObject:
    """A moref bound to a client. Attributes named like the API's methods are async calls.

    ``ref`` is the moref; ``await proxy.Method(**params)`` is
    ``client.invoke(proxy.ref, "Method", **params)`` (same validation, faults, ``timeout=``).
    An unknown method name raises ``AttributeError`` at once. Equality and hashing follow
    the moref.
    """

    __slots__ = ("_client", "ref")

    def __init__(self, client: Client, ref: ManagedObjectReference) -> None:
        self._client = client
        self.ref = ref

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        if name.startswith("_"):
            raise AttributeError(name)
        client = self._client
        client.method_info(self.ref, name)  # AttributeError if the type has no such method
        ref = self.ref

        async def call(**params: Any) -> Any:
            return await client.invoke(ref, name, **params)

        call.__name__ = call.__qualname__ = name
        call.__doc__ = f"vim.{ref.type}.{name}"
        return call

    async def get(self, *paths: str, timeout: float | None = None) -> dict[str, Any]:
        """Read properties of this object: ``await vm.get("name", "runtime.powerState")``."""
        return await self._client.get_properties(self.ref, list(paths), timeout=timeout)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ManagedObject):
            return self.ref == other.ref
        if isinstance(other, ManagedObjectReference):
            return self.ref == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ref)

    def __repr__(self) -> str:
        return f"<{self.ref.type} {self.ref.value}>"
