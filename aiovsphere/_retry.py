"""Retries of idempotent calls on transport errors: :class:`RetryPolicy` (on tenacity).

A vim25 call that fails below SOAP (connection reset, server disconnected, a proxy's
502/503/504 page) may or may not have reached the server. Sending it again is safe only
when doing it twice has the effect of doing it once. So aiovsphere retries:

* **Idempotent reads**, after a transport error at any phase (see :func:`is_idempotent`).
* **Any method whose request provably never left**: the TCP connect itself failed
  (refused, unreachable, DNS). aiohttp raises ``ClientConnectorError`` only while it opens
  a connection, before a byte of the request is written, and the aiohttp transport then
  sets ``unsent`` on its :class:`~aiovsphere.ConnectError`; so this is not a blind retry
  (``RetryPolicy(retry_unsent=False)`` turns it off). Teardown calls
  (``Destroy*``, ``Cancel*``, ``Logout``, but not ``*_Task``) are left out: the server
  frees what they free with the session anyway, and against a dead server a close that
  retried each of them would take seconds. A custom transport qualifies by setting
  ``unsent = True`` on the error; otherwise its ``ConnectError`` counts as "lost at an
  unknown phase".

A reset or disconnect *after* the connection was up (including on a pooled keep-alive
connection the server had closed) cannot be told apart from a request the server
received, so for a non-idempotent method it is raised, never retried.

Never retried, whatever the method: SOAP faults (the server answered), ``TimeoutError``
and deadlines (including aiohttp's connect timeout), TLS verification and thumbprint
pinning failures, :class:`~aiovsphere.ResponseTooLargeError`,
:class:`~aiovsphere.InvalidResponseError` (the server answered, badly),
:class:`~aiovsphere.EncodeError` (nothing was sent), other HTTP statuses, cancellation.

The idempotency rule (:func:`is_idempotent`) over the schema's methods
--------------------------------------------------------------------------------------
A method is an idempotent read when **all** of these hold:

1. Its required privilege (the schema's per-method privilege) is ``System.Anonymous``,
   ``System.View`` or ``System.Read``: a method that needs any other privilege changes
   something (or reads secrets, which we leave alone too). The privilege alone is not
   enough: many writers (``DeleteVirtualDisk_Task``, ``CreateContainerView``,
   ``DestroyView``) ask for ``System.View`` and check the real privilege per entity.
2. Its name starts with a read verb: ``Retrieve``, ``Query``, ``Find``, ``Fetch``,
   ``Has``, ``Is``, ``Get``, ``Lookup``, ``List`` (a whole word: ``Query``, ``QueryPerf``,
   ``getVchaConfig``), or it is one of ``CurrentTime``, ``RetrieveServiceContent`` and
   ``SessionIsActive`` (the last one asks for ``Sessions.ValidateSession`` yet only reads).
3. It is none of these, whatever its privilege and verb:

   * ``*_Task``: every call creates a server-side Task (and usually does the work).
   * ``Destroy*``, ``Rename*``, ``Create*``, ``Clone*``, ``Acquire*`` (tickets),
     ``Login*``, ``Logout``, ``Terminate*``: they change server state or sessions.
   * ``Cancel*`` and ``Continue*``: a paging token is consumed by its first use, so a
     second ``ContinueRetrievePropertiesEx`` would skip a page or fail.
   * ``Read*``, ``Rewind*``, ``Reset*``, names with ``Next`` (``ReadNextEvents``,
     ``QueryNext``): history collectors and search cursors move on every call.
   * ``WaitForUpdates``, ``WaitForUpdatesEx``, ``CheckForUpdates``: they advance the
     collector's version, and the collector layer handles their errors itself.

``RetrievePropertiesEx`` qualifies; if its answer is lost and the read is retried, the
first answer's paging token (if any) is orphaned until the session or collector ends.

Waits and deadlines
-------------------
Waits follow "full jitter": before retry *n* the policy sleeps a uniformly random time
in ``[0, min(max_backoff, initial_backoff * 2 ** (n - 1))]`` (tenacity's
``wait_random_exponential``), so a burst of clients that failed together does not come
back together. An error that carries ``retry_after`` (seconds, from a ``Retry-After``
header) waits at least that long, capped at ``max_backoff``. The whole call, all attempts
and waits, stays inside the caller's deadline (``timeout=``, the client's default
timeout, :func:`aiovsphere.timeout`): when the next wait would reach it, the policy stops
and raises the last error (the typed one: ``HTTPStatusError``, ``ConnectError``...); a
plain ``asyncio.timeout`` cancels the wait and raises ``TimeoutError`` as usual.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential

from aiovsphere._deadline import remaining
from aiovsphere._deadline import timeout as _deadline
from aiovsphere._errors import (
    ConnectError,
    HTTPStatusError,
    InvalidResponseError,
    ResponseTooLargeError,
    TransportError,
)

if TYPE_CHECKING:
    from aiovsphere.vim._schema import MethodInfo

__all__ = ["READ_PRIVILEGES", "RetryPolicy", "is_idempotent", "is_teardown", "transport_failure"]

log = logging.getLogger("aiovsphere")
T = TypeVar("T")

READ_PRIVILEGES = frozenset({"System.Anonymous", "System.View", "System.Read"})
_READ_VERB = re.compile(r"(?:Retrieve|Query|Find|Fetch|Has|Is|Get|Lookup|List)(?:[A-Z_]|$)")
_ALWAYS_READS = frozenset({"CurrentTime", "RetrieveServiceContent", "SessionIsActive"})
_NEVER_PREFIX = re.compile(
    r"(?:Destroy|Rename|Create|Clone|Acquire|Login|Logout|Terminate|Cancel|Continue|"
    r"Read|Rewind|Reset)(?:[A-Z_]|$)"
)
_NEVER = frozenset({"WaitForUpdates", "WaitForUpdatesEx", "CheckForUpdates"})
_TEARDOWN = re.compile(r"(?:Destroy|Cancel|Logout)(?:[A-Z_]|$)")

# Seams for tests: the jitter's random source and the backoff sleep.
_random = random.Random()


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def is_idempotent(method: MethodInfo) -> bool:
    """Whether ``method`` is an idempotent read that may be sent again after a transport
    error (the rule is in this module's docstring). ``method`` is a schema entry
    (``client.method_info(ref, "Name")``)."""
    return _idempotent(method.name, method.privilege)


@functools.cache
def _idempotent(name: str, privilege: str | None) -> bool:
    name = name[:1].upper() + name[1:]  # getVchaConfig, fetchSoftwarePackages
    if (name.endswith("_Task") or name in _NEVER or _NEVER_PREFIX.match(name)
            or "Next" in name):
        return False
    if name in _ALWAYS_READS:
        return True
    return privilege in READ_PRIVILEGES and _READ_VERB.match(name) is not None


def is_teardown(method: MethodInfo) -> bool:
    """``Destroy*``, ``Cancel*`` and ``Logout`` (not ``*_Task``: ``Destroy_Task`` deletes
    inventory): not retried even when the connect failed (see the module docstring)."""
    name = method.name
    return _TEARDOWN.match(name) is not None and not name.endswith("_Task")


def transport_failure(exc: BaseException) -> str | None:
    """What kind of transport failure ``exc`` is, for retrying.

    Returns ``"unsent"`` (the connect failed: no byte of the request was written),
    ``"lost"`` (the connection failed at an unknown or later phase: refused, reset,
    disconnected, cut off mid-response), ``"status"`` (an :class:`HTTPStatusError`) or
    ``None`` (not a retryable kind at all: faults, timeouts, TLS, size cap, bad
    responses, anything else).
    """
    if isinstance(exc, HTTPStatusError):
        return "status"
    if not isinstance(exc, TransportError) or isinstance(
        exc, InvalidResponseError | ResponseTooLargeError
    ):
        return None
    if exc.unsent:  # set by the transport: the connect failed, nothing was written
        return "unsent"
    if exc.transient is not None:  # the transport said (aiohttp: always)
        return "lost" if exc.transient else None
    # A transport that did not say: judge by the chained exception (not reliable once
    # the error has been re-raised while another was being handled), then by the type.
    cause = exc.__cause__ or exc.__context__
    if cause is None:
        # A transport that does not chain its error: trust the type, not the phase.
        return "lost" if isinstance(exc, ConnectError) else None
    if isinstance(cause, TimeoutError | ssl.SSLError | aiohttp.ClientSSLError
                  | aiohttp.ServerFingerprintMismatch):
        return None
    if isinstance(cause, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError | OSError):
        return "lost"
    return None


class _Counts(Protocol):
    retries: int


class _StopAtDeadline(stop_base):
    """Stop when the upcoming wait would reach the innermost aiovsphere deadline."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = remaining()
        return left is not None and retry_state.upcoming_sleep >= left


class _StopWhen(stop_base):
    """Stop once ``condition()`` is true (``None``: never)."""

    def __init__(self, condition: Callable[[], bool] | None) -> None:
        self.condition = condition

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.condition is not None and self.condition()


class _FullJitter(wait_exponential):
    """tenacity's exponential window with full jitter from ``_random`` (patchable), and at
    least an error's ``retry_after`` (capped at the window's maximum)."""

    def __call__(self, retry_state: RetryCallState) -> float:
        wait = _random.uniform(0.0, super().__call__(retry_state))
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > 0:
            wait = max(wait, min(float(retry_after), self.max))
        return wait


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how a :class:`~aiovsphere.Client` sends a call again after a transport
    error (see the rule in :mod:`aiovsphere._retry` and ``docs/retries.md``).

    ``Client(url, retry=RetryPolicy(attempts=6))``; ``retry=None`` sends every call once.

    Args:
        attempts: sends in all, the first one included (``1``: no retries).
        initial_backoff: seconds; the jitter window before the first retry.
        max_backoff: seconds; the window doubles per retry up to this.
        statuses: HTTP statuses retried for idempotent methods (a proxy's or load
            balancer's "try again": 502, 503, 504).
        retry_unsent: also retry non-idempotent methods (teardown calls aside) when the
            connect failed and the request provably never left (the transport sets
            :attr:`~aiovsphere.TransportError.unsent`; the aiohttp one does).
        idempotent: the method rule, a ``MethodInfo -> bool`` (default
            :func:`is_idempotent`); e.g. ``lambda m: is_idempotent(m) or m.name == "X"``.

    Raises ``ValueError`` for attempts below 1 or negative / inverted backoffs.
    """

    attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    statuses: frozenset[int] = frozenset({502, 503, 504})
    retry_unsent: bool = True
    idempotent: Callable[[MethodInfo], bool] = field(default=is_idempotent, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")
        if not 0 <= self.initial_backoff <= self.max_backoff:
            raise ValueError("backoffs must satisfy 0 <= initial_backoff <= max_backoff, not "
                             f"{self.initial_backoff} and {self.max_backoff}")
        if not isinstance(self.statuses, frozenset):
            object.__setattr__(self, "statuses", frozenset(self.statuses))

    # ------------------------------------------------------------------ decisions
    def should_retry(self, exc: BaseException, *, idempotent: bool,
                     teardown: bool = False) -> bool:
        """Whether ``exc`` (from one attempt) may be retried for a method that is (or is
        not) idempotent, or a teardown call. Deadlines and attempt counts are checked
        separately."""
        kind = transport_failure(exc)
        if kind is None:
            return False
        if kind == "unsent" and self.retry_unsent and not teardown:
            return True
        if not idempotent:
            return False
        if kind == "status":
            assert isinstance(exc, HTTPStatusError)
            return exc.status in self.statuses
        return True

    def backoff_window(self, retry: int) -> float:
        """The upper bound in seconds of the random wait before retry ``retry`` (1-based)."""
        return float(min(self.max_backoff, self.initial_backoff * 2 ** (retry - 1)))

    # ------------------------------------------------------------------ running
    async def run(
        self,
        send: Callable[[], Awaitable[T]],
        method: MethodInfo,
        *,
        timeout: float | None = None,
        stats: _Counts | None = None,
        closed: Callable[[], bool] | None = None,
    ) -> T:
        """``await send()``, retried as this policy says for ``method``.

        ``timeout`` (seconds) bounds all attempts and waits together, from now; enclosing
        deadlines stay in force. Returns what ``send`` returns; raises the last attempt's
        error (never tenacity's ``RetryError``), ``TimeoutError`` at the deadline, or
        ``CancelledError``. ``stats.retries`` counts the retries. Once ``closed()`` is
        true (the client is closing) no further attempt starts: the last error is raised.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await send()  # the common case: no tenacity machinery at all
        except Exception as exc:
            idempotent = self.idempotent(method)
            teardown = is_teardown(method)
            if (self.attempts < 2
                    or not self.should_retry(exc, idempotent=idempotent, teardown=teardown)
                    or (closed is not None and closed())):
                raise
            first = exc
            failed = [exc]
        budget = None if timeout is None else timeout - (loop.time() - started)
        if budget is not None and budget <= 0:
            raise failed[0]

        async def attempt() -> T:
            if failed:  # tenacity's attempt 1 is the one that already failed
                raise failed.pop()
            if closed is not None and closed():
                raise last  # closed while waiting: the error that made us wait
            return await send()

        last: BaseException = first

        def before_sleep(state: RetryCallState) -> None:
            nonlocal last
            if stats is not None:
                stats.retries += 1
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            if error is not None:
                last = error
            log.debug("retrying %s (attempt %d of %d) after %s", method.name,
                      state.attempt_number + 1, self.attempts, type(error).__name__)

        retrying = AsyncRetrying(
            stop=(stop_after_attempt(self.attempts) | _StopAtDeadline()
                  | _StopWhen(closed)),
            wait=_FullJitter(multiplier=self.initial_backoff, max=self.max_backoff),
            retry=retry_if_exception(
                lambda e: e is first
                or self.should_retry(e, idempotent=idempotent, teardown=teardown)),
            before_sleep=before_sleep,
            sleep=lambda seconds: _sleep(seconds),
            reraise=True,
        )
        async with _deadline(budget):
            result: T = await retrying(attempt)
        return result

