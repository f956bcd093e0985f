"""``python -m aiovsphere`` (also the ``aiovsphere`` console script).

Commands: ``ls``, ``info``, ``find``, ``power``, ``tasks``, ``events``, ``metrics``,
``inventory``, ``bench`` (see ``aiovsphere --help``; implemented in
:mod:`aiovsphere._cli`). Connection options come from flags or the environment
(``AIOVSPHERE_URL``, ``AIOVSPHERE_USERNAME``, ``AIOVSPHERE_PASSWORD``,
``AIOVSPHERE_INSECURE``). Exit codes: 0 ok, 1 fault, connection error, not found or failed
task, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import os
import sys

try:
    import rich  # noqa: F401
    import typer  # noqa: F401
except ImportError:  # pragma: no cover - the cli extra is not installed
    sys.exit("the aiovsphere CLI needs typer and rich, which this Python lacks: "
             "pip install 'aiovsphere[cli]' (in a clone: run the .venv's python, or "
             "'. .venv/bin/activate' first)")

from aiovsphere._cli import app

__all__ = ["app", "main"]


def main() -> None:
    """The console script: run the app; an unexpected error is one line on stderr (never
    a traceback with local variables), exit 1."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except BrokenPipeError:  # ``aiovsphere ls | head``: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # a bug: still one line, never the password
        from aiovsphere._cli._common import describe, scrub

        sys.stderr.write(f"error: {' '.join(scrub(describe(exc)).split())}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
