"""The event log every operation writes to (EventManager reads it).

``post_event(ctx, "VmPoweredOnEvent", vm)`` records one event; the events handlers build
the typed Event (key, chain, time, user, entity arguments) and serve EventHistoryCollector
paging from :func:`events_of`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject
    from aiovsphere.simulator._server import Simulator

__all__ = ["events_of", "post_event"]


def post_event(ctx: Context, type_name: str, entity: SimObject | None = None,
               message: str = "", **fields: Any) -> Any:
    """Record an event of vim type ``type_name`` about ``entity``; returns the Event."""
    from aiovsphere.simulator._events import make_event

    event = make_event(ctx, type_name, entity, message, **fields)
    events_of(ctx.sim).append(event)
    ctx.model.touch()
    return event


def events_of(sim: Simulator) -> list[Any]:
    """Every event so far, oldest first (keys increase)."""
    log: list[Any] = sim.__dict__.setdefault("_event_log", [])
    return log
