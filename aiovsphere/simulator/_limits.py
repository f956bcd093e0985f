"""The process's open-file limit, which caps how many connections the simulator holds.

Each connection the simulator serves is one file descriptor, two when the client runs in
the same process (the demo, tests). Many systems start processes with a soft
``RLIMIT_NOFILE`` of 1,024 (macOS: 256) and a much higher hard limit; past the soft limit
``accept()`` fails with EMFILE, asyncio logs the error and stops accepting for a second at
a time, and 1,000 concurrent calls take minutes instead of a second. Go programs (vcsim)
raise the soft limit to the hard one at start (Go 1.19+); :func:`ensure_open_files` does
the same for what a run needs.
"""

from __future__ import annotations

__all__ = ["ensure_open_files", "open_files_limit"]


def open_files_limit() -> int | None:
    """This process's soft limit of open files, or ``None`` when unlimited or unknown (no
    :mod:`resource` module, as on Windows)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def ensure_open_files(needed: int) -> int | None:
    """Raise the soft ``RLIMIT_NOFILE`` to ``needed`` if it is lower, as far as the hard
    limit allows; never lowers it. Returns the soft limit now in effect (``None``:
    unlimited or unknown), which may still be below ``needed``: callers size their
    concurrency by it. A refused change (a platform cap such as macOS's ``OPEN_MAX``)
    leaves the limit as it was."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return open_files_limit()
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        pass
    return open_files_limit()
