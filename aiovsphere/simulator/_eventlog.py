"""The event log every operation writes to (EventManager reads it).

``post_event(ctx, "VmPoweredOnEvent", vm)`` records one event (typed, see
:func:`aiovsphere.simulator._events.make_event`: key, chain, time, user, entity arguments,
vCenter's message) and hands it to every EventHistoryCollector whose filter it matches, so
their ``latestPage`` and ReadNextEvents see it at once.

Chains: a task's events share the ``chainId`` of its TaskEvent: posting the TaskEvent
makes the call's later events (``post_event`` with the same ``ctx``, also from the task's
background work, which keeps the ``ctx``) join its chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Context
    from aiovsphere.simulator._model import SimObject
    from aiovsphere.simulator._server import Simulator

__all__ = ["events_of", "post_event", "record_event"]


def post_event(ctx: Context, type_name: str, entity: SimObject | None = None,
               message: str = "", **fields: Any) -> Any:
    """Record an event of vim type ``type_name`` about ``entity``; returns the Event.

    ``message`` replaces the catalogue's ``fullFormattedMessage`` (for a type with a
    ``message`` member, such as GeneralUserEvent, it is that member); ``fields`` set event
    members (``oldName=``, ``userName=""`` for a system event...)."""
    from aiovsphere.simulator._events import make_event

    return record_event(ctx.sim, make_event(ctx, type_name, entity, message, **fields))


# The newest events kept: vCenter keeps events by age (event.maxAge); a simulator that
# kept all of them would grow without bound in a long run (benchmarks/soak.py). Event
# keys come from a counter, not list positions, so trimming the front is safe.
MAX_EVENTS = 20_000


def record_event(sim: Simulator, event: Any) -> Any:
    """Append a complete ``event`` to the log and feed it to the event collectors."""
    from aiovsphere.simulator._handlers.events import feed

    log = events_of(sim)
    log.append(event)
    if len(log) > MAX_EVENTS + MAX_EVENTS // 10:  # trimmed in chunks: amortized O(1)
        del log[: len(log) - MAX_EVENTS]
    feed(sim, event)
    sim.model.touch()
    return event


def events_of(sim: Simulator) -> list[Any]:
    """Every event so far, oldest first (keys increase)."""
    log: list[Any] = sim.__dict__.setdefault("_event_log", [])
    return log
