from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from client._soap import PASSWORD, USER, FakeVC

from aiovsphere import Client

from ._server import VCServer


@pytest.fixture
def fake() -> FakeVC:
    return FakeVC()


@pytest.fixture
async def server(fake: FakeVC) -> AsyncIterator[VCServer]:
    async with VCServer(fake) as srv:
        yield srv


@pytest.fixture
async def client(server: VCServer) -> AsyncIterator[Client]:
    """A logged-in client on the real aiohttp transport (API version pinned)."""
    c = Client(server.url, version="8.0.3.0")
    await c.open()
    await c.session.login(USER, PASSWORD)
    yield c
    await c.close()
