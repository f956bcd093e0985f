"""What a simulator method handler gets: the call's context, and the fault it raises."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiovsphere.vim._moref import ManagedObjectReference

if TYPE_CHECKING:
    from aiovsphere.simulator._model import Model, SimObject
    from aiovsphere.simulator._server import Simulator
    from aiovsphere.vim.types import MethodFault

__all__ = ["Context", "Session", "SimFault", "fault", "now"]


def now() -> _dt.datetime:
    """The simulator's clock (UTC)."""
    return _dt.datetime.now(_dt.UTC)


@dataclass(eq=False)
class Session:
    """A login session. ``key`` is UserSession.key; ``cookie`` is the secret the client
    sends back (``vmware_soap_session``), a separate random token, as on vCenter, so a
    session-scoped moref (``session[key]...``) never carries the cookie."""

    key: str
    cookie: str = field(repr=False)  # the secret: never in a repr
    user: str
    role: str  # "Admin" | "ReadOnly"
    login_time: _dt.datetime = field(default_factory=now)
    last_active: _dt.datetime = field(default_factory=now)
    locale: str = "en"

    @property
    def read_only(self) -> bool:
        return self.role == "ReadOnly"


class SimFault(Exception):
    """Raised by a handler: the simulator answers with this vim fault (HTTP 500)."""

    def __init__(self, fault: MethodFault, message: str = "") -> None:
        self.fault = fault
        self.message = message or type(fault).__name__
        super().__init__(self.message)


def fault(name: str, message: str = "", /, **members: Any) -> SimFault:
    """``SimFault`` for the vim fault ``name`` with ``members``:
    ``raise fault("ManagedObjectNotFound", obj=ref)``."""
    from aiovsphere.vim import types as t

    cls = getattr(t, name)
    return SimFault(cls(**members), message or _DEFAULT_MESSAGES.get(name, name))


_DEFAULT_MESSAGES = {
    "NotAuthenticated": "The session is not authenticated.",
    "InvalidLogin": "Cannot complete login due to an incorrect user name or password.",
    "ManagedObjectNotFound": "The object has already been deleted or has not been "
                             "completely created",
    "InvalidPowerState": "The attempted operation cannot be performed in the current state.",
    "NoPermission": "Permission to perform this operation was denied.",
}


@dataclass
class Context:
    """One call: the simulator, the caller's session (``None`` before login), the
    method name and ``this`` object."""

    sim: Simulator
    session: Session | None
    method: str = ""
    this: SimObject | None = None

    @property
    def model(self) -> Model:
        return self.sim.model

    def lookup(self, ref: ManagedObjectReference) -> SimObject:
        """The object ``ref`` names, as this session sees it; ManagedObjectNotFound
        otherwise (another session's views and collectors are invisible)."""
        obj = self.model.get(ref)
        if obj is None or (obj.owner is not None and (
                self.session is None or obj.owner != self.session.key)):
            raise fault("ManagedObjectNotFound", obj=ref)
        return obj

    def require_write(self) -> None:
        """NoPermission for a read-only user."""
        session = self.session
        if session is not None and session.read_only:
            assert self.this is not None
            raise fault("NoPermission", object=self.this.ref,
                        privilegeId=_privilege(self.method, self.this.type))


def _privilege(method: str, type_name: str) -> str:
    from aiovsphere.vim._schema import schema

    try:
        return schema().method(type_name, method).privilege or "System.Modify"
    except KeyError:
        return "System.Modify"
