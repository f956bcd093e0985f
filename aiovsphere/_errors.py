"""aiovsphere's exception tree.

::

    VSphereError
    ├── SoapFault                 a server fault; aiovsphere.faults.MethodFault and its tree
    ├── TransportError            the exchange failed below SOAP
    │   ├── ConnectError          no connection (refused, DNS, TLS handshake, pinning)
    │   ├── HTTPStatusError       an HTTP status other than 200/500 (proxy pages, 502/503)
    │   ├── InvalidResponseError  not a SOAP response: bad XML, HTML, wrong content type
    │   └── ResponseTooLargeError the body passed the configured cap (refused while streaming)
    ├── EncodeError (ValueError)  a request argument does not fit the schema; nothing was sent
    │   └── VersionError          a property newer than the negotiated API version
    ├── DecodeError               a well-formed response whose values do not fit the schema
    ├── CollectorInUseError       a second concurrent wait on one PropertyCollector
    ├── NotFoundError (LookupError)      an inventory path that had to match matched nothing
    └── MultipleFoundError (LookupError) ... or matched more than one object

Timeouts raise the built-in ``TimeoutError`` (``asyncio.timeout`` semantics).
Messages name the SOAP method and never contain passwords or session cookies: response
excerpts pass through :func:`redact` first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiovsphere.vim._base import DataObject
    from aiovsphere.vim._moref import ManagedObjectReference

__all__ = [
    "CollectorInUseError",
    "ConnectError",
    "DecodeError",
    "EncodeError",
    "HTTPStatusError",
    "InvalidResponseError",
    "MultipleFoundError",
    "NotFoundError",
    "ResponseTooLargeError",
    "SoapFault",
    "TransportError",
    "VSphereError",
    "VersionError",
    "redact",
    "secret_pattern",
]

_EXCERPT = 300

_SECRET_PATTERNS = [
    # XML elements that carry secrets in vim25 bodies.
    re.compile(
        rb"(<(?:[\w-]+:)?(?:password|newPassword|oldPassword|sessionId|cloneTicket|"
        rb"token|samlToken|ticket|secret|key)\b[^>]*>)(.*?)(</)",
        re.I | re.S,
    ),
    # Cookie-ish pairs.
    re.compile(rb"(vmware_soap_session\s*=\s*\"?)([^\";\s<]+)", re.I),
    re.compile(rb"(<(?:[\w-]+:)?Assertion\b.*?>)(.*)(</(?:[\w-]+:)?Assertion>)", re.S),
]


WHOLE_TOKEN_BELOW = 6  # secrets shorter than this are matched as whole tokens only


def secret_pattern(secrets: Iterable[str], *, ignore_case: bool = False
                   ) -> re.Pattern[str] | None:
    """One regex matching every secret in ``secrets`` (longest first, so no part of a
    longer one is left), or ``None`` for none. A secret shorter than ``WHOLE_TOKEN_BELOW``
    characters matches only as a whole token: scrubbing every ``p`` of a one-letter test
    password would mangle every message ("im***lement") while hiding nothing."""
    forms = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not forms:
        return None
    parts = [re.escape(f) if len(f) >= WHOLE_TOKEN_BELOW else
             rf"(?<![A-Za-z0-9]){re.escape(f)}(?![A-Za-z0-9])" for f in forms]
    return re.compile("|".join(parts), re.I if ignore_case else 0)


def redact(body: bytes, limit: int = _EXCERPT) -> str:
    """The start of ``body`` as text, with secrets replaced by ``***``."""
    head = body[: limit * 4]
    for pat in _SECRET_PATTERNS:
        head = pat.sub(lambda m: m.group(1) + b"***" + (m.group(3) if m.lastindex == 3 else b""),
                       head)
    text = head.decode("utf-8", "replace")
    return text[:limit] + ("..." if len(body) > limit else "")


class VSphereError(Exception):
    """Base of every error aiovsphere raises on purpose."""


class TransportError(VSphereError):
    """The HTTP exchange for ``method`` failed or did not carry a SOAP response.

    ``unsent`` is true when the transport knows no byte of the request left (the connect
    itself failed): such a call may be retried whatever the method. ``transient`` is the
    transport's word on whether trying again can help (a reset or refused connection:
    ``True``; TLS verification, pinning, a timeout, a malformed exchange: ``False``;
    ``None``: it did not say, and :func:`aiovsphere._retry.transport_failure` looks at the
    chained exception).
    """

    unsent: bool = False
    transient: bool | None = None

    def __init__(self, message: str, *, method: str | None = None, url: str | None = None) -> None:
        self.method = method
        self.url = url
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{message}")


class ConnectError(TransportError):
    """No connection to the server (refused, reset, DNS, TLS verification or pinning)."""


class HTTPStatusError(TransportError):
    """The server (or a proxy) answered with an HTTP status other than 200 or 500."""

    def __init__(
        self, status: int, body: bytes, *, method: str | None = None, url: str | None = None
    ) -> None:
        self.status = status
        self.retry_after: float | None = None  # seconds, from the response's Retry-After
        self.excerpt = redact(body)
        super().__init__(f"HTTP {status}; body starts: {self.excerpt!r}", method=method, url=url)


class InvalidResponseError(TransportError):
    """The body is not a SOAP envelope: invalid or truncated XML, HTML, wrong content type."""

    def __init__(
        self,
        reason: str,
        body: bytes = b"",
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        self.reason = reason
        self.status = status
        self.excerpt = redact(body)
        status_text = f"HTTP {status}, " if status is not None else ""
        super().__init__(
            f"invalid response ({status_text}{reason}); body starts: {self.excerpt!r}",
            method=method,
            url=url,
        )


class ResponseTooLargeError(TransportError):
    """The response body passed ``max_response_bytes``; reading stopped there."""

    def __init__(self, limit: int, *, method: str | None = None, url: str | None = None) -> None:
        self.limit = limit
        super().__init__(f"response body larger than {limit} bytes", method=method, url=url)


class _ValueError(VSphereError):
    """A value that does not fit the schema: ``reason``, the SOAP ``method``, and ``path``
    (where the value sits, e.g. ``spec.deviceChange[0]`` or an XPath)."""

    def __init__(self, message: str, *, method: str | None = None, path: str = "") -> None:
        self.reason = message
        self.method = method
        self.path = path
        where = " ".join(x for x in (method, path) if x)
        super().__init__(f"{where}: {message}" if where else message)


class EncodeError(_ValueError, ValueError):
    """A request value does not fit the schema (wrong type, missing required, bad string).

    Raised before anything is sent. ``path`` locates the value, e.g. ``spec.deviceChange[0]``.
    """


class VersionError(EncodeError):
    """A property or method is newer than the API version negotiated with the server."""


class DecodeError(_ValueError):
    """A response value does not fit its declared type (e.g. ``int`` text that is not a number)."""


class CollectorInUseError(VSphereError):
    """A second concurrent WaitForUpdatesEx on one PropertyCollector was refused."""


class NotFoundError(VSphereError, LookupError):
    """Nothing matched a path that had to match exactly one object (or no datacenter
    for a relative path). ``path`` is the path asked for, ``types`` the type filter."""

    def __init__(self, message: str, *, path: str, types: tuple[str, ...] = ()) -> None:
        self.path = path
        self.types = types
        super().__init__(message)


class MultipleFoundError(VSphereError, LookupError):
    """More than one object matched a path that had to match exactly one (or several
    datacenters could be the one relative paths start from); ``found`` holds them
    (``FoundObject`` records, sorted by path)."""

    def __init__(self, message: str, *, path: str, types: tuple[str, ...] = (),
                 found: Sequence[Any] = ()) -> None:
        self.path = path
        self.types = types
        self.found = tuple(found)
        super().__init__(message)


class SoapFault(VSphereError):
    """A SOAP fault from the server. Concrete classes live in :mod:`aiovsphere.faults`.

    Attributes:
        fault: the decoded fault data object (e.g. ``types.InvalidLogin``), or ``None`` when
            the server sent no detail.
        fault_name: the wire name of the fault type, as sent (kept for unknown faults).
        faultstring: the SOAP ``faultstring`` (may be empty).
        localized_message: the first ``faultMessage`` text or ``msg`` the fault carries.
        method: the SOAP method that failed.
        task: the Task moref, when the fault came from a task's ``info.error``.
    """

    def __init__(
        self,
        faultstring: str = "",
        *,
        fault: DataObject | None = None,
        fault_name: str | None = None,
        method: str | None = None,
        task: ManagedObjectReference | None = None,
    ) -> None:
        self.fault = fault
        self.fault_name = fault_name or (type(fault).__name__ if fault is not None else "")
        self.faultstring = faultstring
        self.method = method
        self.task = task
        self.localized_message = _localized(fault) or faultstring
        text = faultstring or self.localized_message or self.fault_name
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{self.fault_name or 'fault'}: {text}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_fault,
            (type(self), self.faultstring, self.fault, self.fault_name, self.method, self.task),
        )


def _rebuild_fault(cls: type[SoapFault], *args: Any) -> SoapFault:
    faultstring, fault, fault_name, method, task = args
    return cls(faultstring, fault=fault, fault_name=fault_name, method=method, task=task)


def _localized(fault: Any) -> str:
    if fault is None:
        return ""
    for message in getattr(fault, "faultMessage", None) or ():
        text = getattr(message, "message", None)
        if text:
            return str(text)
    msg = getattr(fault, "msg", None)
    return str(msg) if msg else ""
