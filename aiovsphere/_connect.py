"""``aiovsphere.connect``: a logged-in client as an async context manager."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiovsphere._client import Client

__all__ = ["connect"]


@asynccontextmanager
async def connect(
    url: str,
    *,
    user: str | None = None,
    password: str | None = None,
    clone_ticket: str | None = None,
    **options: Any,
) -> AsyncIterator[Client]:
    """Open a client, log in, and log out and close on every exit path.

    ``async with aiovsphere.connect("https://vc", user="u", password="p") as client:``

    ``options`` are :class:`Client` arguments (``insecure``, ``thumbprint``, ``version``,
    ``max_in_flight``, ``timeout``, ``keepalive``, ``transport``, ``retry``...): e.g.
    ``retry=aiovsphere.RetryPolicy(attempts=6)`` or ``retry=None`` for no transport
    retries (see :class:`~aiovsphere.RetryPolicy`). ``clone_ticket``
    joins a session another process acquired (vim.SessionManager.CloneSession) instead of
    logging in with a password. Without credentials the client is open but anonymous.

    Raises ``faults.InvalidLogin`` for bad credentials (the pool is closed first).
    """
    client = Client(url, **options)
    try:
        await client.open()
        if clone_ticket is not None:
            await client.session.login_by_clone_ticket(clone_ticket)
        elif user is not None:
            await client.session.login(user, password or "")
        yield client
    finally:
        await client.close()
