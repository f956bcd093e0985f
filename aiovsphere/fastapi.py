"""FastAPI integration: one client per application, logged out at shutdown.

    from fastapi import FastAPI
    from aiovsphere.fastapi import ClientDep, VSphere

    vsphere = VSphere(caches={"vms": ("VirtualMachine", ["name", "runtime.powerState"])})
    app = FastAPI(lifespan=vsphere.lifespan)
    vsphere.install_error_handlers(app)

    @app.get("/vms")
    async def vms(client: ClientDep):
        async with client.container_view(["VirtualMachine"]) as view:
            return [{"name": r.name} for r in await client.retrieve(view, ["name"])]

One :class:`~aiovsphere.Client` serves every request: its connection pool, semaphore and
single-flight re-login are shared, so 200 concurrent requests make at most
``max_in_flight`` calls at once and one login. The lifespan connects (and logs in) at
startup, starts the named :class:`~aiovsphere.InventoryCache` s and waits for their first
snapshot, and at shutdown closes the caches and logs out, whatever happened in between.

Connection settings default to the CLI's environment variables (``AIOVSPHERE_URL``,
``AIOVSPHERE_USERNAME``, ``AIOVSPHERE_PASSWORD``, ``AIOVSPHERE_INSECURE``); the password
is read at startup and kept only by the client's session (never in reprs or logs).

Needs the ``fastapi`` extra (``pip install 'aiovsphere[fastapi]'``, which also installs
uvicorn to serve the app).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from aiovsphere._client import Client
from aiovsphere._errors import SoapFault, TransportError, VSphereError

if TYPE_CHECKING:
    from aiovsphere._cache import InventoryCache

__all__ = ["ClientDep", "VSphere", "get_cache", "get_client"]

_STATE = "aiovsphere"

# Faults that say something about the request, not about the server: their HTTP status.
_FAULT_STATUS = {
    "ManagedObjectNotFound": 404,
    "NotFound": 404,
    "InvalidPowerState": 409,
    "InvalidState": 409,
    "TaskInProgress": 409,
    "DuplicateName": 409,
    "InvalidArgument": 400,
    "InvalidName": 400,
    "NoPermission": 403,
    "NotAuthenticated": 503,
}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class VSphere:
    """The application's vSphere connection: a lifespan and dependencies.

    Args:
        url: vCenter/ESXi URL (default ``$AIOVSPHERE_URL``).
        user: login name (default ``$AIOVSPHERE_USERNAME``).
        password: login password (default ``$AIOVSPHERE_PASSWORD``).
        insecure: skip TLS verification (default ``$AIOVSPHERE_INSECURE``; off).
        caches: ``{name: (type, paths)}`` of :class:`~aiovsphere.InventoryCache` s to keep
            for the application's lifetime (``vsphere.cache(name)``, or a route parameter
            ``cache: InventoryCache = Depends(get_cache(name))``).
        **client_options: passed to :func:`aiovsphere.connect` (``max_in_flight``,
            ``timeout``, ``thumbprint``...).

    Raises at startup (so the app does not start half-connected) what ``connect`` raises:
    ``ConnectError``, ``faults.InvalidLogin``... and ``ValueError`` without a URL.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        user: str | None = None,
        password: str | None = None,
        insecure: bool | None = None,
        caches: Mapping[str, tuple[str | Sequence[str], Sequence[str] | None]] | None = None,
        **client_options: Any,
    ) -> None:
        self._url = url
        self._user = user
        self._password = password
        self._insecure = insecure
        self._cache_specs = dict(caches or {})
        self._options = client_options
        self._client: Client | None = None
        self._caches: dict[str, InventoryCache] = {}

    def __repr__(self) -> str:
        state = "open" if self._client is not None else "closed"
        return f"<aiovsphere.fastapi.VSphere {state} caches={sorted(self._cache_specs)}>"

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """The app's lifespan (``FastAPI(lifespan=vsphere.lifespan)``); nest it in your own
        with ``async with vsphere.lifespan(app):``."""
        from aiovsphere._cache import InventoryCache
        from aiovsphere._connect import connect

        url = self._url or os.environ.get("AIOVSPHERE_URL")
        if not url:
            raise ValueError("no vCenter URL: pass url= or set AIOVSPHERE_URL")
        user = self._user or os.environ.get("AIOVSPHERE_USERNAME", "")
        password = self._password or os.environ.get("AIOVSPHERE_PASSWORD", "")
        insecure = self._insecure if self._insecure is not None else _env_flag(
            "AIOVSPHERE_INSECURE")
        async with contextlib.AsyncExitStack() as stack:
            client = await stack.enter_async_context(
                connect(url, user=user, password=password, insecure=insecure,
                        **self._options))
            for name, (type_, paths) in self._cache_specs.items():
                self._caches[name] = await stack.enter_async_context(
                    InventoryCache(client, type_, paths))
            self._client = client
            setattr(app.state, _STATE, self)
            try:
                yield
            finally:
                self._client = None
                self._caches = {}

    @property
    def client(self) -> Client:
        """The open client; HTTP 503 outside the lifespan."""
        if self._client is None:
            raise HTTPException(503, "vSphere connection is not open")
        return self._client

    def cache(self, name: str) -> InventoryCache:
        """The cache named ``name`` in ``caches``; ``KeyError`` for an unknown name."""
        if self._client is None:
            raise HTTPException(503, "vSphere connection is not open")
        return self._caches[name]

    def install_error_handlers(self, app: FastAPI) -> None:
        """Map errors to HTTP answers: a fault about the request to 4xx (404 for
        ManagedObjectNotFound, 409 for InvalidPowerState/InvalidState/TaskInProgress...),
        other faults and transport errors to 502, ``TimeoutError`` to 504. The body is
        ``{"fault": name, "message": text}``; the message never holds credentials
        (faults are scrubbed by the client)."""

        async def on_fault(_request: Request, exc: Exception) -> JSONResponse:
            assert isinstance(exc, SoapFault)
            status = _FAULT_STATUS.get(exc.fault_name, 502)
            for cls in type(exc).__mro__:
                if cls.__name__ in _FAULT_STATUS:
                    status = _FAULT_STATUS[cls.__name__]
                    break
            return JSONResponse({"fault": exc.fault_name, "message": str(exc)},
                                status_code=status)

        async def on_error(_request: Request, exc: Exception) -> JSONResponse:
            status = 504 if isinstance(exc, TimeoutError) else 502
            kind = "Timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            return JSONResponse({"fault": kind, "message": str(exc)}, status_code=status)

        app.add_exception_handler(SoapFault, on_fault)
        app.add_exception_handler(TransportError, on_error)
        app.add_exception_handler(VSphereError, on_error)
        app.add_exception_handler(TimeoutError, on_error)


def _vsphere(request: Request) -> VSphere:
    vsphere = getattr(request.app.state, _STATE, None)
    if not isinstance(vsphere, VSphere):
        raise HTTPException(503, "vSphere connection is not open")
    return vsphere


def get_client(request: Request) -> Client:
    """Dependency: the application's :class:`~aiovsphere.Client` (HTTP 503 if not open)."""
    return _vsphere(request).client


def get_cache(name: str) -> Any:
    """Dependency factory: ``cache: InventoryCache = Depends(get_cache("vms"))``."""

    def dependency(request: Request) -> InventoryCache:
        return _vsphere(request).cache(name)

    return dependency


#: Route parameter annotation: ``async def route(client: ClientDep)``.
ClientDep = Annotated[Client, Depends(get_client)]
