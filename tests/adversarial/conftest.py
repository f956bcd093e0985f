from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import aiovsphere


@pytest.fixture(scope="session")
async def observer(vcsim_url: str) -> AsyncIterator[aiovsphere.Client]:
    """A second, independent vcsim session that looks at the server's session list."""
    async with aiovsphere.connect(vcsim_url, user="adv-observer", password="pw") as client:
        yield client
