"""Serve an aiohttp app on a free loopback port (test servers share this)."""

from __future__ import annotations

import asyncio
import ssl

from aiohttp import web


async def serve(app: web.Application, *, shutdown_timeout: float,
                ssl_context: ssl.SSLContext | None = None) -> tuple[web.AppRunner, int]:
    """Start ``app`` on 127.0.0.1 (port chosen by the OS); returns the runner and port.
    ``await runner.cleanup()`` stops it."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    return runner, server.sockets[0].getsockname()[1]
