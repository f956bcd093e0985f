"""Developer sessions: ``nox -s tests lint codegen bench docs``.

Sessions reuse the project's ``.venv`` (made by scripts/bootstrap.sh) rather than building
their own: the suite needs vcsim (Go, Debian packages) which bootstrap installs once.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.default_venv_backend = "none"

PY = ".venv/bin/python"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (starts its own vcsim)."""
    session.run("bash", "scripts/test.sh", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy --strict, codegen output up to date, docs build, bandit, pip-audit."""
    session.run("bash", "scripts/lint.sh", external=True)


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate schema.json and the typed stubs from the pinned pyvmomi registry.

    ``nox -s codegen -- --check`` fails if the committed output differs.
    """
    session.run(PY, "tools/codegen/generate.py", *session.posargs, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """aiovsphere vs pyvmomi vs govmomi on vcsim; ``-- --quick`` for a short run."""
    session.run(PY, "-m", "benchmarks.run", *session.posargs, external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs, strict)."""
    session.run(PY, "-m", "mkdocs", "build", "--strict", external=True)


@nox.session
def bench_simulator(session: nox.Session) -> None:
    """The embedded simulator beside vcsim; ``-- --quick`` for a short run.

    Start time (1,000 and 5,000 VMs), `small` requests/s and full-inventory reads
    (``benchmarks/simulator.py``).
    """
    session.run(PY, "-m", "benchmarks.simulator", *session.posargs, external=True)


@nox.session
def soak(session: nox.Session) -> None:
    """Soak: 200 operations in flight for 30 minutes against the embedded simulator.

    Client RSS, descriptors, asyncio tasks and server sessions every 10 s to
    ``benchmarks/results/soak.csv``, plotted to ``benchmarks/results/soak.png``
    (``benchmarks/soak.py``; ``-- --minutes 1 --interval 2`` for a quick check). Not in CI.
    """
    session.run(PY, "-m", "benchmarks.soak", *session.posargs, external=True)
