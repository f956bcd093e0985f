"""pytest plugin: an embedded vCenter per test, a connected client, and fault injection.

Installed with aiovsphere (entry point ``pytest11``: ``aiovsphere``), so the fixtures are
there in any project that has aiovsphere and pytest-asyncio::

    import pytest
    from aiovsphere import faults

    @pytest.mark.vsphere_simulator(vms=8, task_seconds=0)
    async def test_power_on_retries(vsphere_client, vsphere_faults):
        vsphere_faults.fail("PowerOnVM_Task", "TaskInProgress", times=1)
        ...

Fixtures:

- ``vsphere_simulator``: a running :class:`~aiovsphere.simulator.Simulator` of the test's
  own (function scope; it starts in milliseconds), configured by the
  ``vsphere_simulator`` marker on the test, its class or its module (the closest value of
  each option wins): ``vms`` (VMs in all), ``datacenters``, ``clusters``, ``hosts``,
  ``cluster_hosts``, ``resource_pools``, ``datastores``, ``dvs`` or
  ``inventory=InventorySpec(...)``, and any ``Simulator`` argument (``https``, ``esx``,
  ``users``, ``task_seconds``, ``session_idle_timeout``, ``seed``, ``api_version``);
  ``login=(user, password)`` sets the account ``vsphere_client`` uses.
- ``vsphere_client``: an :class:`aiovsphere.Client` logged in to ``vsphere_simulator``
  (as ``login``, else the first administrator of ``users``, else ``admin``/``pw``),
  pinned to its certificate with ``https``; logged out and closed afterwards (after
  clearing the fault rules, which could otherwise hold up or fail the logout).
- ``vsphere_faults``: ``vsphere_simulator.faults``, the
  :class:`~aiovsphere.simulator.FaultInjector`; cleared after the test (held calls go on).
- ``vsphere_simulator_session``: one simulator (vcsim's default inventory) shared by the
  whole session, for tests that only read. It runs on a thread of its own with its own
  event loop, so it works whatever event loop scope the tests use; do not change its
  inventory or add faults to it (use ``vsphere_simulator``). For a shared simulator of
  another shape, write a session fixture with :func:`running_in_thread`.

The async fixtures are ``pytest_asyncio`` fixtures: they work in pytest-asyncio's
``auto`` and ``strict`` modes (in strict mode mark the tests ``@pytest.mark.asyncio``) and
run in the event loop of the fixture loop scope you configure
(``asyncio_default_fixture_loop_scope``), which must be the test's loop. Without
pytest-asyncio they fail with a message saying so; the rest of pytest is unaffected.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from aiovsphere import Client
    from aiovsphere.simulator._injection import FaultInjector
    from aiovsphere.simulator._server import Simulator

__all__ = [
    "MARKER",
    "running_in_thread",
    "vsphere_client",
    "vsphere_faults",
    "vsphere_simulator",
    "vsphere_simulator_session",
]

MARKER = "vsphere_simulator"
DEFAULT_LOGIN = ("admin", "pw")
_STOP_TIMEOUT = 30.0

F = TypeVar("F", bound=Callable[..., Any])

_asyncio_fixture: Callable[[Any], Any] | None
try:
    from pytest_asyncio import fixture as _asyncio_fixture
except ImportError:  # tested in a subprocess where the import fails
    _asyncio_fixture = None


def _async_fixture(fn: F) -> F:
    """``pytest_asyncio.fixture``, or, without pytest-asyncio, a fixture that fails the
    test with what to install (the plugin is loaded for every pytest run in the
    environment: it must never break runs that do not use it)."""
    if _asyncio_fixture is not None:
        return cast(F, _asyncio_fixture(fn))

    def missing(request: pytest.FixtureRequest) -> None:
        pytest.fail(f"the {fn.__name__} fixture needs pytest-asyncio: "
                    "pip install pytest-asyncio", pytrace=False)

    missing.__name__ = missing.__qualname__ = fn.__name__
    missing.__doc__ = fn.__doc__
    return cast(F, pytest.fixture(missing))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): configure the vsphere_simulator fixture (aiovsphere's "
        "embedded vCenter): vms, datacenters, clusters, hosts, cluster_hosts, "
        "resource_pools, datastores, dvs, portgroups, networks or inventory; https, esx, "
        "users, task_seconds, session_idle_timeout, seed, api_version; "
        "login=(user, password) for vsphere_client.",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The marker options of the requesting test: module, then class, then function;
    the closest value of each option wins (a closer ``inventory=`` replaces farther
    ``vms``/shape options, and the other way round)."""
    from aiovsphere.simulator._options import INVENTORY_OPTIONS

    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only", pytrace=False)
        # inventory=InventorySpec(...) and vms/shape options replace each other.
        if "inventory" in marker.kwargs:
            options = {k: v for k, v in options.items() if k not in INVENTORY_OPTIONS}
        elif INVENTORY_OPTIONS & marker.kwargs.keys():
            options.pop("inventory", None)
        options.update(marker.kwargs)
    return options


@_async_fixture
async def vsphere_simulator(request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    """A running embedded vCenter of this test's own (see the ``vsphere_simulator``
    marker); stopped after the test."""
    from aiovsphere.simulator._options import make_simulator

    options = _options(request)
    options.pop("login", None)
    try:
        sim = make_simulator(options)
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.{MARKER}: {exc}", pytrace=False)
    async with sim:
        yield sim


@_async_fixture
async def vsphere_client(request: pytest.FixtureRequest,
                         vsphere_simulator: Simulator) -> AsyncIterator[Client]:
    """An aiovsphere client logged in to ``vsphere_simulator``; logged out afterwards
    (the simulator's fault rules are cleared first, so a leftover pause or drop cannot
    hold up or fail the logout)."""
    import aiovsphere

    user, password = _login(_options(request).get("login"), vsphere_simulator)
    async with aiovsphere.connect(vsphere_simulator.url, user=user, password=password,
                                  thumbprint=vsphere_simulator.thumbprint) as client:
        try:
            yield client
        finally:
            vsphere_simulator.faults.clear()


@pytest.fixture
def vsphere_faults(vsphere_simulator: Simulator) -> Iterator[FaultInjector]:
    """``vsphere_simulator.faults``; its rules, record and held calls are cleared after
    the test."""
    faults = vsphere_simulator.faults
    try:
        yield faults
    finally:
        faults.clear()


@pytest.fixture(scope="session")
def vsphere_simulator_session() -> Iterator[Simulator]:
    """One embedded vCenter (vcsim's default inventory) for the whole session, running
    on a thread of its own: read it, do not change it."""
    from aiovsphere.simulator._server import Simulator

    with running_in_thread(Simulator()) as sim:
        yield sim


def _login(login: Any, sim: Simulator) -> tuple[str, str]:
    if login is not None:
        user, password = login
        return str(user), str(password)
    if sim.users:
        for name, account in sim.users.items():
            if account.role == "Admin":
                return name, account.password
        pytest.fail(f"@pytest.mark.{MARKER}: users has no administrator; say which "
                    "account vsphere_client uses with login=(user, password)", pytrace=False)
    return DEFAULT_LOGIN


@contextmanager
def running_in_thread(sim: Simulator) -> Iterator[Simulator]:
    """Run ``sim`` on a new thread with its own event loop until the block ends.

        @pytest.fixture(scope="session")
        def big_vcenter():
            with running_in_thread(Simulator(vms=1000)) as sim:
                yield sim

    Clients connect to ``sim.url`` from any loop. The simulator's objects belong to that
    thread: read ``url``, ``thumbprint`` and ``inventory``; change nothing from the tests.
    """
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(sim.start())
            except BaseException as exc:  # reported to the caller, which re-raises it
                failure.append(exc)
                return
            finally:
                started.set()
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=serve, name="aiovsphere-simulator", daemon=True)
    thread.start()
    started.wait()
    try:
        if failure:
            raise failure[0]
        yield sim
    finally:
        if not failure:
            try:
                asyncio.run_coroutine_threadsafe(sim.stop(), loop).result(_STOP_TIMEOUT)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT)
