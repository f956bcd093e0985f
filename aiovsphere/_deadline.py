"""Deadlines that nested calls can see.

``asyncio.timeout()`` cancels at its deadline, but code inside cannot ask how much time is
left. Server-side waits (WaitForUpdatesEx's ``maxWaitSeconds``) must not outlive the
caller's deadline, so aiovsphere keeps the innermost deadline in a context variable:
:func:`timeout` (and every call's ``timeout=``) sets it and also enforces it through
``asyncio.timeout``; :func:`remaining` reads it. Context variables follow tasks, so each
concurrent call sees its own deadline and two clients never share one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar

__all__ = ["current_deadline", "remaining", "timeout", "without_deadline"]

_deadline: ContextVar[float | None] = ContextVar("aiovsphere_deadline", default=None)


def current_deadline() -> float | None:
    """The innermost deadline as ``loop.time()`` seconds, or ``None``."""
    return _deadline.get()


def remaining() -> float | None:
    """Seconds left before the innermost aiovsphere deadline (never negative), or ``None``."""
    deadline = _deadline.get()
    if deadline is None:
        return None
    return max(0.0, deadline - asyncio.get_running_loop().time())


@contextlib.contextmanager
def without_deadline() -> Iterator[None]:
    """Run a clean-up step (logout, CancelRetrievePropertiesEx, DestroyView) outside the
    caller's deadline, with its own budget: the expired deadline is often why the work is
    being cleaned up, and would otherwise fail the clean-up call before it is sent. Tasks
    started inside (``asyncio.shield``) copy this context too."""
    token = _deadline.set(None)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.asynccontextmanager
async def timeout(seconds: float | None) -> AsyncIterator[None]:
    """``asyncio.timeout(seconds)`` that also publishes the deadline to nested calls.

    Raises ``TimeoutError`` at the deadline. An outer, earlier deadline stays in force.
    ``None`` means no new deadline.
    """
    if seconds is None:
        yield
        return
    loop = asyncio.get_running_loop()
    new = loop.time() + seconds
    outer = _deadline.get()
    effective = new if outer is None else min(outer, new)
    token = _deadline.set(effective)
    try:
        async with asyncio.timeout_at(effective):
            yield
    finally:
        _deadline.reset(token)
