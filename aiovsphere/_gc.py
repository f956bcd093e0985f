"""Garbage-collector policy while a large response is decoded.

Decoding a large response builds hundreds of thousands of objects; CPython's cyclic GC
then runs full (generation 2) collections again and again over the growing result, each
one walking everything alive and holding the GIL: about 40% of the decode time, and
stalls of 100+ ms on the event loop even when the decode runs in a worker thread.

While at least one large decode is running, full collections are deferred (generation 2
threshold raised; generations 0 and 1 still run, so short-lived cycles are still freed).
The thresholds are restored when the last such decode ends. The GC is process-wide, so
this is too: a reference count makes concurrent decodes (and several clients) nest
correctly. The objects built still count towards the next full collection, which then
runs once instead of several times. ``Client(defer_gc=False)`` turns this off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["deferred_full_collections"]

_DEFERRED_THRESHOLD2 = 1_000_000

class _Deferral:
    """The process-wide count of running large decodes and the thresholds they replaced."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved: tuple[int, int, int] | None = None
        self.deferred: tuple[int, int, int] | None = None

    def enter(self) -> None:
        with self.lock:
            if self.depth == 0:
                self.saved = gc.get_threshold()
                g0, g1, g2 = self.saved
                self.deferred = (g0, g1, max(g2, _DEFERRED_THRESHOLD2))
                gc.set_threshold(*self.deferred)
            self.depth += 1

    def exit(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth == 0 and self.saved is not None:
                # Restore only what we set: thresholds the application changed meanwhile
                # are its own.
                if gc.get_threshold() == self.deferred:
                    gc.set_threshold(*self.saved)
                self.saved = None


_deferral = _Deferral()


@contextlib.contextmanager
def deferred_full_collections() -> Iterator[None]:
    """Defer generation-2 collections for the duration of the block (reentrant)."""
    _deferral.enter()
    try:
        yield
    finally:
        _deferral.exit()
