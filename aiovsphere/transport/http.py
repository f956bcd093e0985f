"""The aiohttp transport: owns the one ``ClientSession`` of a client.

* TLS is verified by default. ``thumbprint=`` pins the server certificate instead (SHA-256
  or SHA-1 hex, colons optional; checked right after the handshake, before any byte of the
  request is sent). ``insecure=True`` turns verification off; nothing else does.
* Cookies are not kept by aiohttp (``DummyCookieJar``): the client manages the one session
  cookie itself, so an unrelated ``Set-Cookie`` cannot displace it.
* The body is streamed into the sink (the incremental XML parser) as it arrives; gzip and
  deflate (zlib-wrapped or raw) are decoded by aiohttp.
* On any error or cancellation mid-response the connection is closed, not returned to the
  pool half-read.
* Error messages never quote a session cookie: aiohttp's own messages may carry response
  headers (``ServerDisconnectedError`` shows the half-read message, parser errors the bad
  header line), so they are redacted.
* After :meth:`AiohttpTransport.close` requests raise ``RuntimeError`` rather than quietly
  opening a new connection pool that nobody would close.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
from typing import Any

import aiohttp

from aiovsphere._errors import ConnectError, TransportError
from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse

__all__ = ["AiohttpTransport", "ThumbprintPin"]

_CHUNK = 1 << 16

# ``vmware_soap_session=<value>`` however the message quotes it (raw, "...", \"...\").
_COOKIE_VALUE = re.compile(r"""(vmware_soap_session\s*=\s*(?:\\*["'])?)[^"'\\;,\s<>)]*""",
                           re.IGNORECASE)


def _describe(exc: BaseException) -> str:
    """``"ExcType: message"`` for an aiohttp/OS error, without any session cookie."""
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        text = "Server disconnected"  # its message is the half-read response, headers and all
    else:
        text = str(exc)
    return f"{type(exc).__name__}: " + _COOKIE_VALUE.sub(r"\1***", text)


class ThumbprintPin(aiohttp.Fingerprint):
    """Pin the server certificate by SHA-256 or SHA-1 thumbprint.

    vCenter and ESXi show SHA-1 thumbprints in many places, so SHA-1 is accepted here
    when the caller pins it explicitly; aiohttp's own ``Fingerprint`` refuses SHA-1.
    """

    def __init__(self, thumbprint: str) -> None:
        digest = bytes.fromhex(thumbprint.replace(":", "").replace(" ", ""))
        if len(digest) == 32:
            self._hashfunc = hashlib.sha256
        elif len(digest) == 20:
            self._hashfunc = hashlib.sha1
        else:
            raise ValueError("thumbprint must be a SHA-256 or SHA-1 hex digest")
        self._fingerprint = digest

    def __repr__(self) -> str:
        return f"ThumbprintPin({self._fingerprint.hex(':')})"


def _ssl_param(insecure: bool, thumbprint: str | None,
               ssl_context: ssl.SSLContext | None) -> Any:
    if thumbprint:
        return ThumbprintPin(thumbprint)
    if insecure:
        return False
    return ssl_context if ssl_context is not None else True


class AiohttpTransport:
    """HTTP(S) transport on one ``aiohttp.ClientSession``.

    Args:
        limit: connections in the pool (the client sizes its in-flight semaphore to match).
        insecure: skip TLS verification (only when asked by name).
        thumbprint: pin the server certificate (SHA-256 or SHA-1 hex).
        ssl_context: a custom CA bundle / client certificate context.
        connect_timeout: seconds for the TCP+TLS connect (the call's deadline bounds it too).
    """

    def __init__(
        self,
        *,
        limit: int = 64,
        insecure: bool = False,
        thumbprint: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float | None = 30.0,
    ) -> None:
        self._limit = limit
        self._ssl = _ssl_param(insecure, thumbprint, ssl_context)
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._limit, ssl=self._ssl,
                                             enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                auto_decompress=True,
                raise_for_status=False,
            )
        return self._session

    async def request(self, request: HttpRequest, sink: BodySink) -> HttpResponse:
        session = self._get_session()
        try:
            resp = await session.request(
                request.method, request.url, data=request.body or None,
                headers=request.headers, allow_redirects=False,
            )
        except aiohttp.ServerFingerprintMismatch as exc:
            raise _error(ConnectError(
                f"server certificate does not match the pinned thumbprint "
                f"(got {exc.got.hex(':')})", method=request.operation, url=request.url
            ), transient=False) from None
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
            detail = getattr(exc, "certificate_error", None) or _describe(exc)
            raise _error(ConnectError(
                f"TLS verification failed: {detail}; pass thumbprint= to pin "
                f"the certificate or insecure=True to skip verification",
                method=request.operation, url=request.url,
            ), transient=False) from None
        except (aiohttp.ClientConnectionError, OSError) as exc:
            # aiohttp raises ClientConnectorError only while it opens the connection,
            # before a byte of the request is written (TLS failures are caught above).
            raise _error(ConnectError(_describe(exc), method=request.operation,
                                      url=request.url),
                         transient=not isinstance(exc, TimeoutError),
                         unsent=isinstance(exc, aiohttp.ClientConnectorError)) from None
        except aiohttp.ClientError as exc:
            raise _error(TransportError(_describe(exc), method=request.operation,
                                        url=request.url), transient=False) from None
        done = False
        try:
            sink.start(resp.status, resp.headers.get("Content-Type", ""))
            length = resp.content_length
            if (length is not None and length <= _CHUNK
                    and "Content-Encoding" not in resp.headers):
                # The common small, uncompressed response: one read, no async iterator.
                # (aiohttp reads at most Content-Length bytes; a compressed body takes the
                # chunked path so that a small body cannot inflate past the cap in one read.)
                sink.feed(await resp.content.read())
            else:
                await _stream(resp, sink)
            done = True
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, OSError) as exc:
            raise _error(TransportError(
                f"connection lost while reading the response: {_describe(exc)}",
                method=request.operation, url=request.url,
            ), transient=not isinstance(exc, TimeoutError)) from None
        finally:
            if done:
                resp.release()
            else:
                resp.close()  # drop the half-read connection rather than pool it
        return HttpResponse(
            status=resp.status,
            content_type=resp.headers.get("Content-Type", ""),
            set_cookies=tuple(resp.headers.getall("Set-Cookie", ())),
            retry_after=_retry_after(resp.headers.get("Retry-After", "")),
        )

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
            # Let the SSL transports finish closing before the loop goes away.
            await asyncio.sleep(0)


async def _stream(resp: aiohttp.ClientResponse, sink: BodySink) -> None:
    first = True
    async for chunk in resp.content.iter_chunked(_CHUNK):
        sink.feed(chunk)
        if not first:
            # When the body arrives faster than it is parsed, iter_chunked returns buffered
            # data without ever suspending: yield after each chunk past the first so other
            # tasks run between ~1 ms parse steps.
            await asyncio.sleep(0)
        first = False


def _retry_after(value: str) -> float | None:
    """``Retry-After`` in seconds when it is a plain number of seconds (else ``None``)."""
    value = value.strip()
    return float(value) if value.isdigit() and len(value) <= 6 else None


def _error(error: TransportError, *, transient: bool, unsent: bool = False) -> TransportError:
    """``error`` marked for the retry policy: whether trying again can help, and whether
    the request never left (see :class:`~aiovsphere.TransportError`)."""
    error.transient = transient
    error.unsent = unsent
    return error
