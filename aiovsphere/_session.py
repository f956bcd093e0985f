"""Session lifecycle: login, logout on every exit path, single-flight re-login, keep-alive.

Re-login rule: when calls fail with NotAuthenticated, exactly one of them re-logs in (an
``asyncio.Lock`` and a generation counter), and only after checking that the session is
really gone (reading ``SessionManager.currentSession``): a NotAuthenticated that is about
permissions, with the session still alive, is raised to the caller instead of starting a
login storm. Each failed call then retries once.

Credentials for re-login are held in a private object whose repr hides the password; the
session cookie lives on the client, never in reprs, logs or exceptions.

Cancellation never strands a server session: a Login or CloneSession runs to its end in a
task of its own (a cancelled caller waits for it, within ``_LOGOUT_TIMEOUT``, then gets its
CancelledError), so a session the server created is known and logged out by ``close()``;
and the logout in ``close()`` is likewise carried through a cancellation. Both waits are
bounded.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from aiovsphere._deadline import without_deadline
from aiovsphere._errors import DecodeError, SoapFault, VSphereError
from aiovsphere._faults import fault_class

if TYPE_CHECKING:
    from aiovsphere._client import Client
    from aiovsphere.vim.types import UserSession

__all__ = ["Session"]

log = logging.getLogger("aiovsphere.session")

_LOGOUT_TIMEOUT = 10.0


class _Credentials:
    __slots__ = ("locale", "password", "user")

    def __init__(self, user: str, password: str, locale: str | None) -> None:
        self.user = user
        self.password = password
        self.locale = locale

    def __repr__(self) -> str:
        return f"<credentials user={self.user!r} password=***>"


class Session:
    """The login state of one :class:`~aiovsphere.Client` (``client.session``)."""

    def __init__(self, client: Client, *, keepalive: float | None = None) -> None:
        self._client = client
        self._credentials: _Credentials | None = None
        self._lock = asyncio.Lock()
        self.generation = 0
        """Incremented by every (re-)login; calls compare it to avoid a second re-login."""
        self.user_session: UserSession | None = None
        self.logins = 0
        self._keepalive_interval = keepalive
        self._keepalive_task: asyncio.Task[None] | None = None
        self._exchange: asyncio.Task[UserSession] | None = None  # a Login/CloneSession
        # Clone tickets seen (sent or acquired), to scrub them where a server echoes them.
        self._tickets: collections.deque[str] = collections.deque(maxlen=8)

    def __repr__(self) -> str:
        who = self.user_session.userName if self.user_session else None
        return f"<Session user={who!r} generation={self.generation}>"

    def _secret(self) -> str:
        """The password held for re-login ("" if none): for scrubbing error excerpts."""
        return self._credentials.password if self._credentials is not None else ""

    def _secrets(self) -> list[str]:
        """The password and the clone tickets this session sent or received lately."""
        return [self._secret(), *self._tickets]

    @property
    def logged_in(self) -> bool:
        return self.user_session is not None

    # ------------------------------------------------------------------ login / logout
    async def login(self, user: str, password: str, locale: str | None = None) -> UserSession:
        """vim.SessionManager.Login. Raises ``faults.InvalidLogin`` for bad credentials."""
        creds = _Credentials(user, password, locale)
        previous, self._credentials = self._credentials, creds
        try:
            async with self._lock:
                return await self._login(creds)
        except BaseException:
            # Keep re-logging in with what worked before, never with what was just refused.
            self._credentials = previous
            raise

    async def _login(self, creds: _Credentials) -> UserSession:
        return await self._settle(self._session_call(
            "Login", userName=creds.user, password=creds.password, locale=creds.locale))

    async def _session_call(self, method: str, **params: Any) -> UserSession:
        """Login or CloneSession, and record the session it made (run as a task)."""
        client = self._client
        session = await client.invoke(client.service("sessionManager"), method, **params)
        if session is None:
            raise DecodeError(f"{method} returned no UserSession", method=method)
        self._logged_in(session)
        return session  # type: ignore[no-any-return]

    async def _settle(self, call: Coroutine[Any, Any, UserSession]) -> UserSession:
        """Await a call that creates a server session, through cancellation.

        Cancelled while the call is on the wire, the server may already hold the session
        while its answer (the cookie) is still in transit; dropping the call then would
        leave that session behind until it expires. So the call runs in its own task;
        a cancelled caller gives it up to ``_LOGOUT_TIMEOUT`` to finish (the session is
        then recorded, and ``close()`` logs it out) before re-raising. If a second
        cancellation cuts that wait short, ``close()`` waits for the task instead. The task
        runs outside the caller's deadline (which the caller's own wait enforces), or the
        deadline would cut the exchange short just the same; the client's per-call
        ``timeout`` still bounds it.
        """
        with without_deadline():
            task = asyncio.ensure_future(call)
        task.add_done_callback(_retrieve)
        self._exchange = task
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if not task.done():
                await asyncio.wait([task], timeout=_LOGOUT_TIMEOUT)
                if not task.done():
                    task.cancel()
            raise

    def _logged_in(self, session: UserSession) -> None:
        self.user_session = session
        self.generation += 1
        self.logins += 1
        if (self._keepalive_interval and self._keepalive_task is None
                and not self._client._closed):
            # A fresh context: the task must not inherit the deadline (aiovsphere.timeout)
            # of whoever happened to log in, or every tick would time out once it passed.
            self._keepalive_task = asyncio.create_task(self._keepalive(),
                                                       name="aiovsphere-keepalive",
                                                       context=contextvars.Context())

    async def login_by_clone_ticket(self, ticket: str) -> UserSession:
        """vim.SessionManager.CloneSession: join a session another process acquired."""
        self._credentials = None  # a ticket works once: no re-login possible
        self._tickets.append(ticket)  # scrubbed from errors and the wire trace from now on
        async with self._lock:
            return await self._settle(self._session_call("CloneSession", cloneTicket=ticket))

    async def acquire_clone_ticket(self) -> str:
        """vim.SessionManager.AcquireCloneTicket: a one-time ticket for another process."""
        client = self._client
        ticket = str(await client.invoke(client.service("sessionManager"),
                                         "AcquireCloneTicket"))
        self._tickets.append(ticket)
        return ticket

    async def logout(self) -> None:
        """vim.SessionManager.Logout (no-op if not logged in)."""
        if self.user_session is None:
            return
        client = self._client
        self.user_session = None
        try:
            await client.invoke(client.service("sessionManager"), "Logout")
        finally:
            # Forgotten only now: a Logout fault that echoes the password is still
            # scrubbed (Logout never logs in again, so holding it is harmless).
            client._cookie = None
            self._credentials = None

    async def close(self) -> None:
        """Stop keep-alive and log out; errors are logged, not raised.

        The shutdown runs in a task of its own, bounded by ``_LOGOUT_TIMEOUT``, that a
        cancellation of ``close()`` does not cut short (the caller waits for it, then gets
        its CancelledError): a Logout cancelled before it went out, or a re-login still
        landing in the keep-alive task, would strand a session on the server.
        """
        if self._keepalive_task is None and self.user_session is None and (
                self._exchange is None or self._exchange.done()):
            return
        with without_deadline():  # its own budget, even if the caller's ran out
            shutdown = asyncio.ensure_future(self._shutdown())
        try:
            await asyncio.shield(shutdown)
        except asyncio.CancelledError:
            await asyncio.wait([shutdown])  # bounded by _LOGOUT_TIMEOUT
            raise

    async def _shutdown(self) -> None:
        keepalive, self._keepalive_task = self._keepalive_task, None
        try:
            async with asyncio.timeout(_LOGOUT_TIMEOUT):
                if keepalive is not None:
                    # Cancelled inside a re-login, it first lets that Login land.
                    keepalive.cancel()
                    await asyncio.wait([keepalive])
                exchange = self._exchange
                if exchange is not None and not exchange.done():
                    await asyncio.wait([exchange])  # a login still settling: let it land
                if self.user_session is not None:
                    async with self._lock:  # after any re-login in progress, not during it
                        await self.logout()
        except Exception as exc:  # never raised from close(): the pool must still close
            log.warning("logout failed: %s", type(exc).__name__)
        finally:
            # Out of budget: give up on what is still running, and leave nothing behind.
            leftovers = [t for t in (keepalive, self._exchange) if t is not None and not t.done()]
            for task in leftovers:
                task.cancel()
            if leftovers:
                await asyncio.wait(leftovers)
            if keepalive is not None and not keepalive.cancelled() and keepalive.exception():
                log.warning("keep-alive stopped: %s", type(keepalive.exception()).__name__)

    # ------------------------------------------------------------------ re-login
    async def relogin_after(self, failed_generation: int) -> bool:
        """Called by a call that got NotAuthenticated; True if it should retry once.

        Single flight: the first caller re-logs in; calls that failed under the same
        generation wait for it and retry; a call whose generation is already stale just
        retries.
        """
        if self._credentials is None:
            return False
        async with self._lock:
            if self.generation != failed_generation:
                return True  # somebody else re-logged in meanwhile
            if self._credentials is None:
                return False  # a re-login just failed (or logout): the waiters do not retry
            if await self._session_alive():
                return False  # permission-scoped NotAuthenticated: do not re-login
            log.info("session lost; logging in again")
            self._client.stats.relogins += 1
            self._client._cookie = None
            try:
                await self._login(self._credentials)
            except SoapFault as exc:
                if isinstance(exc, fault_class("InvalidLogin")):
                    # Refused credentials are never tried again by re-login: one failed
                    # Login per lost session, not one per waiting call (account lockout).
                    self._credentials = None
                raise
            return True

    async def _session_alive(self) -> bool:
        client = self._client
        try:
            props = await client._get_properties(client.service("sessionManager"),
                                                 ["currentSession"], None)
        except SoapFault as exc:
            if exc.fault_name == "NotAuthenticated":
                return False
            raise
        return props.get("currentSession") is not None

    # ------------------------------------------------------------------ keep-alive
    async def _keepalive(self) -> None:
        interval = self._keepalive_interval
        assert interval
        client = self._client
        while not client._closed:
            await asyncio.sleep(interval)
            try:
                await client.invoke(client.service_instance.ref, "CurrentTime",
                                    timeout=max(interval, 10.0))
            except (VSphereError, OSError, TimeoutError) as exc:
                log.warning("keep-alive call failed: %s", type(exc).__name__)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a background task's exception as seen (its awaiter may be gone)."""
    if not task.cancelled():
        task.exception()
