#!/usr/bin/env bash
# Lint: ruff on all the Python code, mypy --strict on the package, the codegen check, the
# docs build, bandit on the package and pip-audit on the environment.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
.venv/bin/python -m ruff check aiovsphere tests tools benchmarks
.venv/bin/python -m mypy --strict aiovsphere
.venv/bin/python tools/codegen/generate.py --check
# Not --quiet: it hides the warnings that --strict turns into a failure.
.venv/bin/python -m mkdocs build --strict -d .cache/site
# Security lint of the package: fail on high-severity, high-confidence findings only
# (skips and their reasons: [tool.bandit] in pyproject.toml).
.venv/bin/python -m bandit -c pyproject.toml -r aiovsphere -q --severity-level high --confidence-level high
# Known vulnerabilities (PyPI advisories) in every installed distribution but our own
# editable one: the runtime closure and the dev tools CI itself runs.
.venv/bin/python -m pip_audit --skip-editable --progress-spinner off
