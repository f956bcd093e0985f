"""The client: one call path, ``invoke`` = encode -> transport -> decode.

Concurrency model: one ``asyncio.Semaphore`` bounds the calls in flight (sized with the
connection pool), so a burst of calls queues in the semaphore rather than in the connector;
how long calls waited is in :attr:`Client.stats`. Every call runs inside the caller's
deadline (``timeout=`` and any enclosing ``asyncio.timeout`` / :func:`aiovsphere.timeout`);
at the deadline the wait, connect or read is cancelled and ``TimeoutError`` raised, and a
half-read connection is closed rather than returned to the pool.

There is no module state: everything a call needs lives on its client or in context
variables, so two clients on one loop share nothing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import quote, quote_plus, urlsplit

from aiovsphere._client_api import ClientAPI
from aiovsphere._deadline import timeout as _timeout_cm
from aiovsphere._errors import (
    DecodeError,
    EncodeError,
    HTTPStatusError,
    InvalidResponseError,
    ResponseTooLargeError,
    SoapFault,
    TransportError,
    redact,
    secret_pattern,
)
from aiovsphere._faults import from_localized
from aiovsphere._gc import deferred_full_collections
from aiovsphere._retry import RetryPolicy
from aiovsphere._versions import choose_version, versions_from_wsdl, versions_from_xml
from aiovsphere.soap._xml import ResponseSink, XMLRejected
from aiovsphere.soap.codec import Decoder, Encoder
from aiovsphere.soap.envelope import NotSoap, body_of, fault_from, is_fault
from aiovsphere.transport.base import HttpRequest, Transport
from aiovsphere.vim._moref import ManagedObjectReference
from aiovsphere.vim._schema import MethodInfo, Schema, schema

if TYPE_CHECKING:
    from aiovsphere._objects import ManagedObject
    from aiovsphere._session import Session
    from aiovsphere.vim.types import ServiceContent

__all__ = ["CallStats", "Client"]

log = logging.getLogger("aiovsphere")
T = TypeVar("T")
M = TypeVar("M", bound="ManagedObject")
_BODY_CACHE_SIZE = 1024

SESSION_COOKIE = "vmware_soap_session"
SERVICE_INSTANCE = ManagedObjectReference("ServiceInstance", "ServiceInstance")
_NO_RELOGIN = frozenset(
    {"Login", "LoginByToken", "LoginExtensionByCertificate", "LoginBySSPI", "CloneSession",
     "Logout", "RetrieveServiceContent", "SessionIsActive"}
)


@dataclass(slots=True)
class CallStats:
    """Counters of one client (all seconds).

    ``queued`` calls are waiting for the in-flight semaphore; ``queue_wait_total`` /
    ``queue_wait_max`` say how long calls waited for it. ``waits_in_flight`` counts
    server-side waits (WaitForUpdatesEx) on the wire: they have a budget of their own
    (``max_waits``), not a share of ``max_in_flight``. ``retries`` counts the calls sent
    again after a transport error (:class:`~aiovsphere.RetryPolicy`); each attempt also
    counts in ``calls`` (and a failed one in ``failed``).
    """

    calls: int = 0
    failed: int = 0
    in_flight: int = 0
    waits_in_flight: int = 0
    queued: int = 0
    queue_wait_total: float = 0.0
    queue_wait_max: float = 0.0
    relogins: int = 0
    retries: int = 0


class _CallSink(ResponseSink):
    """Parses XML bodies of 200/500 responses; keeps only the head of anything else."""

    __slots__ = ("content_type", "status", "xml")

    def __init__(self, max_bytes: int) -> None:
        super().__init__(max_bytes)
        self.status = 0
        self.content_type = ""
        self.xml = True

    def start(self, status: int, content_type: str) -> None:
        self.status = status
        self.content_type = content_type
        ct = content_type.lower()
        self.xml = status in (200, 500) and (not ct or "xml" in ct)

    def feed(self, chunk: bytes) -> None:
        if self.xml:
            super().feed(chunk)
            return
        self.size += len(chunk)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        if self.size > self.max_bytes:  # the cap holds for error pages too
            raise XMLRejected(f"body larger than {self.max_bytes} bytes", too_large=True)


class _BytesSink:
    __slots__ = ("data", "limit", "status")

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit
        self.status = 0

    def start(self, status: int, content_type: str) -> None:
        self.status = status

    def feed(self, chunk: bytes) -> None:
        if len(self.data) + len(chunk) > self.limit:
            raise XMLRejected(f"body larger than {self.limit} bytes", too_large=True)
        self.data += chunk


# Calls that park on the server until something changes (up to maxWaitSeconds).
_SERVER_WAITS = frozenset({"WaitForUpdatesEx", "WaitForUpdates"})


# Wire tracing: with the "aiovsphere.wire" logger enabled at DEBUG, ``_call`` logs every
# SOAP request and response body (the response's first 2 KB), scrubbed by ``_wire_text``.
wire_log = logging.getLogger("aiovsphere.wire")
_WIRE_CHARS = 4096
# Methods whose whole result is a secret: a ticket that logs in, or credentials.
_SECRET_RESULTS = frozenset({
    "AcquireCloneTicket", "AcquireGenericServiceTicket", "AcquireLocalTicket",
    "AcquireCimServicesTicket", "AcquireMksTicket", "AcquireTicket", "AcquireSessionTicket",
    "AcquireCredentialsInGuest", "AcquireTicketInGuest",
})
_SECRET_TAGS = (r"(?:[\w-]+:)?(?:password|newPassword|oldPassword|sessionId|cloneTicket|"
                r"token|samlToken|ticket|secret|key|BinarySecurityToken)")
_SECRET_VALUE = re.compile(r"<(?:[\w-]+:)?(?:password|newPassword|oldPassword|sessionId|"
                           r"cloneTicket|token|samlToken|ticket|secret)\b[^>]*>([^<]+)</", re.I)
_WIRE_HIDE = (
    re.compile(r"(<returnval\b[^>]*>).*?(?:</returnval>|$)", re.S),  # only _SECRET_RESULTS
    # A secret element or SAML assertion the cut left open: hide it to the end.
    re.compile(rf"(<{_SECRET_TAGS}\b[^>]*>)(?:(?!</).)*$", re.I | re.S),
    re.compile(r"(<(?:[\w-]+:)?Assertion\b[^>]*>)(?:(?!</(?:[\w-]+:)?Assertion>).)*$", re.S),
    re.compile(rf"(<{_SECRET_TAGS}\b[^>]*>)[^<]+(?=</)", re.I),  # BinarySecurityToken
)


def _hide_cut_secret(text: str, forms: set[str]) -> str:
    """``text`` ends where a body was cut: the start of a secret it ends in no longer
    matches the secret's pattern; hide it (3 characters or more)."""
    for form in sorted(forms, key=len, reverse=True):
        for size in range(len(form) - 1, 2, -1):
            if text.endswith(form[:size]):
                return text[:-size] + "***"
    return text


def _wire_text(client: Client, method: str, body: bytes, request: bytes = b"", *,
               cut: bool = False) -> str:
    """``body`` as the wire trace shows it: at most ``_WIRE_CHARS`` characters, with
    ``***`` for this client's password and cookie (in every escaped form, ``_scrub``),
    the vim25 secret elements and SAML assertions (:func:`~aiovsphere._errors.redact`),
    every secret element value of ``request`` (a response echoing the clone ticket or
    token it was sent), the result of a ticket-returning method, and a secret element
    the cut left open."""
    head = body[: _WIRE_CHARS * 4]
    text = redact(client._scrub(head), _WIRE_CHARS * 4)
    if cut or len(head) < len(body):
        text = _hide_cut_secret(text, client._secret_forms())
    sent = {m.group(1).strip() for m in _SECRET_VALUE.finditer(
        request[: 1 << 20].decode("utf-8", "replace"))} - {"***", ""}
    pattern = secret_pattern(sent)
    if pattern is not None:
        text = pattern.sub("***", text)
    for i, hide in enumerate(_WIRE_HIDE):
        if i or method in _SECRET_RESULTS:
            text = hide.sub(r"\1***", text)
    return text[:_WIRE_CHARS] + ("..." if len(text) > _WIRE_CHARS else "")


class _Default:
    """The type of ``_DEFAULT``: "the client's own setting" for a per-call override."""


_DEFAULT = _Default()


def _split_url(url: str) -> tuple[str, str]:
    """``"vc.example.com"`` / ``"https://vc/sdk"`` -> (base, sdk url)."""
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if "@" in parts.netloc:
        # Never echo it: the URL holds a password. vim25 logs in with Login, not HTTP auth.
        raise ValueError("credentials in the server URL are not supported: "
                         "pass user= and password= to connect() instead")
    if not parts.hostname:
        raise ValueError(f"not a server URL: {url!r}")
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/") or "/sdk"
    return base, base + path


class Client(ClientAPI):
    """An asyncio client of one vCenter or ESXi (the vim25 SOAP API at ``url``).

    Usually made by :func:`aiovsphere.connect`, which also logs in. Holds one
    ``aiohttp.ClientSession`` (through its transport) and one session cookie.

    Args:
        url: ``https://vcenter.example.com`` (``/sdk`` is implied) or a full SDK URL.
        transport: a :class:`~aiovsphere.transport.Transport` (default: aiohttp).
        insecure: do not verify TLS. Only when asked by name.
        thumbprint: pin the server certificate (SHA-256 or SHA-1 hex).
        version: pin the API version (e.g. ``"8.0.3.0"``) instead of negotiating.
        max_in_flight: calls on the wire at once; later calls queue.
        max_waits: server-side waits (WaitForUpdatesEx of watches, caches, task waits) on
            the wire at once. They park on the server for up to a minute, so they do not
            take ``max_in_flight`` slots (64 parked watches would otherwise stall every
            other call); the connection pool holds ``max_in_flight + max_waits``.
        timeout: default per-call timeout in seconds (``None``: only enclosing deadlines).
        max_response_bytes: refuse response bodies larger than this (bytes, decompressed).
        decode_in_thread_bytes: decode bodies larger than this off the event loop.
        defer_gc: defer full GC collections while such a body is decoded (see ``_gc``).
        keepalive: seconds between keep-alive calls (``CurrentTime``); ``None`` for none.
        retry: when to send a call again after a transport error
            (:class:`~aiovsphere.RetryPolicy`: idempotent reads on connection errors and
            HTTP 502/503/504, any method whose connect failed; up to 4 attempts in all
            within the call's deadline). ``None`` sends every call once.
    """

    def __init__(
        self,
        url: str,
        *,
        transport: Transport | None = None,
        insecure: bool = False,
        thumbprint: str | None = None,
        version: str | None = None,
        max_in_flight: int = 64,
        max_waits: int = 256,
        timeout: float | None = None,
        max_response_bytes: int = 512 * 1024 * 1024,
        decode_in_thread_bytes: int = 1024 * 1024,
        defer_gc: bool = True,
        keepalive: float | None = None,
        user_agent: str = "aiovsphere/0.1",
        retry: RetryPolicy | None = RetryPolicy(),  # noqa: B008 - frozen, shared safely
    ) -> None:
        from aiovsphere._session import Session

        self.base_url, self.sdk_url = _split_url(url)
        # Both would otherwise fail quietly: a semaphore of 0 makes every call wait forever,
        # a negative keep-alive interval calls CurrentTime in a busy loop.
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, not {max_in_flight}")
        if max_waits < 1:
            raise ValueError(f"max_waits must be at least 1, not {max_waits}")
        if keepalive is not None and not keepalive >= 0:  # (0 means none, as None does)
            raise ValueError(f"keepalive must be a number of seconds or None, not {keepalive}")
        if transport is None:
            from aiovsphere.transport.http import AiohttpTransport

            transport = AiohttpTransport(
                limit=max_in_flight + max_waits, insecure=insecure, thumbprint=thumbprint
            )
        self.transport: Transport = transport
        self.schema: Schema = schema()
        self._pinned_version = version
        self.version: str = version or self.schema.versions[-1]
        self._encoder = Encoder(self.schema, self.schema.version_index(self.version))
        self._decoder = Decoder(self.schema)
        self._body_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self.defer_gc = defer_gc
        self._semaphore = asyncio.Semaphore(max_in_flight)
        self._wait_semaphore = asyncio.Semaphore(max_waits)
        self.max_in_flight = max_in_flight
        self.max_waits = max_waits
        self.default_timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.decode_in_thread_bytes = decode_in_thread_bytes
        self.user_agent = user_agent
        self.stats = CallStats()
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy or None, not {type(retry).__name__}")
        self.retry: RetryPolicy | None = retry
        self._cookie: str | None = None
        self._content: ServiceContent | None = None
        self.session: Session = Session(self, keepalive=keepalive)
        self._closed = False

    def __repr__(self) -> str:
        state = "logged in" if self.session.logged_in else "not logged in"
        return f"<aiovsphere.Client {self.sdk_url} api={self.version} {state}>"

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> Client:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Negotiate the API version and read ServiceContent (no login)."""
        self._check_open()
        if self._pinned_version is None:
            await self._negotiate()
        self._content = await self._service_content()

    async def _service_content(self) -> ServiceContent:
        content = await self.invoke(SERVICE_INSTANCE, "RetrieveServiceContent")
        # Everything else goes through these two: a ServiceContent without them (or none at
        # all) is a broken answer, not a client that is "not open".
        if content is None or content.rootFolder is None or content.propertyCollector is None:
            raise DecodeError("the ServiceContent lacks rootFolder or propertyCollector",
                              method="RetrieveServiceContent", path="returnval")
        return content  # type: ignore[no-any-return]

    def _check_open(self, method: str = "") -> None:
        # close() has begun: refuse new work (its own Logout aside) rather than let the
        # transport open a new connection pool that nobody would close.
        if self._closed and method != "Logout":
            raise RuntimeError("the aiovsphere client is closed")

    async def close(self) -> None:
        """Stop keep-alive, log out if logged in, close the connection pool.

        Safe to call more than once and from any exit path; logout failures are logged,
        not raised, so the pool is always closed. The logout is carried through even if
        the caller is cancelled meanwhile (it has its own bounded budget). Afterwards, and
        for calls that start while it runs, the client raises ``RuntimeError``.
        """
        if self._closed:
            return
        self._closed = True
        try:
            await self.session.close()
        finally:
            await self.transport.close()

    @property
    def content(self) -> ServiceContent:
        """The ServiceContent (vim.ServiceInstance.RetrieveServiceContent), read at open."""
        if self._content is None:
            raise RuntimeError("client is not open: use `async with` or await open() first")
        return self._content

    @overload
    def mo(self, ref: ManagedObjectReference | ManagedObject | str, value: str | None = None,
           /) -> ManagedObject: ...

    @overload
    def mo(self, ref: ManagedObjectReference | ManagedObject, cls: type[M], /) -> M: ...

    def mo(self, ref: Any, value: Any = None, /) -> Any:
        """A proxy whose attributes are the managed object's methods.

        ``client.mo(ref)``, ``client.mo("VirtualMachine", "vm-42")``, or for static typing
        ``client.mo(ref, managed.VirtualMachine)``. The proxy's class is the one for
        ``ref.type`` (:mod:`aiovsphere.vim.managed`); ``await proxy.PowerOnVM_Task()``.
        """
        from aiovsphere.vim.managed import managed_class

        ref = getattr(ref, "ref", ref)
        if isinstance(ref, str):
            if not isinstance(value, str):
                raise TypeError("mo(type, value) needs both as strings")
            ref = ManagedObjectReference(ref, value)
        if not isinstance(ref, ManagedObjectReference):
            raise TypeError(f"expected a ManagedObjectReference, got {type(ref).__name__}")
        cls = managed_class(ref.type)
        if isinstance(value, type) and not issubclass(cls, value):
            raise TypeError(f"{ref} is not a {value.__name__}")
        return cls(self, ref)

    def service(self, name: str) -> ManagedObjectReference:
        """A service moref of ServiceContent (``"sessionManager"``, ``"propertyCollector"``...).

        Raises ``LookupError`` if this server does not offer it (ESXi lacks some).
        """
        ref = getattr(self.content, name, None)
        if not isinstance(ref, ManagedObjectReference):
            raise LookupError(f"this server's ServiceContent has no {name}")
        return ref

    @property
    def service_instance(self) -> ManagedObject:
        return self.mo(SERVICE_INSTANCE)

    # ------------------------------------------------------------------ version
    async def _negotiate(self) -> None:
        offered: list[str] = []
        for name, parse in (
            ("vimServiceVersions.xml", versions_from_xml),
            ("vimService.wsdl", versions_from_wsdl),
        ):
            status, body = await self._get(f"{self.sdk_url}/{name}")
            if status == 200:
                try:
                    offered = parse(body)
                except ValueError:  # unreadable (e.g. a version too long for int()): absent
                    offered = []
                if offered:
                    break
        chosen = choose_version(self.schema, offered) if offered else None
        if chosen is None:
            # Neither document was usable: ask the server itself, in the oldest dialect.
            self._set_version(self.schema.versions[self.schema.version_index("5.5")])
            content = await self._service_content()
            api = getattr(content.about, "apiVersion", None)
            try:
                chosen = self.schema.versions[self.schema.version_index(api or "")]
            except (KeyError, ValueError):
                chosen = "5.5"
        self._set_version(chosen)
        log.debug("API version %s (server offered %s)", chosen, offered[:5])

    def _set_version(self, version: str) -> None:
        self.version = version
        self._encoder = Encoder(self.schema, self.schema.version_index(version))

    async def _get(self, url: str) -> tuple[int, bytes]:
        self._check_open()
        sink = _BytesSink(4 * 1024 * 1024)
        request = HttpRequest("GET", url, {"User-Agent": self.user_agent}, b"", "GET")
        try:
            async with _timeout_cm(self.default_timeout):
                async with self._semaphore:
                    response = await self.transport.request(request, sink)
        except XMLRejected:
            return 0, b""
        return response.status, bytes(sink.data)

    # ------------------------------------------------------------------ calls
    def method_info(self, ref: ManagedObjectReference, name: str) -> MethodInfo:
        """Schema entry for ``ref.<name>``; ``AttributeError`` if there is no such method."""
        try:
            return self.schema.method(ref.type, name)
        except KeyError:
            pass
        if not self.schema.is_managed(ref.type):
            # A managed type this schema lacks: find the method by name.
            info = self.schema.find_method(name)
            if info is not None:
                return info
        raise AttributeError(f"{ref.type} has no method {name!r} in vim25")

    async def invoke(
        self,
        ref: ManagedObjectReference | ManagedObject,
        method: str,
        /,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | _Default | None = _DEFAULT,
        args: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Call ``method`` on the managed object ``ref`` and return the typed result.

        ``params`` are the method's parameters by their API names (``args={...}`` for a
        parameter literally named ``timeout`` or ``retry``). They are checked against the
        schema before anything is sent (:class:`~aiovsphere.EncodeError`). Returns the
        decoded return value (a tuple for array returns, ``None`` for void).
        ``retry``: this call's :class:`~aiovsphere.RetryPolicy` instead of the client's
        (``None``: send once).

        Raises:
            aiovsphere.faults.<Fault>: the server's SOAP fault.
            TimeoutError: ``timeout`` seconds (or an enclosing deadline) passed.
            aiovsphere.TransportError: connection, HTTP status or invalid response; for an
                idempotent read, the last one after the retries of :attr:`retry`.
        """
        if args:
            params = {**args, **params}
        policy = self.retry if isinstance(retry, _Default) else retry
        ref = getattr(ref, "ref", ref)
        assert isinstance(ref, ManagedObjectReference)
        info = self.method_info(ref, method)
        body = self._encoder.call(info, ref, params)

        # The transport retry runs inside the re-login retry: each of its (at most two)
        # sends gets its own transport retries, within the call's timeout.
        def send() -> Awaitable[Any]:
            return self._send(info, body, timeout, policy)

        if info.name in _NO_RELOGIN:
            return await send()
        return await self.retry_on_lost_session(send)

    def _send(self, info: MethodInfo, body: bytes, timeout: float | None,
              policy: RetryPolicy | None) -> Awaitable[Any]:
        """``_call`` under the transport retry ``policy`` (``None``: once), all attempts
        within ``timeout`` (or the client's default timeout)."""
        if policy is None:
            return self._call(info, body, timeout)
        budget = timeout if timeout is not None else self.default_timeout
        return policy.run(lambda: self._call(info, body, timeout), info, timeout=budget,
                          stats=self.stats, closed=lambda: self._closed)

    async def _invoke_once(
        self, ref: ManagedObjectReference, method: str, timeout: float | None, **params: Any
    ) -> Any:
        """``invoke`` without the re-login retry, for calls already inside one: the session
        probe runs under the re-login lock, so its own NotAuthenticated must not try to take
        that lock again (a deadlock), and ``get_properties`` retries the whole read once."""
        info = self.method_info(ref, method)
        return await self._call(info, self._encoder.call(info, ref, params), timeout)

    async def retry_on_lost_session(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt``; if it fails with NotAuthenticated and the session turns out to be
        gone, re-login (single flight across concurrent callers) and run it once more."""
        generation = self.session.generation
        try:
            return await attempt()
        except SoapFault as exc:
            if exc.fault_name != "NotAuthenticated" or not await self.session.relogin_after(
                generation
            ):
                raise
        return await attempt()

    async def _call(self, info: MethodInfo, body: bytes, timeout: float | None) -> Any:
        self._check_open(info.name)
        stats = self.stats
        stats.calls += 1
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"urn:vim25/{self.version}"',
            "User-Agent": self.user_agent,
        }
        if self._cookie is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={self._cookie}"
        request = HttpRequest("POST", self.sdk_url, headers, body, info.name)
        sink = _CallSink(self.max_response_bytes)
        trace = wire_log.isEnabledFor(logging.DEBUG)
        if trace:
            wire_log.debug("%s request (%d bytes): %s", info.name, len(body),
                           _wire_text(self, info.name, body))
        try:
            async with _timeout_cm(timeout if timeout is not None else self.default_timeout):
                long_poll = info.name in _SERVER_WAITS
                semaphore = self._wait_semaphore if long_poll else self._semaphore
                stats.queued += 1
                queued_at = time.monotonic()
                try:
                    await semaphore.acquire()
                finally:
                    stats.queued -= 1
                waited = time.monotonic() - queued_at
                stats.queue_wait_total += waited
                if waited > stats.queue_wait_max:
                    stats.queue_wait_max = waited
                if long_poll:
                    stats.waits_in_flight += 1
                else:
                    stats.in_flight += 1
                try:
                    self._check_open(info.name)  # close() may have begun while queued
                    response = await self.transport.request(request, sink)
                finally:
                    if long_poll:
                        stats.waits_in_flight -= 1
                    else:
                        stats.in_flight -= 1
                    semaphore.release()
                    if trace:
                        wire_log.debug("%s response (HTTP %s, %d bytes): %s", info.name,
                                       sink.status or "-", sink.size,
                                       _wire_text(self, info.name, sink.head, body,
                                                  cut=sink.size > len(sink.head)))
                self._take_cookie(response.set_cookies)
                try:
                    self._finish(info, sink)
                except HTTPStatusError as exc:
                    exc.retry_after = response.retry_after  # the retry policy's wait
                    raise
                if sink.size > self.decode_in_thread_bytes:
                    # The parse ends on the thread that fed it: lxml keeps per-thread
                    # name dictionaries, and finishing a parse on another thread that
                    # has parsed before corrupts memory. Decode and free off the loop.
                    root = sink.close()
                    value = await asyncio.to_thread(self._decode_large, info, root)
                else:
                    value = self._decode(info, sink.close())
                return value
        except XMLRejected as exc:
            stats.failed += 1
            if not sink.xml:  # an over-long error page: report its status, not its size
                raise self._not_soap(info, sink) from None
            if exc.too_large:
                raise ResponseTooLargeError(self.max_response_bytes, method=info.name,
                                            url=self.sdk_url) from None
            raise InvalidResponseError(exc.reason, self._scrub(sink.head),
                                       status=sink.status or None,
                                       method=info.name, url=self.sdk_url) from None
        except NotSoap as exc:
            stats.failed += 1
            raise InvalidResponseError(str(exc), self._scrub(sink.head), status=sink.status,
                                       method=info.name, url=self.sdk_url) from None
        except BaseException:
            stats.failed += 1
            raise

    def _decode(self, info: MethodInfo, root: Any, consume: bool = False) -> Any:
        element = body_of(root)
        decoder = self._decoder
        if is_fault(element):
            self._scrub_fault(element)
            raise fault_from(element, decoder, info.name)
        try:
            return decoder.returnval(element, info, consume=consume)
        except DecodeError as exc:
            pattern = self._secret_pattern()
            if pattern is None or not pattern.search(exc.reason):
                raise
            raise DecodeError(pattern.sub("***", exc.reason), method=exc.method,
                              path=pattern.sub("***", exc.path)) from None

    def _decode_large(self, info: MethodInfo, root: Any) -> Any:
        """Worker-thread half of a large call: the tree is freed as it is decoded."""
        if not self.defer_gc:
            return self._decode(info, root, consume=True)
        with deferred_full_collections():
            return self._decode(info, root, consume=True)

    def _finish(self, info: MethodInfo, sink: _CallSink) -> None:
        """Refuse a response that is not a SOAP exchange (status, content type)."""
        if sink.status not in (200, 500) or not sink.xml:
            raise self._not_soap(info, sink)

    def _not_soap(self, info: MethodInfo, sink: _CallSink) -> TransportError:
        """The error for a response that is not a SOAP exchange: its status or content type."""
        if sink.status not in (200, 500):
            return HTTPStatusError(sink.status, self._scrub(sink.head), method=info.name,
                                   url=self.sdk_url)
        return InvalidResponseError(
            f"content type {sink.content_type!r} is not XML", self._scrub(sink.head),
            status=sink.status, method=info.name, url=self.sdk_url,
        )

    def _secret_forms(self) -> set[str]:
        """This client's secrets (cookie, password, clone tickets) in the forms a server may
        echo them (raw, HTML- or URL-escaped); ``secret_pattern`` orders them."""
        secrets = [self._cookie.strip('"') if self._cookie else "",
                   *self.session._secrets()]
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update((secret, html.escape(secret), html.escape(secret, quote=False),
                              quote(secret, safe=""), quote_plus(secret)))
                # Other valid XML spellings: "<" and "&" only (">" and quotes raw), and
                # Go's encoding/xml (vcsim): "'" and '"' as &#39; and &#34;.
                minimal = secret.replace("&", "&amp;").replace("<", "&lt;")
                numeric = html.escape(secret, quote=False).replace(
                    "'", "&#39;").replace('"', "&#34;")
                forms.update((minimal, numeric,
                              minimal.replace("'", "&#39;").replace('"', "&#34;"),
                              html.escape(secret).replace("&#x27;", "&apos;")))
        return forms

    def _secret_pattern(self) -> re.Pattern[str] | None:
        """This client's secrets as one regex (:func:`~aiovsphere._errors.secret_pattern`)."""
        return secret_pattern(self._secret_forms())

    def _scrub(self, body: bytes) -> bytes:
        """``body`` with this client's secrets replaced by ``***``, before it becomes an
        exception's excerpt. Pattern-based redaction cannot know them all."""
        pattern = self._secret_pattern()
        if pattern is None:
            return body
        text = body.decode("utf-8", "surrogateescape")
        return pattern.sub("***", text).encode("utf-8", "surrogateescape")

    def _scrub_fault(self, fault: Any) -> None:
        """Replace this client's secrets in a parsed ``<Fault>`` before it becomes an
        exception: a server (or proxy) that quotes the request it refuses may quote the
        password or the cookie in ``faultstring`` or a message."""
        pattern = self._secret_pattern()
        if pattern is None:
            return

        def clean(text: str) -> str:
            return pattern.sub("***", text)

        for node in fault.iter():
            if node.text:
                node.text = clean(node.text)
            if node.tail:
                node.tail = clean(node.tail)
            for name, value in node.attrib.items():
                node.set(name, clean(value))

    def _take_cookie(self, set_cookies: tuple[str, ...]) -> None:
        for header in set_cookies:
            # RFC 6265 5.2: a Set-Cookie header sets one cookie, the name=value pair before
            # the first ";" (the rest are attributes). An unrelated cookie, or one that
            # merely mentions the name in its value or attributes, never displaces ours.
            pair = header.split(";", 1)[0]
            name, eq, value = pair.partition("=")
            if not eq or name.strip() != SESSION_COOKIE:
                continue
            value = value.strip()
            printable = value.isascii() and value.isprintable() and " " not in value
            if value and value != '""' and printable:
                self._cookie = value  # sent back as received (vCenter quotes it)

    # ------------------------------------------------------------------ properties
    async def get_properties(
        self,
        obj: ManagedObjectReference | ManagedObject,
        paths: Sequence[str],
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Read ``paths`` of one object (vim.PropertyCollector.RetrievePropertiesEx).

        Returns ``{path: value}``; a path the server reports unset is absent. A path in the
        object's ``missingSet`` raises that fault (e.g. ``faults.NoPermission``).
        """
        ref = getattr(obj, "ref", obj)
        assert isinstance(ref, ManagedObjectReference)
        if not isinstance(paths, str):
            paths = tuple(paths)  # any iterable, read once
        if isinstance(paths, str) or not all(isinstance(p, str) for p in paths):
            raise EncodeError("paths must be a sequence of property paths (str), e.g. "
                              "['name', 'runtime.powerState']", method="RetrievePropertiesEx",
                              path="pathSet")
        # Some servers (vcsim) report a lost session per object in missingSet rather than
        # as a fault: retrying the whole read covers both.
        return await self.retry_on_lost_session(
            lambda: self._get_properties(ref, paths, timeout)
        )

    def _properties_body(self, ref: ManagedObjectReference, paths: tuple[str, ...]) -> bytes:
        """The RetrievePropertiesEx request for ``paths`` of ``ref``, memoized.

        Pollers (exporters, dashboards) ask for the same properties of the same objects
        over and over; the request bytes depend only on these inputs and the API version,
        so they are encoded once (bounded LRU, per client).
        """
        key = (ref.type, ref.value, ref.serverGuid, paths, self.version)
        cache = self._body_cache
        body = cache.get(key)
        if body is not None:
            cache.move_to_end(key)
            return body
        from aiovsphere.vim import types as t

        spec = t.PropertyFilterSpec(
            objectSet=(t.ObjectSpec(obj=ref, skip=False),),
            propSet=(t.PropertySpec(type=ref.type, pathSet=paths, all=False),),
        )
        info = self.schema.method("PropertyCollector", "RetrievePropertiesEx")
        encoded: bytes = self._encoder.call(info, self.service("propertyCollector"),
                                            {"specSet": (spec,), "options": t.RetrieveOptions()})
        cache[key] = encoded
        if len(cache) > _BODY_CACHE_SIZE:
            cache.popitem(last=False)
        return encoded

    async def _get_properties(
        self, ref: ManagedObjectReference, paths: Sequence[str], timeout: float | None
    ) -> dict[str, Any]:
        info = self.schema.method("PropertyCollector", "RetrievePropertiesEx")
        body = self._properties_body(ref, tuple(paths))
        result = await self._send(info, body, timeout, self.retry)
        out: dict[str, Any] = {}
        if result is None:
            return out
        for content in result.objects:
            for missing in content.missingSet:
                raise from_localized(missing.fault, f"property {missing.path!r} of {ref}",
                                     method="RetrievePropertiesEx")
            for prop in content.propSet:
                out[prop.name] = prop.val
        if result.token is not None:
            await self._invoke_once(self.service("propertyCollector"),
                                    "CancelRetrievePropertiesEx", timeout, token=result.token)
        return out


