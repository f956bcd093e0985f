#!/usr/bin/env bash
# The vcsim path: builds and starts vcsim, runs `inventory` and `bench` against it as a
# user pointing at a real server would, checks no session is left:
#   scripts/demo_vcsim.sh [--vms N] [--calls M]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
exec .venv/bin/python scripts/demo_vcsim.py "$@"
