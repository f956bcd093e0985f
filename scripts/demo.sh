#!/usr/bin/env bash
# The main job against a vcsim it starts: scripts/demo.sh [--vms N] [--calls M]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
