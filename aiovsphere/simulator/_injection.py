"""Fault injection for resilience tests: ``sim.faults``, a :class:`FaultInjector`.

A test adds *rules*; each SOAP call the simulator serves is checked against them::

    sim.faults.fail("PowerOnVM_Task", "InvalidPowerState", times=1,
                    members={"existingState": "poweredOn"})   # a vim fault, once
    sim.faults.delay(0.2, method="RetrievePropertiesEx")        # latency
    sim.faults.delay((0.01, 0.1))                               # random latency, every call
    sim.faults.http_status(503, times=3)                        # a proxy's 503 page
    sim.faults.truncate(method="RetrievePropertiesEx")          # half a response body
    sim.faults.drop(method="CurrentTime", every=2)              # close without answering
    sim.faults.expire_sessions()                                # every session, now
    sim.faults.add(ExpireSessions(method="CurrentTime", after=3))   # ... on a schedule
    async with sim.faults.paused():                             # calls wait in here
        ...

Every rule takes ``method`` (a vim method name such as ``"PowerOnVM_Task"``, several
names, or ``None`` for every call) and a schedule (:class:`Schedule`): ``times`` (fire
at most N times), ``after`` (let the first N matching calls through), ``every`` (fire on
every Nth matching call), ``probability`` (fire with this chance, from a random generator
seeded by ``seed``, default ``sim.seed`` and the rule's position, so runs repeat) and
``for_seconds`` (the rule lapses T seconds after it was added). A call is counted by a
rule only while the rule is active (not used up, not lapsed).

Rules are consulted in the order they were added. Delays and pauses that fire add up; the
first other rule that fires (fail, HTTP status, truncate, drop, expire sessions) decides
the call's outcome, and later rules do not see the call. A rule with ``times`` stays in
:attr:`FaultInjector.rules` once used up (``rule.exhausted``) so a test can read
``rule.fired``; :meth:`FaultInjector.clear` removes them all.

Everything injected is recorded (:attr:`FaultInjector.injected`, :meth:`count`,
:meth:`wait_injected`) so tests assert what happened instead of timing it.

What the client sees (aiovsphere): a :class:`Fail` raises ``aiovsphere.faults.<Name>``;
an :class:`HttpStatus` other than 200/500 raises :class:`~aiovsphere.HTTPStatusError`; a
:class:`Truncate` raises :class:`~aiovsphere.InvalidResponseError`; a :class:`Drop`
raises :class:`~aiovsphere.ConnectError` (a :class:`~aiovsphere.TransportError`); after
:meth:`FaultInjector.expire_sessions` the next call gets ``NotAuthenticated`` and the
client logs in again by itself.

Session idle timeout (``Simulator(session_idle_timeout=...)``, vCenter's SOAP session
timeout, 30 minutes by default there): :func:`expire_idle` ends every session idle for
longer, except sessions with a call in progress (a long ``WaitForUpdatesEx`` keeps its
session alive; a session's idle time counts from the end of its last call). The injector
checks it on every request and sweeps in the background, so a session's views and
collectors go away even when nobody calls.

The simulator calls three hooks (``before``, ``on_call``, ``after``); they are not for
tests to call.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime as _dt
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypedDict, TypeVar, Unpack

from aiohttp import web

from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.simulator._context import Session
    from aiovsphere.simulator._server import Simulator

__all__ = [
    "Delay",
    "Drop",
    "ExpireSessions",
    "Fail",
    "FaultInjector",
    "HttpStatus",
    "Injection",
    "Pause",
    "Rule",
    "Schedule",
    "Truncate",
    "expire_idle",
]

R = TypeVar("R", bound="Rule")

# Request storage key of the response-stage rule that fired on a call (a typed
# RequestKey where aiohttp has one, 3.13+, or it warns about plain string keys).
_RESPONSE_RULE: Any = (web.RequestKey("aiovsphere_response_rule", object)
                       if hasattr(web, "RequestKey") else "aiovsphere_response_rule")
_COOKIE = "vmware_soap_session"  # vCenter's session cookie (the server's COOKIE)
_SWEEP_MAX = 60.0  # the idle sweeper runs at least this often (seconds)

_HTML_503 = (b"<html><head><title>503 Service Unavailable</title></head><body>"
             b"<h1>503 Service Unavailable</h1><p>Failed to connect to endpoint: "
             b"[N7Vmacore4Http16LocalServiceSpecE:0x0000] _serverNamespace = /sdk "
             b"action = Allow _port = 8085)</p></body></html>")


class Schedule(TypedDict, total=False):
    """When a rule fires (keyword arguments of every rule and ``sim.faults`` method).

    ``times``: fire at most this many times (``None``: no limit). ``after``: let the first
    this many matching calls through. ``every``: fire on every Nth matching call (after
    ``after``). ``probability``: fire on a selected call with this chance (0..1).
    ``for_seconds``: the rule lapses this many seconds after it was added. ``seed``: seeds
    ``probability`` and random delays (default: ``sim.seed`` plus the rule's position).
    """

    times: int | None
    after: int
    every: int
    probability: float
    for_seconds: float | None
    seed: int | None


@dataclass(frozen=True, slots=True)
class Injection:
    """One thing the injector did: ``kind`` (a rule's :attr:`Rule.kind`, or
    ``"expire_sessions"`` / ``"session_idle_timeout"``), the vim ``method`` it hit
    (``None`` for :meth:`FaultInjector.expire_sessions` called directly and idle
    timeouts), the ``rule`` (if any), ``at`` (``time.monotonic()``, the clock of asyncio's
    loops) and ``detail`` (e.g. ``"InvalidPowerState"``, ``"503"``, ``"0.200s"``, a user
    name)."""

    kind: str
    method: str | None
    rule: Rule | None
    at: float
    detail: str = ""


@dataclass(slots=True)
class _Call:
    injector: FaultInjector
    request: web.Request
    method: str
    this: ManagedObjectReference


class Rule(abc.ABC):
    """What every rule shares: which calls it matches and its schedule (see
    :class:`Schedule`). ``seen``: matching calls counted while active; ``fired``: calls it
    acted on. Subclasses say what happens to a call."""

    kind: ClassVar[str] = "rule"
    terminal: ClassVar[bool] = True  # decides the call's outcome (else: adds a wait)

    def __init__(self, *, method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        self.methods: frozenset[str] | None = _methods(method)
        times = schedule.get("times")
        after = schedule.get("after", 0)
        every = schedule.get("every", 1)
        probability = schedule.get("probability", 1.0)
        for_seconds = schedule.get("for_seconds")
        unknown = set(schedule) - set(Schedule.__annotations__)
        if unknown:
            raise TypeError(f"unknown schedule argument(s): {', '.join(sorted(unknown))}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for no limit)")
        if after < 0:
            raise ValueError("after cannot be negative")
        if every < 1:
            raise ValueError("every must be at least 1")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if for_seconds is not None and for_seconds <= 0:
            raise ValueError("for_seconds must be positive")
        self.times = times
        self.after = after
        self.every = every
        self.probability = probability
        self.for_seconds = for_seconds
        self.seed = schedule.get("seed")
        self.seen = 0
        self.fired = 0
        self.added_at: float | None = None  # time.monotonic() when added
        self.rng = random.Random(self.seed)
        self._injector: FaultInjector | None = None

    # ------------------------------------------------------------------ state
    @property
    def exhausted(self) -> bool:
        """Fired ``times`` times already."""
        return self.times is not None and self.fired >= self.times

    @property
    def lapsed(self) -> bool:
        """Past its ``for_seconds`` window."""
        if self.for_seconds is None or self.added_at is None:
            return False
        return time.monotonic() - self.added_at >= self.for_seconds

    @property
    def active(self) -> bool:
        """Added, not used up and not lapsed: it still counts and fires."""
        return self._injector is not None and not self.exhausted and not self.lapsed

    def matches(self, method: str) -> bool:
        return self.methods is None or method in self.methods

    def _decide(self, method: str) -> bool:
        """Count a call to ``method``; True if this rule fires on it."""
        if not self.matches(method) or self.exhausted or self.lapsed:
            return False
        self.seen += 1
        n = self.seen - self.after
        if n <= 0 or (n - 1) % self.every:
            return False
        if self.probability < 1.0 and self.rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    # ------------------------------------------------------------------ action
    @abc.abstractmethod
    async def _apply(self, call: _Call) -> web.StreamResponse | None:
        """Act on ``call``; a response ends the call, ``None`` lets it go on."""

    def _fire(self, call: _Call) -> str:
        """Prepare to act on ``call`` (e.g. draw a random delay); returns the record's
        detail."""
        return ""

    def _respond(self, call: _Call, response: web.StreamResponse) -> web.StreamResponse:
        """A response-stage rule's change to the real response (see Truncate, Drop)."""
        return response

    # ------------------------------------------------------------------ repr
    def _args(self) -> list[str]:
        return []

    def __repr__(self) -> str:
        parts = self._args()
        if self.methods is not None:
            names = sorted(self.methods)
            parts.append(f"method={names[0]!r}" if len(names) == 1 else f"method={names!r}")
        for name, default in (("times", None), ("after", 0), ("every", 1),
                              ("probability", 1.0), ("for_seconds", None)):
            value = getattr(self, name)
            if value != default:
                parts.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)}) fired={self.fired}"


class Delay(Rule):
    """Add ``seconds`` of latency before the call is served: a number, or a
    ``(low, high)`` range drawn uniformly (seeded) per call."""

    kind = "delay"
    terminal = False

    def __init__(self, seconds: float | tuple[float, float], *,
                 method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        if isinstance(seconds, tuple):
            low, high = seconds
            if not 0 <= low <= high:
                raise ValueError("a delay range must be (low, high) with 0 <= low <= high")
        elif seconds < 0:
            raise ValueError("a delay cannot be negative")
        self.seconds = seconds
        self.last = 0.0  # the last delay applied (seconds)

    def _fire(self, call: _Call) -> str:
        seconds = self.seconds
        self.last = (self.rng.uniform(*seconds) if isinstance(seconds, tuple)
                     else float(seconds))
        return f"{self.last:.3f}s"

    async def _apply(self, call: _Call) -> None:
        if self.last > 0:
            await asyncio.sleep(self.last)

    def _args(self) -> list[str]:
        return [repr(self.seconds)]


class Fail(Rule):
    """Answer the call with the vim fault ``fault`` (e.g. ``"InvalidPowerState"``), its
    ``members`` and ``message`` (vCenter's usual text by default), as vCenter sends a fault
    (HTTP 500, SOAP Fault). The handler does not run. Required members left out are
    filled in: a managed object reference with the call's ``this``, a string with ``""``,
    an enum with its first value. Raises ``ValueError`` at once for an unknown fault or
    member."""

    kind = "fail"

    def __init__(self, method: str | Iterable[str] | None, fault: str,
                 message: str | None = None, *, members: Mapping[str, Any] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        self.fault = fault
        self.message = message
        self.members = dict(members or {})
        _build_fault(fault, self.members, ManagedObjectReference("ServiceInstance",
                                                                 "ServiceInstance"))

    async def _apply(self, call: _Call) -> web.StreamResponse:
        fault_obj = _build_fault(self.fault, self.members, call.this)
        return _fault_response(call.injector.sim, fault_obj, self.message)

    def _fire(self, call: _Call) -> str:
        return self.fault

    def _args(self) -> list[str]:
        out = [repr(self.fault)]
        if self.members:
            out.append(f"members={self.members!r}")
        return out


class HttpStatus(Rule):
    """Answer with HTTP ``status`` and ``body`` (default: an HTML page like vCenter's
    reverse proxy sends when the SOAP service is down) instead of serving the call."""

    kind = "http_status"

    def __init__(self, status: int = 503, body: bytes | str | None = None, *,
                 content_type: str = "text/html", headers: Mapping[str, str] | None = None,
                 method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        if not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code (100-599)")
        self.status = status
        if body is None:
            body = _HTML_503 if status == 503 else (
                f"<html><body><h1>{status}</h1></body></html>".encode())
        self.body = body.encode() if isinstance(body, str) else bytes(body)
        self.content_type = content_type
        self.headers = dict(headers or {})

    async def _apply(self, call: _Call) -> web.StreamResponse:
        return web.Response(status=self.status, body=self.body,
                            content_type=self.content_type, headers=self.headers)

    def _fire(self, call: _Call) -> str:
        return str(self.status)

    def _args(self) -> list[str]:
        return [str(self.status)]


class Truncate(Rule):
    """Serve the call, then send only the first ``keep`` bytes of its response (default:
    half) as a complete HTTP message: the client reads cut-off XML. The call's effects
    (a task started, a session made) stand."""

    kind = "truncate"

    def __init__(self, keep: int | None = None, *,
                 method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        if keep is not None and keep < 0:
            raise ValueError("keep cannot be negative")
        self.keep = keep

    async def _apply(self, call: _Call) -> None:
        call.request[_RESPONSE_RULE] = self

    def _respond(self, call: _Call, response: web.StreamResponse) -> web.StreamResponse:
        if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            return response
        body = response.body
        keep = len(body) // 2 if self.keep is None else min(self.keep, max(len(body) - 1, 0))
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-type")]
        return web.Response(status=response.status, body=body[:keep],
                            content_type=response.content_type, charset=response.charset,
                            headers=_multi(headers))

    def _args(self) -> list[str]:
        return [] if self.keep is None else [str(self.keep)]


class Drop(Rule):
    """Close the connection without an answer. ``when="before"``: the call is not
    served; ``"after"``: it is served (its effects stand) and the answer is lost.
    ``reset=True`` aborts the connection (TCP RST) instead of closing it."""

    kind = "drop"

    def __init__(self, *, when: Literal["before", "after"] = "before", reset: bool = False,
                 method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        self.when = when
        self.reset = reset

    async def _apply(self, call: _Call) -> web.StreamResponse | None:
        if self.when == "after":
            call.request[_RESPONSE_RULE] = self
            return None
        return self._close(call)

    def _respond(self, call: _Call, response: web.StreamResponse) -> web.StreamResponse:
        return self._close(call)

    def _close(self, call: _Call) -> web.StreamResponse:
        transport = call.request.transport
        if transport is not None:
            if self.reset:
                transport.abort()
            else:
                transport.close()
        return web.Response(status=200)  # never written: the connection is gone

    def _fire(self, call: _Call) -> str:
        return self.when

    def _args(self) -> list[str]:
        out = [] if self.when == "before" else ["when='after'"]
        return [*out, "reset=True"] if self.reset else out


class ExpireSessions(Rule):
    """End every session (as :meth:`FaultInjector.expire_sessions`) when it fires; the
    call itself then gets ``NotAuthenticated`` unless it needs no session (Login,
    RetrieveServiceContent, CurrentTime...)."""

    kind = "expire_sessions"

    async def _apply(self, call: _Call) -> web.StreamResponse | None:
        from aiovsphere.simulator._context import fault
        from aiovsphere.simulator._dispatch import NO_SESSION

        call.injector._expire_all()
        if call.method in NO_SESSION:
            return None
        exc = fault("NotAuthenticated", object=call.this, privilegeId="System.View")
        return _fault_response(call.injector.sim, exc.fault, exc.message)


class Pause(Rule):
    """Hold matching calls until :meth:`resume` (or :meth:`FaultInjector.resume`); they
    are then served as usual. ``held``: calls waiting now; :meth:`wait_held` waits until
    that many are held (deterministic "the call reached the server")."""

    kind = "pause"
    terminal = False

    def __init__(self, *, method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> None:
        super().__init__(method=method, **schedule)
        self._released = False
        self._event: asyncio.Event | None = None
        self.held = 0

    @property
    def released(self) -> bool:
        return self._released

    @property
    def active(self) -> bool:
        return super().active and not self._released

    def _decide(self, method: str) -> bool:
        return not self._released and super()._decide(method)

    def resume(self) -> int:
        """Let the held calls go (and no new ones be held); returns how many were held."""
        self._released = True
        if self._event is not None:
            self._event.set()
        return self.held

    async def wait_held(self, count: int = 1) -> None:
        """Return once ``count`` calls are held at the same time."""
        injector = self._injector
        if injector is None:
            raise RuntimeError("the pause is not added to a FaultInjector")
        await injector._until(lambda: self.held >= count)

    async def _apply(self, call: _Call) -> None:
        if self._released:
            return
        if self._event is None:
            self._event = asyncio.Event()
        self.held += 1
        call.injector._changed()
        try:
            await self._event.wait()
        finally:
            self.held -= 1
            call.injector._changed()

    def _fire(self, call: _Call) -> str:
        return "held"


class FaultInjector:
    """``sim.faults``: rules that change how the simulator answers (see the module doc).

    Add rules with :meth:`add` or the shortcuts (:meth:`delay`, :meth:`fail`,
    :meth:`http_status`, :meth:`truncate`, :meth:`drop`, :meth:`pause`); act at once with
    :meth:`expire_sessions`; read :attr:`injected` and :attr:`calls`; reset with
    :meth:`clear`.
    """

    def __init__(self, sim: Simulator | None = None) -> None:
        self._sim = sim
        self._rules: list[Rule] = []
        self._record: list[Injection] = []
        self.calls: Counter[str] = Counter()
        """SOAP calls received, by method name (faulted ones included)."""
        self._added = 0
        self._waiters: list[asyncio.Future[None]] = []
        self._busy: dict[str, int] = {}  # session key -> calls in progress
        self._sweeper: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return (f"<FaultInjector rules={len(self._rules)} injected={len(self._record)} "
                f"calls={sum(self.calls.values())}>")

    @property
    def sim(self) -> Simulator:
        """The simulator this injector belongs to."""
        if self._sim is None:
            raise RuntimeError("this FaultInjector belongs to no Simulator")
        return self._sim

    # ------------------------------------------------------------------ rules
    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules added and not removed, in the order they are consulted."""
        return tuple(self._rules)

    def add(self, rule: R) -> R:
        """Add ``rule`` (consulted after the rules already there) and return it."""
        if rule._injector is not None:
            raise ValueError(f"{rule!r} is already added")
        if rule.seed is None:
            rule.rng.seed(self.sim.seed * 1_000_003 + self._added)
        self._added += 1
        rule._injector = self
        rule.added_at = time.monotonic()
        self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        """Remove ``rule`` (a paused rule lets its held calls go first)."""
        if isinstance(rule, Pause):
            rule.resume()
        with contextlib.suppress(ValueError):
            self._rules.remove(rule)
        rule._injector = None

    def clear(self) -> None:
        """Remove every rule (held calls go on), and forget the record and call counts."""
        for rule in list(self._rules):
            self.remove(rule)
        self._record.clear()
        self.calls.clear()
        self._changed()

    # ------------------------------------------------------------------ shortcuts
    def delay(self, seconds: float | tuple[float, float], *,
              method: str | Iterable[str] | None = None,
              **schedule: Unpack[Schedule]) -> Delay:
        """Add latency: ``seconds`` or a ``(low, high)`` range (see :class:`Delay`)."""
        return self.add(Delay(seconds, method=method, **schedule))

    def fail(self, method: str | Iterable[str] | None, fault: str,
             message: str | None = None, *, members: Mapping[str, Any] | None = None,
             **schedule: Unpack[Schedule]) -> Fail:
        """Answer ``method`` with the vim fault ``fault`` (see :class:`Fail`)."""
        return self.add(Fail(method, fault, message, members=members, **schedule))

    def http_status(self, status: int = 503, body: bytes | str | None = None, *,
                    content_type: str = "text/html",
                    headers: Mapping[str, str] | None = None,
                    method: str | Iterable[str] | None = None,
                    **schedule: Unpack[Schedule]) -> HttpStatus:
        """Answer with an HTTP status page (see :class:`HttpStatus`)."""
        return self.add(HttpStatus(status, body, content_type=content_type, headers=headers,
                                   method=method, **schedule))

    def truncate(self, keep: int | None = None, *,
                 method: str | Iterable[str] | None = None,
                 **schedule: Unpack[Schedule]) -> Truncate:
        """Cut the response body short (see :class:`Truncate`)."""
        return self.add(Truncate(keep, method=method, **schedule))

    def drop(self, *, when: Literal["before", "after"] = "before", reset: bool = False,
             method: str | Iterable[str] | None = None,
             **schedule: Unpack[Schedule]) -> Drop:
        """Close the connection without an answer (see :class:`Drop`)."""
        return self.add(Drop(when=when, reset=reset, method=method, **schedule))

    def pause(self, *, method: str | Iterable[str] | None = None,
              **schedule: Unpack[Schedule]) -> Pause:
        """Hold matching calls until resumed (see :class:`Pause`)."""
        return self.add(Pause(method=method, **schedule))

    def resume(self) -> int:
        """Release every pause (and remove it); returns how many calls were held."""
        held = 0
        for rule in list(self._rules):
            if isinstance(rule, Pause):
                held += rule.resume()
                self.remove(rule)
        return held

    @contextlib.asynccontextmanager
    async def paused(self, *, method: str | Iterable[str] | None = None,
                     **schedule: Unpack[Schedule]) -> AsyncIterator[Pause]:
        """``async with sim.faults.paused() as pause:``: matching calls wait until the
        block ends (``await pause.wait_held(n)`` waits until n of them arrived)."""
        rule = self.pause(method=method, **schedule)
        try:
            yield rule
        finally:
            self.remove(rule)

    def expire_sessions(self) -> int:
        """End every session now, as vCenter does when its sessions expire or it restarts:
        their views, collectors and filters go too; the next call of each client gets
        ``NotAuthenticated``. Returns how many sessions ended."""
        ended = self._expire_all()
        self._note("expire_sessions", None, None, str(ended))
        return ended

    def _expire_all(self) -> int:
        sessions = list(self.sim.sessions.values())
        for session in sessions:
            self.sim.end_session(session)
        return len(sessions)

    # ------------------------------------------------------------------ record
    @property
    def injected(self) -> tuple[Injection, ...]:
        """Everything injected since the last :meth:`clear`, oldest first."""
        return tuple(self._record)

    def count(self, kind: str | None = None, method: str | None = None) -> int:
        """How many injections of ``kind`` (e.g. ``"fail"``) on ``method`` were recorded."""
        return sum(1 for i in self._record
                   if (kind is None or i.kind == kind)
                   and (method is None or i.method == method))

    async def wait_injected(self, kind: str | None = None, method: str | None = None,
                            count: int = 1) -> None:
        """Return once :meth:`count` (``kind``, ``method``) reaches ``count`` (bound it with
        ``asyncio.timeout``)."""
        await self._until(lambda: self.count(kind, method) >= count)

    def _note(self, kind: str, method: str | None, rule: Rule | None,
              detail: str = "") -> None:
        self._record.append(Injection(kind, method, rule, time.monotonic(), detail))
        self._changed()

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _until(self, condition: Any) -> None:
        loop = asyncio.get_running_loop()
        while not condition():
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            await waiter

    # ------------------------------------------------------------------ server hooks
    async def before(self, request: web.Request) -> web.StreamResponse | None:
        """Server hook, first thing for every ``POST /sdk``: end the caller's session if
        it has been idle too long (the sweep ends the others) and count its call as in
        progress. Returns ``None`` (reserved for a response)."""
        sim = self._sim
        if sim is None:
            return None
        raw = request.cookies.get(_COOKIE)
        session = sim.sessions.get(raw.strip('"')) if raw is not None else None
        if session is None:
            return None
        timeout = sim.session_idle_timeout
        if timeout is not None:
            if self._sweeper is None or self._sweeper.done():
                self._sweeper = sim.spawn(self._sweep())
            if (not self._busy_with(session)
                    and _now() - session.last_active > _dt.timedelta(seconds=timeout)):
                self._end_idle(session)
                return None
        self._track(session)
        return None

    async def on_call(self, request: web.Request | str, method: Any = None,
                      this: Any = None) -> web.StreamResponse | None:
        """Server hook, once the call is decoded and before it is served: apply the rules.
        Returns the response to send instead, or ``None`` to serve the call."""
        if not isinstance(request, web.BaseRequest) or self._sim is None:
            return None  # TRANSITION: a server that does not pass the request yet
        assert isinstance(method, str) and isinstance(this, ManagedObjectReference)
        self.calls[method] += 1
        if not self._rules:
            return None
        call: _Call | None = None
        for rule in list(self._rules):
            if rule._injector is not self or not rule._decide(method):
                continue
            if call is None:
                call = _Call(self, request, method, this)
            self._note(rule.kind, method, rule, rule._fire(call))
            response = await rule._apply(call)
            if rule.terminal:
                return response
        return None

    async def after(self, request: web.Request, method: str,
                    response: web.StreamResponse) -> web.StreamResponse:
        """Server hook, with the call's response (result or fault): a response-stage rule
        (truncate, drop after) changes it. Returns the response to send."""
        rule = request.get(_RESPONSE_RULE)
        if rule is None:
            return response
        assert isinstance(rule, Rule)
        this = ManagedObjectReference("ManagedObject", "")
        return rule._respond(_Call(self, request, method, this), response)

    # ------------------------------------------------------------------ sessions
    def _track(self, session: Session) -> None:
        """Count ``session``'s call as in progress until the request's handler task ends,
        then stamp its ``last_active``: idle time counts from the end of a call."""
        task = asyncio.current_task()
        if task is None:
            return
        key = session.key
        self._busy[key] = self._busy.get(key, 0) + 1

        def done(_: object) -> None:
            left = self._busy.get(key, 1) - 1
            if left > 0:
                self._busy[key] = left
            else:
                self._busy.pop(key, None)
            if self.sim.sessions.get(session.cookie) is session:
                session.last_active = _now()

        task.add_done_callback(done)

    def _end_idle(self, session: Session) -> None:
        self.sim.end_session(session)
        self._note("session_idle_timeout", None, None, session.user)

    def _busy_with(self, session: Session) -> bool:
        return self._busy.get(session.key, 0) > 0

    async def _sweep(self) -> None:
        """Expire idle sessions in the background while a timeout is set."""
        while True:
            timeout = self.sim.session_idle_timeout
            if timeout is None:
                return
            await asyncio.sleep(min(max(timeout / 4, 0.01), _SWEEP_MAX))
            expire_idle(self.sim)


def expire_idle(sim: Simulator, now: _dt.datetime | None = None) -> list[Session]:
    """End the sessions of ``sim`` idle for longer than ``sim.session_idle_timeout``
    seconds at ``now`` (default: the simulator's clock), sparing those with a call in
    progress; returns them. Recorded as ``"session_idle_timeout"`` injections."""
    timeout = sim.session_idle_timeout
    if timeout is None:
        return []
    current = now if now is not None else _now()
    limit = _dt.timedelta(seconds=timeout)
    faults = sim.faults
    idle = [s for s in sim.sessions.values()
            if current - s.last_active > limit and not faults._busy_with(s)]
    for session in idle:
        faults._end_idle(session)
    return idle


# ---------------------------------------------------------------------- helpers
def _now() -> _dt.datetime:
    from aiovsphere.simulator._context import now

    return now()


def _methods(method: str | Iterable[str] | None) -> frozenset[str] | None:
    """The method names a rule matches (``None``: all); unknown names are refused, so a
    typo cannot make a rule that never fires."""
    if method is None:
        return None
    names = frozenset([method] if isinstance(method, str) else method)
    if not names:
        raise ValueError("method: give a name, several, or None for every call")
    from aiovsphere.vim._schema import schema

    s = schema()
    unknown = sorted(n for n in names if s.find_method(n) is None)
    if unknown:
        raise ValueError(f"unknown vim method(s): {', '.join(unknown)}")
    return names


def _build_fault(name: str, members: Mapping[str, Any], this: ManagedObjectReference) -> Any:
    """The fault data object ``name(**members)`` with required members filled in."""
    from aiovsphere.vim import types as t
    from aiovsphere.vim._schema import schema

    s = schema()
    if not s.is_data(name) or not s.is_fault(name):
        raise ValueError(f"{name!r} is not a vim fault type")
    info = s.data(name)
    unknown = sorted(set(members) - {p.attr for p in info.all} - {p.name for p in info.all})
    if unknown:
        raise ValueError(f"{name} has no member(s) {', '.join(unknown)}")
    values = dict(members)
    for prop in info.all:
        if prop.optional or prop.name in values or prop.attr in values:
            continue
        values[prop.attr] = _filler(s, prop, this, name)
    cls = getattr(t, name)
    try:
        return cls(**values)
    except Exception as exc:  # pydantic's ValidationError: a member of the wrong type
        raise ValueError(f"{name}: {exc}") from None


def _filler(s: Any, prop: Any, this: ManagedObjectReference, fault: str) -> Any:
    if prop.kind == "moref":
        value: Any = this
    elif prop.kind == "enum":
        value = s.enums[prop.type][0]
    elif prop.type == "string":
        value = ""
    elif prop.type == "boolean":
        value = False
    elif prop.type in ("int", "long", "short", "byte"):
        value = 0
    elif prop.type in ("float", "double"):
        value = 0.0
    elif prop.type == "dateTime":
        value = _now()
    else:
        raise ValueError(f"{fault}: pass members={{{prop.attr!r}: ...}} (a required "
                         f"{prop.type})")
    return (value,) if prop.array else value


def _fault_response(sim: Simulator, fault_obj: Any, message: str | None) -> web.Response:
    from aiovsphere.simulator._context import _DEFAULT_MESSAGES
    from aiovsphere.soap.server import encode_fault

    name = type(fault_obj).__name__
    text = message or _DEFAULT_MESSAGES.get(name, name)
    body = encode_fault(fault_obj, text, sim.schema)
    return web.Response(status=500, body=body, content_type="text/xml", charset="utf-8")


def _multi(headers: list[tuple[str, str]]) -> Any:
    from multidict import CIMultiDict

    return CIMultiDict(headers)
