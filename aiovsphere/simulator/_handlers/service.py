"""ServiceInstance and SessionManager (vim.ServiceInstance, vim.SessionManager)."""

from __future__ import annotations

import secrets
from typing import Any

from aiovsphere.simulator._context import Context, fault, now
from aiovsphere.simulator._dispatch import handles
from aiovsphere.simulator._eventlog import post_event
from aiovsphere.simulator._model import SimObject


@handles("ServiceInstance", "RetrieveServiceContent")
def retrieve_service_content(ctx: Context, this: SimObject) -> Any:
    return this.props["content"]


@handles("ServiceInstance", "CurrentTime")
def current_time(ctx: Context, this: SimObject) -> Any:
    return now()


def user_session(ctx: Context) -> Any:
    from aiovsphere.vim import types as t

    s = ctx.session
    if s is None:
        return None
    return t.UserSession(key=s.key, userName=s.user, fullName=s.user, loginTime=s.login_time,
                         lastActiveTime=s.last_active, locale=s.locale,
                         messageLocale=s.locale, extensionSession=False,
                         ipAddress="127.0.0.1", userAgent="", callCount=0)


def session_list(ctx: Context) -> Any:
    """SessionManager.sessionList: every session, as UserSession; a read-only caller sees
    only its own (vCenter lists the others only with Sessions.TerminateSession)."""
    from aiovsphere.vim import types as t

    own = ctx.session
    sessions = [own] if own is not None and own.read_only else ctx.sim.sessions.values()
    return tuple(
        t.UserSession(key=s.key, userName=s.user, fullName=s.user, loginTime=s.login_time,
                      lastActiveTime=s.last_active, locale=s.locale, messageLocale=s.locale,
                      extensionSession=False, ipAddress="127.0.0.1", userAgent="",
                      callCount=0)
        for s in sessions)


@handles("SessionManager", "Login")
def login(ctx: Context, this: SimObject, userName: str, password: str,
          locale: str | None = None) -> Any:
    role = ctx.sim.check_login(userName, password)
    if ctx.session is not None:
        ctx.sim.end_session(ctx.session)
    ctx.session = ctx.sim.new_session(userName, role)
    post_event(ctx, "UserLoginSessionEvent", None, ipAddress="127.0.0.1", userAgent=None,
               locale=ctx.session.locale, sessionId=ctx.session.key)
    return user_session(ctx)


@handles("SessionManager", "Logout")
def logout(ctx: Context, this: SimObject) -> None:
    if ctx.session is not None:
        post_event(ctx, "UserLogoutSessionEvent", None, ipAddress="127.0.0.1",
                   userAgent=None, callCount=0, sessionId=ctx.session.key,
                   loginTime=ctx.session.login_time)
        ctx.sim.end_session(ctx.session)


@handles("SessionManager", "TerminateSession")
def terminate_session(ctx: Context, this: SimObject, sessionId: tuple[str, ...]) -> None:
    ctx.require_write()
    by_key = {s.key: s for s in ctx.sim.sessions.values()}
    for key in sessionId:  # one by one: an error leaves the rest as they are (vCenter)
        if ctx.session is not None and key == ctx.session.key:
            raise fault("InvalidArgument", "use Logout to end the current session",
                        invalidProperty="sessionId")
        session = by_key.get(key)
        if session is None:
            raise fault("NotFound", f"session {key} not found")
        ctx.sim.end_session(session)


@handles("SessionManager", "SessionIsActive")
def session_is_active(ctx: Context, this: SimObject, sessionID: str, userName: str) -> bool:
    """vim.SessionManager.SessionIsActive: NoPermission (Sessions.ValidateSession) for a
    read-only user."""
    ctx.require_write()
    return any(s.key == sessionID and s.user == userName for s in ctx.sim.sessions.values())


@handles("SessionManager", "AcquireCloneTicket")
def acquire_clone_ticket(ctx: Context, this: SimObject) -> str:
    assert ctx.session is not None
    ticket = "cst-" + secrets.token_hex(16)
    this.data.setdefault("tickets", {})[ticket] = ctx.session.cookie  # one use each
    return ticket


@handles("SessionManager", "CloneSession")
def clone_session(ctx: Context, this: SimObject, cloneTicket: str) -> Any:
    cookie = this.data.setdefault("tickets", {}).pop(cloneTicket, None)
    source = ctx.sim.sessions.get(cookie) if cookie is not None else None
    if source is None:
        raise fault("InvalidLogin")
    ctx.session = ctx.sim.new_session(source.user, source.role)
    return user_session(ctx)


@handles("SessionManager", "SetLocale")
def set_locale(ctx: Context, this: SimObject, locale: str) -> None:
    if ctx.session is not None:
        ctx.session.locale = locale
