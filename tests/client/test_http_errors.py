"""HTTP statuses, content types and broken bodies map to aiovsphere's error tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lxml import etree

import aiovsphere
from aiovsphere import Client
from aiovsphere.transport.mock import MockResponse

from ._soap import FakeVC, fault, fault_xml, response_xml

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>envoy</center></body></html>"
)
CURRENT_TIME = response_xml("CurrentTime", "<returnval>2024-05-01T10:00:00Z</returnval>")


class CountingChunks(list[bytes]):
    """Body chunks that count how many the transport actually handed to the sink."""

    served = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in list.__iter__(self):
            self.served += 1
            yield chunk


def _respond(fake: FakeVC, response: MockResponse) -> None:
    fake.on["CurrentTime"] = lambda call: response


async def _current_time(client: Client) -> object:
    return await client.invoke(client.service_instance, "CurrentTime")


async def _still_works(fake: FakeVC, client: Client) -> None:
    fake.on.pop("CurrentTime", None)
    value = await _current_time(client)
    assert value.year == 2024  # type: ignore[attr-defined]
    assert client.stats.in_flight == 0 and client.stats.queued == 0


def _assert_no_raw_cause(exc: BaseException) -> None:
    assert exc.__cause__ is None
    assert exc.__suppress_context__ or exc.__context__ is None
    assert not isinstance(exc, (etree.LxmlError, KeyError))


@pytest.mark.parametrize("status", [502, 503, 404, 401, 302])
async def test_non_soap_status_raises_http_status_error(
    fake: FakeVC, client: Client, status: int
) -> None:
    _respond(fake, MockResponse(HTML_502, status=status, content_type="text/html"))
    client.retry = None  # the mapping of one answer (retries of 502/503: test_retry.py)
    failed = client.stats.failed
    with pytest.raises(aiovsphere.HTTPStatusError) as info:
        await _current_time(client)
    exc = info.value
    assert isinstance(exc, aiovsphere.TransportError)
    assert exc.status == status
    assert exc.method == "CurrentTime"
    assert exc.url == "https://vc.example.com/sdk"
    assert exc.excerpt.startswith("<html><head><title>502 Bad Gateway")
    assert str(exc).startswith(f"CurrentTime: HTTP {status}")
    assert client.stats.failed == failed + 1
    await _still_works(fake, client)


async def test_http_error_with_xml_content_type_is_still_a_status_error(
    fake: FakeVC, client: Client
) -> None:
    body = fault_xml("SystemError", "overloaded", "<reason>busy</reason>")
    _respond(fake, MockResponse(body, status=503))
    with pytest.raises(aiovsphere.HTTPStatusError) as info:
        await _current_time(client)
    assert info.value.status == 503
    assert info.value.excerpt.startswith('<?xml version="1.0"')


async def test_200_html_is_invalid_response(fake: FakeVC, client: Client) -> None:
    _respond(fake, MockResponse(b"<html><body>Welcome to vSphere</body></html>",
                                content_type="text/html; charset=utf-8"))
    with pytest.raises(aiovsphere.InvalidResponseError) as info:
        await _current_time(client)
    exc = info.value
    assert not isinstance(exc, aiovsphere.HTTPStatusError)
    assert exc.status == 200
    assert exc.method == "CurrentTime"
    assert "text/html" in exc.reason
    assert "Welcome to vSphere" in exc.excerpt
    await _still_works(fake, client)


async def test_500_html_is_invalid_response_with_status(fake: FakeVC, client: Client) -> None:
    _respond(fake, MockResponse(b"<html><body>Internal Server Error</body></html>", status=500,
                                content_type="text/html"))
    with pytest.raises(aiovsphere.InvalidResponseError) as info:
        await _current_time(client)
    assert info.value.status == 500
    assert "Internal Server Error" in info.value.excerpt
    assert "HTTP 500" in str(info.value)


@pytest.mark.parametrize("status", [500, 200])
async def test_soap_fault_raises_typed_fault(fake: FakeVC, client: Client, status: int) -> None:
    _respond(fake, fault("InvalidArgument", "A specified parameter was not correct: spec",
                         "<invalidProperty>spec</invalidProperty>", status=status))
    with pytest.raises(aiovsphere.faults.InvalidArgument) as info:
        await _current_time(client)
    exc = info.value
    assert isinstance(exc, aiovsphere.faults.RuntimeFault)
    assert isinstance(exc, aiovsphere.SoapFault)
    assert exc.fault_name == "InvalidArgument"
    assert exc.method == "CurrentTime"
    assert exc.faultstring == "A specified parameter was not correct: spec"
    assert exc.fault is not None and exc.fault.invalidProperty == "spec"  # type: ignore[attr-defined]
    await _still_works(fake, client)


async def test_unknown_fault_type_from_newer_server_is_still_typed(
    fake: FakeVC, client: Client
) -> None:
    _respond(fake, fault("FutureShinyFault", "something new"))
    with pytest.raises(aiovsphere.faults.MethodFault) as info:
        await _current_time(client)
    assert info.value.fault_name == "FutureShinyFault"


TRUNCATED = CURRENT_TIME[: len(CURRENT_TIME) // 2]
BROKEN = [
    pytest.param(TRUNCATED, "truncated", id="truncated"),
    pytest.param(CURRENT_TIME.replace(b"</returnval>", b"</returnvalue>"), "invalid",
                 id="mismatched-tag"),
    pytest.param(b"\x00\x01garbage" + CURRENT_TIME, "invalid", id="garbage"),
    pytest.param(b"", "empty", id="empty"),
    pytest.param(b'<?xml version="1.0"?><html><body/></html>', "SOAP", id="not-soap"),
    pytest.param(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "DOCTYPE",
        id="doctype",
    ),
]


@pytest.mark.parametrize(("body", "reason"), BROKEN)
@pytest.mark.parametrize("chunked", [False, True])
async def test_broken_xml_is_invalid_response(
    fake: FakeVC, client: Client, body: bytes, reason: str, chunked: bool
) -> None:
    payload: bytes | list[bytes] = body
    if chunked:
        payload = [body[i : i + 7] for i in range(0, len(body), 7)] or [b""]
    _respond(fake, MockResponse(payload))
    with pytest.raises(aiovsphere.InvalidResponseError) as info:
        await _current_time(client)
    exc = info.value
    assert type(exc) is aiovsphere.InvalidResponseError
    assert exc.status == 200
    assert exc.method == "CurrentTime"
    assert reason.lower() in exc.reason.lower() or reason.lower() in str(exc).lower()
    _assert_no_raw_cause(exc)
    await _still_works(fake, client)


async def test_bad_value_is_decode_error(fake: FakeVC, client: Client) -> None:
    _respond(fake, MockResponse(
        response_xml("CurrentTime", "<returnval>yesterday-ish</returnval>")))
    with pytest.raises(aiovsphere.DecodeError) as info:
        await _current_time(client)
    assert info.value.method == "CurrentTime"


async def test_body_over_cap_stops_reading_early(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    max_response_bytes=64 * 1024)
    await client.open()
    head, tail = CURRENT_TIME.split(b"<returnval>")
    filler = b"<!-- " + b"x" * 4090 + b" -->"  # 4 KiB of well-formed XML per chunk
    chunks = CountingChunks([head, *([filler] * 1000), b"<returnval>" + tail])
    _respond(fake, MockResponse(chunks))
    try:
        with pytest.raises(aiovsphere.ResponseTooLargeError) as info:
            await _current_time(client)
        assert info.value.limit == 64 * 1024
        assert info.value.method == "CurrentTime"
        # The sink refused the chunk that crossed 64 KiB: about 16 of the 1002 were read.
        assert 15 <= chunks.served <= 18
        await _still_works(fake, client)
    finally:
        await client.close()


async def test_non_xml_error_body_over_cap_stops_reading_early(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0",
                    max_response_bytes=64 * 1024, retry=None)  # count one answer's chunks
    await client.open()
    chunks = CountingChunks([HTML_502, *([b"<p>" + b"x" * 4093] * 1000)])
    _respond(fake, MockResponse(chunks, status=502, content_type="text/html"))
    try:
        with pytest.raises(aiovsphere.TransportError) as info:
            await _current_time(client)
        # Reading stopped at the cap; the error still says what the page was.
        assert isinstance(info.value, aiovsphere.HTTPStatusError)
        assert info.value.status == 502
        assert "502 Bad Gateway" in info.value.excerpt
        assert 15 <= chunks.served <= 18
        await _still_works(fake, client)
    finally:
        await client.close()


async def test_body_at_cap_is_accepted(fake: FakeVC) -> None:
    client = Client("https://vc.example.com", transport=fake.transport, version="8.0.3.0")
    await client.open()
    client.max_response_bytes = len(CURRENT_TIME)
    _respond(fake, MockResponse([CURRENT_TIME[:100], CURRENT_TIME[100:]]))
    try:
        assert (await _current_time(client)).year == 2024  # type: ignore[attr-defined]
    finally:
        await client.close()


async def test_get_properties_refuses_paths_that_are_not_a_sequence_of_str(
    fake: FakeVC, client: Client
) -> None:
    sent = len(fake.calls)
    root = client.content.rootFolder
    for bad in ("name", [["name"]], [1]):
        with pytest.raises(aiovsphere.EncodeError):
            await client.get_properties(root, bad)  # type: ignore[arg-type]
    assert len(fake.calls) == sent  # nothing was sent
