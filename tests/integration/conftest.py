"""Fixtures for tests against a real vcsim (started by tests/conftest.py's ``vcsim_url``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import aiovsphere


@pytest.fixture(scope="session")
async def observer(vcsim_url: str) -> AsyncIterator[aiovsphere.Client]:
    """A second, independent session that looks at the server's session list."""
    async with aiovsphere.connect(vcsim_url, user="observer", password="pw") as client:
        yield client


async def session_users(observer: aiovsphere.Client) -> list[str]:
    """User names of the sessions the server holds (vim.SessionManager.sessionList)."""
    props = await observer.get_properties(observer.content.sessionManager, ["sessionList"])
    return [s.userName for s in props.get("sessionList", ())]


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, object]]]:
    """What the loop's exception handler sees during a test ("Task exception was never
    retrieved", "Unclosed client session"...); the test asserts it stays empty."""
    loop = asyncio.get_running_loop()
    seen: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    try:
        yield seen
    finally:
        loop.set_exception_handler(previous)
