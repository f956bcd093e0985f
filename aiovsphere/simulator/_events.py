"""Building typed events (placeholder until the events module lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject

__all__ = ["make_event"]


def make_event(ctx: Context, type_name: str, entity: SimObject | None, message: str,
               **fields: Any) -> Any:
    from aiovsphere.simulator._context import now
    from aiovsphere.simulator._eventlog import events_of
    from aiovsphere.vim import types as t

    key = len(events_of(ctx.sim)) + 1
    cls = getattr(t, type_name)
    return cls(key=key, chainId=key, createdTime=now(),
               userName=ctx.session.user if ctx.session else "",
               fullFormattedMessage=message or type_name, **fields)
