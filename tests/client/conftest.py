from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aiovsphere import Client

from ._soap import PASSWORD, USER, FakeVC


@pytest.fixture
def fake() -> FakeVC:
    return FakeVC()


@pytest.fixture
async def client(fake: FakeVC) -> AsyncIterator[Client]:
    """An open, logged-in client of ``fake`` (API 8.0.3.0 pinned: no negotiation)."""
    c = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await c.open()
    await c.session.login(USER, PASSWORD)
    yield c
    await c.close()
