"""Session-wide fixtures: one vcsim (govmomi's vCenter simulator) for the whole run.

Tests against vcsim are never skipped: if it cannot be built (no Go, no govmomi
sources) or started, every test using it errors with the reason.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # also set by pyproject's pythonpath; kept for safety
    sys.path.insert(0, str(REPO_ROOT))

from tools.vcsim.launcher import Vcsim, VcsimError  # noqa: E402

VM_COUNT = 8


def running(sim: Vcsim) -> Iterator[Vcsim]:
    """Start ``sim`` for a fixture (``yield from running(...)``), stop it afterwards; a
    vcsim that cannot be built or started fails the test with the reason, never skips."""
    try:
        sim.start()
    except VcsimError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def vcsim() -> Iterator[Vcsim]:
    """A running vcsim with an 8-VM VPX inventory (1 DC, 1 standalone host, 1 cluster)."""
    yield from running(Vcsim.for_vm_count(VM_COUNT))


@pytest.fixture(scope="session")
def vcsim_url(vcsim: Vcsim) -> str:
    """The session vcsim's SDK endpoint, ``http://127.0.0.1:PORT/sdk``."""
    return vcsim.url


@pytest.fixture(scope="module")
def private_vcsim() -> Iterator[Vcsim]:
    """A vcsim of this test module's own (8 VMs), for tests that change the inventory
    (rename, power, create, destroy, snapshots) and so must not touch the shared one."""
    yield from running(Vcsim.for_vm_count(VM_COUNT))
