"""Compressed and chunked response bodies decode to the same values as plain ones."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from client._soap import FakeVC

from aiovsphere import Client, ManagedObjectReference
from aiovsphere._property import retrieve_pages, view_filter_spec
from aiovsphere.transport.mock import MockResponse

from ._server import VCServer, body_of, headers_of

VIEW = ManagedObjectReference("ContainerView", "session[52f1]52a0-view-1")


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


ENCODINGS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "gzip": ("gzip", gzip.compress),
    "deflate-zlib": ("deflate", zlib.compress),
    "deflate-raw": ("deflate", _raw_deflate),
}


def _compressed(name: str) -> Any:
    encoding, compress = ENCODINGS[name]

    async def shape(request: web.Request, response: MockResponse) -> web.StreamResponse:
        headers = headers_of(response)
        headers["Content-Encoding"] = encoding
        return web.Response(body=compress(body_of(response)), status=response.status,
                            headers=headers)

    return shape


def _chunked(pieces: int, compress: Callable[[bytes], bytes] | None = None,
             encoding: str = "") -> Any:
    async def shape(request: web.Request, response: MockResponse) -> web.StreamResponse:
        body = body_of(response)
        if compress is not None:
            body = compress(body)
        out = web.StreamResponse(status=response.status, headers=headers_of(response))
        if encoding:
            out.headers["Content-Encoding"] = encoding
        out.enable_chunked_encoding()
        await out.prepare(request)
        step = max(1, len(body) // pieces)
        for i in range(0, len(body), step):
            await out.write(body[i : i + step])
            await asyncio.sleep(0)
        await out.write_eof()
        return out

    return shape


SHAPES = {
    "gzip": _compressed("gzip"),
    "deflate-zlib": _compressed("deflate-zlib"),
    "deflate-raw": _compressed("deflate-raw"),
    "chunked": _chunked(17),
    "chunked-1-byte-pieces": _chunked(10_000),
    "chunked-gzip": _chunked(9, gzip.compress, "gzip"),
}


async def _read_everything(client: Client) -> tuple[Any, ...]:
    props = await client.get_properties(ManagedObjectReference("VirtualMachine", "vm-42"),
                                        ["name", "config.uuid"])
    pages = [
        [(c.obj, c.propSet[0].val) for c in page]
        async for page in retrieve_pages(
            client, [view_filter_spec(VIEW, "VirtualMachine", ["name"])])
    ]
    now = await client.invoke(client.service_instance, "CurrentTime")
    return props, pages, now


@pytest.fixture
def fake() -> FakeVC:
    fake = FakeVC()
    # About 150 KiB of RetrievePropertiesEx: several reads, compressed windows, chunks.
    fake.objects = [("VirtualMachine", f"vm-{i}", {"name": f"web-{i:04d}-ünïcødé"})
                    for i in range(1500)]
    return fake


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_encoded_bodies_decode_to_the_same_values(
    server: VCServer, client: Client, shape: str
) -> None:
    expected = await _read_everything(client)
    assert expected[0] == {"name": "name:vm-42", "config.uuid": "config.uuid:vm-42"}
    assert len(expected[1][0]) == 1500 and expected[1][0][7][1] == "web-0007-ünïcødé"
    server.shape = SHAPES[shape]
    assert await _read_everything(client) == expected
    assert server.shaped == 3  # the encoded responses really were served
