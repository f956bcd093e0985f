#!/usr/bin/env bash
# Lint: ruff on all the Python code, mypy --strict on the package.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
.venv/bin/python -m ruff check aiovsphere tests tools benchmarks
.venv/bin/python -m mypy --strict aiovsphere
.venv/bin/python tools/codegen/generate.py --check
# Not --quiet: it hides the warnings that --strict turns into a failure.
.venv/bin/python -m mkdocs build --strict -d .cache/site
