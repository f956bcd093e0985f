"""Hardened, incremental XML parsing for SOAP responses.

The parser resolves no entities, loads no DTD, reaches no network, reads no external file
(every external identifier resolves to an empty document), refuses any DOCTYPE (however long
the prolog before it), and keeps libxml2's default limits (no ``huge_tree``): nesting deeper
than 256 levels and a single text node over 10 MB are refused. Bytes are fed as they arrive,
so an oversized or hostile body fails at the chunk that crosses a limit, not after it was
all read.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

__all__ = ["ResponseSink", "XMLRejected", "new_parser"]


class XMLRejected(Exception):
    """The body is not acceptable XML (syntax, limits, DTD, size). Mapped by the caller."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        self.reason = reason
        self.too_large = too_large
        super().__init__(reason)


class _NoExternal(etree.Resolver):
    """Resolve every external identifier (DTD subset, external entity) to nothing.

    ``load_dtd=False`` alone does not stop libxml2 from reading an external DTD subset
    (``<!DOCTYPE r SYSTEM "file:///...">``) with some option combinations; this does.
    """

    def resolve(  # type: ignore[override]  # lxml-stubs leave out ``context``
        self, system_url: str, public_id: str, context: Any
    ) -> Any:
        return self.resolve_string("", context, base_url=None)


_NO_EXTERNAL = _NoExternal()

# The root element's start: "<" then a name character (not "?", "!" or "/").
_DECLS = (b"<!DOCTYPE", b"<!ENTITY")
_LONGEST_DECL = max(map(len, _DECLS))


def new_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    parser.resolvers.add(_NO_EXTERNAL)
    return parser


class ResponseSink:
    """Feeds a response body to an lxml feed parser as it arrives.

    ``feed(chunk)`` for each chunk, then ``close()`` for the root element. Keeps the first
    bytes for error excerpts. ``max_bytes`` caps the body (decoded bytes).
    """

    __slots__ = ("_failed", "_parser", "_prolog", "_skip", "head", "max_bytes", "size")

    HEAD = 2048

    def __init__(self, max_bytes: int) -> None:
        self._parser = new_parser()
        self.head = b""
        self.size = 0
        self.max_bytes = max_bytes
        self._failed: str | None = None
        # Bytes of the prolog (before the root element) not yet known to be DOCTYPE-free:
        # the only place a DOCTYPE can be. None once the root element has started.
        self._prolog: bytes | None = b""
        self._skip: bytes | None = None  # the terminator of the comment/PI being skipped

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if len(self.head) < self.HEAD:
            self.head += chunk[: self.HEAD - len(self.head)]
        if self._prolog is not None:
            self._scan_prolog(chunk)
        if self.size > self.max_bytes:
            raise XMLRejected(f"body larger than {self.max_bytes} bytes", too_large=True)
        if self._failed is not None:
            return
        try:
            self._parser.feed(chunk)
        except etree.XMLSyntaxError as exc:
            # Keep reading nothing more into the parser; report at close with the excerpt.
            self._failed = str(exc)
            raise XMLRejected(f"invalid XML: {exc}") from None

    def _scan_prolog(self, chunk: bytes) -> None:
        # Refuse a DOCTYPE before the parser sees it, however long the prolog before it.
        # The prolog is read as XML reads it: comments and PIs are skipped whole (a `<x`
        # inside one is not the root element); only the prolog is scanned, not the body.
        data = self._prolog + chunk  # type: ignore[operator]
        if b"\x00" in data or data.startswith((b"\xff\xfe", b"\xfe\xff")):
            # UTF-16/32 would spell markup with NULs the scan cannot read (a DOCTYPE could
            # pass it). vSphere speaks UTF-8; anything ASCII-incompatible is refused.
            raise XMLRejected("only UTF-8 (ASCII-compatible) XML bodies are accepted")
        i = 0
        while True:
            if self._skip is not None:  # inside a comment or PI: find its end
                j = data.find(self._skip, i)
                if j < 0:
                    self._prolog = data[-(len(self._skip) - 1):]
                    return
                i = j + len(self._skip)
                self._skip = None
                continue
            j = data.find(b"<", i)
            if j < 0:
                self._prolog = b""
                return
            if len(data) - j < _LONGEST_DECL:
                self._prolog = data[j:]  # too short to tell yet: wait for more bytes
                return
            if data.startswith(b"<!--", j):
                self._skip, i = b"-->", j + 4
            elif data.startswith(b"<?", j):
                self._skip, i = b"?>", j + 2
            elif data.startswith(_DECLS, j):
                raise XMLRejected("DOCTYPE/ENTITY declarations are refused")
            else:
                self._prolog = None  # the root element (or other markup): prolog over
                return

    def close(self) -> etree._Element:
        if self._failed is not None:
            raise XMLRejected(f"invalid XML: {self._failed}")
        if self.size == 0:
            raise XMLRejected("empty body")
        try:
            root = self._parser.close()
        except etree.XMLSyntaxError as exc:
            raise XMLRejected(f"invalid or truncated XML: {exc}") from None
        docinfo = root.getroottree().docinfo
        if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
            raise XMLRejected("DOCTYPE declarations are refused")
        return root


def parse_bytes(body: bytes, max_bytes: int) -> etree._Element:
    """Parse a whole body (tests, the simulator, replayed captures)."""
    sink = ResponseSink(max_bytes)
    step = 1 << 16
    for i in range(0, len(body), step):
        sink.feed(body[i : i + step])
    return sink.close()
