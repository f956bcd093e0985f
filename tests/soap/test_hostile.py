"""Hostile or broken bodies through the streaming parser (ResponseSink): refused early,
nothing expanded, nothing read from disk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from aiovsphere.soap import _xml
from aiovsphere.soap._xml import ResponseSink, XMLRejected, parse_bytes
from aiovsphere.soap.envelope import NotSoap, body_of

from .support import golden

MB = 1 << 20
BIG = 1 << 40  # a cap that never triggers, to show the parser's own limits


class Fed:
    """Feeds chunks into a sink and counts them, so a test can say *when* it was refused."""

    def __init__(self, max_bytes: int = BIG) -> None:
        self.sink = ResponseSink(max_bytes)
        self.chunks = 0

    def run(self, chunks: Iterator[bytes] | list[bytes]) -> etree._Element:
        for chunk in chunks:
            self.chunks += 1
            self.sink.feed(chunk)
        return self.sink.close()


@pytest.fixture
def resolver_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every external URL libxml2 asks the sink's resolver for."""
    calls: list[str] = []
    original = _xml._NoExternal.resolve

    def spy(self: etree.Resolver, url: str, pubid: str, context: object) -> object:
        calls.append(url)
        return original(self, url, pubid, context)  # type: ignore[arg-type]

    monkeypatch.setattr(_xml._NoExternal, "resolve", spy)
    return calls


# ============================================================================ DTDs and entities

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n<lolz>&lol9;</lolz>"
)


def test_billion_laughs_refused_without_expansion() -> None:
    fed = Fed()
    start = time.perf_counter()
    with pytest.raises(XMLRejected, match="DOCTYPE") as info:
        fed.run([LAUGHS])
    assert time.perf_counter() - start < 1.0
    assert info.value.too_large is False
    assert fed.chunks == 1


@pytest.mark.parametrize("secret_in", ["entity", "subset", "parameter-entity"])
@pytest.mark.parametrize("padding", [0, 4096, 70000], ids=["head", "after-2KB", "after-64KB"])
def test_external_entities_refused_without_reading_the_file(
    tmp_path: Path, resolver_calls: list[str], secret_in: str, padding: int
) -> None:
    # Not a valid DTD: had libxml2 read the file, the parse would fail on its content
    # ("Content error in the external subset") rather than with the DOCTYPE refusal.
    secret = tmp_path / "passwd"
    secret.write_text('<!ENTITY leak "TOP-SECRET">root:x:0:0:root:/root:/bin/bash\n')
    url = secret.as_uri()
    doctype = {
        "entity": f'<!DOCTYPE r [<!ENTITY leak SYSTEM "{url}">]>',
        "subset": f'<!DOCTYPE r SYSTEM "{url}">',
        "parameter-entity": f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]>',
    }[secret_in]
    # A long prolog (whitespace is legal there) pushes the DOCTYPE past any head check.
    body = ('<?xml version="1.0"?>' + " " * padding + doctype + "<r>&leak;</r>").encode()
    fed = Fed()
    with pytest.raises(XMLRejected, match="DOCTYPE") as info:
        fed.run([body[i:i + 1000] for i in range(0, len(body), 1000)])
    assert "TOP-SECRET" not in str(info.value) and "root:x" not in str(info.value)
    assert resolver_calls == []  # libxml2 never even asked for the file


def test_external_entity_in_the_passwd_shape(resolver_calls: list[str]) -> None:
    body = (b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b"<foo>&xxe;</foo>")
    with pytest.raises(XMLRejected, match="DOCTYPE"):
        Fed().run([body])
    assert resolver_calls == []


def test_doctype_split_across_chunks_in_the_prolog(resolver_calls: list[str]) -> None:
    body = b'<?xml version="1.0"?>' + b"\n" * 3000 + b'<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'
    cut = body.index(b"<!DOC") + 4
    fed = Fed()
    with pytest.raises(XMLRejected, match="DOCTYPE"):
        fed.run([body[:cut], body[cut:]])
    assert fed.chunks == 2
    assert resolver_calls == []


def test_parser_never_reads_external_files_even_if_the_scan_is_bypassed(
    tmp_path: Path, resolver_calls: list[str]
) -> None:
    # Straight to the parser, as if a DOCTYPE got past the byte scan (e.g. in UTF-16).
    # The file is not a DTD: had libxml2 read it, the parse would fail on its content.
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    parser = _xml.new_parser()
    parser.feed(f'<!DOCTYPE r SYSTEM "{secret.as_uri()}"><r>&leak;</r>'.encode())
    root = parser.close()
    assert resolver_calls == [secret.as_uri()]  # asked, and answered with nothing
    assert etree.tostring(root) == b"<r>&leak;</r>"


def test_utf16_body_refused_before_the_parser(resolver_calls: list[str]) -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>'
    with pytest.raises(XMLRejected, match="UTF-8"):
        Fed().run([body.encode("utf-16")])
    # the byte scan cannot read UTF-16, so it refuses it: the parser never saw the DOCTYPE
    assert resolver_calls == []


def test_doctype_word_inside_the_body_is_just_text() -> None:
    root = Fed().run([b"<r><a>&lt;!DOCTYPE x&gt; &lt;!ENTITY y&gt;</a></r>"])
    assert root[0].text == "<!DOCTYPE x> <!ENTITY y>"


# ============================================================================ size and depth


def test_deep_nesting_refused() -> None:
    depth = 5000
    fed = Fed()
    with pytest.raises(XMLRejected, match="depth"):
        fed.run([b"<a>" * depth, b"</a>" * depth])
    assert fed.chunks == 1


def test_nesting_just_under_the_limit_accepted() -> None:
    root = Fed().run([b"<a>" * 200 + b"x" + b"</a>" * 200])
    assert len(list(root.iter())) == 200


def test_huge_text_node_refused_while_streaming() -> None:
    total_chunks = 300  # 300 MB if it were all fed; never allocated at once

    def body() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="s"><v>'
        chunk = b"A" * MB
        for _ in range(total_chunks):
            yield chunk
        yield b"</v></soapenv:Envelope>"

    fed = Fed()
    with pytest.raises(XMLRejected) as info:
        fed.run(body())
    assert "too long" in info.value.reason or "huge" in info.value.reason.lower()
    assert info.value.too_large is False
    # libxml2's text limit is 10 MB: refused after about 11 of the 302 chunks
    assert fed.chunks <= 16
    assert fed.sink.size < 16 * MB


def test_max_bytes_refused_while_streaming() -> None:
    def body() -> Iterator[bytes]:
        yield b"<r>"
        item = b"<i>x</i>" * (MB // 8)
        while True:  # endless: only the cap can stop it
            yield item

    fed = Fed(max_bytes=5 * MB)
    with pytest.raises(XMLRejected) as info:
        fed.run(body())
    assert info.value.too_large is True
    assert "5242880" in info.value.reason
    assert fed.chunks == 6  # the head and four 1 MB chunks fit; the fifth crosses 5 MB
    assert fed.sink.size > 5 * MB


def test_max_bytes_is_inclusive() -> None:
    body = b"<r>" + b"x" * 97 + b"</r>"
    assert len(body) == 104
    assert Fed(max_bytes=104).run([body]).text == "x" * 97
    with pytest.raises(XMLRejected) as info:
        Fed(max_bytes=103).run([body])
    assert info.value.too_large


# ============================================================================ broken bodies


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
        b'envelope/"><soapenv:Body><LoginResponse xmlns="urn:vim25"><returnval><key>',
        b"<r><a></r>",
        b"<r>",
        b"<?xml version='1.0'?>",
    ],
    ids=["cut-mid-response", "mismatched", "unclosed-root", "prolog-only"],
)
def test_truncated_xml(body: bytes) -> None:
    with pytest.raises(XMLRejected) as info:
        Fed().run([body])
    assert "XML" in info.value.reason
    assert info.value.too_large is False


def test_truncated_golden_capture_refused() -> None:
    body = golden("vcsim_retrieve_properties.xml")
    for cut in (len(body) // 3, len(body) - 30):
        with pytest.raises(XMLRejected):
            Fed().run([body[:cut]])
    assert Fed().run([body]).tag.endswith("Envelope")


def test_empty_body() -> None:
    with pytest.raises(XMLRejected, match="empty body"):
        Fed().run([b"", b""])


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="UTF-8"?><r>caf\xe9</r>',  # Latin-1 byte
        b'<?xml version="1.0" encoding="UTF-8"?><r>\xc3</r>',  # cut multibyte sequence
        b'<?xml version="1.0" encoding="UTF-8"?><r>\xed\xa0\x80</r>',  # encoded surrogate
        b"<r>\xff\xfe</r>",
    ],
)
def test_invalid_utf8(body: bytes) -> None:
    with pytest.raises(XMLRejected, match=r"(?i)invalid|encoding|utf-8|char"):
        Fed().run([body])


def test_invalid_utf8_split_across_chunks() -> None:
    good = "<r>日本</r>".encode()
    # a valid multibyte character split between chunks is fine
    assert Fed().run([good[:4], good[4:]]).text == "日本"
    with pytest.raises(XMLRejected):
        Fed().run([b"<r>\xe6\x97", b"</r>"])


def test_xml_illegal_character_reference_refused() -> None:
    with pytest.raises(XMLRejected):
        Fed().run([b"<r>&#0;</r>"])


def test_html_error_page_with_doctype() -> None:
    page = (b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
            b"<body><h1>Service Unavailable</h1></body></html>")
    with pytest.raises(XMLRejected, match="DOCTYPE"):
        Fed().run([page])


def test_html_error_page_not_well_formed() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
    with pytest.raises(XMLRejected, match=r"(?i)mismatch"):
        Fed().run([page])


def test_well_formed_html_is_not_soap() -> None:
    root = Fed().run([b"<html><body><p>Maintenance</p></body></html>"])
    with pytest.raises(NotSoap, match="<html>"):
        body_of(root)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"/>',
         "without a Body"),
        (b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
         b"<soapenv:Body>  </soapenv:Body></soapenv:Envelope>", "empty SOAP Body"),
        (b'<soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope">'
         b"<soapenv:Body/></soapenv:Envelope>", "not a SOAP Envelope"),
    ],
)
def test_not_soap(doc: bytes, message: str) -> None:
    with pytest.raises(NotSoap, match=message):
        body_of(parse_bytes(doc, BIG))


def test_comments_and_processing_instructions_dropped() -> None:
    root = Fed().run([b"<?xml version='1.0'?><!-- c --><r><?pi x?><a>1</a><!-- d --></r>"])
    assert [c.tag for c in root] == ["a"]
