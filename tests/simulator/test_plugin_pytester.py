"""The pytest plugin from a user's point of view: a small test file run by a pytest of
its own (``pytester``) that finds the plugin through its entry point, in pytest-asyncio's
auto and strict modes, and a run without pytest-asyncio (in a subprocess, where its import
can fail) that the plugin does not break.

``pytester`` is enabled for this module only: ``pytest_plugins`` in a test module is
honoured (it is in non-root conftest files that pytest refuses it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "test_resilience.py"
DOCS_PAGE = REPO_ROOT / "docs" / "testing.md"

USER_TESTS = '''
import logging

import pytest

import aiovsphere
from aiovsphere import faults

ASYNC = {mark}


@pytest.mark.vsphere_simulator(vms=2, task_seconds=0)
@ASYNC
async def test_client(vsphere_simulator, vsphere_client):
    assert vsphere_client.content.about.apiType == "VirtualCenter"
    assert vsphere_simulator.inventory.vm_count == 2
    await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")


@ASYNC
async def test_faults(vsphere_client, vsphere_faults):
    vsphere_faults.fail("CurrentTime", "InvalidState", times=1)
    with pytest.raises(faults.InvalidState):
        await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")
    await vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime")
    assert vsphere_faults.count("fail") == 1


@ASYNC
async def test_pause(vsphere_client, vsphere_faults):
    import asyncio

    async with vsphere_faults.paused() as pause:
        call = asyncio.ensure_future(
            vsphere_client.invoke(vsphere_client.service_instance, "CurrentTime"))
        await pause.wait_held()
        assert not call.done()
    await call


def test_session_simulator(vsphere_simulator_session):
    assert vsphere_simulator_session.url.endswith("/sdk")


LEFT_BEHIND = []


@ASYNC
async def test_leaves_rules_behind(vsphere_faults):
    vsphere_faults.pause(method="CurrentTime")
    vsphere_faults.fail("Login", "InvalidLogin")
    LEFT_BEHIND.append(vsphere_faults)


@ASYNC
async def test_finds_them_cleared(vsphere_faults):
    [previous] = LEFT_BEHIND  # the test before's injector, cleared at its end
    assert previous.rules == () and previous.injected == ()
    assert vsphere_faults is not previous and vsphere_faults.rules == ()


SIMULATORS = []
LOGOUT_PROBLEMS = []


class Keep(logging.Handler):
    def emit(self, record):
        LOGOUT_PROBLEMS.append(record.getMessage())


@ASYNC
async def test_leaves_a_pause_on_logout(vsphere_faults, vsphere_simulator, vsphere_client):
    # Torn down first, the client would wait on this pause (and give up on the logout
    # after 10 s, with a warning): it clears the rules before logging out.
    logging.getLogger("aiovsphere.session").addHandler(Keep(logging.WARNING))
    vsphere_faults.pause(method="Logout")
    SIMULATORS.append(vsphere_simulator)


def test_the_logout_went_through():
    [sim] = SIMULATORS
    assert LOGOUT_PROBLEMS == []
    assert not sim.sessions
'''


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The subprocess imports aiovsphere from this checkout (pytester adds its own
    # directory in front).
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return pytester


@pytest.mark.parametrize(("mode", "mark"), [
    ("auto", "lambda f: f"),
    ("strict", "pytest.mark.asyncio"),
])
def test_users_tests_pass_with_the_plugin(user_project: pytest.Pytester, mode: str,
                                          mark: str) -> None:
    user_project.makeini(f"""
        [pytest]
        asyncio_mode = {mode}
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
    """)
    user_project.makepyfile(test_user=USER_TESTS.replace("{mark}", mark))
    # --strict-markers: the plugin registers its marker. In a subprocess, as a user runs it:
    # in-process, aiovsphere is already imported, and pytest's "cannot rewrite" warning
    # about the plugin's package becomes an error under filterwarnings = error.
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-v",
                                              "--strict-markers")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*test_user.py::test_client PASSED*",
                                 "*test_user.py::test_faults PASSED*",
                                 "*test_user.py::test_finds_them_cleared PASSED*"])


def test_without_pytest_asyncio_only_the_async_fixtures_fail(
    user_project: pytest.Pytester
) -> None:
    # pytest-asyncio "not installed": its import fails, its plugin is not loaded.
    user_project.mkpydir("pytest_asyncio").joinpath("__init__.py").write_text(
        "raise ImportError('pytest_asyncio is not installed')\n")
    user_project.makepyfile(test_plain="""
        def test_unrelated():
            assert 1 + 1 == 2

        def test_wants_the_simulator(vsphere_simulator):
            pass

        def test_session_one_needs_no_asyncio(vsphere_simulator_session):
            assert vsphere_simulator_session.url.startswith("http://")
    """)
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio",
                                               "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*the vsphere_simulator fixture needs pytest-asyncio*"])


@pytest.mark.parametrize("mode", ["auto", "strict"])
def test_the_documented_example_runs(user_project: pytest.Pytester, mode: str) -> None:
    """As copied by a user, in either pytest-asyncio mode (strict is its default)."""
    user_project.makeini(f"""
        [pytest]
        asyncio_mode = {mode}
        asyncio_default_fixture_loop_scope = function
        filterwarnings = error
    """)
    user_project.makepyfile(test_resilience=EXAMPLE.read_text(encoding="utf-8"))
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_the_docs_page_shows_the_example_as_it_is() -> None:
    page = DOCS_PAGE.read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")
    body = example.split('"""', 2)[2].lstrip("\n")  # without the module docstring
    assert f"```python\n{body}```" in page
