"""The one transport seam: ``Transport.request(HttpRequest, sink) -> HttpResponse``."""

from aiovsphere.transport.base import BodySink, HttpRequest, HttpResponse, Transport

__all__ = ["BodySink", "HttpRequest", "HttpResponse", "Transport"]
