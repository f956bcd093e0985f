"""TLS: verified by default, pinned by thumbprint, or skipped only when asked (trustme)."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator

import pytest
import trustme
from client._soap import PASSWORD, USER, FakeVC

import aiovsphere
from aiovsphere import Client
from aiovsphere.transport.http import AiohttpTransport

from ._server import VCServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1", "localhost")


@pytest.fixture
async def tls_server(fake: FakeVC, cert: trustme.LeafCert) -> AsyncIterator[VCServer]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    async with VCServer(fake, ssl_context=ctx) as server:
        yield server


def _thumbprint(cert: trustme.LeafCert, algorithm: str) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    return hashlib.new(algorithm, der).hexdigest().upper()


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i : i + 2] for i in range(0, len(hexdigest), 2))


async def _works(client: Client, server: VCServer) -> None:
    try:
        await client.open()
        await client.session.login(USER, PASSWORD)
        assert (await client.invoke(client.service_instance, "CurrentTime")).year == 2024
        assert server.fake.methods == ["RetrieveServiceContent", "Login", "CurrentTime"]
    finally:
        await client.close()
    assert server.fake.methods[-1] == "Logout"


async def test_untrusted_certificate_is_refused_by_default(tls_server: VCServer) -> None:
    client = Client(tls_server.url, version="8.0.3.0")
    try:
        with pytest.raises(aiovsphere.ConnectError) as info:
            await client.open()
        message = str(info.value)
        assert "verif" in message.lower()
        assert "thumbprint=" in message and "insecure=True" in message
        assert info.value.method == "RetrieveServiceContent"
    finally:
        await client.close()
    assert tls_server.handled == 0


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
@pytest.mark.parametrize("style", ["colons", "plain", "lower-colons"])
async def test_thumbprint_pin_works(
    tls_server: VCServer, cert: trustme.LeafCert, algorithm: str, style: str
) -> None:
    digest = _thumbprint(cert, algorithm)
    pin = {"colons": _colons(digest), "plain": digest,
           "lower-colons": _colons(digest).lower()}[style]
    await _works(Client(tls_server.url, version="8.0.3.0", thumbprint=pin), tls_server)


@pytest.mark.parametrize("algorithm", ["sha256", "sha1"])
async def test_wrong_thumbprint_is_refused_before_sending(
    tls_server: VCServer, cert: trustme.LeafCert, algorithm: str
) -> None:
    digest = _thumbprint(cert, algorithm)
    wrong = ("00" if not digest.startswith("00") else "11") + digest[2:]
    client = Client(tls_server.url, version="8.0.3.0", thumbprint=_colons(wrong))
    try:
        with pytest.raises(aiovsphere.ConnectError) as info:
            await client.open()
        assert "thumbprint" in str(info.value)
        # The error shows what the server presented (SHA-256 or SHA-1, as pinned).
        assert _colons(digest).lower() in str(info.value).lower()
        with pytest.raises(aiovsphere.ConnectError):
            await client.open()  # and again: the refusal is not a one-off
    finally:
        await client.close()
    assert tls_server.handled == 0  # no request, so no body (no password) ever reached it
    assert tls_server.fake.calls == []


def test_malformed_thumbprint_is_rejected_early() -> None:
    with pytest.raises(ValueError):
        Client("https://127.0.0.1:1/sdk", thumbprint="AB:CD")
    with pytest.raises(ValueError):
        Client("https://127.0.0.1:1/sdk", thumbprint="zz" * 32)


async def test_insecure_works(tls_server: VCServer) -> None:
    await _works(Client(tls_server.url, version="8.0.3.0", insecure=True), tls_server)


async def test_custom_ca_context_works(tls_server: VCServer, ca: trustme.CA) -> None:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    transport = AiohttpTransport(ssl_context=ctx)
    await _works(Client(tls_server.url, version="8.0.3.0", transport=transport), tls_server)


async def test_custom_ca_with_wrong_hostname_is_refused(
    fake: FakeVC, ca: trustme.CA
) -> None:
    other = ca.issue_cert("vcenter.example.com")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    other.configure_cert(server_ctx)
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    async with VCServer(fake, ssl_context=server_ctx) as server:
        client = Client(server.url, version="8.0.3.0", transport=AiohttpTransport(ssl_context=ctx))
        try:
            with pytest.raises(aiovsphere.ConnectError):
                await client.open()
        finally:
            await client.close()
        assert server.handled == 0
