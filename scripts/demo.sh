#!/usr/bin/env bash
# The main job: `python -m aiovsphere demo` on the embedded simulator (1,000 VMs, in this
# process; no Go, no vCenter, no network). Options pass through: --vms, --calls, --tasks,
# --json. The vcsim path (inventory and bench against a real vcsim) is scripts/demo_vcsim.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AIOVSPHERE_NO_VCSIM=1 source scripts/bootstrap.sh
exec .venv/bin/python -m aiovsphere demo "$@"
