"""Shared by the decoder fuzzers (hypothesis in ``test_fuzz_decoder.py``, atheris in
``fuzz_decoder.py``): the recorded corpus, the mutations, and the client's real decode
path (``Client._call`` fed by a :class:`~aiovsphere.transport.mock.MockTransport`: the
streaming sink, the status/content-type checks, envelope and fault handling and the
codec ``Decoder`` for the method's declared return type)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

import aiovsphere
from aiovsphere.transport.base import HttpRequest
from aiovsphere.transport.mock import MockResponse, MockTransport
from aiovsphere.vim._schema import MethodInfo

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
MAX_INPUT = 4 * 1024 * 1024  # no mutation makes a body larger than this


@dataclass(frozen=True)
class Sample:
    name: str
    method: str
    status: int
    body: bytes


def load_corpus() -> list[Sample]:
    out = []
    for path in sorted(CORPUS_DIR.glob("*.xml")):
        _server, method, what = path.stem.split("-", 2)
        out.append(Sample(path.name, method, 500 if what.startswith("fault") else 200,
                          path.read_bytes()))
    if not out:
        raise AssertionError(f"no corpus in {CORPUS_DIR}: run tests/security/make_corpus.py")
    return out


class Chooser(Protocol):
    """Where a mutation's choices come from (hypothesis draws, or atheris bytes)."""

    def int(self, lo: int, hi: int) -> int: ...


def pick(rnd: Chooser, items: Sequence[Any]) -> Any:
    return items[rnd.int(0, len(items) - 1)]


# ----------------------------------------------------------------------------- mutations
TYPE_NAMES = (
    "ManagedObjectReference", "ArrayOfManagedObjectReference", "VirtualMachineConfigInfo",
    "ArrayOfString", "ArrayOfInt", "xsd:int", "xsd:long", "xsd:short", "xsd:byte",
    "xsd:boolean", "xsd:dateTime", "xsd:base64Binary", "xsd:string", "xsd:double",
    "xsd:anyType", "TaskInfo", "UserSession", "InvalidLogin", "MethodFault", "Event",
    "ObjectContent", "DynamicProperty", "Bogus", "", "::bad::", "xsd:", "vim25:Folder",
    "ArrayOfArrayOfString", "KeyAnyValue", "LocalizedMethodFault", "ArrayOfEvent",
)
TAG_NAMES = (
    "returnval", "val", "propSet", "obj", "name", "objects", "token", "Fault", "detail",
    "soapenv:Body", "soapenv:Envelope", "Envelope", "Body", "key", "faultstring",
    "rootFolder", "config", "hardware", "x" * 300, "a:b:c", "_", "VirtualMachine",
)
NUMBERS = ("1e400", "-0", "NaN", "inf", "-inf", "0x1F", "\uff11\uff12", " 42 ", "4_2",
           "+7", "1.5", "", "-", "9223372036854775808", "-9223372036854775809",
           "2147483648", "32768", "256", "true")
DATES = (
    "2024-13-45T25:61:61Z", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59.999999999+14:00",
    "2024-01-01T00:00:00+99:99", "-2024-01-01T00:00:00Z", "2024-01-01", "T", "",
    "2024-02-30T00:00:00Z", "99999-01-01T00:00:00Z", "2024-01-01T00:00:00.0000000001Z",
    "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "now", "1714557600",
    "2024-01-01T00:00:00 Z", "2024-W01-1", "0001-01-01T00:00:00-23:59",
)
BASE64 = ("!!!", "abc", "YQ", "YQ===", "====", "Y Q = =", "\u00e9\u00e9\u00e9\u00e9", "A" * 4097)
BAD_UTF8 = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x00",
            b"\xef\xbf\xbe", b"\xe6\x97", b"\x80", b"\x1b")
BOUNDARIES = (b"<", b">", b'"', b"=", b" ", b":", b"/", b"\n")
_START_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_XSI = re.compile(rb'xsi:type="([^"]*)"')
_TEXT = re.compile(rb">([^<]+)<")


def _nth(rnd: Chooser, matches: list[re.Match[bytes]]) -> re.Match[bytes] | None:
    return pick(rnd, matches) if matches else None


def flip(body: bytes, rnd: Chooser) -> bytes:
    data = bytearray(body)
    for _ in range(rnd.int(1, 8)):
        if data:
            data[rnd.int(0, len(data) - 1)] ^= rnd.int(1, 255)
    return bytes(data)


def truncate(body: bytes, rnd: Chooser) -> bytes:
    kind = rnd.int(0, len(BOUNDARIES) + 1)
    if kind >= len(BOUNDARIES):  # anywhere, or inside a multibyte character
        cut = rnd.int(0, max(len(body) - 1, 0))
        return body[:cut] + (b"\xe6\x97" if kind > len(BOUNDARIES) else b"")
    positions = [m.start() for m in re.finditer(re.escape(BOUNDARIES[kind]), body)]
    if not positions:
        return body[: len(body) // 2]
    return body[: pick(rnd, positions) + rnd.int(0, 1)]


def rename_tag(body: bytes, rnd: Chooser) -> bytes:
    m = _nth(rnd, list(_START_TAG.finditer(body)))
    if m is None:
        return body
    new = pick(rnd, TAG_NAMES).encode()
    old = m.group(1)
    if rnd.int(0, 1):  # every occurrence (still well-formed), or just this start tag
        return body.replace(b"<" + old, b"<" + new).replace(b"</" + old + b">",
                                                            b"</" + new + b">")
    return body[: m.start(1)] + new + body[m.end(1):]


def swap_xsi_type(body: bytes, rnd: Chooser) -> bytes:
    new = pick(rnd, TYPE_NAMES).encode()
    m = _nth(rnd, list(_XSI.finditer(body)))
    if m is not None and rnd.int(0, 3):
        return body[: m.start(1)] + new + body[m.end(1):]
    tag = _nth(rnd, list(_START_TAG.finditer(body)))  # add one where there was none
    if tag is None:
        return body
    return body[: tag.end()] + b' xsi:type="' + new + b'"' + body[tag.end():]


def _edit_tree(body: bytes, rnd: Chooser, edit: Callable[[etree._Element], None]) -> bytes:
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return body  # an earlier mutation broke it: nothing to edit as a tree
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    target = pick(rnd, elements)
    if target.getparent() is None:
        return body
    edit(target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def duplicate_element(body: bytes, rnd: Chooser) -> bytes:
    copies = pick(rnd, (1, 2, 3, 50))

    def edit(el: etree._Element) -> None:
        parent = el.getparent()
        assert parent is not None
        index = parent.index(el)
        size = len(etree.tostring(el))
        for _ in range(min(copies, MAX_INPUT // (4 * max(size, 1)))):
            parent.insert(index, etree.fromstring(etree.tostring(el)))
    return _edit_tree(body, rnd, edit)


def remove_element(body: bytes, rnd: Chooser) -> bytes:
    def edit(el: etree._Element) -> None:
        parent = el.getparent()
        assert parent is not None
        parent.remove(el)
    return _edit_tree(body, rnd, edit)


def _replace_text(body: bytes, rnd: Chooser, value: bytes) -> bytes:
    m = _nth(rnd, list(_TEXT.finditer(body)))
    if m is None:
        return body
    return body[: m.start(1)] + value + body[m.end(1):]


def huge_number(body: bytes, rnd: Chooser) -> bytes:
    if rnd.int(0, 1):
        digits = rnd.int(1, 6000)
        value = ("-" if rnd.int(0, 1) else "") + "9" * digits
    else:
        value = pick(rnd, NUMBERS)
    return _replace_text(body, rnd, value.encode())


def bad_date(body: bytes, rnd: Chooser) -> bytes:
    return _replace_text(body, rnd, pick(rnd, DATES).encode())


def bad_base64(body: bytes, rnd: Chooser) -> bytes:
    m = _nth(rnd, list(_TEXT.finditer(body)))
    if m is None:
        return body
    start = body.rfind(b"<", 0, m.start(1))
    head = body[start: m.start(1) - 1]
    if head.startswith(b"</") or b"xsi:type" in head:
        return body[: m.start(1)] + pick(rnd, BASE64).encode() + body[m.end(1):]
    return (body[: m.start(1) - 1] + b' xsi:type="xsd:base64Binary">'
            + pick(rnd, BASE64).encode() + body[m.end(1):])


def invalid_utf8(body: bytes, rnd: Chooser) -> bytes:
    pos = rnd.int(0, len(body))
    return body[:pos] + pick(rnd, BAD_UTF8) + body[pos:]


MUTATIONS: tuple[Callable[[bytes, Chooser], bytes], ...] = (
    flip, truncate, rename_tag, swap_xsi_type, duplicate_element, remove_element,
    huge_number, bad_date, bad_base64, invalid_utf8,
)


def mutate(body: bytes, rnd: Chooser, steps: int) -> tuple[bytes, list[str]]:
    applied = []
    for _ in range(steps):
        fn = pick(rnd, MUTATIONS)
        body = fn(body, rnd)[:MAX_INPUT]
        applied.append(fn.__name__)
    return body, applied


# ----------------------------------------------------------------------------- decoding
class Decoding:
    """One client, never opened or logged in, whose transport answers every call with
    the body set on it: ``await decoding.decode(method, status, body)`` runs the client's
    real call path (``Client._call``) for ``method`` and returns the decoded value."""

    def __init__(self) -> None:
        self.answer = MockResponse()
        self.client = aiovsphere.Client("http://127.0.0.1:9/sdk", version="8.0.3.0",
                                         transport=MockTransport(self._answer))
        self._infos: dict[str, MethodInfo] = {}

    def _answer(self, request: HttpRequest) -> MockResponse:
        return self.answer

    def info(self, method: str) -> MethodInfo:
        info = self._infos.get(method)
        if info is None:
            schema = self.client.schema
            info = (schema.method("PropertyCollector", method)
                    if method in ("RetrievePropertiesEx", "WaitForUpdatesEx", "CreateFilter")
                    else schema.find_method(method))
            assert info is not None, method
            self._infos[method] = info
        return info

    async def decode(self, method: str, status: int, body: bytes, chunk: int = 1 << 16
                     ) -> Any:
        chunks = [body[i : i + chunk] for i in range(0, len(body), max(chunk, 1))] or [b""]
        self.answer = MockResponse(chunks, status=status)
        return await self.client._call(self.info(method), b"", None)


def run_sync(decoding: Decoding, loop: asyncio.AbstractEventLoop, method: str, status: int,
             body: bytes, chunk: int = 1 << 16) -> Any:
    """:meth:`Decoding.decode` outside a running loop (atheris)."""
    return loop.run_until_complete(decoding.decode(method, status, body, chunk))
