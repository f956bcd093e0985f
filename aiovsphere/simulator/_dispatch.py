"""Method handlers of the simulator, by managed type and method name.

    @handles("VirtualMachine", "PowerOnVM_Task")
    async def power_on(ctx: Context, this: SimObject, host=None): ...

A handler gets the call's :class:`~aiovsphere.simulator._context.Context`, the ``this``
object and the decoded parameters by their Python names; it returns the method's typed
result (or ``None``) and raises :class:`~aiovsphere.simulator._context.SimFault` for a
vim fault. A handler registered on a base type serves its subtypes (``ManagedEntity``'s
``Rename_Task`` serves VirtualMachine) unless a subtype has its own. Handlers may be
plain functions or coroutines.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiovsphere.vim._schema import schema

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject

__all__ = ["Handler", "find_handler", "handles", "invoke"]

Handler = Callable[..., Any]
_HANDLERS: dict[tuple[str, str], Handler] = {}

# Methods a client may call before it has logged in.
NO_SESSION = frozenset({
    "RetrieveServiceContent", "Login", "LoginByToken", "LoginExtensionByCertificate",
    "LoginExtensionBySubjectName", "CloneSession", "CurrentTime",
})


@functools.cache
def _signature(fn: Handler) -> inspect.Signature:
    return inspect.signature(fn)


def handles(type_name: str, *methods: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``type_name.<method>``."""

    def register(fn: Handler) -> Handler:
        for method in methods:
            _HANDLERS[(type_name, method)] = fn
        return fn

    return register


def find_handler(type_name: str, method: str) -> Handler | None:
    """The handler for ``method`` on ``type_name`` or its nearest base type."""
    s = schema()
    current: str | None = type_name
    while current is not None:
        fn = _HANDLERS.get((current, method))
        if fn is not None:
            return fn
        current = s.managed(current).base if s.is_managed(current) else None
    return None


async def invoke(ctx: Context, this: SimObject, method: str, params: dict[str, Any]) -> Any:
    """Run the handler; ``NotImplemented`` fault (as vcsim's ``MethodNotFound``) when none."""
    from aiovsphere.simulator._context import fault

    fn = find_handler(this.type, method)
    if fn is None:
        raise fault("MethodNotFound", f"{this.type}.{method} is not implemented by the "
                    "aiovsphere simulator", receiver=this.ref, method=method)
    try:
        _signature(fn).bind(ctx, this, **params)
    except TypeError as exc:  # a parameter the handler needs is absent (or unknown)
        raise fault("InvalidRequest", f"{method}: {exc}") from None
    result = fn(ctx, this, **params)
    if inspect.isawaitable(result):
        result = await result
    return result
