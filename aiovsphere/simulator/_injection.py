"""Fault injection for users' resilience tests (filled in by the injection module)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["FaultInjector"]


class FaultInjector:
    """Hooks the simulator's HTTP handler calls: ``before`` (any request) and ``on_call``
    (a decoded SOAP call). Each returns ``None`` (go on) or the response to send."""

    async def before(self, request: web.Request) -> web.StreamResponse | None:
        return None

    async def on_call(self, method: str, this: Any) -> web.StreamResponse | None:
        return None
