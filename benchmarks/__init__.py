"""aiovsphere benchmarks against vcsim: aiovsphere vs pyvmomi vs govmomi.

``python -m benchmarks.run [--quick]`` from the repository root; see docs/performance.md.
"""
